"""Whether each method holds a short time limit on a large problem, and what it returns.

    python benchmarks/time_limit.py [--size 1k] [--limit 1.0] [--methods milp,greedy,...]

Compiles the generated scenario of ``--size`` (:mod:`slimplace.benchmarks.generated_scale`;
1k has about 600,000 candidates; compile time is not counted) and runs every method with
``time_limit_s=--limit``. Per method: status, objective, wall-clock seconds of the solve
call (on whatever machine runs this: note its load) and whether the evaluator accepts the
plan. The limit holds for the whole call: a method out of time returns status
"time-limit" with the best plan it has (``milp``: its greedy warm start), never
"infeasible".
"""

from __future__ import annotations

import argparse
import time

from slimplace.benchmarks.generated_scale import SIZES, scenario_for
from slimplace.methods import default_registry
from slimplace.problem.compile import compile_problem
from slimplace.solve import solve


def main() -> None:
    """Run and print one line per method."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1k", choices=sorted(SIZES))
    ap.add_argument("--limit", type=float, default=1.0)
    ap.add_argument("--methods", default="milp,greedy,lp-round,decomposed,lp-bound")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    size = SIZES[args.size]
    problem = compile_problem(
        scenario_for(size, args.seed),
        strict=False,
        max_nodes_per_demand=size.max_nodes_per_demand,
    )
    print(f"{args.size}: {problem.n_demands} demands, {problem.n_candidates:,} candidates")
    print(f"{'method':12} {'status':11} {'objective':>12} {'wall s':>7}  evaluator")
    registry = default_registry()
    for name in args.methods.split(","):
        t0 = time.perf_counter()
        result = solve(problem, name, registry=registry, seed=args.seed, time_limit_s=args.limit)
        wall = time.perf_counter() - t0
        value = result.plan.objective
        shown = f"{value:12,.1f}" if value is not None else f"{'-':>12}"
        verdict = "accepts" if result.evaluation.feasible else "rejects"
        print(f"{name:12} {result.plan.status!s:11} {shown} {wall:7.2f}  {verdict}")


if __name__ == "__main__":
    main()
