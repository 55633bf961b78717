"""Studies at scale: sweeps over scenarios, methods and seeds, run locally or on Ray,
stored one Parquet file per trial, read back with DuckDB, plotted and reported.

Python API (what ``slimplace sweep``, ``results`` and ``report`` call)::

    from slimplace.study import run_sweep, load_results, write_report
    run_sweep("examples/sweep-small.yaml", "sweeps/small", executor="local")
    df = load_results("sweeps/small")          # one row per trial and method
    write_report("sweeps/small")               # sweeps/small/report/report.html
    query("sweeps/small", "SELECT ...")        # read-only SQL, safe for untrusted text

Result rows have the columns of :mod:`slimplace.results`.
"""

from collections.abc import Sequence
from pathlib import Path

from slimplace.study.runner import (
    TIMING_COLUMNS,
    TrialFailure,
    TrialOutput,
    drop_timing,
    run_trial,
)
from slimplace.study.spec import SweepSpec, dump_spec, load_spec, loads_spec
from slimplace.study.store import (
    QueryError,
    SweepStore,
    load_failures,
    load_results,
    load_series,
    query,
)
from slimplace.study.sweep import SweepSummary, SweepTerminated, run_sweep
from slimplace.study.trials import MAX_TRIALS, Trial, count_trials, expand_trials


def write_report(
    folder: str | Path, out_dir: str | Path | None = None, *, by: Sequence[str] | None = None
) -> Path:
    """Write the sweep's HTML report and figures (:func:`slimplace.study.report.write_report`;
    imported here on first use, as it loads matplotlib); ``by``: the summary's groups."""
    from slimplace.study.report import write_report as write

    return write(folder, out_dir, by=by)


def run_demo_study(out_dir: Path, *, seed: int = 0, progress: bool = True) -> Path:
    """The demo's sweep and report (:func:`slimplace.study.demo.run_demo_study`)."""
    from slimplace.study.demo import run_demo_study as run

    return run(out_dir, seed=seed, progress=progress)


__all__ = [
    "MAX_TRIALS",
    "TIMING_COLUMNS",
    "QueryError",
    "SweepSpec",
    "SweepStore",
    "SweepSummary",
    "SweepTerminated",
    "Trial",
    "TrialFailure",
    "TrialOutput",
    "count_trials",
    "drop_timing",
    "dump_spec",
    "expand_trials",
    "load_failures",
    "load_results",
    "load_series",
    "load_spec",
    "loads_spec",
    "query",
    "run_demo_study",
    "run_sweep",
    "run_trial",
    "write_report",
]
