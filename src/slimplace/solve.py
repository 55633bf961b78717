"""The plan and compare jobs as functions: solve with a method, evaluate, tabulate.

The rows of the tables come from :mod:`slimplace.results` (``plan_summary`` and
``GAP_TOLERANCE`` are re-exported from there)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from slimplace.evaluate import Evaluation, evaluate
from slimplace.methods import default_registry
from slimplace.placement.registry import Registry
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.results import COLUMNS, GAP_TOLERANCE, plan_summary, plan_table

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
    """One row per method (:func:`slimplace.results.plan_table`): ``gap`` is relative to
    the best lower bound any method reported."""
    return plan_table(problem, results, registry or default_registry())


def _with_seconds(plan: Plan, seconds: float) -> Plan:
    from dataclasses import replace

    return replace(plan, seconds=seconds)
