"""The accuracy a cut tensor's precision costs when the scenario does not say: the
figures measured by ``tools/split_cut_quality.py`` (:mod:`slimplace.split.cut_quality`)
and stored in ``data/split/cut_quality.csv``.

The default is the largest top-1 loss measured for the precision over every cut, data
set and seed (conservative: a cut tensor of a larger network may lose more than these
small CNNs, and docs/split.md says so). fp32 costs nothing.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

#: Where the default figures come from (cited by docs/split.md and the CLI).
SOURCE = (
    "measured by tools/split_cut_quality.py: SlimCNN on digits and mnist5k, "
    "per-tensor int8 / fp16 cut tensor after each stage (data/split/cut_quality.csv)"
)


@cache
def measured_losses() -> dict[str, float]:
    """The largest measured top-1 loss of each cut precision (``fp32``: 0)."""
    text = resources.files("slimplace.data").joinpath("split/cut_quality.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out = {"fp32": 0.0, "fp16": 0.0, "int8": 0.0}
    for r in rows:
        if r["kind"] != "cut":
            continue
        for precision in ("int8", "fp16"):
            out[precision] = max(out[precision], float(r[f"{precision}_loss"]))
    return out


def cut_accuracy_loss(precision: str, given: float | None) -> float:
    """The top-1 a cut tensor of ``precision`` costs: ``given``, else the measured one."""
    if given is not None:
        return float(given)
    return 0.0 if precision == "fp32" else measured_losses()[precision]


__all__ = ["SOURCE", "cut_accuracy_loss", "measured_losses"]
