"""The plan and compare jobs as functions: solve with a method, evaluate, tabulate."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slimplace.evaluate import Evaluation, evaluate
from slimplace.methods import default_registry
from slimplace.placement.registry import Registry
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)

#: Relative amount by which a feasible objective may fall below a lower bound through
#: solver tolerances (HiGHS primal feasibility 1e-7 on rows of large coefficients).
GAP_TOLERANCE = 1e-5

#: Columns every comparison table has, in order.
COMPARE_COLUMNS = (
    "method",
    "kind",
    "status",
    "feasible",
    "power_w",
    "energy_kwh",
    "carbon_g_per_h",
    "slo_met_fraction",
    "mean_accuracy",
    "servers_on",
    "seconds",
    "gap",
)


@dataclass(frozen=True, eq=False)
class Result:
    """A method's plan with its independent evaluation."""

    plan: Plan
    evaluation: Evaluation

    @property
    def method(self) -> str:
        """Name of the method that made the plan."""
        return self.plan.method


def default_method(registry: Registry) -> str:
    """The best method available: exact if present, else heuristic, else a baseline."""
    for name in ("milp", "greedy", "no-compression"):
        if name in registry:
            return name
    return registry.names()[0]


def solve(
    problem: CompiledProblem,
    method: str | None = None,
    *,
    registry: Registry | None = None,
    seed: int = 0,
    **options: Any,
) -> Result:
    """Run one method and evaluate its plan."""
    reg = registry or default_registry()
    name = method or default_method(reg)
    solver = reg.create(name, **options)
    t0 = time.perf_counter()
    plan = solver.solve(problem, seed=seed)
    if plan.seconds == 0.0:
        plan = _with_seconds(plan, time.perf_counter() - t0)
    return Result(plan, evaluate(problem, plan))


def compare(
    problem: CompiledProblem,
    methods: Sequence[str] | None = None,
    *,
    registry: Registry | None = None,
    seed: int = 0,
    **options: Any,
) -> list[Result]:
    """Run several methods (default: all registered) on the same problem."""
    reg = registry or default_registry()
    names = list(methods) if methods else reg.names()
    results = []
    for name in names:
        log.info("running %s", name)
        results.append(solve(problem, name, registry=reg, seed=seed, **options))
    return results


def comparison_table(
    problem: CompiledProblem, results: Sequence[Result], registry: Registry | None = None
) -> pd.DataFrame:
    """One row per method; ``gap`` is relative to the best lower bound any method reported."""
    reg = registry or default_registry()
    objective = problem.objective
    bounds = [r.plan.bound for r in results if r.plan.bound is not None]
    bound = max(bounds) if bounds else None
    rows = []
    for r in results:
        e = r.evaluation
        value = e.objective(objective)
        gap = _gap(value, bound) if bound is not None and e.feasible and value > 0 else np.nan
        rows.append(
            {
                "method": r.method,
                "kind": reg.info(r.method).kind if r.method in reg else "",
                "status": str(r.plan.status),
                "feasible": e.feasible,
                "power_w": e.power_w,
                "energy_kwh": e.energy_j / 3.6e6,
                "carbon_g_per_h": e.carbon_g_per_h,
                "slo_met_fraction": e.slo_met_fraction,
                "mean_accuracy": e.mean_accuracy,
                "servers_on": e.servers_on,
                "seconds": r.plan.seconds,
                "gap": gap,
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def _gap(value: float, bound: float) -> float:
    """Relative gap of ``value`` above ``bound``; a value below the bound by no more than
    :data:`GAP_TOLERANCE` (the solvers' feasibility tolerances) counts as 0, so an optimum
    never shows as "-0.00 %"; a larger negative gap is kept, since it means a bug."""
    gap = (value - bound) / abs(value)
    return 0.0 if -GAP_TOLERANCE <= gap < 0 else gap


def plan_summary(problem: CompiledProblem, result: Result) -> dict[str, Any]:
    """A JSON-ready description of a plan: assignments, servers on, energy breakdown."""
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
    return {
        "scenario": p.scenario.name,
        "method": plan.method,
        "status": str(plan.status),
        "reason": plan.reason,
        "objective": p.objective,
        "reported_objective": plan.objective,
        "bound": plan.bound,
        "seconds": plan.seconds,
        "evaluation": {
            "feasible": e.feasible,
            "violations": [f"{v.kind} at {v.where}: {v.message}" for v in e.violations],
            "power_w": e.power_w,
            "static_w": e.static_w,
            "dynamic_w": e.dynamic_w,
            "network_w": e.network_w,
            "power_by_tier_w": e.power_by_tier,
            "energy_j": e.energy_j,
            "horizon_s": p.horizon_s,
            "carbon_g_per_h": e.carbon_g_per_h,
            "slo_met_fraction": e.slo_met_fraction,
            "mean_accuracy": e.mean_accuracy,
            "servers_on": e.servers_on,
            "latency_source_share": e.latency_source_share,
        },
        "servers_on": servers,
        "assignments": assignments,
    }


def _with_seconds(plan: Plan, seconds: float) -> Plan:
    from dataclasses import replace

    return replace(plan, seconds=seconds)
