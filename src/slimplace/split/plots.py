"""Figures of split computing: energy and latency per cut point (the Neurosurgeon
figure, Kang et al., ASPLOS 2017, Fig. 7-8) and the chosen placement of every source
on the topology."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.figure import Figure

from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS, CutPrecision, ModelFamily
from slimplace.split.sweep import (
    ACCESS,
    CutResult,
    all_cuts_problem,
    cut_label,
    device_edge_cloud,
    evaluate_cuts,
)

_TIER_COLOURS = {"device": "#8dd3c7", "edge": "#80b1d3", "metro": "#bebada", "cloud": "#fb8072"}


def cut_sweep(
    family: ModelFamily,
    network: str,
    access: str,
    *,
    remote: str = "edge",
    rate_per_s: float = 1.0,
    precision: CutPrecision = "fp32",
) -> list[CutResult]:
    """Energy and latency of every placement of one request stream on the benchmark's
    continuum (:func:`slimplace.split.sweep.device_edge_cloud`, no SLO binding), in
    cut order: the whole model at ``remote``, each cut to ``remote``, the whole model on
    the device."""
    s = device_edge_cloud(
        family, network, access, rate_per_s=rate_per_s, slo_s=1e3, precision=precision
    )
    rows = evaluate_cuts(all_cuts_problem(s))
    whole = [r for r in rows if r.kind == "remote" and r.node == remote]
    cuts = [r for r in rows if r.kind == "split" and r.node == remote]
    device = [r for r in rows if r.kind == "device"]
    return whole + cuts + device


def cut_profile_figure(
    family: ModelFamily,
    network: str,
    *,
    accesses: Sequence[str] = tuple(ACCESS),
    rate_per_s: float = 1.0,
    precision: CutPrecision = "fp32",
    remote: str = "edge",
) -> Figure:
    """Energy per request and latency against the cut point, one line per access link."""
    fig, (ax_e, ax_l) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, layout="constrained")
    labels: list[str] = []
    for access in accesses:
        rows = cut_sweep(
            family, network, access, remote=remote, rate_per_s=rate_per_s, precision=precision
        )
        labels = labels or [_short(r) for r in rows]
        x = np.array([labels.index(_short(r)) for r in rows])
        bps = ACCESS[access][1]
        name = f"{access} {bps / 1e6:g} Mbit/s"
        energy = np.array([r.energy_j for r in rows])
        latency = np.array([r.latency_s * 1e3 for r in rows])
        ok = np.array([r.feasible for r in rows])
        line = ax_e.plot(x, energy, marker="o", ms=3, label=name)[0]
        ax_l.plot(x, latency, marker="o", ms=3, label=name, color=line.get_color())
        for ax, y in ((ax_e, energy), (ax_l, latency)):
            ax.plot(x[~ok], y[~ok], "x", ms=8, color=line.get_color())
        if ok.any():
            best = int(np.flatnonzero(ok)[np.argmin(energy[ok])])
            ax_e.plot([x[best]], [energy[best]], marker="*", ms=12, color="black")
    ax_e.set_yscale("log")
    ax_l.set_yscale("log")
    ax_e.set_ylabel("energy per request (J)")
    ax_l.set_ylabel("latency (ms)")
    ax_l.set_xticks(np.arange(len(labels)), labels, rotation=70, fontsize=7)
    ax_l.set_xlabel(f"placement: whole at {remote}, cut after block -> {remote}, whole on device")
    ax_e.legend(fontsize=8)
    ax_e.set_title(
        f"{network}, {precision} cut tensor, {rate_per_s:g} request/s\n"
        "star: least energy among feasible placements; x: infeasible (e.g. device overloaded)",
        fontsize=10,
    )
    return fig


def _short(r: CutResult) -> str:
    return {"remote": r.node, "device": "device"}.get(r.kind, r.cut)


def placement_map_figure(problem: CompiledProblem, plan: Plan, *, title: str = "") -> Figure:
    """The topology, nodes coloured by tier, each source labelled with where its
    requests go (``device``, ``NODE``, or ``CUT->NODE`` for a split)."""
    p = problem
    graph = nx.Graph()
    graph.add_nodes_from(range(p.n_nodes))
    graph.add_edges_from(zip(p.link_a.tolist(), p.link_b.tolist(), strict=True))
    pos = _layered(p)
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    colours = [_TIER_COLOURS[TIERS[t]] for t in p.node_tier]
    nx.draw_networkx(
        graph, pos, ax=ax, node_color=colours, labels=dict(enumerate(p.node_ids)), font_size=8
    )
    for d in range(p.n_demands):
        lo, hi = p.demand_ptr[d], p.demand_ptr[d + 1]
        used = [c for c in range(lo, hi) if plan.x[c] > 1e-6]
        text = ", ".join(f"{cut_label(p, c)} {plan.x[c]:.0%}" for c in used)
        src = int(p.demand_source[d])
        app = p.app_ids[p.demand_app[d]]
        x, y = pos[src]
        ax.annotate(
            f"{app}: {text}",
            (x, y),
            xytext=(0, -14 - 10 * _rank(p, d)),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
    ax.set_title(title or f"{p.scenario.name}: where each source's requests run")
    ax.axis("off")
    return fig


def _rank(p: CompiledProblem, d: int) -> int:
    """Position of demand ``d`` among the demands of its source (stacks their labels)."""
    same = np.flatnonzero(p.demand_source == p.demand_source[d])
    return int(np.searchsorted(same, d))


def _layered(p: CompiledProblem) -> dict[int, tuple[float, float]]:
    """Nodes in rows by tier (devices at the bottom), spread evenly in each row."""
    pos = {}
    for t in range(len(TIERS)):
        nodes = np.flatnonzero(p.node_tier == t)
        for i, v in enumerate(nodes):
            pos[int(v)] = (float(i - (len(nodes) - 1) / 2), float(t))
    return pos


__all__ = ["cut_profile_figure", "cut_sweep", "placement_map_figure"]
