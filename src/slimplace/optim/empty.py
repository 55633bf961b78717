"""The plan of a problem without demands (an edge case every optimizer answers alike)."""

from __future__ import annotations

import numpy as np

from slimplace.optim.costs import CostModel, plan_value
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem


def empty_problem_plan(problem: CompiledProblem, model: CostModel, method: str) -> Plan:
    """Nothing placed, always-on nodes on; optimal (its value is the constant part of
    the objective: sleeping and always-on servers)."""
    on = np.where(problem.node_always_on, problem.node_count, 0).astype(np.int64)
    value = plan_value(problem, model, np.zeros(problem.n_candidates), on)
    return Plan(
        np.zeros(problem.n_candidates), on, method, Status.OPTIMAL, objective=value, bound=value
    )
