"""Regressions from the unseen-trace sweep: one non-numeric time in a trace in seconds.

A (time_s, value) CSV whose fifth row reads ``yesterday`` was parsed as date-times, where
``1200``, ``2400``... read as years and ``0``, ``600``, ``3000``... failed: the error named
rows 2, 3, 19, 20... and not row 5, the one at fault.
"""

from pathlib import Path

import pytest

from slimplace.errors import InputError
from slimplace.sim.series import read_series_csv


def test_the_row_with_the_typo_is_the_one_named(tmp_path: Path) -> None:
    rows = [f"{600 * i},{1 + i % 7}" for i in range(40)]
    rows[3] = "yesterday,2"
    path = tmp_path / "load.csv"
    path.write_text("time_s,value\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as info:
        read_series_csv(path)
    assert info.value.file == str(path)
    assert [p.path for p in info.value.problems] == ["row 5"]
    assert "seconds" in info.value.problems[0].message


def test_date_times_still_read(tmp_path: Path) -> None:
    path = tmp_path / "load.csv"
    path.write_text(
        "timestamp,value\n2014-07-07 00:00:00,3\n2014-07-07 00:30:00,5\n2014-07-07 01:00:00,4\n"
    )
    series = read_series_csv(path)
    assert series.period_s == pytest.approx(5400.0)


def test_semicolon_separated_trace_says_what_was_found(tmp_path: Path) -> None:
    """A trace saved with ';' (a European spreadsheet default) was refused as "needs a time
    column, a value column and two rows or more", with nothing to say it read one column."""
    path = tmp_path / "load.csv"
    path.write_text("time_s;value\n" + "\n".join(f"{600 * i};{i + 1}" for i in range(5)) + "\n")
    with pytest.raises(InputError) as info:
        read_series_csv(path)
    message = info.value.problems[0].message
    assert "found 1 column(s) ('time_s;value') and 5 row(s)" in message
    assert "separated by commas" in message
