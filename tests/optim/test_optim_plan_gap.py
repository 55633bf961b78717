"""Gaps are measured on the part of the objective a plan controls (energy model v2:
the constant of network baseload and sleeping servers is left out)."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from slimplace.optim.costs import controllable_gap, cost_model, objective_weights
from slimplace.optim.extract import with_bound
from slimplace.optim.formulation import build_formulation
from slimplace.optim.highs import solve_formulation
from slimplace.plan import Plan, Status
from slimplace.results import relative_gap, relative_gaps
from slimplace.testing import small_problem


def test_controllable_gap_leaves_the_constant_out() -> None:
    # 1,000 W fixed, 10 W the plan controls, bound 0.1 W below: 1 % of what the plan
    # controls, though only 0.01 % of the total
    assert controllable_gap(1010.0, 1009.9, 1000.0) == pytest.approx(0.01)
    assert controllable_gap(1000.0, 1000.0, 1000.0) == 0.0
    assert math.isinf(controllable_gap(1000.0, 999.0, 1000.0))


def test_results_gap_rule_takes_the_fixed_part() -> None:
    assert relative_gap(1010.0, 1009.9, fixed=1000.0) == pytest.approx(0.01)
    assert relative_gap(1010.0, 1009.9) == pytest.approx(0.1 / 1010.0)
    v = pd.Series([1010.0, 50.0])
    b = pd.Series([1009.9, 50.0])
    c = pd.Series([1000.0, np.nan])
    got = relative_gaps(v, b, c)
    assert got.iloc[0] == pytest.approx(0.01)
    assert got.iloc[1] == 0.0


def test_milp_status_uses_the_gap_on_the_plan_part() -> None:
    x = np.zeros(1)
    on = np.zeros(1, dtype=np.int64)
    plan = Plan(x, on, "milp", Status.FEASIBLE, objective=1010.0)
    fixed = SimpleNamespace(constant=1000.0)
    none = SimpleNamespace(constant=0.0)
    # 0.1 W above the bound: 1e-4 of the total but 1e-2 of the plan part
    not_proven = with_bound(plan, 1009.9, 1e-3, fixed, finished=True)  # type: ignore[arg-type]
    assert not_proven.status is Status.FEASIBLE
    assert not_proven.info["mip_gap"] == pytest.approx(0.01)
    old_rule = with_bound(plan, 1009.9, 1e-3, none, finished=True)  # type: ignore[arg-type]
    assert old_rule.status is Status.OPTIMAL


def test_highs_gap_is_relative_to_the_objective_without_its_offset() -> None:
    p = small_problem()
    model = cost_model(p, objective_weights(p))
    f = build_formulation(p, model)
    base = solve_formulation(f, time_limit_s=30.0, mip_gap=1e-6)
    big = solve_formulation(replace(f, offset=f.offset + 1e6), time_limit_s=30.0, mip_gap=1e-6)
    assert base.objective is not None and big.objective is not None
    assert big.objective == pytest.approx(base.objective + 1e6, abs=1e-3)
    assert big.bound is not None
    # the proven gap is within 1e-6 of what the plan controls, not of the inflated total
    assert big.objective - big.bound <= 1e-6 * abs(big.objective - f.offset - 1e6) + 1e-6


def test_objective_fixed_is_what_the_evaluator_leaves_out_of_the_plan_part() -> None:
    from slimplace.evaluate import evaluate
    from slimplace.optim.greedy import GreedySolver
    from slimplace.results import objective_fixed, plan_row

    p = small_problem()
    plan = GreedySolver().solve(p)
    e = evaluate(p, plan)
    fixed = objective_fixed(p)
    value = e.objective(p.objective)
    assert value - fixed == pytest.approx(e.plan_objective(p.objective), rel=1e-9, abs=1e-9)
    row = plan_row(p, plan, e, bound=value - 0.01 * (value - fixed))
    assert row["objective_fixed"] == pytest.approx(fixed)
    assert row["gap"] == pytest.approx(0.01)
