"""Held-out fidelity of the calibrated token-level LLM model against published speeds.

``python benchmarks/llm_fidelity.py --json`` prints one JSON line::

    {"devices": {NAME: {"mape_decode": M, "mape_prefill": P, "mape_decode_leave_model_out": L,
                        "n": N, "n_prefill": NP}},
     "bandwidth_only": {NAME: {"mape_decode": M, "mape_prefill": null, "n": N}},
     "scored_under_20pct": K, "devices_under_20pct": D, "scored": S,
     "folds": 5, "repeats": 5, "seed": 0}

NAME is ``device / runtime`` (one calibration per device and inference engine);
MAPEs are fractions (0.1 = 10 %), ``null`` where a device has fewer than 5 points
(reported, not scored) or, for the bandwidth-only roofline, no spec bandwidth.
``mape_decode_leave_model_out`` holds out each model (all its quantizations and
repeats) in turn: stricter than k-fold, ``null`` where a device saw one model.
Without ``--json`` a table is printed.
"""

from __future__ import annotations

import argparse
import json

from slimplace.llm.calibrate import (
    MIN_POINTS_SCORED,
    bandwidth_efficiency,
    fidelity_by_group,
    fit_groups,
)
from slimplace.llm.catalog import LlmCatalog, load_llm_catalog


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _print_fits(cat: LlmCatalog) -> None:
    """Fitted effective bandwidth, efficiency, overheads and prefill rate of scored groups."""
    fits = fit_groups(cat.speed, cat.models, cat.quantizations)
    head = ["n", "BW GB/s", "eff", "t0 ms", "deq ps/w", "R TFLOP/s", "R8"]
    print(f"{'device / runtime':<80}" + "".join(f"{h:>10}" for h in head))
    for group, fit in fits.items():
        if fit.n_decode < MIN_POINTS_SCORED:
            continue
        spec = cat.device_bandwidth_bps.get(group.split(" / ")[0])
        eff = "-" if spec is None else f"{bandwidth_efficiency(fit, spec):.2f}"
        r8 = "-" if fit.int8_flops_per_s is None else f"{fit.int8_flops_per_s / 1e12:.2f}"
        cells = [
            str(fit.n_decode), f"{fit.memory_bandwidth_bps / 1e9:.0f}", eff,
            f"{1e3 * fit.decode_overhead_s:.2f}", f"{1e12 * fit.dequant_s_per_param:.2f}",
            f"{fit.flops_per_s / 1e12:.2f}", r8,
        ]  # fmt: skip
        print(f"{group[:80]:<80}" + "".join(f"{c:>10}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fits", action="store_true", help="print the fitted parameters")
    args = parser.parse_args()
    cat = load_llm_catalog()
    if args.fits:
        _print_fits(cat)
        return
    fid = fidelity_by_group(
        cat.speed, cat.models, cat.quantizations, cat.device_bandwidth_bps,
        folds=args.folds, repeats=args.repeats, seed=args.seed,
    )  # fmt: skip
    devices = {
        g: {
            "mape_decode": _round(f.mape_decode),
            "mape_prefill": _round(f.mape_prefill),
            "mape_decode_leave_model_out": _round(f.mape_decode_leave_model_out),
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
    good = [g for g, f in fid.items() if f.mape_decode is not None and f.mape_decode < 0.2]
    out = {
        "devices": devices,
        "bandwidth_only": baseline,
        "scored_under_20pct": len(good),
        "devices_under_20pct": len({g.split(" / ")[0] for g in good}),
        "scored": len(scored),
        "folds": args.folds,
        "repeats": args.repeats,
        "seed": args.seed,
    }
    if args.json:
        print(json.dumps(out))
        return
    head = ["n", "decode", "by-model", "bw-only", "np", "prefill"]
    print(f"{'device / runtime':<80}" + "".join(f"{h:>9}" for h in head))
    for g, f in fid.items():
        cells = [
            f.mape_decode, f.mape_decode_leave_model_out, f.mape_decode_bandwidth_only,
        ]  # fmt: skip
        txt = ["-" if c is None else f"{100 * c:.1f}%" for c in cells]
        pre = "-" if f.mape_prefill is None else f"{100 * f.mape_prefill:.1f}%"
        row = [str(f.n), *txt, str(f.n_prefill), pre]
        print(f"{g[:80]:<80}" + "".join(f"{c:>9}" for c in row))


if __name__ == "__main__":
    main()
