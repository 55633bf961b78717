"""Width: the slimmable network at each trained width and at calibrated in-between widths.

Trained widths have their own batch norm (switchable BN); the other widths
get post-training batch-norm statistics (US-Nets, Yu & Huang, ICCV 2019,
sec. 3.3). Each candidate is the plain network extracted at that width (what a server
runs); they all share one set of weights and switch without a reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slimplace.profiling.slimmable import calibrate_width, extract, trained_widths, widths_of
from slimplace.profiling.techniques.base import Candidate, Workbench


def width_name(width: float) -> str:
    """Candidate name of a width (``width-0.5``)."""
    return f"width-{width:g}"


@dataclass(frozen=True)
class WidthTechnique:
    """Serve the slimmable network at ``calibrated`` widths besides the trained ones."""

    calibrated: Sequence[float] = (0.375, 0.625)
    name: str = "width"

    def build(self, bench: Workbench) -> list[Candidate]:
        """One candidate per width not built yet (none without a slimmable network)."""
        slim = bench.slim
        if slim is None:
            return []
        trained = trained_widths(slim)
        images = bench.data.x_train
        out = []
        for w in sorted({*trained, *self.calibrated}):
            if bench.find(width_name(w)) is not None:
                continue
            new = w not in trained
            if new and w not in widths_of(slim):
                calibrate_width(slim, w, images)
            note = "untrained width, BN statistics calibrated" if new else "trained width"
            out.append(
                Candidate(
                    width_name(w),
                    self.name,
                    "width",
                    extract(slim, w),
                    width=w,
                    setting=w,
                    shared=True,
                    note=note,
                )
            )
        return out


__all__ = ["WidthTechnique", "width_name"]
