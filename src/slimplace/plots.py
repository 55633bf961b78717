"""Figures of the plan job: pure functions from results to a matplotlib Figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from slimplace.scenario.model import TIERS
from slimplace.solve import Result

_COLOURS = {
    "device": "#8dd3c7",
    "edge": "#80b1d3",
    "metro": "#bebada",
    "cloud": "#fb8072",
    "network": "#fdb462",
}


def energy_breakdown_figure(results: Sequence[Result], *, title: str = "") -> Figure:
    """Stacked bars per method: static (hatched) and dynamic power of each tier, and network."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(results) + 2), 4.5), layout="constrained")
    names = [r.method for r in results]
    bottom = [0.0] * len(results)
    for tier in (*TIERS, "network"):
        for part, hatch in (("static", "//"), ("dynamic", None)):
            values = [r.evaluation.power_by_tier[tier][part] / 1e3 for r in results]
            if not any(values):
                continue
            ax.bar(
                names,
                values,
                bottom=bottom,
                color=_COLOURS[tier],
                hatch=hatch,
                edgecolor="white",
                label=f"{tier} {part}" if tier != "network" else "network",
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for i, r in enumerate(results):
        if not r.evaluation.feasible:
            ax.annotate(
                "infeasible", (i, bottom[i]), ha="center", va="bottom", fontsize=8, color="red"
            )
    ax.set_ylabel("average power (kW)")
    ax.set_title(title or "power by tier and kind")
    ax.tick_params(axis="x", rotation=30)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
