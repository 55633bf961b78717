"""Regressions from the unseen-input sweep: the ``simulate-compare`` table.

On an imported network with the load above capacity (``--rate-scale 20`` on zoo:Abilene) the
policies dropped half the requests, yet the table printed a negative plan-dependent energy
under "plan-dependent >= X kWh (proven)" with nothing to say why; a saving that rounds to
zero was printed "-0.00 %" and a missing one "- %".
"""

from typing import Any

from rich.console import Console

from slimplace.sim.compare import Comparison
from slimplace.sim.compare_report import comparison_table, dropped_note


def _row(served: float, saving: float | None, regret: float | None) -> dict[str, Any]:
    return {
        "energy_kwh": 284.62,
        "plan_energy_kwh": 3.0,
        "servers_static_kwh": 1.5,
        "saving_vs_static_peak_pct": saving,
        "regret_pct": regret,
        "slo_attainment": served,
        "mean_accuracy": 0.5,
        "switches": 0,
        "wakeups": 0,
        "seconds": 0.1,
        "served_fraction": served,
    }


def _comparison(rows: dict[str, dict[str, Any]]) -> Comparison:
    return Comparison(
        scenario="abi",
        trace="diurnal",
        horizon_s=86400.0,
        step_s=1800.0,
        fixed_kwh=281.0,
        lower_bound_kwh=2.0,
        notes=[],
        rows=rows,
    )


def _text(c: Comparison) -> str:
    console = Console(width=220, record=True)
    console.print(comparison_table(c))
    return console.export_text()


def test_policies_that_drop_requests_are_named_under_the_table() -> None:
    c = _comparison({"static-peak": _row(0.473, 0.0, None), "reactive": _row(0.473, 0.0, None)})
    note = dropped_note(c)
    assert "static-peak 47.3 %" in note and "reactive 47.3 %" in note
    assert "not comparable" in _text(c).replace("\n", " ")


def test_no_note_when_every_request_is_served() -> None:
    c = _comparison({"static-peak": _row(1.0, 0.0, None), "reactive": _row(1.0, -1e-9, 2.0)})
    assert dropped_note(c) == ""
    out = _text(c)
    assert "-0.00 %" not in out and "- %" not in out
    reactive = next(line for line in out.splitlines() if "reactive" in line)
    assert "+0.00 %" in reactive and "+2.00 %" in reactive
