"""The simulate trial kind: a summary row per policy and a time series per trial."""

from pathlib import Path

import numpy as np
import pandas as pd

from slimplace.study import drop_timing, load_results, load_series, loads_spec, run_sweep
from slimplace.study.report import write_report

SPEC = loads_spec(
    """
name: sim
seed: 4
run: simulate
parameters:
  scenario: tiny
  n_devices: 4
  horizon_s: 21600
  step_s: 900
  workload: diurnal
  method: nearest-feasible
axes:
  policy: [static, reactive]
seeds: 2
"""
)


def _drop(df: pd.DataFrame) -> pd.DataFrame:
    return drop_timing(df)


def test_simulation_sweep_stores_rows_and_series(tmp_path: Path) -> None:
    summary = run_sweep(SPEC, tmp_path / "a", executor="local", workers=2)
    assert (summary.done, summary.failed) == (4, 0)
    rows = load_results(tmp_path / "a")
    assert sorted(rows["method"]) == ["reactive", "reactive", "static", "static"]
    assert (rows["plan_method"] == "nearest-feasible").all()
    assert (rows["steps"] == 24).all()
    parts = rows.filter(regex=r"^power_(device|edge|metro|cloud|network|transitions)_").sum(axis=1)
    np.testing.assert_allclose(parts, rows["power_w"], rtol=1e-9)
    series = load_series(tmp_path / "a")
    assert len(series) == 4 * 24
    assert set(series["trial_id"]) == set(rows["trial_id"])
    assert series["slo_met_fraction"].between(0, 1).all()
    # the same sweep in-process stores the same rows and series
    run_sweep(SPEC, tmp_path / "b", executor="serial")
    pd.testing.assert_frame_equal(_drop(rows), _drop(load_results(tmp_path / "b")))
    key = ["trial_id", "step"]
    pd.testing.assert_frame_equal(
        _drop(series).sort_values(key).reset_index(drop=True),
        _drop(load_series(tmp_path / "b")).sort_values(key).reset_index(drop=True),
    )
    page = write_report(tmp_path / "a").read_text()
    assert "fig-timeseries" in page and "fig-gap_and_time" not in page
