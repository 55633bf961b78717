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
