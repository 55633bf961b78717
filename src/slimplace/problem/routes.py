"""Shortest routes, computed once, and path sums over them, vectorized.

Routes minimise propagation latency (ties broken by hop count) with Dijkstra
(:func:`scipy.sparse.csgraph.dijkstra`). Path sums of any per-link quantity
(latency, energy per bit, seconds per bit) follow from the predecessor matrix by
pointer jumping (Wyllie 1979; JaJa, *An Introduction to Parallel Algorithms*,
1992, sec. 3.1), so no Python loop runs over nodes or pairs.

Degree-one source nodes that serve nobody else (user devices hanging off an
antenna) are folded into their neighbour, the *root*: every path from such a
leaf starts with its one link. Routing then runs from the few roots over the
core graph only, and the tables have one column per *core* node (every node
that is not a folded leaf): with 10^5 devices on 10^3 antennas they stay
roots x core nodes instead of roots x all nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from slimplace.arrays import FloatArray, IntArray

#: Added per hop to routing weights: breaks latency ties by hop count and makes
#: zero-latency links real edges for the sparse graph routines.
HOP_EPSILON_S = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class Routes:
    """Shortest-path tables from each root to every core node (rows: roots, columns: ``cols``).

    ``cols`` lists the node of each column (every node but the folded leaves) and
    ``col_of_node`` maps a node to its column (-1 for a folded leaf).
    ``latency_s``, ``energy_j_per_bit`` and ``seconds_per_bit`` are sums over the
    links of the path (``inf`` where unreachable); ``pred`` is the *column* of
    the predecessor of each column's node on the path from the root (-1 at the
    root and where unreachable). ``source_root_row`` maps every node that is a
    traffic source to its root row; ``source_leaf_link`` is the link from a
    folded leaf to its root (-1 when the source is a root itself).
    """

    roots: IntArray
    cols: IntArray
    col_of_node: IntArray
    latency_s: FloatArray
    energy_j_per_bit: FloatArray
    seconds_per_bit: FloatArray
    hops: IntArray
    pred: IntArray
    edge_key: IntArray
    edge_link: IntArray
    n_nodes: int
    source_root_row: IntArray
    source_leaf_link: IntArray

    def link_between(self, u: IntArray, v: IntArray) -> IntArray:
        """Index of the link joining node pairs (u, v) (vectorized lookup)."""
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        key = lo * self.n_nodes + hi
        pos = np.searchsorted(self.edge_key, key)
        return self.edge_link[pos]

    def col(self, nodes: IntArray) -> IntArray:
        """Table columns of ``nodes``; raises if one is a folded leaf (it has none)."""
        out = self.col_of_node[nodes]
        if (out < 0).any():
            raise ValueError("folded leaf nodes have no column in the route tables")
        return out

    def path_links(self, rows: IntArray, targets: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Links on the paths root(rows) -> targets, as COO (pair index, link, from node).

        ``from node`` is the end the path enters the link from, needed to tell
        request traffic (root to target) from responses.
        """
        cur = self.col(targets.astype(np.int64))
        root_col = self.col_of_node[self.roots]
        pair = np.arange(len(targets), dtype=np.int64)
        out_pair, out_link, out_from = [], [], []
        active = cur != root_col[rows]
        while active.any():
            p, r, c = pair[active], rows[active], cur[active]
            parent = self.pred[r, c]
            ok = parent >= 0
            p, c, parent = p[ok], c[ok], parent[ok]
            out_pair.append(p)
            out_link.append(self.link_between(self.cols[parent], self.cols[c]))
            out_from.append(self.cols[parent])
            cur[p] = parent
            active = np.zeros(len(targets), dtype=bool)
            active[p] = cur[p] != root_col[rows[p]]
        if not out_pair:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(out_pair), np.concatenate(out_link), np.concatenate(out_from)


def _fold_leaves(
    n_nodes: int,
    link_a: IntArray,
    link_b: IntArray,
    sources: IntArray,
    is_target: npt.NDArray[np.bool_],
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Map each source to (root node, leaf link or -1); mark folded nodes."""
    degree = np.bincount(link_a, minlength=n_nodes) + np.bincount(link_b, minlength=n_nodes)
    is_source = np.zeros(n_nodes, dtype=bool)
    is_source[sources] = True
    foldable = is_source & (degree == 1) & ~is_target
    root_of = np.arange(n_nodes, dtype=np.int64)
    leaf_link = np.full(n_nodes, -1, dtype=np.int64)
    links = np.arange(len(link_a), dtype=np.int64)
    for end, other in ((link_a, link_b), (link_b, link_a)):
        hit = foldable[end] & ~foldable[other]
        root_of[end[hit]] = other[hit]
        leaf_link[end[hit]] = links[hit]
    folded = leaf_link >= 0
    return root_of, leaf_link, folded


def path_sums(pred: IntArray, edge_value: FloatArray) -> FloatArray:
    """Sum ``edge_value`` (the value of the link into each node) along every root path.

    Pointer jumping: val <- val + val[anc]; anc <- anc[anc] until every ancestor
    is a root, ceil(log2(depth)) rounds.
    """
    rows = np.arange(pred.shape[0])[:, None]
    anc = np.where(pred >= 0, pred, np.arange(pred.shape[1])[None, :])
    val = edge_value.copy()
    while True:
        nxt = anc[rows, anc]
        if np.array_equal(nxt, anc):
            return val
        val = val + val[rows, anc]
        anc = nxt


def compute_routes(
    n_nodes: int,
    link_a: IntArray,
    link_b: IntArray,
    link_latency_s: FloatArray,
    link_energy_j_per_bit: FloatArray,
    link_bandwidth_bps: FloatArray,
    sources: IntArray,
    is_target: npt.NDArray[np.bool_],
) -> Routes:
    """Shortest routes from every traffic source (through its root) to every node."""
    root_of, leaf_link, folded = _fold_leaves(n_nodes, link_a, link_b, sources, is_target)
    cols = np.flatnonzero(~folded).astype(np.int64)
    col_of_node = np.full(n_nodes, -1, dtype=np.int64)
    col_of_node[cols] = np.arange(len(cols))
    n_cols = len(cols)
    keep = ~(folded[link_a] | folded[link_b])
    a, b = col_of_node[link_a[keep]], col_of_node[link_b[keep]]
    weight = link_latency_s[keep] + HOP_EPSILON_S
    graph = csr_matrix(
        (np.concatenate([weight, weight]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(n_cols, n_cols),
    )
    graph.sum_duplicates()
    roots = np.unique(root_of[sources]).astype(np.int64)
    root_col = col_of_node[roots]
    _, pred32 = dijkstra(graph, directed=True, indices=root_col, return_predecessors=True)
    pred = np.where(pred32 < 0, -1, pred32).astype(np.int64)
    del pred32
    lo, hi = np.minimum(link_a, link_b), np.maximum(link_a, link_b)
    key = lo.astype(np.int64) * n_nodes + hi
    # keep the fastest of parallel links
    order = np.lexsort((link_latency_s, key))
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    edge_key, edge_link = key_sorted[first], order[first].astype(np.int64)
    empty_f, empty_i = np.empty((0, 0)), np.empty((0, 0), dtype=np.int64)
    routes = Routes(
        roots=roots,
        cols=cols,
        col_of_node=col_of_node,
        latency_s=empty_f,
        energy_j_per_bit=empty_f,
        seconds_per_bit=empty_f,
        hops=empty_i,
        pred=pred,
        edge_key=edge_key,
        edge_link=edge_link,
        n_nodes=n_nodes,
        source_root_row=np.empty(0, dtype=np.int64),
        source_leaf_link=np.empty(0, dtype=np.int64),
    )
    has = pred >= 0
    reach = has | (np.arange(n_cols)[None, :] == root_col[:, None])
    into = np.full(pred.shape, -1, dtype=np.int64)
    rr, cc = np.nonzero(has)
    into[rr, cc] = routes.link_between(cols[pred[rr, cc]], cols[cc])
    del rr, cc
    del has
    per_link = {
        "latency": link_latency_s,
        "energy": link_energy_j_per_bit,
        "spb": np.where(np.isinf(link_bandwidth_bps), 0.0, 1.0 / link_bandwidth_bps),
        "hops": np.ones(len(link_a)),
    }
    sums = {}
    for name, values in per_link.items():
        edge_value = np.where(into >= 0, values[np.maximum(into, 0)], 0.0)
        total = path_sums(pred, edge_value)
        sums[name] = np.where(reach, total, np.inf)
    row_of_root = np.full(n_nodes, -1, dtype=np.int64)
    row_of_root[roots] = np.arange(len(roots))
    return Routes(
        roots=roots,
        cols=cols,
        col_of_node=col_of_node,
        latency_s=sums["latency"],
        energy_j_per_bit=sums["energy"],
        seconds_per_bit=sums["spb"],
        hops=np.where(reach, sums["hops"], -1).astype(np.int64),
        pred=pred,
        edge_key=edge_key,
        edge_link=edge_link,
        n_nodes=n_nodes,
        source_root_row=row_of_root[root_of],
        source_leaf_link=leaf_link,
    )
