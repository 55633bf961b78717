"""Running sweeps into a store: resume, failures, retries, atomic files, queries."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from slimplace.study import (
    SweepStore,
    Trial,
    TrialOutput,
    drop_timing,
    expand_trials,
    load_failures,
    load_results,
    loads_spec,
    query,
    run_sweep,
    run_trial,
)
from slimplace.study.store import StoreError, connect

SPEC = loads_spec(
    """
name: store
seed: 5
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, nearest-feasible, random]
  load_scale: [0.5, 1.0]
seeds: 2
"""
)
N = 3 * 2 * 2


def flaky(trial: Trial) -> TrialOutput:
    """Fails for the random method unless the marker file exists (module level: picklable)."""
    if trial.params["method"] == "random" and not Path(os.environ["STUDY_FLAKY_OK"]).exists():
        raise RuntimeError(f"boom in {trial.trial_id}")
    return run_trial(trial)


def test_sweep_stores_one_file_per_trial_and_reads_back(tmp_path: Path) -> None:
    summary = run_sweep(SPEC, tmp_path / "s", executor="serial")
    assert (summary.total, summary.done, summary.failed) == (N, N, 0)
    files = sorted((tmp_path / "s" / "trials").iterdir())
    assert [f.name for f in files] == sorted(f"{t.trial_id}.parquet" for t in expand_trials(SPEC))
    df = load_results(tmp_path / "s")
    assert len(df) == N and df["trial_id"].is_unique
    assert set(df["method"]) == {"cloud-only", "nearest-feasible", "random"}
    assert {
        "power_w",
        "energy_kwh",
        "power_cloud_static_w",
        "slo_met",
        "seed",
        "load_scale",
        "replicate",
        "instance_id",
        "gap",
    } <= set(df.columns)
    # the power breakdown adds up to the total
    parts = df.filter(regex=r"^power_(device|edge|metro|cloud|network)_").sum(axis=1)
    pd.testing.assert_series_equal(parts, df["power_w"], check_names=False, rtol=1e-9)
    assert (SweepStore(tmp_path / "s").read_spec()) == SPEC


def test_rerun_skips_stored_trials(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "trials").iterdir()}
    again = run_sweep(tmp_path, executor="serial")  # resume from the folder
    assert (again.already_stored, again.done) == (N, 0)
    assert before == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "trials").iterdir()}


def test_missing_trials_are_run_again(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    victim = next((tmp_path / "trials").iterdir())
    victim.unlink()
    again = run_sweep(SPEC, tmp_path, executor="serial")
    assert (again.already_stored, again.done) == (N - 1, 1)
    assert victim.exists()


def test_failures_are_recorded_skipped_and_retried_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ok"
    monkeypatch.setenv("STUDY_FLAKY_OK", str(marker))
    folder = tmp_path / "s"
    first = run_sweep(SPEC, folder, executor="serial", function=flaky)
    assert (first.done, first.failed) == (8, 4)
    failures = load_failures(folder)
    assert len(failures) == 4 and set(failures["error_type"]) == {"RuntimeError"}
    record = json.loads(next((folder / "failures").iterdir()).read_text())
    assert record["params"]["method"] == "random" and "boom" in record["message"]
    assert "Traceback" in record["traceback"]
    # without --retry-failed they are skipped
    second = run_sweep(SPEC, folder, executor="serial", function=flaky)
    assert (second.skipped_failed, second.done, second.failed) == (4, 0, 0)
    # retried and now succeeding: stored, failure records gone
    marker.touch()
    third = run_sweep(SPEC, folder, executor="serial", function=flaky, retry_failed=True)
    assert (third.done, third.failed) == (4, 0)
    assert load_failures(folder).empty and not list((folder / "failures").iterdir())
    assert load_results(folder)["trial_id"].nunique() == N


def test_stale_temporary_files_are_removed_and_never_read(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    stale = tmp_path / "trials" / ".abc.parquet.x1y2.tmp"
    stale.write_bytes(b"half a file")
    assert len(load_results(tmp_path)) == N  # the reader ignores it
    run_sweep(SPEC, tmp_path, executor="serial")
    assert not stale.exists()


def test_a_folder_of_another_sweep_is_refused(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    other = SPEC.model_copy(update={"seed": 6})
    with pytest.raises(StoreError, match="another sweep"):
        run_sweep(other, tmp_path, executor="serial")
    fewer = SPEC.model_copy(update={"seeds": 1})  # would orphan stored trials
    with pytest.raises(StoreError, match="another sweep"):
        run_sweep(fewer, tmp_path, executor="serial")


def test_a_sweep_can_be_extended_in_place(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    more = SPEC.model_copy(update={"seeds": 3, "description": "one more replicate"})
    summary = run_sweep(more, tmp_path, executor="serial")
    assert (summary.already_stored, summary.done) == (N, N // 2)
    assert SweepStore(tmp_path).read_spec() == more


def test_two_sweeps_cannot_write_one_folder_at_once(tmp_path: Path) -> None:
    store = SweepStore(tmp_path)
    with store.lock(), pytest.raises(StoreError, match="another sweep is running"):
        run_sweep(SPEC, tmp_path, executor="serial")


def test_query_sees_trials_and_failures_views(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    counts = query(tmp_path, "SELECT method, count(*) AS n FROM trials GROUP BY method ORDER BY 1")
    assert counts["n"].tolist() == [4, 4, 4]
    assert query(tmp_path, "SELECT count(*) AS n FROM failures")["n"].item() == 0
    with pytest.raises(StoreError, match="query failed"):
        query(tmp_path, "SELECT nope FROM trials")


def test_empty_folder_reads_as_empty_frames(tmp_path: Path) -> None:
    SweepStore(tmp_path).prepare(SPEC)
    assert load_results(tmp_path).empty
    assert query(tmp_path, "SELECT count(*) AS n FROM series")["n"].item() == 0
    connect(tmp_path).close()  # type: ignore[attr-defined]


def test_same_trial_gives_the_same_rows() -> None:
    trial = expand_trials(SPEC)[-1]
    a, b = run_trial(trial).rows, run_trial(trial).rows
    pd.testing.assert_frame_equal(drop_timing(a), drop_timing(b))


def test_a_spec_built_in_python_is_checked_like_a_file(tmp_path: Path) -> None:
    from slimplace.errors import InputError
    from slimplace.study import SweepSpec

    with pytest.raises(InputError, match=r"parameters\.n_appz"):
        run_sweep(SweepSpec(name="x", parameters={"n_appz": 2}), tmp_path)
