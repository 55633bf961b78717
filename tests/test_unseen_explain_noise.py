"""Regression from the unseen-input sweep: ``explain`` printed solver noise as a saving.

``slimplace explain IMPORTED.yaml --k-paths 3`` on an imported ring (BackboneSerbiaMontenegro,
Topology Zoo) showed ``no routing ... saving -9.09e-13 W, share -0.0%``: the two plans are the
same, and a difference below the full plan's resolution (its gap times its plan-dependent
value) is now printed as 0.
"""

from typing import Any

from rich.console import Console

from slimplace.cli.explain_cmd import render_explanation
from slimplace.explain import Accounting, Explanation, LeverOutcome


def _explanation(routing_value: float) -> Explanation:
    full = Accounting(value=5382.58, fixed=4584.0, breakdown={})
    levers = (
        LeverOutcome("routing", "fixed shortest paths", "optimal", True, routing_value),
        LeverOutcome("sleep", "every owned server on", "optimal", True, 5912.0),
    )
    result: Any = None  # the table does not read the full plan's result
    return Explanation(
        scenario="ring",
        objective="energy",
        method="milp",
        status="optimal",
        feasible=True,
        full=full,
        bound=5382.58,
        gap=0.0,
        levers=levers,
        result=result,
    )


def _render(ex: Explanation) -> str:
    console = Console(width=200, record=True)
    console.print(render_explanation(ex))
    return console.export_text()


def test_a_saving_within_solver_tolerance_is_printed_as_zero() -> None:
    out = _render(_explanation(5382.58 - 9.09e-13))
    assert "e-13" not in out and "-0.0%" not in out
    routing = next(line for line in out.splitlines() if "no routing" in line)
    assert "0.0%" in routing
    sleep = next(line for line in out.splitlines() if "no sleep" in line)
    assert "529" in sleep  # a real saving is kept


def test_a_real_negative_saving_is_still_shown() -> None:
    out = _render(_explanation(5382.58 - 50.0))
    routing = next(line for line in out.splitlines() if "no routing" in line)
    assert "-50" in routing
