"""A heuristic's honest status: a plan it would call feasible is checked by the
independent evaluator first (:func:`slimplace.evaluate.evaluate`)."""

from __future__ import annotations

import time
from dataclasses import replace

from slimplace.evaluate import evaluate
from slimplace.plan import Plan, Status, violation_reason
from slimplace.problem.compiled import CompiledProblem


def verified(problem: CompiledProblem, plan: Plan, *, deadline: float | None = None) -> Plan:
    """``plan`` if the evaluator accepts it; else the same shares with status
    "infeasible" (the heuristic found no plan meeting every constraint), or
    "time-limit" when ``deadline`` (a ``time.perf_counter`` instant) has passed, and
    the violated constraint kinds as the reason."""
    if plan.status is Status.INFEASIBLE:
        return plan
    evaluation = evaluate(problem, plan)
    if evaluation.feasible:
        return plan
    timed_out = deadline is not None and time.perf_counter() > deadline
    return replace(
        plan,
        status=Status.TIME_LIMIT if timed_out else Status.INFEASIBLE,
        objective=None,
        reason=("time limit reached; " if timed_out else "")
        + "no plan found that meets every constraint; the best found breaks: "
        + violation_reason(evaluation.violations),
    )
