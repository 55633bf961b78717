"""Overhead of the sweep machinery: 1,000 trivial trials through the local executor.

    python benchmarks/sweep_overhead.py [--trials N] [--workers N] [--executor local|ray|serial]

Each trial returns one row at once, so the time measured is expansion, the
process pool, pickling, one atomic Parquet write per trial and the bookkeeping.
Target (issue 6): 1,000 trials in under 30 s with the local executor on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from slimplace.study import SweepSpec, Trial, TrialOutput, load_results, run_sweep
from slimplace.study.runner import with_trial_columns

TARGET_S = 30.0


def trivial_trial(trial: Trial) -> TrialOutput:
    """A trial that does nothing: one row with its seed."""
    rows = pd.DataFrame({"method": ["noop"], "value": [float(trial.seed % 1000)]})
    return TrialOutput(trial.trial_id, with_trial_columns(trial, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--executor", default="local", choices=["local", "ray", "serial"])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    spec = SweepSpec(
        name="overhead", seed=1, run="solve", parameters={"scenario": "tiny"}, seeds=args.trials
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sweep"
        t0 = time.perf_counter()
        summary = run_sweep(
            spec, folder, executor=args.executor, workers=args.workers, function=trivial_trial
        )
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        rerun = run_sweep(
            spec, folder, executor=args.executor, workers=args.workers, function=trivial_trial
        )
        resume_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        frame = load_results(folder)
        load_s = time.perf_counter() - t2
    assert summary.done == args.trials and rerun.done == 0 and len(frame) == args.trials
    figures = {
        "trials": args.trials,
        "executor": args.executor,
        "sweep_s": round(elapsed, 2),
        "per_trial_ms": round(1e3 * elapsed / args.trials, 2),
        "resume_all_stored_s": round(resume_s, 2),
        "load_results_s": round(load_s, 2),
        "target_s": TARGET_S if args.trials == 1000 else None,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"{args.trials} trivial trials ({args.executor}): {elapsed:.2f} s "
        f"({figures['per_trial_ms']} ms each); re-run with all stored: {resume_s:.2f} s; "
        f"load_results: {load_s:.2f} s"
    )
    if args.trials == 1000:
        print(f"target: under {TARGET_S:.0f} s -> {'met' if elapsed < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
