"""Results as rows: one module flattens a plan, a simulation summary and a schedule.

Every table of results (``compare`` and ``solve`` in the CLI, their CSV files, the
Parquet files of a sweep, ``slimplace results`` and the HTML report) is built from
the rows made here, so they share column names and one gap rule:

- :data:`COLUMNS`: the columns every row has, in order (``method`` .. ``gap``);
  the row functions add detail columns after them (problem size, the reported
  objective and bound, power by tier and kind, simulation counters);
- ``status``: how the method ended (``optimal``, ``feasible``, ``time-limit``,
  ``infeasible``), ``violates`` when it returned a plan the independent
  evaluator rejects (:func:`row_status`), ``simulated`` for a simulation;
- ``reason``: the violated constraint kinds with their counts,
  ``"bandwidth x2; slo x5"`` (:func:`violation_reason`) for a plan the method
  claims; what the method said (why it found no plan) otherwise (:func:`row_reason`);
- ``gap``: :func:`relative_gap` of the evaluated objective above the best bound
  known for the same problem, relative to the part of the objective the plan
  controls (the value minus the constant no plan changes, ``objective_fixed``:
  network baseload, sleeping servers; energy model v2); a gap within
  :data:`GAP_TOLERANCE` either side of 0 is 0 (solver tolerances), a larger
  negative gap is kept (it means a bug).

``fixed_w`` (power drawn whatever the plan) and ``plan_w`` (what the plan adds)
come from the evaluation (a simulation: its fixed and plan energy over the
horizon); they are NaN where a result does not have them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pandas as pd

from slimplace.plan import violation_reason

if TYPE_CHECKING:
    from slimplace.evaluate import Evaluation, Violation
    from slimplace.placement.registry import Registry
    from slimplace.plan import Plan
    from slimplace.problem.compiled import CompiledProblem
    from slimplace.scheduling import Schedule, ScheduleCheck, ScheduleProblem

#: Relative amount by which a gap may miss 0 through solver tolerances (HiGHS primal
#: feasibility 1e-7 on rows of large coefficients) and still show as 0.
GAP_TOLERANCE = 1e-5

#: The columns of every result row, in order.
COLUMNS = (
    "method",
    "status",
    "reason",
    "feasible",
    "power_w",
    "fixed_w",
    "plan_w",
    "energy_kwh",
    "carbon_g_per_h",
    "slo_met",
    "accuracy",
    "servers_on",
    "seconds",
    "gap",
)

#: Tiers in the power breakdown columns ``power_<tier>_<static|dynamic>_w``.
BREAKDOWN_TIERS = ("device", "edge", "metro", "cloud")

#: Older names of result columns (sweep folders written before this module), renamed on reading.
LEGACY_NAMES: Mapping[str, str] = {"slo_met_fraction": "slo_met", "mean_accuracy": "accuracy"}

#: Plan statuses that claim a usable plan: with a violation they become ``violates``.
_CLAIMS_PLAN = ("optimal", "feasible")

Sense = Literal["min", "max"]


class Result(Protocol):
    """A plan with its evaluation (:class:`slimplace.solve.Result`)."""

    @property
    def plan(self) -> Plan: ...

    @property
    def evaluation(self) -> Evaluation: ...

    @property
    def method(self) -> str: ...


# ---------------------------------------------------------------------------- rules


def relative_gap(
    value: float, bound: float | None, *, sense: Sense = "min", fixed: float = 0.0
) -> float:
    """Relative distance of ``value`` from ``bound`` on the part of the value a plan
    controls: ``(value - bound) / |value - fixed|`` when minimising, ``(bound - value) /
    |value - fixed|`` when maximising, with ``fixed`` the part no plan changes
    (``CostModel.constant``); NaN without a bound or a finite value. A gap within
    :data:`GAP_TOLERANCE` of 0 (either sign) is 0; a larger negative gap (a value
    better than a valid bound) is kept, since it means a bug."""
    if bound is None or not (math.isfinite(value) and math.isfinite(bound)):
        return math.nan
    diff = value - bound if sense == "min" else bound - value
    scale = abs(value - fixed) if math.isfinite(fixed) else abs(value)
    if scale == 0.0:
        return 0.0 if abs(diff) <= GAP_TOLERANCE else math.nan
    gap = diff / scale
    return 0.0 if abs(gap) <= GAP_TOLERANCE else gap


def relative_gaps(value: pd.Series, bound: pd.Series, fixed: pd.Series | None = None) -> pd.Series:
    """:func:`relative_gap` (minimising) element-wise over aligned series (``fixed``:
    the constant part of each value; None or NaN: 0)."""
    v = value.to_numpy(dtype=np.float64)
    b = bound.to_numpy(dtype=np.float64)
    c = np.zeros_like(v) if fixed is None else np.nan_to_num(fixed.to_numpy(dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.abs(v - c)
        gap = (v - b) / scale
        gap = np.where(scale == 0.0, np.where(np.abs(v - b) <= GAP_TOLERANCE, 0.0, np.nan), gap)
    gap = np.where(np.isfinite(v) & np.isfinite(b), gap, np.nan)
    gap = np.where(np.abs(gap) <= GAP_TOLERANCE, 0.0, gap)
    return pd.Series(gap, index=value.index)


def row_status(status: str, feasible: bool) -> str:
    """The status a row shows: a method's ``optimal`` or ``feasible`` for a plan the
    evaluator rejects becomes ``violates``; other statuses are kept."""
    return "violates" if status in _CLAIMS_PLAN and not feasible else status


def row_reason(status: str, method_reason: str, violations: Iterable[Violation]) -> str:
    """The ``reason`` of a row: for a plan the method claims (``optimal``, ``feasible``,
    or already marked ``violates`` by :func:`slimplace.solve.solve`) the constraint kinds
    it violates (:func:`violation_reason`), else what the method
    said; for a method that found no plan what it said, else the violated kinds."""
    kinds = violation_reason(violations)
    if status in (*_CLAIMS_PLAN, "violates"):
        return kinds or method_reason
    return method_reason or kinds


def best_bound(bounds: Iterable[float | None]) -> float | None:
    """The tightest (largest) lower bound among those reported; None if none was."""
    known = [b for b in bounds if b is not None and math.isfinite(b)]
    return max(known) if known else None


# ---------------------------------------------------------------------------- plans


def plan_row(
    problem: CompiledProblem,
    plan: Plan,
    evaluation: Evaluation,
    *,
    bound: float | None = None,
    method_kind: str = "",
) -> dict[str, Any]:
    """The row of a plan: :data:`COLUMNS`, then detail columns (problem size, reported
    objective and bound, power by tier and kind). ``bound`` is the best bound known for
    the problem (default: the plan's own)."""
    p, e = problem, evaluation
    value = float(e.objective(p.objective))
    fixed = objective_fixed(p)
    bound = plan.bound if bound is None else bound
    reason = row_reason(str(plan.status), plan.reason, e.violations)
    row: dict[str, Any] = {
        "method": plan.method,
        "status": row_status(str(plan.status), bool(e.feasible)),
        "reason": reason,
        "feasible": bool(e.feasible),
        "power_w": float(e.power_w),
        "fixed_w": float(getattr(e, "fixed_w", math.nan)),
        "plan_w": float(getattr(e, "plan_w", math.nan)),
        "energy_kwh": float(e.energy_j) / 3.6e6,
        "carbon_g_per_h": float(e.carbon_g_per_h),
        "slo_met": float(e.slo_met_fraction),
        "accuracy": float(e.mean_accuracy),
        "servers_on": float(e.servers_on),
        "seconds": float(plan.seconds),
        "gap": relative_gap(value, bound, fixed=fixed) if e.feasible else math.nan,
        "method_kind": method_kind,
        "violations": len(e.violations),
        "objective": p.objective,
        "objective_value": value,
        "objective_fixed": fixed,
        "bound": math.nan if plan.bound is None else float(plan.bound),
    }
    row.update(problem_columns(p, horizon_s=float(p.horizon_s)))
    row.update(
        {
            "static_w": float(e.static_w),
            "dynamic_w": float(e.dynamic_w),
            "network_w": float(e.network_w),
            "energy_j": float(e.energy_j),
            "served_fraction": float(e.served_fraction),
        }
    )
    row.update(power_breakdown(e.power_by_tier))
    row.update(energy_split(e))
    from slimplace.problem.modes import operating_point_columns

    row.update(operating_point_columns(p, plan.x))  # power modes and batch sizes, if any
    return row


def objective_fixed(problem: CompiledProblem) -> float:
    """The part of ``problem``'s objective no plan changes (``CostModel.constant`` of
    the scenario's objective): what gaps are measured without."""
    from slimplace.optim.costs import objective_constant, objective_weights

    return objective_constant(problem, objective_weights(problem))


def energy_split(e: Evaluation) -> dict[str, float]:
    """The plan-dependent power by kind (``plan_<kind>_w``, from ``breakdown_w``), the
    operational carbon split into fixed and plan-dependent, and embodied carbon per
    hour (apart), when the evaluation has them (energy model v2)."""
    out = {f"plan_{kind}_w": float(w) for kind, w in getattr(e, "breakdown_w", {}).items()}
    for name in ("carbon_fixed_g_per_h", "carbon_plan_g_per_h", "embodied_g_per_h"):
        out[name] = float(getattr(e, name, math.nan))
    return out


def plan_table(
    problem: CompiledProblem, results: Sequence[Result], registry: Registry | None = None
) -> pd.DataFrame:
    """One :func:`plan_row` per result, gaps to the best bound any method reported."""
    bound = best_bound(r.plan.bound for r in results)
    rows = [
        plan_row(
            problem,
            r.plan,
            r.evaluation,
            bound=bound,
            method_kind=_kind(registry, r.method),
        )
        for r in results
    ]
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else list(COLUMNS))


def _kind(registry: Registry | None, method: str) -> str:
    if registry is None:
        from slimplace.methods import default_registry

        registry = default_registry()
    return registry.info(method).kind if method in registry else ""


def problem_columns(problem: CompiledProblem, *, horizon_s: float) -> dict[str, Any]:
    """The size of the problem a row was measured on."""
    p = problem
    return {
        "scenario_name": p.scenario.name,
        "n_nodes": p.n_nodes,
        "n_apps": len(p.app_ids),
        "n_demands": p.n_demands,
        "n_candidates": p.n_candidates,
        "unservable": len(p.unservable),
        "total_rate_per_s": float(p.demand_rate_per_s.sum()),
        "horizon_s": horizon_s,
    }


def power_breakdown(by_tier: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """``power_<tier>_<static|dynamic>_w`` for each tier and ``power_network_w``."""
    out = {
        f"power_{tier}_{part}_w": float(by_tier.get(tier, {}).get(part, 0.0))
        for tier in BREAKDOWN_TIERS
        for part in ("static", "dynamic")
    }
    out["power_network_w"] = float(sum(by_tier.get("network", {}).values()))
    return out


def plan_summary(problem: CompiledProblem, result: Result) -> dict[str, Any]:
    """A JSON-ready description of a plan: its row, assignments, servers on, energy breakdown."""
    p, plan, e = problem, result.plan, result.evaluation
    used = np.nonzero(plan.x > 1e-9)[0]
    assignments = [
        {
            "application": p.app_ids[p.demand_app[p.cand_demand[c]]],
            "source": p.node_ids[p.demand_source[p.cand_demand[c]]],
            "node": p.node_ids[p.cand_node[c]],
            "variant": p.variant_names[p.cand_variant[c]],
            "share": float(plan.x[c]),
            "rate_per_s": float(p.demand_rate_per_s[p.cand_demand[c]] * plan.x[c]),
            "latency_s_at_rho_max": float(p.cand_latency_s[c]),
            "latency_source": ["flops", "measured", "fitted"][int(p.cand_latency_source[c])],
        }
        for c in used
    ]
    servers = {
        p.node_ids[v]: int(plan.servers_on[v])
        for v in np.nonzero(plan.servers_on)[0]
        if not p.node_always_on[v]
    }
    row = plan_row(p, plan, e)
    points: dict[str, Any] = {k: row[k] for k in ("modes", "batch_sizes") if k in row}
    return {
        "scenario": p.scenario.name,
        "method": plan.method,
        "status": row["status"],
        "reason": row["reason"],
        "objective": p.objective,
        "reported_objective": plan.objective,
        "bound": plan.bound,
        "seconds": plan.seconds,
        "gap": row["gap"],
        "evaluation": {
            "feasible": e.feasible,
            "violations": [f"{v.kind} at {v.where}: {v.message}" for v in e.violations],
            "power_w": e.power_w,
            "fixed_w": row["fixed_w"],
            "plan_w": row["plan_w"],
            "static_w": e.static_w,
            "dynamic_w": e.dynamic_w,
            "network_w": e.network_w,
            "power_by_tier_w": e.power_by_tier,
            "energy_j": e.energy_j,
            "energy_kwh": row["energy_kwh"],
            "horizon_s": p.horizon_s,
            "carbon_g_per_h": e.carbon_g_per_h,
            "slo_met": e.slo_met_fraction,
            "accuracy": e.mean_accuracy,
            "servers_on": e.servers_on,
            "latency_source_share": e.latency_source_share,
        },
        "servers_on": servers,
        "assignments": assignments,
        **points,
    }


# ---------------------------------------------------------------------------- simulations

#: Counters of a simulation summary copied into its row as they are.
SIMULATION_COUNTERS = (
    "steps",
    "step_s",
    "requests",
    "dropped",
    "slo_attainment",
    "mean_latency_s",
    "p95_latency_s",
    "variant_switches",
    "model_loads",
    "wake_ups",
    "moves",
    "replans",
    "max_servers_on",
    "decide_s",
    "steps_per_s",
)


def simulation_row(
    problem: CompiledProblem, summary: Any, *, plan_method: str | None = None
) -> dict[str, Any]:
    """The row of a simulation (:class:`slimplace.sim.Summary`): :data:`COLUMNS` with
    ``method`` = the policy and power as the average W over the horizon, then energy by
    tier and kind and the simulation's counters. ``feasible``: every request served;
    ``reason`` counts the dropped requests."""
    s = summary
    horizon = float(s.horizon_s)
    carbon_g_per_h = float(s.carbon_g) / horizon * 3600.0
    by_tier = s.energy_by_tier_j
    dropped = float(s.dropped)
    row: dict[str, Any] = {
        "method": s.policy,
        "status": "simulated",
        "reason": f"dropped x{dropped:.0f}" if dropped > 0 else "",
        "feasible": bool(s.served_fraction >= 1.0 - 1e-9),
        "power_w": float(s.mean_power_w),
        "fixed_w": float(getattr(s, "fixed_energy_j", math.nan)) / horizon,
        "plan_w": float(getattr(s, "plan_energy_j", math.nan)) / horizon,
        "energy_kwh": float(s.energy_j) / 3.6e6,
        "carbon_g_per_h": carbon_g_per_h,
        "slo_met": float(s.slo_met_fraction),
        "accuracy": float(s.mean_accuracy),
        "servers_on": float(s.mean_servers_on),
        "seconds": float(s.wall_s),
        "gap": math.nan,
        "method_kind": "policy",
        "policy": s.policy,
        "plan_method": plan_method or "",
        "objective": problem.objective,
        "objective_value": float(s.mean_power_w)
        if problem.objective == "energy"
        else carbon_g_per_h,
        "bound": math.nan,
    }
    row.update(problem_columns(problem, horizon_s=horizon))
    row["energy_j"] = float(s.energy_j)
    row["served_fraction"] = float(s.served_fraction)
    for tier in BREAKDOWN_TIERS:
        for part in ("static", "dynamic"):
            row[f"power_{tier}_{part}_w"] = by_tier.get(tier, {}).get(part, 0.0) / horizon
    row["power_network_w"] = sum(by_tier.get("network", {}).values()) / horizon
    row["power_transitions_w"] = sum(by_tier.get("transitions", {}).values()) / horizon
    row["static_w"] = sum(row[f"power_{t}_static_w"] for t in BREAKDOWN_TIERS)
    row["dynamic_w"] = sum(row[f"power_{t}_dynamic_w"] for t in BREAKDOWN_TIERS)
    row["network_w"] = row["power_network_w"]
    for name in SIMULATION_COUNTERS:
        row[name] = getattr(s, name)
    return row


# ---------------------------------------------------------------------------- schedules


def schedule_row(
    problem: ScheduleProblem, schedule: Schedule, check: ScheduleCheck
) -> dict[str, Any]:
    """The row of a schedule with its checker's findings: :data:`COLUMNS` with power as the
    energy over the problem's horizon, ``slo_met`` the share of jobs done by their deadline,
    ``servers_on`` the machines used, ``gap`` to the schedule's own bound (the accuracy
    objective is maximised); then energy by kind and the schedule's counters."""
    p, s, c = problem, schedule, check
    horizon = float(p.horizon_s)
    objective = str(p.objective)
    value = float(c.objective(objective))
    sense: Sense = "max" if objective == "accuracy" else "min"
    on_time = p.n_jobs - c.late_jobs - c.unscheduled_jobs
    status = row_status(str(s.status), bool(c.feasible))
    return {
        "method": s.method,
        "status": status,
        "reason": row_reason(str(s.status), s.reason, c.violations),
        "feasible": bool(c.feasible),
        "power_w": float(c.energy_j) / horizon if horizon > 0 else math.nan,
        "fixed_w": float(c.static_energy_j) / horizon if horizon > 0 else math.nan,
        "plan_w": (float(c.energy_j) - float(c.static_energy_j)) / horizon
        if horizon > 0
        else math.nan,
        "energy_kwh": float(c.energy_j) / 3.6e6,
        "carbon_g_per_h": math.nan,
        "slo_met": on_time / p.n_jobs if p.n_jobs else math.nan,
        "accuracy": float(c.mean_accuracy),
        "servers_on": float(len(np.unique(s.machine[s.fraction > 0]))),
        "seconds": float(s.seconds),
        "gap": relative_gap(value, s.bound, sense=sense) if c.feasible else math.nan,
        "method_kind": "scheduler",
        "objective": objective,
        "objective_value": value,
        "bound": math.nan if s.bound is None else float(s.bound),
        "horizon_s": horizon,
        "n_jobs": p.n_jobs,
        "n_machines": p.n_machines,
        "energy_j": float(c.energy_j),
        "compute_energy_j": float(c.compute_energy_j),
        "network_energy_j": float(c.network_energy_j),
        "static_energy_j": float(c.static_energy_j),
        "late_jobs": int(c.late_jobs),
        "unscheduled_jobs": int(c.unscheduled_jobs),
        "makespan_s": float(c.makespan_s),
    }


# ---------------------------------------------------------------------------- tables


def with_legacy_names(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with result columns of older files renamed (:data:`LEGACY_NAMES`)."""
    rename = {old: new for old, new in LEGACY_NAMES.items() if old in frame and new not in frame}
    return frame.rename(columns=rename) if rename else frame


def fill_gaps(frame: pd.DataFrame, *, group: str = "instance_id") -> pd.DataFrame:
    """``frame`` with ``gap`` recomputed for feasible rows against the best bound of
    their ``group`` (the same problem), by :func:`relative_gap`'s rule; rows without a
    bound in their group keep a NaN gap."""
    needed = {"bound", "objective_value", "feasible", "gap", group}
    if frame.empty or not needed <= set(frame.columns):
        return frame
    best = frame.groupby(group)["bound"].transform("max")
    fixed = frame.get("objective_fixed")
    gap = relative_gaps(frame["objective_value"], best, fixed)
    usable = frame["feasible"].astype(bool) & best.notna()
    out = frame.copy()
    out["gap"] = gap.where(usable, frame["gap"])
    return out


__all__ = [
    "BREAKDOWN_TIERS",
    "COLUMNS",
    "GAP_TOLERANCE",
    "LEGACY_NAMES",
    "SIMULATION_COUNTERS",
    "Result",
    "best_bound",
    "energy_split",
    "fill_gaps",
    "objective_fixed",
    "plan_row",
    "plan_summary",
    "plan_table",
    "power_breakdown",
    "problem_columns",
    "relative_gap",
    "relative_gaps",
    "row_reason",
    "row_status",
    "schedule_row",
    "simulation_row",
    "violation_reason",
    "with_legacy_names",
]
