"""Request logs (one row per request) are binned into arrival rates, never read as series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.sim.series import read_request_log_csv
from slimplace.sim.workload import Trace, pattern_from_spec


def _log(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_requests_are_counted_per_bin_and_token_columns_ignored(tmp_path: Path) -> None:
    # 3 requests in [0, 60), none in [60, 120), 2 in [120, 180): rates 3/60, 0, 2/60
    path = _log(
        tmp_path,
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:00:00.5,374,44\n2023-11-16 18:00:10,9000,5\n"
        "2023-11-16 18:00:59,1,1\n2023-11-16 18:02:01,5,5\n2023-11-16 18:02:30,5,5\n",
    )
    series = read_request_log_csv(path)
    assert np.allclose(series.values, [3 / 60, 0.0, 2 / 60])
    assert np.allclose(series.start_s, [0.0, 60.0, 120.0])


def test_milliseconds_and_unsorted_rows(tmp_path: Path) -> None:
    path = _log(tmp_path, "timestamp_ms,input_length\n30000,1\n0,1\n10000,1\n", "m.csv")
    series = read_request_log_csv(path, bin_s=10.0)
    # times 0, 10, 30 s: bins [0,10) 1, [10,20) 1, [20,30) 0, [30,40) 1
    assert np.allclose(series.values * 10.0, [1, 1, 0, 1])


def test_workload_spec_with_bin_and_bad_specs(tmp_path: Path) -> None:
    _log(tmp_path, "t\n0\n1\n2\n3\n30\n", "r.csv")
    pattern = pattern_from_spec("requests:r.csv@10s", base_dir=tmp_path)
    assert isinstance(pattern, Trace)
    assert np.allclose(pattern.series.values, [0.4, 0.0, 0.0, 0.1])
    with pytest.raises(InputError, match="requests:FILE"):
        pattern_from_spec("requests:missing.csv", base_dir=tmp_path)
    with pytest.raises(InputError, match="requests:FILE"):
        pattern_from_spec("requests:r.csv@-5", base_dir=tmp_path)
    _log(tmp_path, "t\n0\n1\n", "short.csv")
    with pytest.raises(InputError, match="less than two bins"):
        read_request_log_csv(tmp_path / "short.csv")
