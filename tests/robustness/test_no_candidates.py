"""Every method on a problem where no demand has a candidate (an over-tight GAP instance):
a plan marked infeasible, never a crash (the greedy repair indexed an empty score array)."""

from __future__ import annotations

import numpy as np
import pytest

from slimplace.benchmarks.generalized_assignment import GapInstance, gap_problem
from slimplace.methods import default_registry
from slimplace.solve import solve

# 2 agents, 3 items; every item needs more than any agent's capacity
TIGHT = GapInstance(
    name="tight",
    cost=np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 2.0]]),
    resource=np.array([[5.0, 5.0, 5.0], [6.0, 6.0, 6.0]]),
    capacity=np.array([1.0, 1.0]),
)


@pytest.mark.parametrize("method", default_registry().names())
def test_methods_report_infeasible_without_candidates(method: str) -> None:
    problem = gap_problem(TIGHT)
    assert problem.n_candidates == 0
    result = solve(problem, method, seed=0, time_limit_s=5)
    assert not result.evaluation.feasible
    assert str(result.plan.status) == "infeasible"
