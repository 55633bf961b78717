"""How the optimizers scale on generated continuum scenarios.

    python benchmarks/scale.py [--sizes 1k,20k,100k] [--json OUT] [--seed S]

Sizes and the scenarios are those of :mod:`slimplace.benchmarks.generated_scale`
(1k: 1,000 demands x 100 nodes; 20k: 20,000 x 500; 100k: 100,000 x 2,000).

Each size runs in a fresh process, so its peak memory (``ru_maxrss``) is its
own. Per method: objective (average W), gap to the best lower bound any method
reported (lp-bound: the LP relaxation with link rows, by column generation
above 50,000 candidates; milp and lp-round report theirs too), time, status.
Timings are wall-clock on whatever machine runs this: note its load.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from slimplace.benchmarks.generated_scale import SIZES, Size


def run_size(size: Size, seed: int) -> dict[str, Any]:
    """Compile and solve one size with every method; a JSON-ready record."""
    import numpy as np

    from slimplace.benchmarks.generated_scale import scenario_for
    from slimplace.evaluate import evaluate
    from slimplace.methods import default_registry
    from slimplace.problem.compile import compile_problem
    from slimplace.solve import honest_status

    t0 = time.perf_counter()
    problem = compile_problem(
        scenario_for(size, seed), strict=False, max_nodes_per_demand=size.max_nodes_per_demand
    )
    compile_s = time.perf_counter() - t0
    registry = default_registry()
    rows = []
    for name in size.methods:
        limit = size.time_limit_s * (4 if registry.info(name).kind == "bound" else 1)
        t1 = time.perf_counter()
        plan = registry.create(name, time_limit_s=limit, mip_gap=0.005).solve(problem, seed=seed)
        seconds = time.perf_counter() - t1
        ev = evaluate(problem, plan)
        plan = honest_status(plan, ev, registry.info(name).kind)
        rows.append(
            {
                "method": name,
                "kind": registry.info(name).kind,
                "status": str(plan.status),
                "feasible": bool(ev.feasible),
                "power_w": ev.power_w,
                "objective": plan.objective,
                "bound": plan.bound,
                "seconds": seconds,
                "slo_met": ev.slo_met_fraction,
            }
        )
        print(
            f"  {size.name} {name}: {plan.status} {ev.power_w:,.1f} W in {seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    bounds = [r["bound"] for r in rows if r["bound"] is not None]
    bound = max(bounds) if bounds else None
    for r in rows:
        ok = bound is not None and r["feasible"] and r["kind"] != "bound"
        r["gap"] = (r["power_w"] - bound) / r["power_w"] if ok else None
    compute = int(((problem.node_profile >= 0) & ~problem.node_always_on).sum())
    return {
        "size": size.name,
        "demands": problem.n_demands,
        "compute_nodes": compute,
        "variants": len(problem.variant_names),
        "candidates": problem.n_candidates,
        "unservable": len(problem.unservable),
        "compile_s": compile_s,
        "bound": bound,
        "max_nodes_per_demand": size.max_nodes_per_demand,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "methods": rows,
        "numpy": np.__version__,
    }


def print_size(record: dict[str, Any]) -> None:
    """A table of one size's results."""
    cap = record["max_nodes_per_demand"]
    print(
        f"\n{record['size']}: {record['demands']:,} demands x "
        f"{record['compute_nodes']:,} compute nodes, "
        f"{record['variants']} variants, {record['candidates']:,} candidates"
        + (f" (max {cap} nodes per demand)" if cap else "")
        + f"; compile {record['compile_s']:.1f} s; peak memory {record['peak_rss_gb']:.2f} GB"
    )
    bound = record["bound"]
    print(f"  best lower bound: {bound:,.1f} W" if bound is not None else "  no lower bound")
    print(
        f"  {'method':<16}{'kind':<11}{'status':<12}{'feasible':<9}"
        f"{'power W':>14}{'gap':>9}{'seconds':>9}"
    )
    for r in record["methods"]:
        gap = "" if r["gap"] is None else f"{r['gap']:.2%}"
        print(
            f"  {r['method']:<16}{r['kind']:<11}{r['status']:<12}"
            f"{'yes' if r['feasible'] else 'no':<9}"
            f"{r['power_w']:>14,.1f}{gap:>9}{r['seconds']:>9.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sizes, each in its own process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1k,20k,100k", help="comma-separated: " + ",".join(SIZES))
    ap.add_argument("--json", type=Path, dest="json_out", help="write the records as JSON")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_size(SIZES[args.one], args.seed), default=_jsonable))
        return 0
    records = []
    for name in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if name not in SIZES:
            ap.error(f"unknown size {name!r}; known: {', '.join(SIZES)}")
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{name}: failed\n{out.stderr[-3000:]}", file=sys.stderr)
            return 1
        record = json.loads(out.stdout.strip().splitlines()[-1])
        records.append(record)
        print_size(record)
    if args.json_out:
        args.json_out.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return 0


def _jsonable(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
