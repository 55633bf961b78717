"""The *close* move of the local search: switch off the last server of a lightly used
node by moving its demands into other nodes' spare capacity.

This is the *drop* move of facility-location local search (Kuehn & Hamburger,
"A heuristic program for locating warehouses", Management Science 9(4), 1963;
Arya et al., "Local search heuristics for k-median and facility location problems",
SIAM J. Comput. 33(3), 2004), opposite of the *add* move in
:func:`slimplace.optim.local_search._open_nodes`. Unlike the consolidation step, whose
receivers are only nodes that are not lightly used themselves, a close sends the demands
of a node to any other node that stays on: servers already on, the servers a node
already on can wake, and always-on devices, through every candidate of those demands (not
only the search's shortlist, which at low load may hold no other box). At low load this
finds what consolidation cannot: when every edge box is lightly used, consolidation has
nowhere to send their demands, while closing them in turn fills the ones left on.

Nodes are tried in a fixed order: most idle cost saved per unit of the load they could
attract first (:attr:`SearchState.reach`: every demand's lightest candidate there). That load scales
with the rates, so the order is the same at every load level and the boxes a plan keeps
at a lower level tend to be a subset of those kept at a higher one: plans of neighbouring
levels that keep different sets of small servers cost wake-ups when a policy moves
between them (docs/simulation.md, "Closing search"). Nodes with one server on are tried in
batches that double after a close pays and halve after one does not (the only Python
loop, over tries, bounded by ``max_tries`` and the deadline); each try is vectorized over
the batch's demands and their candidates and is kept when the objective (every chosen
candidate's cost, the servers switched on and their dynamic cost) falls.

With link sleep (``settings.link_sleep``, :func:`slimplace.problem.routing.can_sleep`)
that objective also counts the on-power of the sleepable links the assignment keeps
awake with every flow on its shortest path (:func:`links_cost`: the evaluator's
objective for shortest-path routes, ``docs/routing.md``): the candidates' costs price
each request's marginal network energy only, so without it a close that saves a box's
idle power can wake a link whose on-power costs more. Shortest paths overstate what a
close wakes when other paths avoid the link, so a close that pays on the placement but
not with those links is checked once more with the routes of the routing heuristic
(:func:`links_routed`, :func:`~slimplace.optim.routing_heuristic.energy_aware_routes`,
run on the assignments before and after; at most one run per try) and kept when the
objective with them falls. A close must still pay on the placement alone (its estimated
gain, and the pass as a whole in :func:`slimplace.optim.local_search.improve`), so link
sleep only refuses closes; letting it also accept closes that pay only through links
asleep changed nothing on the 1k scale instance (measured with shortest paths). Without
link sleep the term is 0 and the move is as before.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from slimplace.optim.arcs import arc_loads_bps
from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.repair import node_busy
from slimplace.optim.routing_heuristic import energy_aware_routes
from slimplace.optim.routing_model import links_on_cost, routes_cost
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import first_per, weighted_sum
from slimplace.placement.assign import accept_in_order, fits
from slimplace.problem.routing import can_sleep, plan_arc_loads_bps, shortest_routes

log = logging.getLogger(__name__)

#: Passes per try: demands whose best receiver filled up try their next best.
PASSES = 3
#: Most nodes closed in one try.
MAX_BATCH = 16


def close_nodes(
    state: SearchState, chosen: IntArray, deadline: float, max_tries: int = 64
) -> IntArray:
    """Try to switch off the last server of each switchable node on, most idle cost
    saved per unit of the load it could attract first, keeping every close that lowers
    the objective.
    Nodes with one server on are tried in batches that double after a batch pays and
    halve after one does not (down to single nodes), so a pass that closes most nodes
    takes a few tries."""
    p, m = state.p, state.model
    busy, on, _ = state.node_state(chosen)
    cap = np.broadcast_to(p.max_utilisation, (p.n_nodes,))
    last = busy - cap * np.maximum(on - 1, 0)  # load on each node's last server
    nodes = np.flatnonzero(m.switchable & (on > 0) & (m.server_cost > 0) & (last > 0))
    nodes = nodes[~_stuck(state, chosen, nodes, on)[nodes]]
    if len(nodes) == 0:
        return chosen
    order = nodes[np.argsort(-_close_rank(state)[nodes], kind="stable")]
    place, links = assignment_cost(state, chosen, busy), links_cost(state, chosen)
    sleep = bool(can_sleep(p).any())
    routed: float | None = None  # links_routed of ``chosen``, computed when first needed
    i, size, tried, closed, checks = 0, 1, 0, 0, 0
    while i < len(order) and tried < max_tries and time.perf_counter() <= deadline:
        one = state.servers(busy)[order[i : i + size]] == 1  # batches: one server on each
        n = len(one) if one.all() else max(1, int(np.argmin(one)))
        batch = order[i : i + n]
        tried += 1
        new = _close(state, chosen, batch, busy)
        if new is not None:
            new_place, new_links = assignment_cost(state, new[0], new[1]), links_cost(state, new[0])
            new_routed: float | None = None
            ok = _less(new_place + new_links, place + links)
            if not ok and sleep and _less(new_place, place):
                # on shortest paths the close wakes links: do routes exist that avoid them?
                routed = links_routed(state, chosen, deadline) if routed is None else routed
                new_routed = links_routed(state, new[0], deadline)
                checks += 1
                ok = _less(new_place + new_routed, place + routed)
            if ok:
                chosen, busy, place, links, routed = (
                    new[0],
                    new[1],
                    new_place,
                    new_links,
                    new_routed,
                )
                i, closed, size = i + len(batch), closed + len(batch), min(2 * size, MAX_BATCH)
                continue
        if len(batch) > 1:
            size = len(batch) // 2
        else:
            i += 1
    log.debug(
        "close: %d nodes closed a server in %d tries (%d checked with routes)",
        closed,
        tried,
        checks,
    )
    return chosen


def _close_rank(state: SearchState) -> FloatArray:
    """The close order's key per node: idle cost saved per unit of the load it could
    attract (:attr:`SearchState.reach`); the highest is tried first, the lowest kept
    longest."""
    return state.model.server_cost / np.maximum(state.reach, 1e-300)


def _stuck(state: SearchState, chosen: IntArray, nodes: IntArray, on: FloatArray) -> BoolArray:
    """Nodes among ``nodes`` holding a demand with no candidate at any other node on,
    nor at a closed one cheaper to run (closes only switch servers off, and swaps open
    cheaper nodes, so such a node stays stuck for the whole pass)."""
    p, m = state.p, state.model
    at = p.cand_node[chosen]
    mask = np.zeros(p.n_nodes, dtype=bool)
    mask[nodes] = True
    here = mask[at]
    c = state.candidates_of(here)
    node, src = p.cand_node[c], at[p.cand_demand[c]]
    cheaper = m.switchable[node] & (on[node] == 0) & (m.server_cost[node] < m.server_cost[src])
    ok = c[((on[node] > 0) | cheaper) & (node != src)]
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


def links_cost(state: SearchState, chosen: IntArray) -> float:
    """On-cost of the sleepable links that ``chosen`` keeps awake with every flow on its
    shortest path (0 without link sleep)."""
    p = state.p
    if not can_sleep(p).any():
        return 0.0
    return links_on_cost(p, state.model, arc_loads_bps(p, chosen, np.ones(len(chosen))))


def links_routed(state: SearchState, chosen: IntArray, deadline: float) -> float:
    """What routing ``chosen``'s flows by the routing heuristic
    (:func:`~slimplace.optim.routing_heuristic.energy_aware_routes`) adds to its
    placement objective: the on-cost of the sleepable links its routes keep awake, and
    their marginal network cost less the shortest paths' (the evaluator's objective, as
    :func:`~slimplace.optim.routing_model.routing_value`)."""
    p, m = state.p, state.model
    x = state.shares(chosen)
    routes = energy_aware_routes(p, m, x, deadline=deadline)
    extra = routes_cost(p, m, routes) - routes_cost(p, m, shortest_routes(p, x))
    return extra + links_on_cost(p, m, plan_arc_loads_bps(p, x, routes))


def _less(new: float, old: float) -> bool:
    """Whether ``new`` is below ``old`` by more than round-off."""
    return new < old - 1e-9 * max(1.0, abs(old))


def _close(
    state: SearchState, chosen: IntArray, batch: IntArray, busy: FloatArray
) -> tuple[IntArray, FloatArray] | None:
    """``chosen`` with every demand of the nodes in ``batch`` moved elsewhere (a single
    node with several servers on: enough of them that it needs one server fewer), and
    its load per node; None when they do not fit or cannot pay. Receivers: spare
    capacity of servers on at other nodes first, then servers those nodes can wake
    (switchable nodes already on). ``busy``: the load per node under ``chosen``."""
    p, m = state.p, state.model
    on = state.servers(busy)
    cap = np.broadcast_to(p.max_utilisation, (p.n_nodes,))
    shut = np.zeros(p.n_nodes, dtype=bool)
    shut[batch] = True
    partial = len(batch) == 1 and on[batch[0]] > 1
    need = busy[batch[0]] - cap[batch[0]] * (on[batch[0]] - 1) if partial else np.inf
    others = (on > 0) & ~shut
    wake = others & m.switchable & (on < p.node_count)
    # a swap: one closed node cheaper to run than the batch may take what is left
    closed = m.switchable & (on == 0) & ~shut & (m.server_cost < m.server_cost[batch].sum())
    here = shut[p.cand_node[chosen]]  # every candidate of these, not only the shortlist
    c, delta, extra, loss = state.alternatives(
        chosen, others | closed, from_nodes=shut, among=state.candidates_of(here)
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
    left = here.copy()
    opened = -1
    for tier in range(3):
        if tier == 2:  # the swap tier: open the closed node that takes every demand left
            if partial or not closed.any():
                break
            opened = _swap_target(state, c, delta, extra, left, closed)
            if opened < 0:
                break
        limit = room if tier == 0 else full
        allowed = others.copy()
        if opened >= 0:
            limit = limit.copy()
            limit[opened] = cap[opened] * p.node_count[opened]
            allowed[opened] = True
        for _ in range(PASSES):
            room_left = limit - used
            node = p.cand_node[c]
            sel = left[p.cand_demand[c]] & allowed[node] & fits(extra, room_left[node])
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
            if moved >= need * (1 - 1e-9) or not left.any():
                break
        if moved >= need * (1 - 1e-9) or not left.any():
            break
    if not moves or (moved < need * (1 - 1e-9) if partial else left.any()):
        return None
    all_moves = np.concatenate(moves)
    if partial:  # keep only the cheapest moves per unit of load that free a server
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
    if (state.servers(after)[batch] >= on[batch]).any():
        return None
    if not partial and shut[p.cand_node[new]].any():
        return None  # a move was undone (memory, a link): the node keeps a demand
    if opened >= 0 and (p.cand_node[new] == opened).any() and state.servers(after)[opened] < 1:
        return None  # only demands without load went to the opened node
    return new, after


def _swap_target(
    state: SearchState,
    c: IntArray,
    delta: FloatArray,
    extra: FloatArray,
    left: BoolArray,
    closed: BoolArray,
) -> int:
    """Among the closed nodes (mask ``closed``) with a candidate for every demand in
    ``left`` and room for them all (at each demand's cheapest move there), the one the
    close order keeps longest; -1 when none has. ``c``, ``delta``, ``extra``: the moves
    on offer."""
    p = state.p
    sel = left[p.cand_demand[c]] & closed[p.cand_node[c]]
    if not sel.any():
        return -1
    d, u, dl, ex = p.cand_demand[c[sel]], p.cand_node[c[sel]], delta[sel], extra[sel]
    pick = first_per(u * p.n_demands + d, dl)  # the cheapest move of each demand to each node
    u, ex = u[pick], ex[pick]
    covered = np.bincount(u, minlength=p.n_nodes)
    load = weighted_sum(u, ex, p.n_nodes)
    cap = np.broadcast_to(p.max_utilisation, (p.n_nodes,))
    ok = (covered == int(left.sum())) & (load <= cap * p.node_count * (1 - 1e-9))
    if not ok.any():
        return -1
    # the node the close order keeps longest: the same choice at every load level
    return int(np.argmin(np.where(ok, _close_rank(state), np.inf)))


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
