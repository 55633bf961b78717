"""The time-stepped simulation loop: rates and carbon at t -> policy -> transitions ->
measure -> record.

One loop for every policy and scenario (the CONT benchmark included). Per step the
engine does a handful of numpy operations on arrays of the plan's support and of the
nodes; rates and intensities arrive in blocks of steps and records leave in blocks,
so memory does not grow with the horizon.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray
from slimplace.errors import SlimplaceError
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS
from slimplace.sim.carbon import CarbonSeries, build_carbon
from slimplace.sim.model import StepModel, build_step_model
from slimplace.sim.policies.common import peak_plan
from slimplace.sim.policy import Change, Context, Observation, Policy
from slimplace.sim.records import (
    COL,
    MemorySink,
    NullSink,
    ParquetSink,
    RecordBuffer,
    RecordSink,
)
from slimplace.sim.state import J_PER_KWH, SimState, Totals, histogram_quantile
from slimplace.sim.workload import DemandWorkload, build_workload

if TYPE_CHECKING:
    import pandas as pd

    from slimplace.placement.registry import Solver
    from slimplace.sim.mobility import Mobility

log = logging.getLogger(__name__)


#: Rates and intensities are generated for at most this many values at once.
BLOCK_VALUES = 1 << 20


class PolicyError(SlimplaceError):
    """A policy returned something the engine cannot apply."""


@dataclass(frozen=True)
class Summary:
    """What a simulation amounts to (energies in J, carbon in g, latencies in s)."""

    scenario: str
    policy: str
    steps: int
    step_s: float
    horizon_s: float
    seed: int
    energy_j: float
    mean_power_w: float
    energy_by_tier_j: dict[str, dict[str, float]]
    carbon_g: float
    requests: float
    slo_attainment: float
    slo_met_fraction: float
    served_fraction: float
    dropped: float
    late_transition: float
    mean_latency_s: float
    p95_latency_s: float
    mean_accuracy: float
    variant_switches: int
    model_loads: int
    wake_ups: int
    moves: int
    replans: int
    mean_servers_on: float
    max_servers_on: float
    wall_s: float
    steps_per_s: float
    decide_s: float
    records: str | None = None
    #: energy drawn whatever the plan (servers' fixed static power, network baseload, device
    #: radio no plan avoids) and the rest, which the policy controls (J;
    #: slimplace.energy.accounting)
    fixed_energy_j: float = 0.0
    plan_energy_j: float = 0.0
    #: figures a policy reports about its own run (``policy.report(memory)`` when it has
    #: one), e.g. the predictive policy's forecast error
    policy_report: dict[str, float] = field(default_factory=dict)
    #: what mobility did (handovers, migrations, ...; :mod:`slimplace.sim.mobility`)
    mobility: dict[str, float] = field(default_factory=dict)
    #: power-mode switches of nodes between plans and their energy (J), and the requests
    #: served at a smaller batch than planned because their stream did not fill it
    #: (:mod:`slimplace.sim.batch_step`)
    mode_switches: int = 0
    mode_switch_energy_j: float = 0.0
    batch_unfilled: float = 0.0
    #: links over the day (routing as a decision; :meth:`slimplace.sim.links.LinkSleep.report`)
    links: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (non-finite floats become None)."""
        return _finite(asdict(self))


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True, eq=False)
class SimResult:
    """The summary and where the per-step records went (a Parquet file, memory, or
    nowhere)."""

    summary: Summary
    records_path: Path | None
    memory: MemorySink | None = None

    def steps(self) -> pd.DataFrame:
        """The per-step records as a data frame (one row per step; columns as in
        :data:`slimplace.sim.records.COLUMNS`). Needs ``records=`` a path or
        ``"memory"`` in :func:`simulate`."""
        if self.memory is not None:
            return self.memory.frame()
        if self.records_path is not None:
            import pandas as pd

            return pd.read_parquet(self.records_path)
        raise ValueError(
            "the per-step records were not kept: call simulate(..., records='memory') "
            "or records='steps.parquet'"
        )


def n_steps_for(horizon_s: float, step_s: float) -> int:
    """Steps covering ``horizon_s`` (rounded to the nearest whole step, at least 1)."""
    if not (step_s > 0 and horizon_s > 0):
        raise ValueError("horizon and step must be positive")
    return max(1, round(horizon_s / step_s))


def context_for(
    problem: CompiledProblem, workload: DemandWorkload, *, n_steps: int, step_s: float
) -> Context:
    """What a policy knows before a run of ``n_steps`` steps of ``workload`` on
    ``problem`` (no reference plan): :func:`simulate`'s context."""
    if workload.constant:
        peak = mean = workload.mean_rate_per_s
    else:
        peak, mean = workload.peak_and_mean(n_steps, step_s)
    return Context(problem, step_s, n_steps, peak, mean, workload)


def simulate(
    problem: CompiledProblem,
    policy: Policy | str,
    *,
    horizon_s: float,
    step_s: float,
    workload: DemandWorkload | None = None,
    carbon: CarbonSeries | None = None,
    seed: int = 0,
    records: str | Path | RecordSink | None = None,
    model: StepModel | None = None,
    progress: Callable[[int, int], None] | None = None,
    mobility: Mobility | None = None,
    reference_plan: Plan | None = None,
    peak_solver: Solver | None = None,
) -> SimResult:
    """Run ``policy`` on ``problem`` for ``horizon_s`` in steps of ``step_s``.

    ``workload`` defaults to each application's ``workload`` field
    (:func:`~slimplace.sim.workload.build_workload`), ``carbon`` to the scenario's
    constant region table; ``records`` is a Parquet path, ``"memory"`` (kept for
    :meth:`SimResult.steps`), a sink, or None (summary only). ``policy`` is a policy
    object or the name of a built-in one (:func:`~slimplace.sim.registry.default_policies`).
    ``progress(done, total)`` is called about 200 times. ``mobility``
    (:func:`slimplace.sim.mobility.build_mobility`) moves sources between antennas: the
    run then plans and measures on the problem it returns (the roaming candidates added,
    network figures at the current antennas; ``model`` is not used) and the policy's
    solver plans over the candidates admissible now (:meth:`Mobility.wrap`).

    ``reference_plan`` (a plan for the workload's peak rates on ``problem``) or, without
    one, the plan ``peak_solver`` finds there (solved once before the run, its time
    counted in the run's) is the policy's peak plan (``Context.reference_plan``): what
    static-peak holds and the online policies start from or fall back to. Not with
    ``mobility`` (the run's problem has other candidates): the policy then solves its own.
    """
    t_wall = time.perf_counter()
    if isinstance(policy, str):
        from slimplace.sim.registry import default_policies

        policy = default_policies().create(policy)
    if mobility is not None:  # the run's problem: roaming candidates, live network figures
        problem, m = mobility.bind(problem, seed)
        policy = mobility.wrap(policy)
    else:
        m = model or build_step_model(problem)
    wl = workload or build_workload(problem, seed=seed)
    cs = carbon or build_carbon(problem)
    n = n_steps_for(horizon_s, step_s)
    context = context_for(problem, wl, n_steps=n, step_s=step_s)
    if mobility is not None and (reference_plan is not None or peak_solver is not None):
        log.warning("with mobility the policy solves its own peak plan (other candidates)")
    elif reference_plan is not None or peak_solver is not None:
        if reference_plan is None:
            assert peak_solver is not None
            reference_plan = peak_plan(context, solver=peak_solver, seed=seed)
        if len(reference_plan.x) != problem.n_candidates:
            raise ValueError(
                f"reference_plan has {len(reference_plan.x)} candidate shares, the problem "
                f"{problem.n_candidates}"
            )
        context = replace(context, reference_plan=reference_plan)
    state = SimState(m, step_s)
    state.memory = policy.start(context, seed=seed)
    memory = MemorySink() if isinstance(records, str) and records == "memory" else None
    path = Path(records) if isinstance(records, (str, Path)) and memory is None else None
    sink: RecordSink = (
        memory or (ParquetSink(path) if path is not None else (records or NullSink()))  # type: ignore[assignment]
    )
    buffer = RecordBuffer(sink)
    try:
        with np.errstate(all="ignore"):  # overloaded nodes have infinite latency by the model
            _loop(state, policy, wl, cs, n, progress, buffer, mobility)
    finally:
        buffer.close()
    wall = time.perf_counter() - t_wall
    summary = summarize(state.totals, problem, policy, step_s, n, seed, wall, path)
    report = getattr(policy, "report", None)
    if callable(report):
        summary = replace(summary, policy_report=dict(report(state.memory)))
    if mobility is not None:
        summary = replace(summary, mobility=mobility.report())
    if state.links is not None:
        summary = replace(summary, links=state.links.report())
    return SimResult(summary, path, memory)


def _loop(
    state: SimState,
    policy: Policy,
    wl: DemandWorkload,
    cs: CarbonSeries,
    n: int,
    progress: Callable[[int, int], None] | None,
    buffer: RecordBuffer,
    mobility: Mobility | None = None,
) -> None:
    stepper = Stepper(state, wl, cs, n, buffer, mobility)
    every = max(1, n // 200)
    decide = policy.decide
    for t in range(n):
        obs = stepper.observe()
        t0 = time.perf_counter()
        decision = decide(obs, state.memory)
        stepper.advance(decision, time.perf_counter() - t0)
        if progress is not None and (t + 1) % every == 0:
            progress(t + 1, n)
    if progress is not None:
        progress(n, n)


class Stepper:
    """The loop of :func:`simulate` one step at a time: :meth:`observe` sets this step's
    rates and intensities and returns the observation, :meth:`advance` applies a decision,
    measures the step and returns its record. Rates and intensities arrive in blocks."""

    def __init__(
        self,
        state: SimState,
        wl: DemandWorkload,
        cs: CarbonSeries,
        n: int,
        buffer: RecordBuffer,
        mobility: Mobility | None = None,
    ) -> None:
        self.state, self.wl, self.cs, self.n, self.buffer = state, wl, cs, n, buffer
        self.mobility = mobility
        d = max(1, len(wl.mean_rate_per_s))
        self.block = max(1, min(1024, BLOCK_VALUES // d))
        self.const_rates, self.const_carbon = wl.constant, cs.constant
        self.rate_const = _ro(wl.mean_rate_per_s.copy())
        self.carbon_blk = _ro(cs.intensity(0, 1, state.step_s))
        self.g_const = self.carbon_blk[0][state.model.node_region] / J_PER_KWH
        self.rates_blk: FloatArray | None = None
        self.t = 0
        self.carbon = self.carbon_blk[0]
        self.g_node = self.g_const

    @property
    def done(self) -> bool:
        """Whether every step has been measured."""
        return self.t >= self.n

    def observe(self) -> Observation:
        """This step's rates and intensities set; the observation a policy decides on."""
        state, t, step_s = self.state, self.t, self.state.step_s
        i = t % self.block
        if i == 0:
            size = min(self.block, self.n - t)
            if not self.const_rates:
                self.rates_blk = _ro(self.wl.rates(t, size, step_s))
            if not self.const_carbon:
                self.carbon_blk = _ro(self.cs.intensity(t, size, step_s))
        rate = self.rate_const if self.rates_blk is None else self.rates_blk[i]
        state.set_rates(rate, changed=self.rates_blk is not None or t == 0)
        if self.mobility is not None:
            self.mobility.observe(state, state.time_s)
        self.carbon = self.carbon_blk[0] if self.const_carbon else self.carbon_blk[i]
        self.g_node = (
            self.g_const if self.const_carbon else self.carbon[state.model.node_region] / J_PER_KWH
        )
        return Observation(
            t,
            state.time_s,
            step_s,
            rate,
            self.carbon,
            state.view_demand,
            state.view_cand,
            state.view_share,
            state.one_per_demand,
            state.view_busy,
            state.view_cap,
            state.view_target,
            b"" if self.mobility is None else self.mobility.access_key,
        )

    def advance(self, decision: object, decide_s: float = 0.0) -> FloatArray:
        """Apply ``decision`` to the step :meth:`observe` set, measure it, and return its
        record (columns :data:`slimplace.sim.records.COL`; valid until the next call)."""
        state, t = self.state, self.t
        if self.mobility is not None:
            decision = self.mobility.adapt(decision)
        _apply(state, decision, t)
        if t == 0:
            state.start_servers()
        if self.mobility is not None:
            self.mobility.after_decision(state)
        state.advance_servers(self.g_node)
        row = self.buffer.next_row()
        state.measure(row, self.carbon, self.g_node, decide_s)
        state.end_step()
        self.t += 1
        return row


def _ro(a: FloatArray) -> FloatArray:
    v = a.view()
    v.flags.writeable = False
    return v


def _apply(state: SimState, decision: object, t: int) -> None:
    if decision is None:
        if t == 0:
            raise PolicyError("the policy returned no plan at step 0")
        return
    if isinstance(decision, Plan):
        if decision.x.shape != (state.model.problem.n_candidates,):
            n = state.model.problem.n_candidates
            raise PolicyError(f"plan has {decision.x.shape} shares for {n} candidates")
        state.set_plan(decision)
        return
    if isinstance(decision, Change):
        if t == 0:
            raise PolicyError("the first decision must be a Plan")
        if decision.entries is not None and decision.candidates is not None:
            state.reroute(
                np.asarray(decision.entries, dtype=np.int64),
                np.asarray(decision.candidates, dtype=np.int64),
            )
        if decision.servers_on is not None:
            state.set_servers(decision.servers_on)
        return
    raise PolicyError(
        f"a policy must return a Plan, a Change or None, not {type(decision).__name__}"
    )


def summarize(
    totals: Totals,
    problem: CompiledProblem,
    policy: Policy,
    step_s: float,
    n: int,
    seed: int,
    wall_s: float,
    path: Path | None,
) -> Summary:
    """The :class:`Summary` of a finished run."""
    s = totals.sums
    requests = s[COL["requests"]]
    by_tier: dict[str, dict[str, float]] = {
        tier: {
            "static": s[COL[f"{tier}_static_w"]] * step_s,
            "dynamic": s[COL[f"{tier}_dynamic_w"]] * step_s,
        }
        for tier in TIERS
    }
    by_tier["network"] = {"dynamic": s[COL["network_w"]] * step_s}
    by_tier["transitions"] = {
        "wake": s[COL["wake_energy_j"]],
        "model_load": s[COL["load_energy_j"]],
        "mode_switch": s[COL["mode_switch_j"]],
    }
    horizon = n * step_s

    def frac(col: str) -> float:
        return float(s[COL[col]] / requests) if requests > 0 else math.nan

    return Summary(
        scenario=problem.scenario.name,
        policy=getattr(policy, "name", type(policy).__name__),
        steps=n,
        step_s=step_s,
        horizon_s=horizon,
        seed=seed,
        energy_j=float(s[COL["energy_j"]]),
        mean_power_w=float(s[COL["energy_j"]] / horizon),
        energy_by_tier_j={k: {kk: float(vv) for kk, vv in v.items()} for k, v in by_tier.items()},
        carbon_g=float(s[COL["carbon_g"]]),
        requests=float(requests),
        slo_attainment=frac("slo_ok"),
        slo_met_fraction=frac("slo_met"),
        served_fraction=frac("served"),
        dropped=float(s[COL["dropped"]]),
        late_transition=float(s[COL["late_transition"]]),
        mean_latency_s=totals.latency_weighted / totals.latency_weight
        if totals.latency_weight > 0
        else math.nan,
        p95_latency_s=histogram_quantile(totals.hist, 0.95),
        mean_accuracy=totals.accuracy_weighted / totals.placed if totals.placed > 0 else math.nan,
        variant_switches=int(s[COL["variant_switches"]]),
        model_loads=int(s[COL["model_loads"]]),
        wake_ups=int(s[COL["wake_ups"]]),
        moves=int(s[COL["moves"]]),
        replans=int(s[COL["replanned"]]),
        mean_servers_on=float(s[COL["servers_on"]] / max(n, 1)),
        max_servers_on=float(totals.max_servers_on),
        wall_s=wall_s,
        steps_per_s=n / wall_s if wall_s > 0 else math.inf,
        decide_s=float(s[COL["decide_s"]]),
        records=str(path) if path is not None else None,
        fixed_energy_j=float(s[COL["fixed_w"]] * step_s),
        plan_energy_j=float(s[COL["energy_j"]] - s[COL["fixed_w"]] * step_s),
        mode_switches=int(s[COL["mode_switches"]]),
        mode_switch_energy_j=float(s[COL["mode_switch_j"]]),
        batch_unfilled=float(s[COL["batch_unfilled"]]),
    )


@dataclass(frozen=True, eq=False)
class StepEstimate:
    """One step of a fixed plan as the engine sees it (:func:`estimate_step`)."""

    record: dict[str, float]
    node_utilisation: FloatArray
    entry_candidate: npt.NDArray[np.int64]
    entry_latency_s: FloatArray


def estimate_step(
    problem: CompiledProblem,
    plan: Plan,
    *,
    rate_per_s: FloatArray | None = None,
    region_g_per_kwh: FloatArray | None = None,
    step_s: float = 3600.0,
    model: StepModel | None = None,
) -> StepEstimate:
    """Measure ``plan`` for one step with every server it asks for ready, through the
    engine's own code path (what :func:`slimplace.evaluate.evaluate` computes, for the
    equivalence test and the request-level cross-check)."""
    m = model or build_step_model(problem)
    state = SimState(m, step_s)
    rate = (
        problem.demand_rate_per_s
        if rate_per_s is None
        else np.asarray(rate_per_s, dtype=np.float64)
    )
    carbon = (
        problem.region_carbon_g_per_kwh
        if region_g_per_kwh is None
        else np.asarray(region_g_per_kwh)
    )
    g_node = carbon[m.node_region] / J_PER_KWH
    state.set_rates(rate, changed=True)
    state.set_plan(plan)
    state.start_servers()
    state.advance_servers(g_node)
    row = np.zeros(len(COL))
    with np.errstate(all="ignore"):
        state.measure(row, carbon, g_node)
    return StepEstimate(
        dict(zip(COL, row.tolist(), strict=True)),
        state.last_util.copy(),
        state.e_cand.copy(),
        state.last_latency.copy(),
    )
