"""What routing between small and large language models saves, on the plan-dependent part.

The reference is the plan an operator without routing would run: every generation
request answered by the most accurate variant of its application's family, on the
cloud tier (:func:`large_in_cloud_plan`; per demand, the cheapest such candidate).
:func:`routing_report` compares it with a solved plan, both checked by the independent
evaluator: the saving is stated on ``Evaluation.plan_w`` and only when both plans are
feasible (``relative_gap`` of :mod:`slimplace.results` is the one gap rule; here the
saving is ``(reference - plan) / reference`` on the plan-dependent power).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import IntArray
from slimplace.evaluate import Evaluation, evaluate
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS


def large_in_cloud_choice(problem: CompiledProblem) -> IntArray:
    """Per demand, the cheapest candidate on a cloud node with its family's most accurate
    variant (-1 where there is none)."""
    p = problem
    cloud = p.node_tier[p.cand_node] == TIERS.index("cloud")
    best_acc = np.full(len(p.families), -np.inf)
    np.maximum.at(best_acc, p.variant_family, p.variant_accuracy)
    top = p.cand_accuracy >= best_acc[p.variant_family[p.cand_variant]]
    cost = np.where(cloud & top, p.cand_energy_j(), np.inf)
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    for d in range(p.n_demands):
        lo, hi = p.demand_ptr[d], p.demand_ptr[d + 1]
        if hi > lo and np.isfinite(cost[lo:hi]).any():
            chosen[d] = lo + int(np.argmin(cost[lo:hi]))
    return chosen


def large_in_cloud_plan(problem: CompiledProblem) -> Plan:
    """Every demand wholly on its most accurate variant in the cloud (servers sized)."""
    return plan_from_choice(problem, large_in_cloud_choice(problem), "large-in-cloud")


@dataclass(frozen=True, slots=True)
class VariantShare:
    """Share of one application's requests served by one variant at one tier."""

    app: str
    variant: str
    tier: str
    share: float


@dataclass(frozen=True, slots=True)
class RoutingReport:
    """A plan against the large-model-in-the-cloud reference (plan-dependent W)."""

    plan_w: float
    plan_feasible: bool
    reference_w: float
    reference_feasible: bool
    saving: float | None
    app_accuracy: dict[str, float]
    shares: tuple[VariantShare, ...]


def variant_shares(problem: CompiledProblem, plan: Plan) -> tuple[VariantShare, ...]:
    """Request shares of each (application, variant, tier) the plan uses."""
    p = problem
    flow = p.demand_rate_per_s[p.cand_demand] * plan.x
    app = p.demand_app[p.cand_demand]
    total = np.bincount(app, weights=flow, minlength=len(p.app_ids))
    out: dict[tuple[int, int, int], float] = {}
    for c in np.flatnonzero(plan.x > 0):
        key = (int(app[c]), int(p.cand_variant[c]), int(p.node_tier[p.cand_node[c]]))
        out[key] = out.get(key, 0.0) + float(flow[c] / total[app[c]])
    return tuple(
        VariantShare(p.app_ids[a], p.variant_names[v], TIERS[t], share)
        for (a, v, t), share in sorted(out.items())
    )


def routing_report(problem: CompiledProblem, plan: Plan) -> RoutingReport:
    """``plan`` against :func:`large_in_cloud_plan`; the saving only when both are feasible."""
    mine: Evaluation = evaluate(problem, plan)
    ref: Evaluation = evaluate(problem, large_in_cloud_plan(problem))
    both = mine.feasible and ref.feasible and ref.plan_w > 0
    return RoutingReport(
        plan_w=mine.plan_w,
        plan_feasible=mine.feasible,
        reference_w=ref.plan_w,
        reference_feasible=ref.feasible,
        saving=(ref.plan_w - mine.plan_w) / ref.plan_w if both else None,
        app_accuracy={a: float(x) for a, x in zip(problem.app_ids, mine.app_accuracy, strict=True)},
        shares=variant_shares(problem, plan),
    )
