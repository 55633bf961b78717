"""Solve OR-Library generalized assignment instances with slimplace's MILP and
compare with known optima (minimisation).

    python benchmarks/gap_orlib.py FILE... [--optima CSV] [--json OUT] [--time-limit S]

Each file is read by
:func:`slimplace.benchmarks.generalized_assignment.read_orlib_gap` (one instance,
or several with their count first), mapped onto a compiled placement problem
(:func:`slimplace.benchmarks.generalized_assignment.gap_problem`) and solved by the
``milp`` method of the default registry, the same code path as scenarios. The optima CSV has the
columns of ``bounds_min.csv`` (``Path`` and ``Optimum``; an instance matches
by the last part of ``Path``). Prints one line per instance and a summary.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

from slimplace.benchmarks.generalized_assignment import gap_problem, read_orlib_gap
from slimplace.errors import SlimplaceError
from slimplace.evaluate import evaluate
from slimplace.methods import default_registry


def read_optima(path: Path) -> dict[str, float]:
    """Known optimum per instance name (``Path`` column, last component)."""
    out: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            value = (row.get("Optimum") or "").strip()
            if value:
                out[Path(row["Path"]).name] = float(value)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if some instance misses its known optimum."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--optima", type=Path, help="CSV with Path and Optimum columns")
    ap.add_argument("--json", type=Path, dest="json_out", help="write results as a JSON list")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    args = ap.parse_args(argv)
    optima = read_optima(args.optima) if args.optima else {}
    registry = default_registry()
    rows = []
    print(f"{'instance':<14} {'value':>10} {'optimum':>10} {'gap':>9} {'seconds':>8}  status")
    for file in args.files:
        for inst in read_orlib_gap(file):
            problem = gap_problem(inst)
            solver = registry.create("milp", time_limit_s=args.time_limit, mip_gap=1e-6)
            t0 = time.perf_counter()
            plan = solver.solve(problem, seed=0)
            seconds = time.perf_counter() - t0
            ev = evaluate(problem, plan)
            value = ev.power_w if ev.feasible else math.nan
            optimum = optima.get(inst.name)
            gap = (value - optimum) / optimum if optimum and not math.isnan(value) else math.nan
            rows.append(
                {
                    "instance": inst.name,
                    "value": value,
                    "optimum": optimum,
                    "gap": gap,
                    "seconds": seconds,
                    "status": str(plan.status),
                }
            )
            opt = f"{optimum:10.0f}" if optimum is not None else f"{'-':>10}"
            print(
                f"{inst.name:<14} {value:10.1f} {opt} {gap:9.2%} {seconds:8.2f}  {plan.status}",
                flush=True,
            )
    known = [r for r in rows if r["optimum"] is not None]
    hit = [r for r in known if abs(r["value"] - r["optimum"]) <= 1e-6 * max(1.0, r["optimum"])]
    worst = max((r["seconds"] for r in rows), default=0.0)
    print(
        f"summary: {len(rows)} instance(s); {len(hit)}/{len(known)} at the known optimum; "
        f"{sum(r['status'] == 'optimal' for r in rows)} proven optimal; "
        f"max {worst:.2f} s, total {sum(r['seconds'] for r in rows):.1f} s"
    )
    if args.json_out:
        clean = [{k: _json_float(v) for k, v in r.items()} for r in rows]
        args.json_out.write_text(json.dumps(clean, indent=2) + "\n", encoding="utf-8")
    return 0 if len(hit) == len(known) else 1


def _json_float(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def _main_guarded() -> int:
    """:func:`main`, with bad input reported as a message naming the file and exit code 2."""
    try:
        return main()
    except SlimplaceError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_main_guarded())
