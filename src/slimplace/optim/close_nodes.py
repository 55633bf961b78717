"""The *close* move of the local search: switch off the last server of a lightly used
node by moving its demands into other nodes' spare capacity.

This is the *drop* move of facility-location local search (Kuehn & Hamburger,
"A heuristic program for locating warehouses", Management Science 9(4), 1963;
Arya et al., "Local search heuristics for k-median and facility location problems",
SIAM J. Comput. 33(3), 2004), opposite of the *add* move in
:func:`slimplace.optim.local_search._open_nodes`. Unlike the consolidation step, whose
receivers are only nodes that are not lightly used themselves, a close sends the demands
of one node to any other node that stays on: servers already on, the servers a node
already on can wake, and always-on devices. At low load this finds what consolidation
cannot: when every edge box is lightly used, consolidation has nowhere to send their
demands, while closing them one by one, lightest first, fills the ones left on.

Nodes are tried one at a time (the only Python loop, bounded by ``max_tries`` and the
deadline), in order of the idle cost their last server saves per unit of the load it
carries; each try is vectorized over the node's demands and their shortlisted
alternatives, and is kept when the objective (servers switched on, their dynamic cost
and every candidate's cost) falls.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.repair import node_busy
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import first_per, weighted_sum
from slimplace.placement.assign import accept_in_order, fits

log = logging.getLogger(__name__)

#: Passes per try: demands whose best receiver filled up try their next best.
PASSES = 3


def close_nodes(
    state: SearchState, chosen: IntArray, deadline: float, max_tries: int = 64
) -> IntArray:
    """Try to switch off the last server of each switchable node on, most idle cost
    saved per unit of load first, keeping every close that lowers the objective."""
    p, m = state.p, state.model
    busy, on, _ = state.node_state(chosen)
    cap = np.broadcast_to(p.max_utilisation, (p.n_nodes,))
    last = busy - cap * np.maximum(on - 1, 0)  # load on each node's last server
    nodes = np.flatnonzero(m.switchable & (on > 0) & (m.server_cost > 0) & (last > 0))
    nodes = nodes[~_stuck(state, chosen, nodes, on)[nodes]]
    if len(nodes) == 0:
        return chosen
    key = m.server_cost[nodes] / last[nodes]
    value = assignment_cost(state, chosen, busy)
    tried = closed = 0
    for v in nodes[np.argsort(-key, kind="stable")][:max_tries]:
        if time.perf_counter() > deadline:
            break
        tried += 1
        new = _close_one(state, chosen, int(v), busy)
        if new is None:
            continue
        new_chosen, new_busy = new
        new_value = assignment_cost(state, new_chosen, new_busy)
        if new_value < value - 1e-9 * max(1.0, abs(value)):
            chosen, busy, value = new_chosen, new_busy, new_value
            closed += 1
    log.debug("close: %d of %d nodes tried closed a server", closed, tried)
    return chosen


def _stuck(state: SearchState, chosen: IntArray, nodes: IntArray, on: FloatArray) -> BoolArray:
    """Nodes among ``nodes`` holding a demand with no candidate at any other node on
    (closes only switch servers off, so such a node stays stuck for the whole pass)."""
    p = state.p
    at = p.cand_node[chosen]
    mask = np.zeros(p.n_nodes, dtype=bool)
    mask[nodes] = True
    here = mask[at]
    c = state.candidates_of(here)
    ok = c[(on[p.cand_node[c]] > 0) & (p.cand_node[c] != at[p.cand_demand[c]])]
    movable = np.zeros(p.n_demands, dtype=bool)
    movable[p.cand_demand[ok]] = True
    return weighted_sum(at[here & ~movable], np.ones(int((here & ~movable).sum())), p.n_nodes) > 0


def assignment_cost(state: SearchState, chosen: IntArray, busy: FloatArray) -> float:
    """The part of an assignment's objective a close changes (``busy``: its load per
    node): every chosen candidate's cost, the servers its load needs and their dynamic
    cost at curve nodes (modes and constants left out: the caller checks a whole pass
    with ``state.value``)."""
    m = state.model
    on = state.servers(busy)
    return float(
        m.cand_cost[chosen].sum() + (m.server_cost * on).sum() + state.curve_cost(busy, on).sum()
    )


def _close_one(
    state: SearchState, chosen: IntArray, v: int, busy: FloatArray
) -> tuple[IntArray, FloatArray] | None:
    """``chosen`` with enough of node ``v``'s demands moved elsewhere that ``v`` needs
    one server fewer (all of them when it has one on), and its load per node; None when
    they do not fit. Receivers: spare capacity of servers on at other nodes first, then
    servers those nodes can wake (switchable nodes already on). ``busy``: the load per
    node under ``chosen``."""
    p, m = state.p, state.model
    on = state.servers(busy)
    cap = np.broadcast_to(p.max_utilisation, (p.n_nodes,))
    need = busy[v] - cap[v] * (on[v] - 1)
    others = (on > 0) & (np.arange(p.n_nodes) != v)
    wake = others & m.switchable & (on < p.node_count)
    src = np.zeros(p.n_nodes, dtype=bool)
    src[v] = True
    here = p.cand_node[chosen] == v  # every candidate of these, not only the shortlist
    c, delta, extra, loss = state.alternatives(
        chosen, others, from_nodes=src, among=state.candidates_of(here)
    )
    keep = state.keeps_floor(p.demand_app[p.cand_demand[c]], loss)
    c, delta, extra = c[keep], delta[keep], extra[keep]
    if len(c) == 0:
        return None
    room = np.where(others, np.maximum(cap * on - busy, 0.0), 0.0)
    full = np.where(wake, cap * p.node_count - busy, room)
    used = np.zeros(p.n_nodes)
    moves: list[IntArray] = []
    moved = 0.0
    left = np.ones(p.n_demands, dtype=bool)
    for tier in (room, full):
        for _ in range(PASSES):
            room_left = tier - used
            node = p.cand_node[c]
            sel = left[p.cand_demand[c]] & fits(extra, room_left[node])
            if not sel.any():
                break
            cs, ds, es = c[sel], delta[sel], extra[sel]
            best = first_per(p.cand_demand[cs], ds)
            cs, ds, es = cs[best], ds[best], es[best]
            take = accept_in_order(p.cand_node[cs], es, ds, room_left)
            cs, es = cs[take], es[take]
            if len(cs) == 0:
                break
            used += weighted_sum(p.cand_node[cs], es, p.n_nodes)
            left[p.cand_demand[cs]] = False
            moves.append(cs)
            moved += float(state.load[chosen[p.cand_demand[cs]]].sum())
            if moved >= need * (1 - 1e-9):
                break
        if moved >= need * (1 - 1e-9):
            break
    if not moves or moved < need * (1 - 1e-9):
        return None
    all_moves = np.concatenate(moves)
    if on[v] > 1:  # keep only the cheapest moves per unit of load that free a server
        all_moves = _cheapest_enough(state, chosen, all_moves, need)
    cur = chosen[p.cand_demand[all_moves]]
    est = (  # the load after the moves, heads aside: skip the checks when it cannot pay
        busy
        - weighted_sum(p.cand_node[cur], state.load[cur], p.n_nodes)
        + weighted_sum(p.cand_node[all_moves], state.load[all_moves], p.n_nodes)
    )
    est_on = state.servers(est)
    gain = (
        float((m.cand_cost[cur] - m.cand_cost[all_moves]).sum())
        + float((m.server_cost * (on - est_on)).sum())
        + float((state.curve_cost(busy, on) - state.curve_cost(est, est_on)).sum())
    )
    if not gain > 0:
        return None
    new = state.apply_moves(chosen, all_moves)
    after = node_busy(p, new, state.load)
    if state.servers(after)[v] >= on[v]:
        return None
    return new, after


def _cheapest_enough(
    state: SearchState, chosen: IntArray, moves: IntArray, need: float
) -> IntArray:
    """The prefix of ``moves``, by cost change per unit of load freed, that frees ``need``."""
    p, m = state.p, state.model
    cur = chosen[p.cand_demand[moves]]
    freed = state.load[cur]
    per = (m.cand_cost[moves] - m.cand_cost[cur]) / np.maximum(freed, 1e-300)
    order = np.argsort(per, kind="stable")
    before = np.cumsum(freed[order]) - freed[order]
    return moves[order[before < need * (1 - 1e-9)]]


__all__ = ["assignment_cost", "close_nodes"]
