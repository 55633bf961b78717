"""Kill test: SIGKILL a running sweep at a random moment, restart it, check the store.

    python benchmarks/kill_test.py [--runs 5] [--spec examples/sweep-small.yaml] [--seed 0]
                                   [--driver-only]

Each run starts ``slimplace sweep SPEC`` (local executor, in its own process
group), kills the whole group (driver and workers; ``--driver-only``: the driver
alone, after which no worker or fork server may survive) with SIGKILL at a random
moment while trials are being stored (once a random number of them, uniform in
0..N-1, is stored, plus a random 0-50 ms), restarts the sweep to the end, and
checks that:

- every trial of the spec is stored exactly once (one ``trials/<id>.parquet``
  per expected id, no other file, no temporary file left);
- each file reads back with pyarrow, holds the rows of the trial it is named
  after, and DuckDB reads the folder as one table of as many trials;
- the results equal those of an uninterrupted reference run (measured times aside).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from slimplace.study import drop_timing, expand_trials, load_results, load_spec

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from slimplace.cli import main; main()"]


def sweep_command(spec: Path, folder: Path) -> list[str]:
    """The CLI command that runs (or resumes) the sweep."""
    return [*CLI, "sweep", str(spec), "--out", str(folder), "--no-progress"]


def run_to_end(spec: Path, folder: Path) -> float:
    """Run the sweep to completion; return its wall time."""
    t0 = time.perf_counter()
    subprocess.run(sweep_command(spec, folder), check=True, capture_output=True)
    return time.perf_counter() - t0


def stored_count(folder: Path) -> int:
    """Trial files in the folder now."""
    try:
        return sum(n.endswith(".parquet") for n in os.listdir(folder / "trials"))
    except FileNotFoundError:
        return 0


def temp_count(folder: Path) -> int:
    """Temporary files (writes cut short) anywhere in the folder now."""
    return sum(1 for _ in folder.rglob(".*.tmp"))


def group_survivors(pgid: int, seconds: float = 10.0) -> int:
    """Live (not zombie) processes of process group ``pgid`` after waiting up to
    ``seconds`` for them to go (Linux: read from /proc)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            alive += int(fields[2]) == pgid and fields[0] != "Z"
        if alive == 0 or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def kill_at(
    spec: Path, folder: Path, after_stored: int, extra_s: float, *, driver_only: bool = False
) -> tuple[float, int, int, int]:
    """Start the sweep; once ``after_stored`` trials are stored, wait ``extra_s`` more and
    SIGKILL its whole process group (``driver_only``: the driver alone, as a user's
    ``kill -9 PID`` does). Return the kill time, the trials stored then, the temporary
    files the kill left and the processes of the group still alive 10 s later (the
    workers and fork server must die with the driver)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        sweep_command(spec, folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while proc.poll() is None and stored_count(folder) < after_stored:
        time.sleep(0.002)
    time.sleep(extra_s)
    killed_at = time.perf_counter() - t0
    if proc.poll() is None:
        if driver_only:
            proc.send_signal(signal.SIGKILL)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    survivors = group_survivors(proc.pid) if sys.platform.startswith("linux") else 0
    if survivors:
        os.killpg(proc.pid, signal.SIGKILL)
    return killed_at, stored_count(folder), temp_count(folder), survivors


def check_store(folder: Path, expected_ids: set[str], reference: pd.DataFrame) -> list[str]:
    """Problems found in the sweep folder (empty when it is sound)."""
    problems = []
    trials_dir = folder / "trials"
    names = sorted(os.listdir(trials_dir))
    leftovers = [n for n in names if not n.endswith(".parquet")]
    if leftovers:
        problems.append(f"unexpected files: {leftovers[:5]}")
    stored = [n.removesuffix(".parquet") for n in names if n.endswith(".parquet")]
    if len(stored) != len(set(stored)) or set(stored) != expected_ids:
        missing, extra = expected_ids - set(stored), set(stored) - expected_ids
        problems.append(f"{len(missing)} trials missing, {len(extra)} unexpected")
    for trial_id in stored:
        table = pq.read_table(trials_dir / f"{trial_id}.parquet")
        ids = set(table.column("trial_id").to_pylist())
        if ids != {trial_id} or table.num_rows < 1:
            problems.append(f"{trial_id}.parquet holds rows of {ids}")
    frame = load_results(folder)
    if frame["trial_id"].nunique() != len(expected_ids):
        problems.append(f"DuckDB reads {frame['trial_id'].nunique()} trials")
    try:
        pd.testing.assert_frame_equal(drop_timing(frame), drop_timing(reference))
    except AssertionError as exc:
        problems.append(f"results differ from the uninterrupted run: {str(exc)[:200]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spec", type=Path, default=ROOT / "examples" / "sweep-small.yaml")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument(
        "--driver-only",
        action="store_true",
        help="SIGKILL the driver alone (not its process group): its workers must die with it",
    )
    args = parser.parse_args()
    expected = {t.trial_id for t in expand_trials(load_spec(args.spec))}
    rng = np.random.default_rng(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        reference_dir = Path(tmp) / "reference"
        full_s = run_to_end(args.spec, reference_dir)
        reference = load_results(reference_dir)
        print(f"reference run: {len(expected)} trials in {full_s:.1f} s")
        for run in range(args.runs):
            folder = Path(tmp) / f"run-{run}"
            target = int(rng.integers(0, len(expected)))
            delay, at_kill, temps, survivors = kill_at(
                args.spec,
                folder,
                target,
                float(rng.uniform(0, 0.05)),
                driver_only=args.driver_only,
            )
            resume_s = run_to_end(args.spec, folder)
            problems = check_store(folder, expected, reference)
            if survivors:
                problems.append(f"{survivors} worker processes outlived the driver")
            failures += bool(problems)
            status = "OK" if not problems else "FAILED: " + "; ".join(problems)
            print(
                f"run {run + 1}: killed after {delay:.2f} s with {at_kill} of {len(expected)} "
                f"stored, {temps} temporary files left; "
                f"restart finished in {resume_s:.1f} s; {status}"
            )
    print(f"{args.runs - failures} of {args.runs} runs passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
