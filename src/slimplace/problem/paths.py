"""The k shortest paths of every (root, target) pair, as flat tables, and the routes a plan
chooses (routing as a decision, ``docs/routing.md``).

Paths run over the *core* graph of :mod:`slimplace.problem.routes` (folded leaves
removed; a flow from a folded leaf first crosses its leaf link, whatever its path).
Path 0 of every pair is the shortest path of the route tables (``Routes.pred``), so
that rank 0 is exactly today's fixed route; ranks 1..k-1 are the next shortest simple
paths by the same weight (propagation latency plus :data:`HOP_EPSILON_S` per hop), by
Yen's algorithm (Yen, "Finding the k shortest loopless paths in a network", Management
Science 17(11), 1971) over a reduced graph (:func:`k_shortest_paths`): the same paths
in the same order as :func:`networkx.shortest_simple_paths` per pair, equal costs
ordered by node sequence read from the target.
This module depends on no compiled problem (see :mod:`slimplace.problem.routing`).
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.routes import HOP_EPSILON_S, Routes

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # networkx is imported only when paths are built (k_paths > 1)
    import networkx as nx


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
    parallel links, as the route tables keep), with ``weight`` and ``link`` (networkx;
    for inspection and as the tests' reference, the table uses :func:`core_graph_arrays`)."""
    import networkx as nx

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


@dataclass(frozen=True, slots=True, eq=False)
class CoreGraph:
    """The core graph as arrays: ``n`` nodes (route-table columns), one undirected edge
    (``a``, ``b``) per node pair with routing weight ``weight_s`` (propagation latency of
    the fastest parallel link plus :data:`HOP_EPSILON_S`), as :func:`core_graph` builds."""

    n: int
    a: IntArray
    b: IntArray
    weight_s: FloatArray


def core_graph_arrays(routes: Routes, link_latency_s: FloatArray) -> CoreGraph:
    """:func:`core_graph` as arrays (no networkx)."""
    lo, hi = routes.edge_key // routes.n_nodes, routes.edge_key % routes.n_nodes
    ca, cb = routes.col_of_node[lo], routes.col_of_node[hi]
    keep = (ca >= 0) & (cb >= 0)
    weight = link_latency_s[routes.edge_link[keep]] + HOP_EPSILON_S
    return CoreGraph(len(routes.cols), ca[keep], cb[keep], np.asarray(weight, dtype=np.float64))


def integer_weights(weight_s: FloatArray) -> IntArray:
    """Routing weights as integers in a unit of 10^-12 s (coarser by powers of ten if the
    sum of all weights would pass 2^52), so that path costs are exact sums and equal-cost
    ties are exact (the float sums of :func:`networkx.shortest_simple_paths` depend on
    the order of addition)."""
    unit = 1e-12
    total = float(np.sum(weight_s)) if len(weight_s) else 0.0
    while total / unit > 2.0**52:
        unit *= 10.0
    return np.rint(np.asarray(weight_s) / unit).astype(np.int64)


class _Trees:
    """Canonical shortest-path trees of a graph with some nodes and edges blocked.

    Distances come from :func:`scipy.sparse.csgraph.dijkstra` (Dijkstra 1959) on
    integer weights, exact in float64 below 2^53; the tree keeps for every node the
    *smallest* node among its tight predecessors (``d[u] + w(u, v) == d[v]``), so the
    tree path to v is, among v's shortest paths, the one whose node sequence read from
    v back to the source is lexicographically smallest."""

    def __init__(self, n: int, a: IntArray, b: IntArray, w: IntArray) -> None:
        u, v = np.concatenate([a, b]), np.concatenate([b, a])
        ww = np.concatenate([w, w]).astype(np.float64)
        order = np.lexsort((v, u))
        self.n = n
        self.u, self.v, self.w = u[order], v[order], ww[order]
        self.ptr = np.searchsorted(self.u, np.arange(n + 1)).astype(np.int64)
        key = self.u * n + self.v
        self.rev = np.searchsorted(key, self.v * n + self.u)
        self.index = dict(zip(key.tolist(), range(len(key)), strict=True))
        self.cost = dict(zip(key.tolist(), (int(x) for x in self.w.tolist()), strict=True))
        self.neighbours: list[list[int]] = [
            self.v[self.ptr[i] : self.ptr[i + 1]].tolist() for i in range(n)
        ]
        # the same edges by (v, u): the first tight edge into v has the smallest u
        self.by_v = np.lexsort((self.u, self.v))
        self.vu_u, self.vu_v = self.u[self.by_v], self.v[self.by_v]
        self.graph = csr_matrix((self.w.copy(), self.v, self.ptr), shape=(n, n))
        self.to_target: dict[int, list[float]] = {}
        self.n_trees = 0

    def tree(
        self, src: int, blocked_nodes: frozenset[int], blocked_next: frozenset[int]
    ) -> tuple[list[float], list[int]]:
        """Distances and canonical predecessors from ``src`` with the nodes
        ``blocked_nodes`` and the edges (src, x), x in ``blocked_next``, removed."""
        self.n_trees += 1
        data = self.graph.data
        data[:] = self.w
        if blocked_nodes:
            mask = np.zeros(self.n, dtype=bool)
            mask[list(blocked_nodes)] = True
            data[mask[self.u] | mask[self.v]] = np.inf
        for x in blocked_next:
            i = self.index[src * self.n + x]
            data[i] = np.inf
            data[self.rev[i]] = np.inf
        dist = np.asarray(dijkstra(self.graph, indices=src), dtype=np.float64)
        w = data[self.by_v]
        du = dist[self.vu_u]
        tight = (du + w == dist[self.vu_v]) & np.isfinite(w) & np.isfinite(du)
        pred = np.full(self.n, -1, dtype=np.int64)
        vt, ut = self.vu_v[tight], self.vu_u[tight]
        first = np.ones(len(vt), dtype=bool)
        first[1:] = vt[1:] != vt[:-1]
        pred[vt[first]] = ut[first]
        return dist.tolist(), pred.tolist()

    def yen(self, src: int, targets: list[int], k: int) -> dict[int, list[tuple[int, ...]]]:
        """The ``k`` shortest simple paths from ``src`` to each of ``targets``, by Yen's
        algorithm (Yen 1971) with candidates ordered by (cost, node sequence read from
        the target back) and spur paths from :meth:`tree`. Spur trees are shared by
        every target whose spur has the same spur node, blocked nodes and blocked edges
        (one tree serves all targets), which is where the time goes."""
        cache: dict[tuple[int, frozenset[int], frozenset[int]], tuple[list[float], list[int]]]
        cache = {}

        def spur_tree(
            node: int, blocked: frozenset[int], nxt: frozenset[int]
        ) -> tuple[list[float], list[int]]:
            key = (node, blocked, nxt)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = self.tree(node, blocked, nxt)
            return hit

        dist0, pred0 = spur_tree(src, frozenset(), frozenset())
        out: dict[int, list[tuple[int, ...]]] = {}
        for t in targets:
            if t == src:
                out[t] = [(src,)]
                continue
            if not np.isfinite(dist0[t]):
                out[t] = []
                continue
            found = [_walk(pred0, src, t)]
            seen = {found[0]}
            heap: list[tuple[int, tuple[int, ...], tuple[int, ...]]] = []
            to_t = self.distances_to(t)
            while len(found) < k:
                path = found[-1]
                need = k - len(found)
                prefix_cost = 0
                for i in range(len(path) - 1):
                    root = path[: i + 1]
                    nxt = frozenset(q[i + 1] for q in found if q[: i + 1] == root)
                    # a spur leaves path[i] by an edge not blocked, then goes at least the
                    # unblocked distance: skip it when `need` candidates are already
                    # strictly cheaper than that (they are taken first, exact)
                    if len(heap) >= need:
                        u = path[i]
                        bound = heapq.nsmallest(need, heap)[-1][0] if need > 1 else heap[0][0]
                        step = min(
                            (
                                self.cost[u * self.n + x] + to_t[x]
                                for x in self.neighbours[u]
                                if x not in nxt and x not in root
                            ),
                            default=np.inf,
                        )
                        if prefix_cost + step > bound:
                            prefix_cost += self.cost[u * self.n + path[i + 1]]
                            continue
                    dist, pred = spur_tree(path[i], frozenset(root[:-1]), nxt)
                    if np.isfinite(dist[t]):
                        cand = root[:-1] + _walk(pred, path[i], t)
                        if cand not in seen:
                            seen.add(cand)
                            cost = prefix_cost + int(dist[t])
                            heapq.heappush(heap, (cost, cand[::-1], cand))
                    prefix_cost += self.cost[path[i] * self.n + path[i + 1]]
                if not heap:
                    break
                found.append(heapq.heappop(heap)[2])
            out[t] = found
        return out

    def distances_to(self, t: int) -> list[float]:
        """Unblocked distance of every node to ``t`` (the graph is undirected), cached:
        the lower bound of the spur costs that :meth:`yen` uses to skip spurs."""
        hit = self.to_target.get(t)
        if hit is None:
            hit = self.to_target[t] = self.tree(t, frozenset(), frozenset())[0]
        return hit


def k_shortest_paths(
    graph: CoreGraph, src: IntArray, dst: IntArray, k: int
) -> list[list[tuple[int, ...]]]:
    """The first ``k`` simple paths (node sequences) from ``src[i]`` to ``dst[i]`` in
    order of cost, equal costs in order of the node sequence read from the target back.

    Exact reductions, so that Yen's algorithm runs on a small graph and few sources:

    * a node whose only way out is a chain of degree-two nodes (an access node or a
      server hanging off the backbone, :func:`_chain`) reaches everything off the chain
      through the chain's end, so the paths of (s, t) are s's chain, a path between the
      two chain ends and t's chain reversed: Yen runs once per distinct *ingress* (end
      of a source's chain) with the union of its *egress* targets;
    * nodes of degree one that are no chain end lie on no simple path between chain
      ends and are removed, repeatedly, before the search (numbering kept in order);
    * spur trees are shared by all targets of an ingress (:meth:`_Trees.yen`).

    Costs are the integer weights of :func:`integer_weights`, so adding the chains
    keeps the order. Without equal-cost ties the order is that of
    :func:`networkx.shortest_simple_paths` (Yen 1971) on the whole graph."""
    t0 = time.perf_counter()
    keep = graph.a != graph.b
    a, b = graph.a[keep], graph.b[keep]
    w = integer_weights(graph.weight_s[keep])
    nb = _neighbours(graph.n, a, b)
    chains: dict[int, list[int]] = {}

    def chain_of(x: int) -> list[int]:
        hit = chains.get(x)
        if hit is None:
            hit = chains[x] = _chain(nb, x)
        return hit

    direct: dict[int, tuple[int, ...]] = {}
    ends: list[tuple[int, int, int, tuple[int, ...], tuple[int, ...]]] = []
    by_ingress: dict[int, set[int]] = {}
    for i, (s, t) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
        cs, ct = chain_of(s), chain_of(t)
        if t in cs:
            direct[i] = tuple(cs[: cs.index(t) + 1])
        elif s in ct:
            direct[i] = tuple(reversed(ct[: ct.index(s) + 1]))
        else:
            ends.append((i, cs[-1], ct[-1], tuple(cs[:-1]), tuple(reversed(ct[:-1]))))
            by_ingress.setdefault(cs[-1], set()).add(ct[-1])
    protected = np.zeros(graph.n, dtype=bool)
    for e, ts in by_ingress.items():
        protected[e] = True
        protected[list(ts)] = True
    alive = _prune(graph.n, a, b, protected)
    new_id = np.cumsum(alive) - 1  # increasing: the tie-break order is kept
    old_id = np.flatnonzero(alive).tolist()
    on = alive[a] & alive[b]
    trees = _Trees(int(alive.sum()), new_id[a[on]], new_id[b[on]], w[on])
    found: dict[int, dict[int, list[tuple[int, ...]]]] = {}
    for e, ts in by_ingress.items():
        targets = sorted(int(new_id[t]) for t in ts)
        paths = trees.yen(int(new_id[e]), targets, k)
        found[e] = {
            old_id[t]: [tuple(old_id[x] for x in path) for path in ps] for t, ps in paths.items()
        }
    out: list[list[tuple[int, ...]]] = [[] for _ in range(len(src))]
    for i, path in direct.items():
        out[i] = [path]
    for i, e, et, head, tail in ends:
        out[i] = [head + path + tail for path in found[e][et]]
    log.debug(
        "k=%d shortest paths of %d pairs: %d ingresses, %d of %d nodes searched, %d spur "
        "trees, %.2fs",
        k,
        len(src),
        len(by_ingress),
        trees.n,
        graph.n,
        trees.n_trees,
        time.perf_counter() - t0,
    )
    return out


def _neighbours(n: int, a: IntArray, b: IntArray) -> list[list[int]]:
    u, v = np.concatenate([a, b]), np.concatenate([b, a])
    order = np.lexsort((v, u))
    ptr = np.searchsorted(u[order], np.arange(n + 1)).tolist()
    vs = v[order].tolist()
    return [vs[ptr[i] : ptr[i + 1]] for i in range(n)]


def _chain(nb: list[list[int]], node: int) -> list[int]:
    """The forced start of every path from ``node``: from a node of degree one, the walk
    has one way on while it sits on nodes of degree two; it stops at the first node of
    another degree (the chain's end). Every simple path from ``node`` to a node off the
    chain begins with the chain, which is a dead end behind its end; ``[node]`` when
    ``node`` has another degree than one."""
    chain = [node]
    if len(nb[node]) != 1:
        return chain
    prev, cur = -1, node
    while True:
        ahead = [x for x in nb[cur] if x != prev]
        if len(ahead) != 1:
            return chain
        prev, cur = cur, ahead[0]
        chain.append(cur)
        if len(nb[cur]) != 2:
            return chain


def _prune(n: int, a: IntArray, b: IntArray, protected: BoolArray) -> BoolArray:
    """Nodes left after removing, repeatedly, unprotected nodes of degree one or zero:
    no simple path between two protected nodes passes through a removed node."""
    alive = np.ones(n, dtype=bool)
    while True:
        on = alive[a] & alive[b]
        deg = np.bincount(a[on], minlength=n) + np.bincount(b[on], minlength=n)
        drop = alive & ~protected & (deg <= 1)
        if not drop.any():
            return alive
        alive &= ~drop


def _walk(pred: list[int], src: int, t: int) -> tuple[int, ...]:
    path = [t]
    while t != src:
        t = pred[t]
        path.append(t)
    return tuple(reversed(path))


def _ranges(lo: IntArray, hi: IntArray) -> IntArray:
    """Concatenation of ``arange(lo[i], hi[i])`` (vectorized)."""
    n = hi - lo
    if n.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return start + np.arange(int(n.sum()))


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
    the target never the root): rank 0 from the route tables, ranks 1..k-1 the first
    ``k`` paths of :func:`k_shortest_paths` other than rank 0. The step tables are built
    from flat arrays (no loop over pairs)."""
    n_cols = len(routes.cols)
    rows, cols = pair_key // n_cols, pair_key % n_cols
    # rank 0: the route tables' path, from the predecessor matrix
    pair0, link0, from0 = routes.path_links(rows, routes.cols[cols])
    order = np.lexsort((-_depth_order(pair0), pair0))
    pair0, link0, from0 = pair0[order], link0[order], from0[order]
    start0 = np.searchsorted(pair0, np.arange(len(pair_key) + 1))
    count0 = np.diff(start0)
    # ranks 1..k-1: node sequences (core columns) of the extra paths, flat
    ex_pair: list[int] = []
    ex_rank: list[int] = []
    ex_nodes: list[int] = []
    ex_len: list[int] = []
    if k > 1 and len(pair_key):
        root_col = routes.col_of_node[routes.roots]
        found = k_shortest_paths(core_graph_arrays(routes, link_latency_s), root_col[rows], cols, k)
        col0 = routes.col_of_node[from0].tolist()
        starts = start0.tolist()
        for i, paths in enumerate(found):
            first = (*col0[starts[i] : starts[i + 1]], int(cols[i]))
            extra = [path for path in paths if path != first][: k - 1]
            for rank, path in enumerate(extra, start=1):
                ex_pair.append(i)
                ex_rank.append(rank)
                ex_nodes.extend(path)
                ex_len.append(len(path))
    nodes = np.asarray(ex_nodes, dtype=np.int64)
    n_steps_ex = np.asarray(ex_len, dtype=np.int64) - 1
    # consecutive node pairs of every extra path: drop each path's last node as a "from"
    last = np.cumsum(np.asarray(ex_len, dtype=np.int64)) - 1
    is_from = np.ones(len(nodes), dtype=bool)
    is_from[last] = False
    frm, to = nodes[is_from], nodes[np.flatnonzero(is_from) + 1]
    link_ex = routes.link_between(routes.cols[frm], routes.cols[to])
    # all paths in (pair, rank) order: rank 0 first, then the extras as found
    path_pair = np.concatenate([np.arange(len(pair_key)), np.asarray(ex_pair, dtype=np.int64)])
    path_rank = np.concatenate(
        [np.zeros(len(pair_key), dtype=np.int64), np.asarray(ex_rank, dtype=np.int64)]
    )
    counts_all = np.concatenate([count0, n_steps_ex])
    order_p = np.lexsort((path_rank, path_pair))
    path_rank = path_rank[order_p]
    counts = counts_all[order_p]
    step_src_link = np.concatenate([link0, link_ex]).astype(np.int64)
    step_src_from = np.concatenate([from0, routes.cols[frm]]).astype(np.int64)
    src_ptr = np.concatenate([[0], np.cumsum(counts_all)]).astype(np.int64)
    path_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # gather every path's steps in the new order (vectorized segment copy)
    path_of_step = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(len(path_of_step)) - path_ptr[path_of_step]
    take = src_ptr[order_p][path_of_step] + offset
    step_link = step_src_link[take]
    step_from = step_src_from[take]
    pair_of_path = np.cumsum(path_rank == 0) - 1
    pair_ptr = np.searchsorted(pair_of_path, np.arange(len(pair_key) + 1)).astype(np.int64)
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
