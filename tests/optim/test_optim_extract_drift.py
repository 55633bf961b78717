"""The plan's recomputed value against the solver's objective: a drift within solver
tolerances is an info line, a real discrepancy a warning (unseen-topology sweep: a
0.0013 % drift on a 30-node line was printed to the user as a warning)."""

import logging

import pytest

from slimplace.optim.extract import note_value_drift


@pytest.mark.parametrize(
    ("value", "solver", "level"),
    [
        (28602.831, 28602.4738, logging.INFO),  # 1.3e-5 relative: tolerance
        (28602.831, 28000.0, logging.WARNING),  # 2 %: a real discrepancy
    ],
)
def test_drift_is_logged_at_its_weight(
    caplog: pytest.LogCaptureFixture, value: float, solver: float, level: int
) -> None:
    caplog.set_level(logging.DEBUG, logger="slimplace.optim.extract")
    note_value_drift("milp", value, solver)
    assert [r.levelno for r in caplog.records] == [level]
    assert "differs from the solver's" in caplog.records[0].getMessage()


def test_no_line_within_1e_6(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="slimplace.optim.extract")
    note_value_drift("milp", 100.0, 100.00001)
    assert caplog.records == []
