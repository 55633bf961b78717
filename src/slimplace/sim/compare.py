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
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.energy.accounting import server_fixed_w
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.bounds import lower_bound_parts_w, server_static_lower_bound_j
from slimplace.sim.engine import n_steps_for, simulate
from slimplace.sim.policies.hindsight import regret_pct
from slimplace.sim.registry import default_policies
from slimplace.sim.workload import DemandWorkload, build_workload

log = logging.getLogger(__name__)

J_PER_KWH = 3.6e6
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

    def max_saving_pct(self) -> float:
        """The most any policy serving every request could save against static-peak on
        the plan-dependent energy, by the proven lower bound (NaN without static-peak)."""
        peak = self.rows.get("static-peak", {}).get("plan_energy_kwh")
        if not peak:
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
            "notes": self.notes,
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
) -> Comparison:
    """Run ``policies`` (names; ``options[name]`` their options, e.g. ``method``) on
    ``problem`` with every application following ``trace`` (module docstring)."""
    n = n_steps_for(horizon_s, step_s)
    workload = trace_workload(
        problem, trace, n_steps=n, step_s=step_s, seed=seed, base_dir=base_dir
    )
    notes = workload.notes(n * step_s)
    registry = default_policies()
    rows: dict[str, dict[str, Any]] = {}
    power: dict[str, FloatArray] = {}
    fixed_j = math.nan
    fixed_servers_w = float(server_fixed_w(problem).sum())
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
        )
        s = result.summary
        fixed_j = s.fixed_energy_j
        steps = result.steps()
        power[name] = np.asarray(steps["power_w"] - steps["fixed_w"], dtype=np.float64)
        rows[name] = {
            "energy_kwh": s.energy_j / J_PER_KWH,
            "plan_energy_kwh": s.plan_energy_j / J_PER_KWH,
            "slo_attainment": s.slo_attainment,
            "mean_accuracy": s.mean_accuracy,
            "switches": s.variant_switches + s.moves,
            "wakeups": s.wake_ups,
            "seconds": s.wall_s,
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
    )


def relative(rows: dict[str, dict[str, Any]]) -> None:
    """Regret against hindsight and saving against static-peak, where both ran (in place)."""
    hind = rows.get("hindsight")
    peak = rows.get("static-peak")
    for row in rows.values():
        if hind is not None:
            row["regret_pct"] = regret_pct(row["plan_energy_kwh"], hind["plan_energy_kwh"])
            row["regret_total_pct"] = regret_pct(row["energy_kwh"], hind["energy_kwh"])
        if peak is not None and peak["plan_energy_kwh"] > 0:
            row["saving_vs_static_peak_pct"] = 100.0 * (
                1.0 - row["plan_energy_kwh"] / peak["plan_energy_kwh"]
            )
