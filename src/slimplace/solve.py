"""The plan and compare jobs as functions: solve with a method, evaluate, tabulate.

The rows of the tables come from :mod:`slimplace.results` (``plan_summary`` and
``GAP_TOLERANCE`` are re-exported from there)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from slimplace.evaluate import Evaluation, evaluate
from slimplace.methods import default_registry
from slimplace.optim.routing_heuristic import route_plan
from slimplace.placement.registry import Registry
from slimplace.plan import Plan, Status, violation_reason
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.routing import routing_active
from slimplace.results import (
    COLUMNS,
    GAP_TOLERANCE,
    plan_summary,
    plan_table,
)

log = logging.getLogger(__name__)

__all__ = [
    "COMPARE_COLUMNS",
    "GAP_TOLERANCE",
    "Result",
    "compare",
    "comparison_table",
    "default_method",
    "plan_summary",
    "solve",
]

#: Columns every comparison table starts with (:data:`slimplace.results.COLUMNS`).
COMPARE_COLUMNS = COLUMNS


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
    """Run one method and evaluate its plan; a plan the evaluator rejects gets status
    "violates" (see :func:`honest_status`).

    ``options`` are the method's own (one it does not take raises
    :class:`~slimplace.registry.UnknownOptionError` naming it), except the shared
    settings ``time_limit_s`` and ``mip_gap``, passed only to methods that take them.
    """
    reg = registry or default_registry()
    name = method or default_method(reg)
    solver = reg.create(name, **options)
    t0 = time.perf_counter()
    plan = solver.solve(problem, seed=seed)
    kind = reg.info(name).kind if name in reg else ""
    if routing_active(problem) and plan.routes is None and kind != "bound":  # docs/routing.md
        plan = route_plan(
            problem,
            plan,
            objective=options.get("objective"),
            carbon_weight=float(options.get("carbon_weight", 1.0)),
        )
    elif routing_active(problem) and kind == "bound" and plan.bound is not None:
        # a bound with fixed routes (and their bandwidth rows) bounds nothing when routes
        # are decided
        reason = "its bound assumes fixed shortest paths: not a bound when routes are decided"
        plan = replace(plan, bound=None, reason=reason)
    if plan.seconds == 0.0:
        plan = replace(plan, seconds=time.perf_counter() - t0)
    evaluation = evaluate(problem, plan)
    return Result(honest_status(plan, evaluation, kind), evaluation)


def honest_status(plan: Plan, evaluation: Evaluation, kind: str = "") -> Plan:
    """``plan`` with status "violates" when it is a plan (some share placed) that the
    evaluator rejects, whatever the method said (optimal, feasible, time-limit); its
    reason then names the violated constraint kinds (``evaluation.violations`` has
    them all). A bound's plan (a relaxation) and a plan already "infeasible" keep
    their status."""
    if (
        evaluation.feasible
        or kind == "bound"
        or plan.status in (Status.INFEASIBLE, Status.VIOLATES)
        or not (plan.x > 0).any()
    ):
        return plan
    said = f"; the method said {plan.status}" + (f": {plan.reason}" if plan.reason else "")
    reason = f"the evaluator rejects the plan: {violation_reason(evaluation.violations)}{said}"
    return replace(plan, status=Status.VIOLATES, reason=reason)


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
    """One row per method (:func:`slimplace.results.plan_table`): ``gap`` is relative to
    the best lower bound any method reported."""
    return plan_table(problem, results, registry or default_registry())
