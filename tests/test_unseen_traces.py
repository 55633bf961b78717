"""Regressions from the unseen-input sweep (traces a user could pass to ``--trace``).

Each case was found by feeding odd copies of public traces (NAB, Azure 2023, Mooncake,
Alibaba GenAI) to ``slimplace simulate``/``simulate-compare``: before the fix each one gave a
traceback, non-finite numbers in the summary, or a silently wrong load.
"""

import logging
from pathlib import Path

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.problem.compile import compile_problem
from slimplace.sim.series import MAX_REQUEST_BINS, read_request_log_csv, read_series_csv
from slimplace.sim.workload import build_workload, pattern_from_spec
from slimplace.testing import tiny_scenario

PROBLEM = compile_problem(tiny_scenario(6, seed=1), variants="all")


def _csv(tmp_path: Path, text: str, name: str = "load.csv") -> Path:
    f = tmp_path / name
    f.write_text(text)
    return f


def test_an_infinite_value_is_refused_naming_the_row(tmp_path: Path) -> None:
    # was: accepted, then NaN requests dropped and RuntimeWarnings in the run
    f = _csv(tmp_path, "time,value\n0,1\n300,inf\n600,2\n")
    with pytest.raises(InputError, match="row 3: value is infinite"):
        read_series_csv(f)


def test_values_whose_integral_overflows_are_refused(tmp_path: Path) -> None:
    f = _csv(tmp_path, "time,value\n0,1e308\n300,1\n600,1e308\n")
    with pytest.raises(InputError, match="overflow when integrated"):
        read_series_csv(f)


def test_an_infinite_time_is_refused(tmp_path: Path) -> None:
    f = _csv(tmp_path, "time,value\n0,1\ninf,2\n")
    with pytest.raises(InputError, match="row 3: time is infinite"):
        read_series_csv(f)


def test_date_times_with_two_utc_offsets_are_read_as_utc(tmp_path: Path) -> None:
    # a daylight-saving change inside the trace; was: pandas ValueError (traceback)
    f = _csv(
        tmp_path,
        "time,value\n2024-10-27T01:00:00+02:00,1\n2024-10-27T02:00:00+02:00,2\n"
        "2024-10-27T02:00:00+01:00,3\n2024-10-27T03:00:00+01:00,4\n",
    )
    s = read_series_csv(f)
    assert s.start_s.tolist() == [0.0, 3600.0, 7200.0, 10800.0]
    assert s.values.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_a_request_log_spanning_too_many_bins_is_refused_with_a_wider_bin(
    tmp_path: Path,
) -> None:
    # was: numpy tried to allocate 121 TiB (traceback)
    f = _csv(tmp_path, "time,input\n0,1\n1e15,1\n", name="log.csv")
    with pytest.raises(InputError, match=r"give a wider bin, e\.g\. @1e\+08"):
        read_request_log_csv(f)
    wide = float(1e15 / MAX_REQUEST_BINS) * 2
    assert len(read_request_log_csv(f, bin_s=wide).values) <= MAX_REQUEST_BINS


def test_an_all_zero_trace_is_refused(tmp_path: Path) -> None:
    # was: accepted, and the run had no traffic at all (SLO n/a) without a word
    f = _csv(tmp_path, "time,value\n0,0\n300,0\n600,0\n")
    with pytest.raises(InputError, match="every value is 0"):
        pattern_from_spec(str(f), file="s.yaml")


def test_a_request_log_given_as_a_series_is_refused_with_the_requests_prefix(
    tmp_path: Path,
) -> None:
    # was: the ContextTokens column read as the load shape
    text = "TIMESTAMP,ContextTokens,GeneratedTokens\n" + "".join(
        f"2023-11-16 18:{i // 60:02d}:{i % 60:02d}.5,{100 + i},5\n" for i in range(200)
    )
    f = _csv(tmp_path, text, name="azure.csv")
    with pytest.raises(InputError, match=f"give it as requests:{f}"):
        pattern_from_spec(str(f), file="s.yaml")
    mooncake = _csv(tmp_path, "timestamp_ms,input_length\n0,10\n500,20\n90000,5\n", "m.csv")
    with pytest.raises(InputError, match="looks like a request log"):
        pattern_from_spec(str(mooncake), file="s.yaml")
    # the same file as a request log is read (arrivals per 60 s bin)
    wl = build_workload(PROBLEM, override=f"requests:{f}", seed=0)
    assert wl.rates(0, 4, 60.0).shape == (4, PROBLEM.n_demands)


def test_a_repair_note_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # was: every repair logged twice (when read and again by notes()), then printed
    f = _csv(tmp_path, "time,value\n0,1\n300,2\n600,3\n5000,2\n5300,1\n")
    with caplog.at_level(logging.WARNING):
        wl = build_workload(PROBLEM, override=str(f), seed=0)
        notes = wl.notes(600.0)
    gap_logs = [r for r in caplog.records if "gaps longer" in r.getMessage()]
    assert len(gap_logs) == 1
    assert any("gaps longer" in n for n in notes)
    assert np.isfinite(wl.rates(0, 10, 300.0)).all()
