"""A heuristic's honest status: a plan it would call feasible is checked by the
independent evaluator first (:func:`slimplace.evaluate.evaluate`)."""

from __future__ import annotations

from dataclasses import replace

from slimplace.evaluate import evaluate
from slimplace.plan import Plan, Status, violation_summary
from slimplace.problem.compiled import CompiledProblem


def verified(problem: CompiledProblem, plan: Plan) -> Plan:
    """``plan`` if the evaluator accepts it; else the same shares with status
    "infeasible" (the heuristic found no plan meeting every constraint) and the
    violated constraint kinds as the reason."""
    if plan.status is Status.INFEASIBLE:
        return plan
    evaluation = evaluate(problem, plan)
    if evaluation.feasible:
        return plan
    return replace(
        plan,
        status=Status.INFEASIBLE,
        objective=None,
        reason="no plan found that meets every constraint; the best found breaks: "
        + violation_summary(evaluation.violations),
    )
