"""The waterfall figure of ``slimplace explain``: the full plan's plan-dependent
objective, and what removing each lever in turn adds to it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from slimplace.explain import Explanation, format_value

_BASE = "#80b1d3"
_STEP = "#fb8072"
_TOTAL = "#bebada"


def waterfall_figure(explanation: Explanation) -> Figure:
    """Bars: the plan-dependent objective with every lever, then one floating bar per
    lever (the increase without it, stacked), then their sum. Levers with no feasible
    plan are shown as a labelled empty slot, never as a saving; levers that do not
    apply are left out. Savings are measured one lever at a time, so the sum is an
    indication of scale, not the objective with every lever removed."""
    ex = explanation
    labels = ["every lever"]
    bottoms = [0.0]
    heights = [ex.full.plan]
    colours = [_BASE]
    notes: list[tuple[int, str]] = []
    level = ex.full.plan
    for o in ex.levers:
        if o.status == "not-applicable":
            continue
        labels.append(f"no {o.name}")
        saving = ex.saving(o)
        if saving is None:
            bottoms.append(level)
            heights.append(0.0)
            colours.append(_STEP)
            notes.append((len(labels) - 1, f"no feasible plan\n({o.status})"))
            continue
        bottoms.append(level)
        heights.append(saving)
        colours.append(_STEP)
        notes.append((len(labels) - 1, f"+{format_value(saving)}"))
        level += saving
    labels.append("sum, one at a time")
    bottoms.append(0.0)
    heights.append(level)
    colours.append(_TOTAL)
    fig, ax = plt.subplots(figsize=(1.3 * len(labels) + 2.5, 4.5), layout="constrained")
    xs = list(range(len(labels)))
    ax.bar(xs, heights, bottom=bottoms, color=colours, edgecolor="white")
    ax.annotate(format_value(ex.full.plan), (0, ex.full.plan), ha="center", va="bottom", fontsize=8)
    for i, text in notes:
        top = bottoms[i] + heights[i]
        ax.annotate(text, (i, top), ha="center", va="bottom", fontsize=8)
    if not ex.feasible:
        ax.text(
            0.5,
            0.9,
            f"the full plan is not feasible ({ex.status}): no saving is stated",
            transform=ax.transAxes,
            ha="center",
            color="red",
        )
    ax.set_xticks(xs, labels, rotation=20)
    ax.set_ylim(0, max(level, ex.full.plan) * 1.15 or 1.0)
    ax.set_ylabel(f"plan-dependent {ex.objective} ({ex.unit})")
    ax.set_title(
        f"{ex.scenario}: what each lever buys ({ex.method}, {ex.objective}; "
        f"fixed {format_value(ex.full.fixed)} {ex.unit} not shown)",
        fontsize=10,
    )
    return fig
