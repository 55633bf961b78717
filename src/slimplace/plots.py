"""Figures of the plan job: pure functions from results to a matplotlib Figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
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


def routes_figure(problem: CompiledProblem, plan: Plan, *, title: str = "") -> Figure:
    """The topology with the plan's links on and asleep (routing as a decision,
    ``docs/routing.md``): links carrying traffic solid, width by load; sleepable links
    without traffic dashed grey (asleep); links that cannot sleep thin black. Nodes at
    their scenario positions (longitude, latitude) where known, else a spring layout
    (networkx, seed 0); coloured by tier."""
    import networkx as nx
    import numpy as np

    from slimplace.problem.routing import can_sleep, plan_arc_loads_bps

    p = problem
    loads = plan_arc_loads_bps(p, plan.x, plan.routes) if len(p.link_a) else np.zeros(0)
    bps = loads[0::2] + loads[1::2]
    sleepable = can_sleep(p)
    g = nx.Graph()
    g.add_nodes_from(range(p.n_nodes))
    g.add_edges_from(zip(p.link_a.tolist(), p.link_b.tolist(), strict=True))
    given = {i: n.position for i, n in enumerate(p.scenario.nodes) if n.position is not None}
    if len(given) == p.n_nodes:
        pos = {i: (xy[1], xy[0]) for i, xy in given.items()}  # (lon, lat) on the axes
    else:
        pos = nx.spring_layout(g, seed=0, pos=given or None)
    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    width = 0.8 + 4.0 * bps / max(float(bps.max(initial=0.0)), 1e-300)
    edges = list(zip(p.link_a.tolist(), p.link_b.tolist(), strict=True))
    on = bps > 0
    groups = (
        (on, "solid", "#1f78b4", "on"),
        (~on & sleepable, "dashed", "#bbbbbb", "asleep"),
        (~on & ~sleepable, "solid", "#333333", "cannot sleep"),
    )
    for mask, style, colour, label in groups:
        idx = np.flatnonzero(mask)
        if len(idx):
            nx.draw_networkx_edges(
                g,
                pos,
                edgelist=[edges[i] for i in idx],
                width=[float(width[i]) if label == "on" else 0.8 for i in idx],
                style=style,
                edge_color=colour,
                ax=ax,
                label=f"{label} ({len(idx)})",
            )
    tiers = p.node_tier_names
    for tier in TIERS:
        nodes = [i for i in range(p.n_nodes) if tiers[i] == tier]
        if nodes:
            nx.draw_networkx_nodes(
                g, pos, nodelist=nodes, node_size=18, node_color=_COLOURS[tier], ax=ax, label=tier
            )
    ax.set_title(title or "links on and asleep")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_axis_off()
    return fig
