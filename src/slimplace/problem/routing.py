"""Routing as a decision on a compiled problem: flows, their candidate paths, the traffic
a choice of routes puts on every link, and which links may sleep (``docs/routing.md``).

A *flow* is a demand d served at a node v other than its source: its requests cross
the leaf link of d's source (when the source is a folded leaf) and then one of the
paths of the pair (root of the source, v) in :class:`~slimplace.problem.paths.PathTable`.
Path rank 0 is the fixed shortest route, so a plan whose flows all take rank 0 loads
the links exactly as :func:`slimplace.evaluate.link_loads_bps` does.

A path of a flow is *admissible* when every candidate of the flow (every variant of d at
v) still meets d's SLO at rho_max with the path's network round trip
(``2 x propagation + bits x seconds per bit``, :func:`~slimplace.problem.latency.network_latency_s`)
instead of the shortest path's: a conservative rule (a slow variant may forbid a long
path that a fast one could use) that keeps every plan within its SLOs whatever variant
serves the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes, PathTable, build_path_table

#: Relative slack of the SLO test of alternative paths (as the evaluator's ``TOL``).
SLO_RTOL = 1e-9


def with_k_paths(problem: CompiledProblem, k: int, *, sleep: bool | None = None) -> CompiledProblem:
    """``problem`` with routing as a decision over ``k`` shortest paths, links without
    traffic sleeping when ``sleep`` (``settings.link_sleep``; None: when k > 1).

    k = 1 without sleep: the problem as compiled, fixed shortest paths and every link on;
    k = 1 with sleep: fixed shortest paths, idle links sleep and the placement may keep
    them idle (the baseline routing is measured against, ``docs/routing.md``); k > 1
    without sleep: routes chosen for marginal energy and bandwidth only."""
    if k < 1:
        raise ValueError(f"k_paths must be 1 or more, got {k}")
    sleep = k > 1 if sleep is None else sleep
    if k == 1 and not sleep:
        return replace(problem, paths=None) if problem.paths is not None else problem
    p = problem
    r = p.routes
    src = p.demand_source[p.cand_demand]
    away = p.cand_node != src
    row = r.source_root_row[src[away]]
    node = p.cand_node[away]
    core = node != r.roots[row]
    keys = np.unique(row[core] * len(r.cols) + r.col(node[core]))
    table = build_path_table(r, p.link_a, p.link_b, p.link_latency_s, p.link_bandwidth_bps, keys, k)
    return replace(p, paths=replace(table, sleep=sleep))


def routing_active(problem: CompiledProblem) -> bool:
    """Whether the plan's routes and links on are decided (``settings.k_paths`` > 1 or
    ``settings.link_sleep``)."""
    return problem.paths is not None


def link_sleep_active(problem: CompiledProblem) -> bool:
    """Whether links without traffic sleep (``settings.link_sleep``)."""
    return problem.paths is not None and problem.paths.sleep


def route_choice_active(problem: CompiledProblem) -> bool:
    """Whether flows choose among more than one path (``settings.k_paths`` > 1)."""
    return problem.paths is not None and problem.paths.k > 1


def can_sleep(problem: CompiledProblem) -> BoolArray:
    """Links that sleep when they carry no traffic: link sleep is on, the network
    follows the power model and the link's kind has a sleep power below its baseload."""
    p = problem
    if p.paths is None or not p.paths.sleep or not p.power_model:
        return np.zeros(len(p.link_a), dtype=bool)
    sleep = p.link_sleep_w
    return np.asarray(np.isfinite(sleep) & (sleep < p.link_baseload_w), dtype=bool)


@dataclass(frozen=True, slots=True, eq=False)
class FlowPaths:
    """The paths open to flows ``(demand, node)`` (F), one row per (flow, path) (FP).

    ``path`` indexes the :class:`PathTable` (-1: the flow is served at its source's root,
    and crosses only the leaf link); ``rank`` 0 is the shortest path; ``extra_latency_s``
    is the network round trip added against rank 0; ``admissible`` per the module's SLO
    rule. Rows are sorted by flow, then rank.
    """

    demand: IntArray
    node: IntArray
    flow: IntArray
    path: IntArray
    rank: IntArray
    extra_latency_s: FloatArray
    admissible: BoolArray

    @property
    def n_flows(self) -> int:
        """Number of flows."""
        return len(self.demand)


def flow_paths(
    problem: CompiledProblem,
    demand: IntArray,
    node: IntArray,
    slack_s: FloatArray | None = None,
) -> FlowPaths:
    """Every path of flows (``demand``, ``node``) (node never the demand's source).

    ``slack_s`` per flow: the SLO minus the worst candidate latency of the flow at rho_max
    (default: from the problem's candidates, :func:`flow_slack_s`)."""
    p, r = problem, problem.routes
    t = p.paths
    demand = np.asarray(demand, dtype=np.int64)
    node = np.asarray(node, dtype=np.int64)
    if slack_s is None:
        slack_s = flow_slack_s(p, demand, node)
    src = p.demand_source[demand]
    row = r.source_root_row[src]
    core = node != r.roots[row]
    n_paths = np.ones(len(demand), dtype=np.int64)
    first = np.full(len(demand), -1, dtype=np.int64)
    if t is not None and core.any():
        key = row[core] * t.n_cols + r.col(node[core])
        pair = np.searchsorted(t.pair_key, key)
        first[core] = t.pair_ptr[pair]
        n_paths[core] = t.pair_ptr[pair + 1] - t.pair_ptr[pair]
    flow = np.repeat(np.arange(len(demand)), n_paths)
    offset = np.arange(len(flow)) - np.repeat(np.cumsum(n_paths) - n_paths, n_paths)
    path = np.where(first[flow] >= 0, first[flow] + offset, -1)
    rank = np.where(path >= 0, offset, 0)
    extra = np.zeros(len(flow))
    if t is not None:
        on = path >= 0
        base = first[flow[on]]
        bits = (p.demand_request_bits + p.demand_response_bits)[demand[flow[on]]]
        extra[on] = 2.0 * (t.path_latency_s[path[on]] - t.path_latency_s[base]) + bits * (
            t.path_seconds_per_bit[path[on]] - t.path_seconds_per_bit[base]
        )
    tol = SLO_RTOL * p.demand_slo_s[demand[flow]]
    admissible = (rank == 0) | (extra <= slack_s[flow] + tol)
    return FlowPaths(
        demand=demand,
        node=node,
        flow=flow,
        path=path,
        rank=rank,
        extra_latency_s=extra,
        admissible=np.asarray(admissible, dtype=bool),
    )


def flow_slack_s(problem: CompiledProblem, demand: IntArray, node: IntArray) -> FloatArray:
    """SLO minus the largest candidate latency at rho_max of every flow (demand, node)
    (``inf`` for a flow without candidates)."""
    p = problem
    n = p.n_nodes
    key = p.cand_demand * n + p.cand_node
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    worst_lat = (
        np.maximum.reduceat(p.cand_latency_s[order], _starts(sorted_key))
        if len(key)
        else np.zeros(0)
    )
    uniq = sorted_key[_starts(sorted_key)] if len(key) else np.zeros(0, dtype=np.int64)
    want = demand * n + node
    pos = np.minimum(np.searchsorted(uniq, want), max(len(uniq) - 1, 0))
    hit = (len(uniq) > 0) & (uniq[pos] == want) if len(uniq) else np.zeros(len(want), bool)
    worst = np.where(hit, worst_lat[pos] if len(uniq) else 0.0, -np.inf)
    return np.asarray(p.demand_slo_s[demand] - worst, dtype=np.float64)


def _starts(sorted_key: IntArray) -> IntArray:
    return np.flatnonzero(np.concatenate([[True], sorted_key[1:] != sorted_key[:-1]]))


def flow_path_arcs(
    problem: CompiledProblem, fp: FlowPaths, rows: IntArray | None = None
) -> tuple[IntArray, IntArray, FloatArray]:
    """Arcs crossed by (flow, path) rows ``rows`` of ``fp`` (default all), as COO:
    (row, arc, bits per request on that arc): request bits toward the serving node,
    response bits back (arc ``2l``: link l from a to b; ``2l + 1``: from b to a)."""
    p, t = problem, problem.paths
    rows = np.arange(len(fp.flow)) if rows is None else np.asarray(rows, dtype=np.int64)
    d = fp.demand[fp.flow[rows]]
    src = p.demand_source[d]
    req, resp = p.demand_request_bits[d], p.demand_response_bits[d]
    leaf = p.routes.source_leaf_link[src]
    on_leaf = leaf >= 0
    lf = leaf[on_leaf]
    up = np.where(p.link_a[lf] == src[on_leaf], 0, 1)
    out_row = [rows[on_leaf], rows[on_leaf]]
    out_arc = [2 * lf + up, 2 * lf + 1 - up]
    out_bits = [req[on_leaf], resp[on_leaf]]
    path = fp.path[rows]
    core = path >= 0
    if t is not None and core.any():
        start, stop = t.path_ptr[path[core]], t.path_ptr[path[core] + 1]
        count = stop - start
        steps = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
        who = np.repeat(np.flatnonzero(core), count)
        link = t.step_link[steps]
        fwd = np.where(t.step_forward[steps], 0, 1)
        out_row += [rows[who], rows[who]]
        out_arc += [2 * link + fwd, 2 * link + 1 - fwd]
        out_bits += [req[who], resp[who]]
    return np.concatenate(out_row), np.concatenate(out_arc), np.concatenate(out_bits)


def routed_arc_loads_bps(
    problem: CompiledProblem, demand: IntArray, node: IntArray, rank: IntArray, share: FloatArray
) -> FloatArray:
    """Traffic on every directed arc (bit/s) when flow (demand, node) sends ``share`` of its
    demand's requests over its ``rank``-th path (flows at their source are skipped)."""
    p = problem
    away = node != p.demand_source[demand]
    fp = flow_paths(p, demand[away], node[away], slack_s=np.full(int(away.sum()), np.inf))
    rows = np.flatnonzero(fp.rank == rank[away][fp.flow])
    got = np.bincount(fp.flow[rows], minlength=fp.n_flows)
    if (got != 1).any():
        bad = int(np.flatnonzero(got != 1)[0])
        raise ValueError(
            f"route rank {int(rank[away][bad])} of flow {p.demand_label(int(demand[away][bad]))}"
            f" -> {p.node_ids[int(node[away][bad])]} does not exist"
        )
    row, arc, bits = flow_path_arcs(p, fp, rows)
    flow = p.demand_rate_per_s[fp.demand[fp.flow[row]]] * share[away][fp.flow[row]] * bits
    loads = np.bincount(arc, weights=flow, minlength=2 * len(p.link_a))
    return loads.astype(np.float64, copy=False)


def shortest_routes(problem: CompiledProblem, x: FloatArray) -> FlowRoutes:
    """Every used flow of shares ``x`` on its shortest path (rank 0), its share the sum
    of its candidates' shares."""
    p = problem
    used = np.flatnonzero(x > 0)
    d, v = p.cand_demand[used], p.cand_node[used]
    away = v != p.demand_source[d]
    key = d[away] * p.n_nodes + v[away]
    uniq, inv = np.unique(key, return_inverse=True)
    share = np.bincount(inv, weights=x[used][away], minlength=len(uniq))
    return FlowRoutes(
        demand=uniq // p.n_nodes,
        node=uniq % p.n_nodes,
        rank=np.zeros(len(uniq), dtype=np.int64),
        share=share.astype(np.float64),
    )


def route_check(problem: CompiledProblem, x: FloatArray, routes: FlowRoutes) -> list[str]:
    """What is wrong with ``routes`` as the routes of shares ``x``: shares per flow that do
    not add up to the flow's, and paths that break the flow's SLO (rule of the module)."""
    p = problem
    out: list[str] = []
    base = shortest_routes(p, x)
    n = p.n_nodes
    key_r = routes.demand * n + routes.node
    uniq, inv = np.unique(key_r, return_inverse=True)
    got = np.bincount(inv, weights=routes.share, minlength=len(uniq))
    key_b = base.demand * n + base.node
    pos = np.minimum(np.searchsorted(uniq, key_b), max(len(uniq) - 1, 0))
    found = np.zeros(len(key_b))
    if len(uniq):
        match = uniq[pos] == key_b
        found[match] = got[pos[match]]
    bad = np.flatnonzero(np.abs(found - base.share) > 1e-6)
    for i in bad[:20]:
        out.append(
            f"flow {p.demand_label(int(base.demand[i]))} -> {p.node_ids[int(base.node[i])]}: "
            f"routes carry {found[i]:.4f} of {base.share[i]:.4f}"
        )
    extra = np.setdiff1d(uniq, key_b)
    for k in extra[:20]:
        out.append(f"route of an unused flow {p.demand_label(int(k // n))} -> {p.node_ids[k % n]}")
    return out


def path_admissible(problem: CompiledProblem, routes: FlowRoutes) -> BoolArray:
    """Whether each route's path meets the SLO rule of the module (served-at-source: yes)."""
    p = problem
    away = routes.node != p.demand_source[routes.demand]
    ok = np.ones(len(routes.demand), dtype=bool)
    fp = flow_paths(p, routes.demand[away], routes.node[away])
    rows = np.flatnonzero(fp.rank == routes.rank[away][fp.flow])
    good = np.zeros(fp.n_flows, dtype=bool)
    good[fp.flow[rows]] = fp.admissible[rows]
    ok[away] = good
    return ok


def path_table(problem: CompiledProblem) -> PathTable:
    """The problem's path table (raises when routing is not a decision)."""
    if problem.paths is None:
        raise ValueError("routing is not a decision in this problem (k_paths = 1)")
    return problem.paths


def plan_arc_loads_bps(
    problem: CompiledProblem,
    x: FloatArray,
    routes: FlowRoutes | None,
    rate_per_s: FloatArray | None = None,
) -> FloatArray:
    """Traffic on every directed arc of shares ``x`` sent over ``routes`` (None: every
    flow on its shortest path) at ``rate_per_s`` (default: the nominal rates)."""
    p = problem
    r = shortest_routes(p, x) if routes is None else routes
    share = r.share
    if rate_per_s is not None:
        share = share * np.asarray(rate_per_s)[r.demand] / p.demand_rate_per_s[r.demand]
    return routed_arc_loads_bps(p, r.demand, r.node, r.rank, share)


def route_extra_latency_s(
    problem: CompiledProblem, routes: FlowRoutes | None, demand: IntArray, node: IntArray
) -> FloatArray:
    """Network round trip that the routes add, against the shortest path, to requests
    of demand ``demand`` served at ``node`` (the largest over the flow's routes; 0 for
    flows on their shortest path or served at their source)."""
    p = problem
    out = np.zeros(len(demand))
    if routes is None or len(routes.demand) == 0 or len(demand) == 0:
        return out
    away = routes.node != p.demand_source[routes.demand]
    d, v, rank = routes.demand[away], routes.node[away], routes.rank[away]
    fp = flow_paths(p, d, v, slack_s=np.full(len(d), np.inf))
    rows = np.flatnonzero(fp.rank == rank[fp.flow])
    extra = np.zeros(len(d))
    np.maximum.at(extra, fp.flow[rows], fp.extra_latency_s[rows])
    key = d * p.n_nodes + v
    uniq, inv = np.unique(key, return_inverse=True)
    worst = np.zeros(len(uniq))
    np.maximum.at(worst, inv, extra)
    want = demand * p.n_nodes + node
    pos = np.minimum(np.searchsorted(uniq, want), max(len(uniq) - 1, 0))
    hit = uniq[pos] == want if len(uniq) else np.zeros(len(want), dtype=bool)
    out[hit] = worst[pos[hit]]
    return out


@dataclass(frozen=True, slots=True, eq=False)
class LinkTransitions:
    """Links that wake and fall asleep between two plans, and how long the waking takes
    (the longest ``wake_time_s`` of the links woken: traffic moved onto them waits that
    long; the hook the simulator uses to let links wake and sleep over the day)."""

    woken: IntArray
    asleep: IntArray
    wake_s: float


def link_transitions(
    problem: CompiledProblem, before_bps: FloatArray, after_bps: FloatArray
) -> LinkTransitions:
    """Transitions of the sleepable links from arc loads ``before_bps`` to ``after_bps``
    (directed, 2L; :func:`plan_arc_loads_bps`)."""
    p = problem
    sleepable = can_sleep(p)
    was = (before_bps[0::2] + before_bps[1::2]) > 0
    now = (after_bps[0::2] + after_bps[1::2]) > 0
    woken = np.flatnonzero(sleepable & now & ~was).astype(np.int64)
    asleep = np.flatnonzero(sleepable & was & ~now).astype(np.int64)
    wake = float(p.link_wake_time_s[woken].max()) if len(woken) else 0.0
    return LinkTransitions(woken=woken, asleep=asleep, wake_s=wake)
