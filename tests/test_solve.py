import numpy as np

from slimplace.methods import default_registry
from slimplace.problem.compile import compile_problem
from slimplace.results import COLUMNS
from slimplace.solve import compare, comparison_table
from slimplace.testing import tiny_scenario


def test_comparison_table_gaps_are_never_negative_for_the_exact_method() -> None:
    problem = compile_problem(tiny_scenario(6, seed=2))
    results = compare(problem, ["milp", "lp-bound", "greedy"], registry=default_registry(), seed=0)
    table = comparison_table(problem, results)
    assert list(table.columns[: len(COLUMNS)]) == list(COLUMNS)
    gaps = table.set_index("method")["gap"]
    assert gaps["milp"] >= 0 and gaps["greedy"] >= gaps["milp"]
    assert np.isnan(gaps["lp-bound"]) or gaps["lp-bound"] >= 0


def test_a_plan_the_evaluator_rejects_is_reported_as_violating() -> None:
    from slimplace.plan import Status
    from slimplace.solve import solve
    from slimplace.testing import small_problem

    problem = small_problem(rate_per_source_per_s=(5.0, 100.0))  # cloud-only overloads links
    result = solve(problem, "cloud-only")
    assert not result.evaluation.feasible
    assert result.plan.status is Status.VIOLATES
    kinds = {v.kind for v in result.evaluation.violations}
    assert all(kind in result.plan.reason for kind in kinds)
    assert "the method said" in result.plan.reason


def test_a_rejected_plan_of_any_status_violates_but_bounds_and_empty_plans_keep_theirs() -> None:
    from dataclasses import replace

    from slimplace.evaluate import evaluate
    from slimplace.plan import Status
    from slimplace.solve import honest_status
    from slimplace.testing import small_problem

    problem = small_problem(rate_per_source_per_s=(5.0, 100.0))
    plan = default_registry().create("cloud-only").solve(problem)
    ev = evaluate(problem, plan)
    for status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT):
        assert honest_status(replace(plan, status=status), ev).status is Status.VIOLATES
    assert honest_status(replace(plan, status=Status.OPTIMAL), ev, "bound").status is Status.OPTIMAL
    empty = replace(plan, x=np.zeros_like(plan.x), status=Status.TIME_LIMIT)
    assert honest_status(empty, evaluate(problem, empty)).status is Status.TIME_LIMIT
