"""Decode batch assumed by the compile against decode batch chosen by the MILP (llm-edge).

``python benchmarks/llm_batching.py [SCENARIO] [--json]``: the MILP on the compiled
problem (each generation pair at the largest batch the application's whole traffic can
fill; the evaluator rejects a plan whose node traffic does not fill it) and on
:func:`slimplace.llm.decode_candidates.with_decode_batches` (one candidate per admissible
batch, the power-modes machinery's ``fill`` rows keeping a batch only where the node's
traffic fills it), both checked by the evaluator, plan-dependent power.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from slimplace.llm.decode_candidates import with_decode_batches
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.solve import solve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "llm-edge.yaml"


def _run(p: CompiledProblem) -> dict[str, object]:
    t0 = time.perf_counter()
    best = solve(p, "milp")
    e = best.evaluation
    used = np.flatnonzero(best.plan.x > 1e-9)
    batches = sorted(
        {
            (
                p.node_ids[p.cand_node[c]],
                p.variant_names[p.cand_variant[c]].split("/")[-1],
                int(p.cand_decode_batch[c]),
            )
            for c in used
            if p.cand_decode_batch[c] > 1
        }
    )
    return {
        "candidates": p.n_candidates,
        "plan_w": round(e.plan_w, 1) if e.feasible else None,
        "feasible": e.feasible,
        "violations": sorted({v.kind for v in e.violations}),
        "status": str(best.plan.status),
        "seconds": round(time.perf_counter() - t0, 2),
        "batches": [f"{n}/{v}: {b}" for n, v, b in batches],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(EXAMPLE))
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    p = compile_problem(load_scenario(args.scenario))
    out = {"assumed": _run(p), "chosen": _run(with_decode_batches(p))}
    if args.json:
        print(json.dumps(out))
        return
    for name, r in out.items():
        print(f"{name}:")
        for key, value in r.items():
            print(f"  {key:12s} {value}")


if __name__ == "__main__":
    main()
