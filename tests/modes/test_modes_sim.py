"""The simulator's power follows the plan's power modes (its one hook for modes)."""

from __future__ import annotations

import pytest
from modes_scenarios import one_node

from slimplace.evaluate import evaluate
from slimplace.optim.milp import MilpSolver
from slimplace.problem.compile import compile_problem
from slimplace.sim.engine import estimate_step


@pytest.mark.parametrize(("rate", "watts"), [(5.0, 6.5), (50.0, 30.0)])
def test_step_power_is_the_evaluators_in_the_plans_mode(rate: float, watts: float) -> None:
    p = compile_problem(one_node(rate))
    plan = MilpSolver(time_limit_s=30).solve(p)
    record = estimate_step(p, plan, step_s=3600.0).record
    assert record["power_w"] == pytest.approx(evaluate(p, plan).power_w, rel=1e-9)
    assert record["power_w"] == pytest.approx(watts, rel=1e-9)
