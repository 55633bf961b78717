"""Scenario CONT (the benchmark LEAF, EdgeSimPy and ECLYPSE were run on) through slimplace's
simulation engine and its ``continuum-first`` policy: steps per second, energy, peak memory.

    python benchmarks/sim_cont.py SIZE STEPS [--json] [--seed S] [--no-records]

SIZE is S (2 fog, 10 edge, 100 devices), M (8, 100, 1,000) or L (16, 400, 4,000); one step
is 1 s in which 10 % of the apps (seeded) pick a new width and are re-placed (own edge, else
its fog, else the cloud), then the power of everything is measured. The run goes through
the same :func:`slimplace.sim.simulate` loop and policy registry as every simulation, with
the per-step records streamed to a Parquet file in a temporary folder (``--no-records``:
summary only). Steps per second count the simulation loop, not building the problem.
Energy is the sum over steps of power x 1 s; it is compared with LEAF per step (mean
power): LEAF's 15.7 Wh for S sums 61 readings (t = 0 .. 60 s), this run 60 steps.
Peak memory is the process's maximum resident set size. See docs/simulation.md.

Targets (issue 4): at least 7,000 steps/s at M and 1,800 at L on 2 cores (LEAF: 34.7 and
3.7), peak memory at 6,000 steps within 10 % of that at 600 steps.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from slimplace.benchmarks.cont_continuum import SIZES, cont_problem, leaf_s_mean_power_w
from slimplace.sim import default_policies, simulate


def peak_rss_mb() -> float:
    """Maximum resident set size of this process so far (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 if sys.platform != "darwin" else kib / 2**20


def run(size: str, steps: int, seed: int, records: bool) -> dict[str, float]:
    """Build CONT ``size`` and simulate ``steps`` one-second steps."""
    t0 = time.perf_counter()
    problem = cont_problem(size)
    build_s = time.perf_counter() - t0
    policy = default_policies().create("continuum-first", churn=0.1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "steps.parquet" if records else None
        t1 = time.perf_counter()
        cpu1 = time.process_time()
        result = simulate(
            problem, policy, horizon_s=float(steps), step_s=1.0, seed=seed, records=out
        )
        wall = time.perf_counter() - t1
        cpu = time.process_time() - cpu1
    return {
        "steps_per_s": steps / wall,
        "energy_wh": result.summary.energy_j / 3600.0,
        "mean_power_w": result.summary.energy_j / (steps * 1.0),
        "peak_rss_mb": peak_rss_mb(),
        "cpu_steps_per_s": steps / cpu if cpu > 0 else float("inf"),
        "build_s": build_s,
        "candidates": problem.n_candidates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES), help="S, M or L")
    parser.add_argument("steps", type=int, help="number of 1 s steps")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-records", action="store_true", help="do not write the Parquet records"
    )
    args = parser.parse_args()
    r = run(args.size, args.steps, args.seed, not args.no_records)
    if args.json:
        keys = ("steps_per_s", "energy_wh", "mean_power_w", "peak_rss_mb")
        print(json.dumps({k: r[k] for k in keys}))
        return
    fogs, edges, devices = SIZES[args.size]
    print(
        f"CONT {args.size} ({fogs} fog, {edges} edge, {devices} devices; "
        f"{r['candidates']:,} candidates, built in {r['build_s']:.2f} s), {args.steps} steps"
    )
    print(f"steps/s      {r['steps_per_s']:,.0f}   (per CPU second: {r['cpu_steps_per_s']:,.0f})")
    print(f"energy       {r['energy_wh']:,.3f} Wh over {args.steps} steps")
    print(f"mean power   {r['mean_power_w']:,.1f} W per step", end="")
    if args.size == "S":
        leaf = leaf_s_mean_power_w()
        diff = r["mean_power_w"] / leaf - 1.0
        print(f"   (LEAF: {leaf:,.1f} W per reading, 15.7 Wh / 61 readings; {diff:+.1%})")
    else:
        print()
    print(f"peak RSS     {r['peak_rss_mb']:,.1f} MB")


if __name__ == "__main__":
    main()
