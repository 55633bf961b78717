"""Policies side by side on one trace: issue 15's comparison (benchmark and CLI).

Every application follows the trace, all sources in step, scaled so that the trace's
maximum over the horizon is each source's rate in the scenario (the scenario states the
peak, :meth:`~slimplace.sim.workload.DemandWorkload.scaled_to_peak`). Each policy runs
through :func:`~slimplace.sim.engine.simulate`; its row holds energy (total and
plan-dependent), SLO attainment, accuracy, switches (width switches + moves), wake-ups,
the seconds of the ``simulate`` call, the regret against ``hindsight`` on the
plan-dependent energy (``100 (E - E_h) / E_h``) and the saving against ``static-peak``
(``100 (1 - E / E_sp)``), both on the part of the energy a policy controls, and
``servers_static_kwh``, the plan-dependent static energy of the servers the policy kept
on (what switching servers can save; the rest of the plan-dependent energy is compute,
network and radio energy per request).

**One peak plan.** With ``peak_solver`` (:func:`compare`) the peak plan is solved once
and shared through the policies' context: static-peak holds it, the online policies
start from it (reactive, predictive) and keep it wherever their own plan for a load
level costs more (periodic, predictive), so no policy plans worse than holding the
reference of its saving. Sharing it beats a per-policy ``peak_solver`` option: one
``milp`` solve instead of one per policy, and the saving is measured against the very
plan the policies had.

**Overload.** The fixed part (``fixed_kwh``) and the lower bound hold for a policy that
serves every request: the radio no plan avoids is charged at the offered rates. A policy
that drops requests (``served_fraction`` < 1) does not draw the radio of what it dropped,
so its own fixed part (the row's ``fixed_kwh``) is a lower bound on the fixed energy of
what it served (:func:`served_fixed_w`: the larger of the served requests times the least
unavoidable radio per request and the offered fixed part less the dropped requests times
the most; at most the radio it drew, so its plan-dependent energy is >= 0 and, if
anything, overstated). A row that served at least :data:`MIN_SERVED_COMPARED` of the
offered load (its drops count as SLO misses, within the 99 % attainment the targets ask)
keeps its saving and regret on that conservative plan-dependent energy; below it, or when
the reference (static-peak, hindsight) drops requests, the row gets ``null`` with
``not_compared`` saying why. The lower bound and the ceiling on savings are stated only
for policies that serve every request (a policy that serves less can use less).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.energy.accounting import link_fixed_w, server_fixed_w, unavoidable_radio_at
from slimplace.placement.registry import Solver
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.bounds import lower_bound_parts_w, server_static_lower_bound_j
from slimplace.sim.engine import context_for, n_steps_for, simulate
from slimplace.sim.policies.common import peak_plan
from slimplace.sim.policies.hindsight import regret_pct
from slimplace.sim.registry import default_policies
from slimplace.sim.workload import DemandWorkload, build_workload

log = logging.getLogger(__name__)

J_PER_KWH = 3.6e6
#: Served share below which a policy is said to drop requests (rounding of the served sums).
SERVED_ALL = 1.0 - 1e-6
#: Served share from which a dropping policy is still compared (module docstring).
MIN_SERVED_COMPARED = 0.99
#: SLO attainment (per request) below which a policy's saving is not one issue 15's
#: benchmark counts: its "best online policy" needs at least this; the report says so.
SLO_ATTAINMENT_COUNTED = 0.99
#: The policies compared by default (issue 15).
DEFAULT_POLICIES = ("static-peak", "reactive", "periodic", "predictive", "hindsight")


@dataclass
class Comparison:
    """The rows (one per policy, JSON-ready) and each policy's plan-dependent power per
    step (W, step averages; wake-up and model-load energy excluded)."""

    scenario: str
    trace: str
    horizon_s: float
    step_s: float
    fixed_kwh: float
    lower_bound_kwh: float
    notes: list[str]
    rows: dict[str, dict[str, Any]]
    power_w: dict[str, FloatArray] = field(default_factory=dict)
    servers_lower_bound_kwh: float = 0.0
    uncoupled_lower_bound_kwh: float = 0.0
    #: seconds of the peak plan solved once for every policy (None: each solved its own)
    peak_plan_s: float | None = None

    def dropping(self) -> dict[str, float]:
        """Policies that served less than the offered load, with their served share."""
        return {
            name: float(row["served_fraction"])
            for name, row in self.rows.items()
            if not serves_all(row)
        }

    def max_saving_pct(self) -> float:
        """The most any policy serving every request could save against static-peak on
        the plan-dependent energy, by the proven lower bound (NaN without static-peak, or
        when static-peak itself dropped requests: the bound is not comparable to it)."""
        row = self.rows.get("static-peak", {})
        peak = row.get("plan_energy_kwh")
        if not peak or not serves_all(row):
            return math.nan
        return 100.0 * (1.0 - self.lower_bound_kwh / peak)

    def to_dict(self) -> dict[str, Any]:
        """Issue 15's JSON: ``fixed_kwh``, ``hindsight_energy_kwh`` and ``policies``
        (plus the plan-dependent figures, the lower bound and the notes)."""
        hind = self.rows.get("hindsight", {})
        return {
            "scenario": self.scenario,
            "trace": self.trace,
            "horizon_s": self.horizon_s,
            "step_s": self.step_s,
            "fixed_kwh": self.fixed_kwh,
            "hindsight_energy_kwh": hind.get("energy_kwh"),
            "hindsight_plan_energy_kwh": hind.get("plan_energy_kwh"),
            "plan_energy_lower_bound_kwh": self.lower_bound_kwh,
            "servers_static_lower_bound_kwh": self.servers_lower_bound_kwh,
            "uncoupled_lower_bound_kwh": self.uncoupled_lower_bound_kwh,
            "max_saving_vs_static_peak_pct": self.max_saving_pct(),
            "dropped_requests": self.dropping(),
            "bounds_apply_to": "policies serving every request (served_fraction 1)",
            "notes": self.notes,
            "peak_plan_seconds": self.peak_plan_s,
            "policies": self.rows,
        }


def trace_workload(
    problem: CompiledProblem,
    trace: str,
    *,
    n_steps: int,
    step_s: float,
    seed: int,
    base_dir: Path | None = None,
) -> DemandWorkload:
    """Every application following ``trace`` in step, its maximum over the horizon at
    each source's scenario rate (a relative CSV path is also looked up in ``base_dir``)."""
    workload = build_workload(problem, override=trace, seed=seed, aligned=True, base_dir=base_dir)
    return workload.scaled_to_peak(n_steps, step_s)


def compare(
    problem: CompiledProblem,
    trace: str,
    *,
    horizon_s: float,
    step_s: float,
    policies: Sequence[str] = DEFAULT_POLICIES,
    options: dict[str, dict[str, Any]] | None = None,
    seed: int = 0,
    scenario: str = "",
    base_dir: Path | None = None,
    progress: Callable[[str, dict[str, Any]], None] | None = None,
    peak_solver: Solver | None = None,
) -> Comparison:
    """Run ``policies`` (names; ``options[name]`` their options, e.g. ``method``) on
    ``problem`` with every application following ``trace`` (module docstring).

    With ``peak_solver`` the plan for the trace's peak is solved once with it (``milp``:
    the benchmark's and the CLI's ``--static-method``) and handed to every policy as
    ``Context.reference_plan``: static-peak holds it, the online policies start from it
    and compare their plans with it (:func:`slimplace.sim.policies.common.peak_plan`).
    One solve serves all policies (the 60 s ``milp`` solve is not repeated per policy),
    and every saving is measured against the very plan the online policies were given.
    Its time is ``peak_plan_seconds`` and counts in static-peak's ``seconds`` (the time
    static-peak's own solve took before)."""
    n = n_steps_for(horizon_s, step_s)
    workload = trace_workload(
        problem, trace, n_steps=n, step_s=step_s, seed=seed, base_dir=base_dir
    )
    notes = workload.notes(n * step_s)
    reference = None
    peak_s = 0.0
    if peak_solver is not None:
        t0 = time.perf_counter()
        context = context_for(problem, workload, n_steps=n, step_s=step_s)
        reference = peak_plan(context, solver=peak_solver, seed=seed)
        peak_s = time.perf_counter() - t0
    registry = default_policies()
    rows: dict[str, dict[str, Any]] = {}
    power: dict[str, FloatArray] = {}
    fixed_j = math.nan
    fixed_servers_w = float(server_fixed_w(problem).sum())
    radio_range_j: tuple[FloatArray, FloatArray] | None = None  # only if a policy drops
    for name in policies:
        policy = registry.create(name, **(options or {}).get(name, {}))
        result = simulate(
            problem,
            policy,
            horizon_s=horizon_s,
            step_s=step_s,
            workload=workload,
            seed=seed,
            records="memory",
            reference_plan=reference,
        )
        s = result.summary
        fixed_j = s.fixed_energy_j
        steps = result.steps()
        fixed_w = np.asarray(steps["fixed_w"], dtype=np.float64)  # at the offered load
        if s.served_fraction < SERVED_ALL:
            if radio_range_j is None:
                radio_range_j = unavoidable_radio_range_j(
                    problem, workload, n_steps=n, step_s=step_s
                )
            served = np.asarray(steps["served"], dtype=np.float64)
            dropped = np.maximum(np.asarray(steps["requests"], dtype=np.float64) - served, 0.0)
            own_w = served_fixed_w(
                problem,
                served,
                radio_range_j[0],
                step_s,
                offered_w=fixed_w,
                dropped=dropped,
                radio_top_j=radio_range_j[1],
            )
            fixed_w = np.minimum(own_w, fixed_w)
        own_fixed_j = float(fixed_w.sum()) * step_s
        power[name] = np.asarray(steps["power_w"] - fixed_w, dtype=np.float64)
        rows[name] = {
            "energy_kwh": s.energy_j / J_PER_KWH,
            "plan_energy_kwh": (s.energy_j - own_fixed_j) / J_PER_KWH,
            "fixed_kwh": own_fixed_j / J_PER_KWH,
            "slo_attainment": s.slo_attainment,
            "mean_accuracy": s.mean_accuracy,
            "switches": s.variant_switches + s.moves,
            "wakeups": s.wake_ups,
            "seconds": s.wall_s + (peak_s if name == "static-peak" else 0.0),
            "served_fraction": s.served_fraction,
            "mean_servers_on": s.mean_servers_on,
            "report": s.policy_report,
        }
        rows[name]["servers_static_kwh"] = (
            (float(steps["static_w"].sum()) - fixed_servers_w * n) * step_s / J_PER_KWH
        )
        if progress is not None:
            progress(name, rows[name])
    uncoupled_w, capacity_w = lower_bound_parts_w(problem, workload, n_steps=n, step_s=step_s)
    bound_j = float(np.maximum(uncoupled_w, capacity_w).sum()) * step_s
    servers_bound_j = server_static_lower_bound_j(problem, workload, n_steps=n, step_s=step_s)
    relative(rows)
    return Comparison(
        scenario=scenario,
        trace=trace,
        horizon_s=n * step_s,
        step_s=step_s,
        fixed_kwh=fixed_j / J_PER_KWH,
        lower_bound_kwh=bound_j / J_PER_KWH,
        servers_lower_bound_kwh=servers_bound_j / J_PER_KWH,
        uncoupled_lower_bound_kwh=float(uncoupled_w.sum()) * step_s / J_PER_KWH,
        notes=notes,
        rows=rows,
        power_w=power,
        peak_plan_s=peak_s if reference is not None else None,
    )


def serves_all(row: dict[str, Any], at_least: float = SERVED_ALL) -> bool:
    """Whether a row's policy served the offered load (``at_least`` of it; rows without
    the figure: yes)."""
    served = row.get("served_fraction")
    return served is None or not served < at_least


def comparable(row: dict[str, Any]) -> bool:
    """Whether a row served enough to be compared (:data:`MIN_SERVED_COMPARED`)."""
    return serves_all(row, MIN_SERVED_COMPARED)


def unavoidable_radio_range_j(
    problem: CompiledProblem, workload: DemandWorkload, *, n_steps: int, step_s: float
) -> tuple[FloatArray, FloatArray]:
    """Per step, the least and the most device radio energy per request that no plan
    avoids over the demands with requests (J; :func:`slimplace.energy.accounting.
    unavoidable_radio_at` at the step's rates; 0 without a radio model)."""
    low, high = np.zeros(n_steps), np.zeros(n_steps)
    if not problem.power_model or not (problem.demand_radio >= 0).any():
        return low, high
    block = 256
    for s in range(0, n_steps, block):
        rates = workload.rates(s, min(block, n_steps - s), step_s)
        for i, r in enumerate(rates):
            busy = r > 0
            if busy.any():
                floor = unavoidable_radio_at(problem, r)[busy]
                low[s + i], high[s + i] = float(floor.min()), float(floor.max())
    return low, high


def served_fixed_w(
    problem: CompiledProblem,
    served: FloatArray,
    radio_floor_j: FloatArray,
    step_s: float,
    *,
    offered_w: FloatArray | None = None,
    dropped: FloatArray | None = None,
    radio_top_j: FloatArray | None = None,
) -> FloatArray:
    """Per step, a lower bound on the fixed power of a policy that served ``served``
    requests (counts per step): the servers' and links' fixed power plus the served rate
    times the least unavoidable radio energy per request (``radio_floor_j``); with the
    offered fixed power ``offered_w``, the ``dropped`` counts and the most unavoidable
    radio per request ``radio_top_j``, the larger of that and ``offered_w`` less the
    dropped rate times ``radio_top_j``. Each served request is one of some demand's, whose
    radio is at least that demand's unavoidable part and each dropped one removes at most
    the largest, so both are at most the radio the policy drew (the engine charges the
    radio of every request it routes, dropped ones included)."""
    const_w = float(server_fixed_w(problem).sum() + link_fixed_w(problem).sum())
    low = np.asarray(const_w + served / step_s * radio_floor_j, dtype=np.float64)
    if offered_w is None or dropped is None or radio_top_j is None:
        return low
    return np.maximum(low, offered_w - dropped / step_s * radio_top_j)


#: Why a row is not compared with another (``not_compared``).
_DROPPED = (
    "served {pct:.1f} % of the offered load: energy is not comparable with a policy "
    "serving every request (a compared policy serves at least 99 % of it)"
)


def relative(rows: dict[str, dict[str, Any]]) -> None:
    """Regret against hindsight and saving against static-peak, where both ran and both
    served every request (in place); else ``None`` and ``not_compared`` says why."""
    hind = rows.get("hindsight")
    peak = rows.get("static-peak")
    for name, row in rows.items():
        why = []
        if not comparable(row):
            why.append(f"{name} " + _DROPPED.format(pct=100 * row["served_fraction"]))
        if hind is not None:
            if comparable(row) and serves_all(hind):
                row["regret_pct"] = regret_pct(row["plan_energy_kwh"], hind["plan_energy_kwh"])
                row["regret_total_pct"] = regret_pct(row["energy_kwh"], hind["energy_kwh"])
            else:
                row["regret_pct"] = row["regret_total_pct"] = None
                if not serves_all(hind):
                    why.append("hindsight " + _DROPPED.format(pct=100 * hind["served_fraction"]))
        if peak is not None:
            if comparable(row) and serves_all(peak) and peak["plan_energy_kwh"] > 0:
                row["saving_vs_static_peak_pct"] = 100.0 * (
                    1.0 - row["plan_energy_kwh"] / peak["plan_energy_kwh"]
                )
            else:
                row["saving_vs_static_peak_pct"] = None
                if not serves_all(peak):
                    why.append("static-peak " + _DROPPED.format(pct=100 * peak["served_fraction"]))
        if why:
            row["not_compared"] = "; ".join(dict.fromkeys(why))
