"""The k shortest paths of every (root, target) pair, as flat tables, and the routes a plan
chooses (routing as a decision, ``docs/routing.md``).

Paths run over the *core* graph of :mod:`slimplace.problem.routes` (folded leaves
removed; a flow from a folded leaf first crosses its leaf link, whatever its path).
Path 0 of every pair is the shortest path of the route tables (``Routes.pred``), so
that rank 0 is exactly today's fixed route; ranks 1..k-1 are the next shortest simple
paths by the same weight (propagation latency plus :data:`HOP_EPSILON_S` per hop), by
Yen's algorithm (Yen, "Finding the k shortest loopless paths in a network", Management
Science 17(11), 1971) as :func:`networkx.shortest_simple_paths` implements it.
This module depends on no compiled problem (see :mod:`slimplace.problem.routing`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.routes import HOP_EPSILON_S, Routes


@dataclass(frozen=True, slots=True, eq=False)
class PathTable:
    """Up to ``k`` paths of every (root row, target column) pair that some flow needs.

    ``pair_key`` (sorted) is ``row * n_cols + col``; the paths of pair i are
    ``pair_ptr[i]:pair_ptr[i + 1]``, shortest first (rank 0: the route tables' path).
    Path j crosses links ``step_link[path_ptr[j]:path_ptr[j + 1]]`` from the root on;
    ``step_forward`` says the path enters the link at its end ``a``. ``path_latency_s``
    and ``path_seconds_per_bit`` are sums over the path's links.
    """

    k: int
    n_cols: int
    pair_key: IntArray
    pair_ptr: IntArray
    path_rank: IntArray
    path_ptr: IntArray
    step_link: IntArray
    step_forward: BoolArray
    path_latency_s: FloatArray
    path_seconds_per_bit: FloatArray
    #: whether links without traffic sleep (``settings.link_sleep``)
    sleep: bool = True

    @property
    def n_paths(self) -> int:
        """Number of paths over all pairs."""
        return len(self.path_rank)


@dataclass(frozen=True, slots=True, eq=False)
class FlowRoutes:
    """The routes of a plan: flow (``demand``, ``node``) sends ``share`` of its demand's
    requests over its ``rank``-th shortest path (0: the fixed shortest path). A flow
    not listed takes its shortest path; a flow served at its source has no route."""

    demand: IntArray
    node: IntArray
    rank: IntArray
    share: FloatArray


def core_graph(
    routes: Routes, link_a: IntArray, link_b: IntArray, link_latency_s: FloatArray
) -> nx.Graph:
    """The core graph over route-table columns, one edge per node pair (the fastest of
    parallel links, as the route tables keep), with ``weight`` and ``link``."""
    g = nx.Graph()
    g.add_nodes_from(range(len(routes.cols)))
    lo, hi = routes.edge_key // routes.n_nodes, routes.edge_key % routes.n_nodes
    ca, cb = routes.col_of_node[lo], routes.col_of_node[hi]
    keep = (ca >= 0) & (cb >= 0)
    links = routes.edge_link[keep]
    weight = link_latency_s[links] + HOP_EPSILON_S
    g.add_weighted_edges_from(
        zip(ca[keep].tolist(), cb[keep].tolist(), weight.tolist(), strict=True)
    )
    for u, v, link in zip(ca[keep].tolist(), cb[keep].tolist(), links.tolist(), strict=True):
        g[u][v]["link"] = link
    return g


def build_path_table(
    routes: Routes,
    link_a: IntArray,
    link_b: IntArray,
    link_latency_s: FloatArray,
    link_bandwidth_bps: FloatArray,
    pair_key: IntArray,
    k: int,
) -> PathTable:
    """The ``k`` shortest paths of every pair ``pair_key`` (``row * n_cols + col``, sorted,
    the target never the root). One :func:`networkx.shortest_simple_paths` per pair;
    everything else is vectorized."""
    n_cols = len(routes.cols)
    rows, cols = pair_key // n_cols, pair_key % n_cols
    # rank 0: the route tables' path, from the predecessor matrix
    pair0, link0, from0 = routes.path_links(rows, routes.cols[cols])
    order = np.lexsort((-_depth_order(pair0), pair0))
    pair0, link0, from0 = pair0[order], link0[order], from0[order]
    graph = core_graph(routes, link_a, link_b, link_latency_s) if k > 1 else nx.Graph()
    root_col = routes.col_of_node[routes.roots]
    start0 = np.searchsorted(pair0, np.arange(len(pair_key) + 1))
    steps_link: list[IntArray] = []
    steps_from: list[IntArray] = []
    counts: list[int] = []
    ranks: list[int] = []
    for i in range(len(pair_key)):
        lo, hi = start0[i], start0[i + 1]
        steps_link.append(link0[lo:hi])
        steps_from.append(from0[lo:hi])
        counts.append(hi - lo)
        ranks.append(0)
        if k == 1:
            continue
        first = [*routes.col_of_node[from0[lo:hi]].tolist(), int(cols[i])]
        found = itertools.islice(
            nx.shortest_simple_paths(graph, int(root_col[rows[i]]), int(cols[i]), "weight"), k
        )
        extra = [path for path in found if path != first][: k - 1]
        for rank, path in enumerate(extra, start=1):
            u, v = path[:-1], path[1:]
            steps_link.append(np.array([graph[a][b]["link"] for a, b in zip(u, v, strict=True)]))
            steps_from.append(routes.cols[np.asarray(u, dtype=np.int64)])
            counts.append(len(u))
            ranks.append(rank)
    path_rank = np.asarray(ranks, dtype=np.int64)
    pair_of_path = np.cumsum(path_rank == 0) - 1
    pair_ptr = np.searchsorted(pair_of_path, np.arange(len(pair_key) + 1)).astype(np.int64)
    path_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    step_link = _cat(steps_link)
    step_from = _cat(steps_from)
    path_of_step = np.repeat(np.arange(len(counts)), counts)
    spb = np.where(np.isinf(link_bandwidth_bps), 0.0, 1.0 / link_bandwidth_bps)
    n_paths = len(counts)
    return PathTable(
        k=k,
        n_cols=n_cols,
        pair_key=np.asarray(pair_key, dtype=np.int64),
        pair_ptr=pair_ptr,
        path_rank=path_rank,
        path_ptr=path_ptr,
        step_link=step_link,
        step_forward=np.asarray(link_a[step_link] == step_from, dtype=bool),
        path_latency_s=np.bincount(
            path_of_step, weights=link_latency_s[step_link], minlength=n_paths
        ).astype(np.float64),
        path_seconds_per_bit=np.bincount(
            path_of_step, weights=spb[step_link], minlength=n_paths
        ).astype(np.float64),
    )


def _depth_order(pair: IntArray) -> IntArray:
    """Position of each entry of :meth:`Routes.path_links` within its pair, counted from
    the target (the walk goes target to root); reversing it gives root-to-target order."""
    if len(pair) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    start = np.searchsorted(sorted_pair, sorted_pair)
    pos = np.empty(len(pair), dtype=np.int64)
    pos[order] = np.arange(len(pair)) - start
    return pos


def _cat(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
