"""Held-out fidelity of the calibrated token-level LLM model against published speeds.

``python benchmarks/llm_fidelity.py --json`` prints one JSON line::

    {"devices": {NAME: {"mape_decode": M, "mape_prefill": P, "n": N, "n_prefill": NP}},
     "bandwidth_only": {NAME: {"mape_decode": M, "mape_prefill": null, "n": N}},
     "scored_under_20pct": K, "folds": 5, "repeats": 5, "seed": 0}

NAME is ``device / runtime`` (one calibration per device and inference engine);
MAPEs are fractions (0.1 = 10 %), ``null`` where a device has fewer than 5 points
(reported, not scored) or, for the bandwidth-only roofline, no spec bandwidth.
Without ``--json`` a table is printed.
"""

from __future__ import annotations

import argparse
import json

from slimplace.llm.calibrate import MIN_POINTS_SCORED, fidelity_by_group
from slimplace.llm.catalog import load_llm_catalog


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = load_llm_catalog()
    fid = fidelity_by_group(
        cat.speed, cat.models, cat.device_bandwidth_bps,
        folds=args.folds, repeats=args.repeats, seed=args.seed,
    )  # fmt: skip
    devices = {
        g: {
            "mape_decode": _round(f.mape_decode),
            "mape_prefill": _round(f.mape_prefill),
            "n": f.n,
            "n_prefill": f.n_prefill,
        }
        for g, f in fid.items()
    }
    baseline = {
        g: {"mape_decode": _round(f.mape_decode_bandwidth_only), "mape_prefill": None, "n": f.n}
        for g, f in fid.items()
    }
    scored = [f for f in fid.values() if f.n >= MIN_POINTS_SCORED and f.mape_decode is not None]
    out = {
        "devices": devices,
        "bandwidth_only": baseline,
        "scored_under_20pct": sum(1 for f in scored if f.mape_decode is not None and f.mape_decode < 0.2),
        "scored": len(scored),
        "folds": args.folds,
        "repeats": args.repeats,
        "seed": args.seed,
    }
    if args.json:
        print(json.dumps(out))
        return
    print(f"{'device / runtime':<95} {'n':>3} {'decode':>8} {'bw-only':>8} {'np':>3} {'prefill':>8}")
    for g, f in fid.items():
        cells = [f.mape_decode, f.mape_decode_bandwidth_only, f.mape_prefill]
        txt = ["-" if c is None else f"{100 * c:.1f}%" for c in cells]
        print(f"{g[:95]:<95} {f.n:>3} {txt[0]:>8} {txt[1]:>8} {f.n_prefill:>3} {txt[2]:>8}")


if __name__ == "__main__":
    main()
