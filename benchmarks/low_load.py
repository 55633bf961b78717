"""Heuristic plans at a share of the peak rates, against the exact one and a lower bound.

    python benchmarks/low_load.py SCENARIO [SCENARIO ...] [--shares 1,0.5,0.2,0.05]
        [--methods greedy,milp] [--time-limit 30] [--json OUT]

Every scenario is compiled once and rescaled to each share ``f`` of its sources' rates
(:func:`slimplace.problem.rates.at_rates`, device radio recomputed at the new rates).
Per scenario, share and method: the plan-dependent power (``evaluate(...).plan_w``), the
static power of the servers switched on, the switchable nodes left on, the violations
the evaluator finds and the seconds of the solve; per scenario and share the capacitated
facility-location lower bound of :func:`slimplace.sim.bounds.capacity_lower_bound_w`
(its linear relaxation, 5-minute steps). ``methods``: names of the default registry, each
created with ``time_limit_s``. Timings are wall-clock on whatever machine runs this:
note its load. Imported topologies first, e.g.
``slimplace import sndlib:polska -o /tmp/polska.yaml``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from slimplace.errors import SlimplaceError
from slimplace.problem.compile import compile_problem
from slimplace.problem.rates import at_rates
from slimplace.scenario.io import load_scenario


def run(
    scenarios: list[Path], shares: list[float], methods: list[str], time_limit_s: float
) -> list[dict[str, Any]]:
    """One record per scenario, share and method (module docstring)."""
    from slimplace.energy.accounting import switchable
    from slimplace.evaluate import evaluate
    from slimplace.methods import default_registry
    from slimplace.sim.bounds import capacity_lower_bound_w

    registry = default_registry()
    for name in methods:  # unknown names fail before any solve
        registry.info(name)
    rows: list[dict[str, Any]] = []
    for path in scenarios:
        base = compile_problem(load_scenario(path))
        for f in shares:
            rate = base.demand_rate_per_s * f
            problem = at_rates(base, rate)
            bound = capacity_lower_bound_w(problem, rate, step_s=300.0)
            for name in methods:
                t0 = time.perf_counter()
                plan = registry.create(name, time_limit_s=time_limit_s).solve(problem, seed=0)
                seconds = time.perf_counter() - t0
                ev = evaluate(problem, plan)
                on = np.asarray(plan.servers_on)
                row = {
                    "scenario": path.stem,
                    "share": f,
                    "method": name,
                    "plan_w": ev.plan_w,
                    "bound_w": bound,
                    "servers_static_w": ev.breakdown_w["servers_static"],
                    "switchable_nodes_on": int((switchable(problem) & (on > 0)).sum()),
                    "violations": list(ev.violations),
                    "seconds": seconds,
                }
                rows.append(row)
                print(
                    f"{path.stem} f={f:g} {name}: plan {ev.plan_w:,.1f} W (bound {bound:,.1f}; "
                    f"servers static {row['servers_static_w']:,.1f} W, "
                    f"{row['switchable_nodes_on']} switchable nodes on) "
                    f"in {seconds:.2f} s{'; VIOLATES' if ev.violations else ''}",
                    flush=True,
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", type=Path, nargs="+")
    ap.add_argument("--shares", default="1,0.5,0.2,0.05")
    ap.add_argument("--methods", default="greedy,milp")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--json", type=Path, default=None, help="write the records here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        shares = [float(s) for s in args.shares.split(",") if s.strip()]
    except ValueError:
        print(
            f"error: --shares must be numbers separated by commas: {args.shares}", file=sys.stderr
        )
        return 2
    if not shares or not all(s > 0 for s in shares):
        print(f"error: --shares must be positive: {args.shares}", file=sys.stderr)
        return 2
    try:
        rows = run(
            args.scenarios,
            shares,
            [m.strip() for m in args.methods.split(",") if m.strip()],
            args.time_limit,
        )
    except (SlimplaceError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
