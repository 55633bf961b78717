"""Executors: local processes give the same stored results as in-process runs."""

from pathlib import Path

import pandas as pd
import pytest

from slimplace.study import drop_timing, load_results, loads_spec, run_sweep
from slimplace.study.executors import ExecutorError, LocalExecutor, make_executor

SPEC = loads_spec(
    """
name: ex
seed: 9
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, edge-first, random]
seeds: 8
"""
)


def _stored(folder: Path) -> pd.DataFrame:
    return drop_timing(load_results(folder))


def test_local_processes_store_what_the_serial_executor_stores(tmp_path: Path) -> None:
    calls: list[tuple[int, int, int]] = []
    local = run_sweep(
        SPEC, tmp_path / "local", executor="local", workers=2, progress=lambda *c: calls.append(c)
    )
    run_sweep(SPEC, tmp_path / "serial", executor="serial")
    assert local.done == 24
    pd.testing.assert_frame_equal(_stored(tmp_path / "local"), _stored(tmp_path / "serial"))
    assert calls[-1] == (24, 0, 0) and len(calls) == 24


def test_progress_bar_runs(tmp_path: Path) -> None:
    summary = run_sweep(SPEC, tmp_path, executor="serial", progress=True)
    assert summary.done == 24


def test_executor_names() -> None:
    assert isinstance(make_executor("local", workers=3), LocalExecutor)
    with pytest.raises(ExecutorError):
        make_executor("dask")  # type: ignore[arg-type]
    with pytest.raises(ExecutorError):
        list(LocalExecutor(workers=1).run(lambda t: None, []))  # type: ignore[arg-type, return-value]


_AFTER_HIGHS = """
from pathlib import Path
from slimplace.methods import default_registry
from slimplace.problem.compile import compile_problem
from slimplace.study import loads_spec, run_sweep

# the driver solves with HiGHS first (as `slimplace demo` does before its study)
from slimplace.demo import demo_scenario
default_registry().create("milp").solve(compile_problem(demo_scenario(), strict=False))
spec = loads_spec('''
name: after-highs
seed: 1
run: solve
parameters: {scenario: demo, time_limit_s: 20}
axes:
  method: [milp, lp-bound]
seeds: 1
''')
summary = run_sweep(spec, Path(__import__("sys").argv[1]), executor="local", workers=2,
                    progress=False)
print(summary.done, summary.failed)
"""


def test_local_workers_solve_after_the_driver_has_run_highs(tmp_path: Path) -> None:
    # a plain fork copies HiGHS's thread pool into the workers, where it deadlocks
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _AFTER_HIGHS, str(tmp_path / "sweep")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.split()[-2:] == ["2", "0"]
