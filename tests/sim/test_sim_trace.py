"""Trace input for the online benchmark: repairs, errors, repetition, peak scaling."""

from pathlib import Path

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.problem.compile import compile_problem
from slimplace.sim.series import read_series_csv
from slimplace.sim.workload import build_workload
from slimplace.testing import tiny_scenario

PROBLEM = compile_problem(tiny_scenario(6, seed=1), variants="all")


def _csv(tmp_path: Path, text: str, name: str = "load.csv") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


def test_unsorted_rows_and_duplicates_are_refused_by_default_and_repaired_on_request(
    tmp_path: Path,
) -> None:
    f = _csv(tmp_path, "time,value\n0,1\n20,3\n10,2\n10,4\n30,5\n")
    with pytest.raises(InputError, match="row 4: time does not increase"):
        read_series_csv(f)
    s = read_series_csv(f, repair=True)
    assert s.start_s.tolist() == [0, 10, 20, 30]
    assert s.values.tolist() == [1, 3, 3, 5]  # 10 s: (2 + 4) / 2
    assert any("sorted" in n for n in s.notes) and any("averaged" in n for n in s.notes)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("time,value\n0,1\n10,\n20,2\n", "row 3: value is not a number >= 0"),
        ("time,value\n0,1\n10,nan\n20,2\n", "row 3: value is not a number >= 0"),
        ("time,value\n0,1\n10,-1\n20,2\n", "row 3: value is not a number >= 0"),
        ("time,value\n0,1\n0,1\n", "fewer than two distinct times"),
    ],
)
def test_nan_and_negative_values_are_errors_naming_file_and_row(
    tmp_path: Path, text: str, fragment: str
) -> None:
    f = _csv(tmp_path, text, "bad.csv")
    with pytest.raises(InputError) as err:
        read_series_csv(f, repair=True)
    assert "bad.csv" in str(err.value) and fragment in str(err.value)


def test_gaps_are_filled_by_linear_interpolation_at_the_median_spacing(tmp_path: Path) -> None:
    f = _csv(tmp_path, "time,value\n0,0\n60,10\n120,20\n480,80\n540,90\n")
    s = read_series_csv(f)
    assert s.start_s.tolist() == [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]
    np.testing.assert_allclose(s.values, np.arange(10) * 10.0)
    assert any("gaps" in n and "360 s" in n for n in s.notes)


def test_timestamps_are_read_as_seconds(tmp_path: Path) -> None:
    f = _csv(
        tmp_path,
        "timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 00:30:00,2\n2014-07-01 01:00:00,3\n",
    )
    s = read_series_csv(f)
    assert s.start_s.tolist() == [0, 1800, 3600] and s.period_s == 5400


def test_trace_workload_scaled_to_peak_and_repetition_said(tmp_path: Path) -> None:
    t = np.arange(0, 86400, 3600)
    v = 1.0 + np.sin(2 * np.pi * t / 86400) ** 2 * 9.0
    rows = "\n".join(f"{a},{b}" for a, b in zip(t[::-1], v[::-1], strict=True))  # unsorted
    f = _csv(tmp_path, "time,value\n" + rows + "\n")
    step, n = 3600.0, 48
    wl = build_workload(PROBLEM, override=str(f), aligned=True).scaled_to_peak(n, step)
    r = wl.rates(0, n, step)
    np.testing.assert_allclose(r.max(axis=0), PROBLEM.demand_rate_per_s, rtol=1e-12)
    np.testing.assert_allclose(r.min(axis=0), PROBLEM.demand_rate_per_s * 0.1, rtol=1e-12)
    assert (wl.phase_s == 0).all()
    notes = wl.notes(n * step)
    assert any("repeats 2.00 times" in n for n in notes)
    assert any("sorted" in n for n in notes)
    assert not any("repeats" in n for n in wl.notes(86400.0))
