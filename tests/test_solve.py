import numpy as np
import pytest

from slimplace.methods import default_registry
from slimplace.problem.compile import compile_problem
from slimplace.solve import GAP_TOLERANCE, _gap, compare, comparison_table
from slimplace.testing import tiny_scenario


def test_gap_within_solver_tolerance_is_zero_and_larger_negative_gaps_stay() -> None:
    assert _gap(100.0, 100.0 + 0.5 * GAP_TOLERANCE * 100) == 0.0
    assert _gap(100.0, 90.0) == pytest.approx(0.1)
    assert _gap(100.0, 101.0) == pytest.approx(-0.01)


def test_comparison_table_gaps_are_never_negative_for_the_exact_method() -> None:
    problem = compile_problem(tiny_scenario(6, seed=2))
    results = compare(problem, ["milp", "lp-bound", "greedy"], registry=default_registry(), seed=0)
    table = comparison_table(problem, results)
    gaps = table.set_index("method")["gap"]
    assert gaps["milp"] >= 0 and gaps["greedy"] >= gaps["milp"]
    assert np.isnan(gaps["lp-bound"]) or gaps["lp-bound"] >= 0
