"""Local search on an assignment, in vectorized rounds: moves of demands into spare
capacity of servers already on, opening servers where the demands that move there save
more than their idle cost, consolidation that empties lightly used nodes, downgrades of
average-floor applications while their average holds, then closing nodes
(:mod:`slimplace.optim.close_nodes`), and (for splittable demands) partial moves into
spare capacity."""

from __future__ import annotations

import time

import numpy as np

from slimplace.optim.arcs import arc_capacity_bps, arc_loads_bps, candidate_arcs
from slimplace.optim.close_nodes import close_nodes
from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import first_per, model_pairs, weighted_sum
from slimplace.placement.assign import accept_in_order, cumsum_in_groups, fits


def improve(state: SearchState, chosen: IntArray, deadline: float) -> tuple[IntArray, FloatArray]:
    """Moves, consolidation and downgrades until nothing improves or time is up; then
    closing lightly used nodes, and the rounds again after a close that paid."""
    value = state.value(chosen)
    for _ in range(3):
        chosen, value = _rounds(state, chosen, value, deadline)
        if time.perf_counter() > deadline:
            break
        closed = close_nodes(state, chosen, deadline)
        if closed is chosen:
            break
        new = state.value(closed)
        if not new < value - 1e-9 * abs(value):
            break
        chosen, value = closed, new
    x = state.shares(chosen)
    if state.p.app_splittable.any():
        x = _checked(state, x, _split_moves(state, chosen, x))
    if state.p.app_average.any():
        x = _checked(state, x, _partial_downgrade(state, chosen, x))
    return chosen, x


def _rounds(
    state: SearchState, chosen: IntArray, value: float, deadline: float
) -> tuple[IntArray, float]:
    """Rounds of moves, opening, consolidation and downgrades while the value falls."""
    for _ in range(20):
        if time.perf_counter() > deadline:
            break
        chosen = _moves(state, chosen, downgrade=False)
        chosen = _open_nodes(state, chosen)
        chosen = _consolidate(state, chosen)
        if state.p.app_average.any():
            chosen = _moves(state, chosen, downgrade=True)
        new = state.value(chosen)
        improved = new < value - 1e-9 * abs(value)
        value = new
        if not improved:
            break
    return chosen, value


def _checked(state: SearchState, before: FloatArray, after: FloatArray) -> FloatArray:
    """``after`` if it keeps capacity, memory and links within limits, else ``before``."""
    return after if state.within_limits(after) else before


def _open_nodes(state: SearchState, chosen: IntArray) -> IntArray:
    """Switch on more servers (at closed nodes, or beside those on at open ones) when
    the demands that gain by moving there save more than the idle cost of the servers
    they add (best saving per unit of load first): the *add* move of facility-location
    local search (Arya et al., SIAM J. Comput. 33(3), 2004), opposite of
    :meth:`_consolidate`."""
    p, m = state.p, state.model
    busy, on, _ = state.node_state(chosen)
    room = m.switchable & (on < p.node_count)
    if not room.any():
        return chosen
    c, delta, extra, loss = state.alternatives(chosen, room)
    app = p.demand_app[p.cand_demand[c]]
    node = p.cand_node[c]
    sel = room[node] & (node != p.cand_node[chosen[p.cand_demand[c]]])
    sel &= (delta < 0) & state.keeps_floor(app, loss)
    c, delta, extra = c[sel], delta[sel], extra[sel]
    key = delta / np.maximum(extra, 1e-12)
    best = first_per(p.cand_demand[c], key)
    c, delta, extra, key = c[best], delta[best], extra[best], key[best]
    cap = np.maximum(p.max_utilisation * p.node_count - busy, 0.0)
    take = accept_in_order(p.cand_node[c], extra, key, cap)
    c, delta, extra = c[take], delta[take], extra[take]
    node = p.cand_node[c]
    gain = -weighted_sum(node, delta, p.n_nodes)
    after = busy + weighted_sum(node, extra, p.n_nodes)
    servers = state.servers(after)
    cost = (
        m.server_cost * (servers - on)
        + state.curve_cost(after, servers)
        - state.curve_cost(busy, on)
    )
    worth = gain - cost > 1e-9 * max(1.0, float(gain.max(initial=0.0)))
    return state.apply_moves(chosen, c[worth[node]])


def _split_moves(
    state: SearchState, chosen: IntArray, x: FloatArray, rounds: int = 3
) -> FloatArray:
    """Fill spare capacity of servers already on (devices included) with parts of
    splittable demands that are cheaper there: each round moves part of every
    demand's costliest share, a fractional knapsack per node by saving per unit
    of load; moves that would overfill memory or a link are dropped."""
    for _ in range(rounds):
        y = _split_round(state, chosen, x)
        if y is x:
            break
        x = y
    return x


def _split_round(state: SearchState, chosen: IntArray, x: FloatArray) -> FloatArray:
    p, m = state.p, state.model
    busy = state.busy_of_shares(x)
    on = state.servers(busy)
    spare = np.maximum(p.max_utilisation * on - busy, 0.0)
    used = np.flatnonzero(x)
    unit = m.cand_cost[used] + state.load[used] * state.marginal_cost(busy, on)[p.cand_node[used]]
    source = chosen.copy()
    costly = first_per(p.cand_demand[used], -unit)
    source[p.cand_demand[used[costly]]] = used[costly]
    c, delta, extra, loss = state.alternatives(source, on > 0)
    app = p.demand_app[p.cand_demand[c]]
    sel = (delta < 0) & (extra > 0) & p.app_splittable[app] & state.keeps_floor(app, loss)
    sel &= x[c] == 0  # a new place for the demand
    c, delta, extra = c[sel], delta[sel], extra[sel]
    if len(c) == 0:
        return x
    ratio = delta / extra
    best = first_per(p.cand_demand[c], ratio)
    c, extra, ratio = c[best], extra[best], ratio[best]
    src = source[p.cand_demand[c]]
    share = np.minimum(_knapsack_share(p.cand_node[c], extra, ratio, spare), x[src])
    keep = share > 1e-6
    c, src, share = c[keep], src[keep], share[keep]
    for _ in range(3):
        y = x.copy()
        y[src] -= share
        y[c] += share
        y = np.where(y < 1e-12, 0.0, y)
        bad = _conflicting(state, y, c)
        if not bad.any():
            return y
        c, src, share = c[~bad], src[~bad], share[~bad]
    return x


def _conflicting(state: SearchState, x: FloatArray, moved: IntArray) -> BoolArray:
    """Which of the candidates ``moved`` into sit at an over-full node (capacity or
    memory) or cross an overloaded arc under shares ``x``."""
    p = state.p
    busy = state.busy_of_shares(x)
    bad_node = busy > p.max_utilisation * p.node_count * (1 + 1e-9) + 1e-12
    used = np.flatnonzero(x > 1e-9)
    pairs = np.nonzero(model_pairs(p, used))[0]
    memory = p.model_memory_bytes[pairs % p.n_models]
    bad_node |= weighted_sum(pairs // p.n_models, memory, p.n_nodes) > p.node_memory_bytes * (
        1 + 1e-9
    )
    bad = bad_node[p.cand_node[moved]]
    bad |= bad_node[p.demand_source[p.cand_demand[moved]]] & (p.cand_head_compute_s[moved] > 0)
    loads = arc_loads_bps(p, np.flatnonzero(x), x[np.flatnonzero(x)])
    over = loads > arc_capacity_bps(p) * (1 + 1e-9)
    if over.any():
        pos, arc, _ = candidate_arcs(p, moved)
        hit = np.zeros(len(moved), dtype=bool)
        hit[pos[over[arc]]] = True
        bad |= hit
    return bad


def _moves(state: SearchState, chosen: IntArray, *, downgrade: bool) -> IntArray:
    """One round of improving moves into spare capacity (downgrade: average-floor
    apps trading accuracy for cost while each app's average holds)."""
    p = state.p
    _, on, spare = state.node_state(chosen)
    c, delta, extra, loss = state.alternatives(chosen, on > 0)
    app = p.demand_app[p.cand_demand[c]]
    if downgrade:
        sel = (delta < 0) & (loss > 1e-15) & p.app_average[app] & fits(extra, spare[p.cand_node[c]])
        key = np.where(sel, delta / np.maximum(loss, 1e-300), 0.0)
    else:
        sel = (delta < -1e-12) & state.keeps_floor(app, loss) & fits(extra, spare[p.cand_node[c]])
        key = delta
    c, delta, extra, loss, key, app = (
        c[sel],
        delta[sel],
        extra[sel],
        loss[sel],
        key[sel],
        app[sel],
    )
    best = first_per(p.cand_demand[c], key)
    c, delta, extra, loss, key, app = (
        c[best],
        delta[best],
        extra[best],
        loss[best],
        key[best],
        app[best],
    )
    if downgrade:
        keep = _within_slack(state, chosen, app, key, loss)
        c, delta, extra, key = c[keep], delta[keep], extra[keep], key[keep]
    take = (extra <= 0) | accept_in_order(p.cand_node[c], np.maximum(extra, 0), key, spare)
    return state.apply_moves(chosen, c[take])


def _within_slack(
    state: SearchState, chosen: IntArray, app: IntArray, key: FloatArray, loss: FloatArray
) -> BoolArray:
    """Moves that keep each average-floor application at or above its floor."""
    slack = state.accuracy_slack(chosen)
    order = np.lexsort((key, app))
    used = cumsum_in_groups(app[order], loss[order])
    keep = np.zeros(len(order), dtype=bool)
    keep[order] = used <= slack[app[order]] * (1 - 1e-9)
    return keep


def _consolidate(state: SearchState, chosen: IntArray) -> IntArray:
    """Empty the last server of lightly used nodes into spare capacity elsewhere."""
    p, m = state.p, state.model
    for threshold in (0.25, 0.5, 1.0):
        busy, on, spare = state.node_state(chosen)
        frag = busy / p.max_utilisation - (on - 1)
        donors = m.switchable & (on > 0) & (m.server_cost > 0) & (frag <= threshold)
        if not donors.any():
            continue
        receivers = (on > 0) & ~donors
        c, delta, extra, loss = state.alternatives(chosen, receivers, from_nodes=donors)
        keep = state.keeps_floor(p.demand_app[p.cand_demand[c]], loss)
        c, delta, extra = c[keep], delta[keep], extra[keep]
        best = first_per(p.cand_demand[c], delta)
        c, delta, extra = c[best], delta[best], extra[best]
        take = accept_in_order(p.cand_node[c], extra, delta, np.where(receivers, spare, 0.0))
        c, delta = c[take], delta[take]
        src = p.cand_node[chosen[p.cand_demand[c]]]
        moved = weighted_sum(src, state.load[chosen[p.cand_demand[c]]], p.n_nodes)
        cost = weighted_sum(src, delta, p.n_nodes)
        new_on = state.servers(np.maximum(busy - moved, 0.0))
        curve_before = state.curve_cost(busy, on)
        curve_after = state.curve_cost(np.maximum(busy - moved, 0.0), new_on)
        saving = m.server_cost * (on - new_on) + curve_before - curve_after - cost
        good = saving[src] > 1e-9 * max(1.0, float(np.abs(saving).max()))
        chosen = state.apply_moves(chosen, c[good])
    return chosen


def _partial_downgrade(state: SearchState, chosen: IntArray, x: FloatArray) -> FloatArray:
    """Use each splittable average-floor app's remaining slack on one partial move."""
    p = state.p
    busy = state.busy_of_shares(x)
    on = state.servers(busy)
    spare = np.maximum(p.max_utilisation * on - busy, 0.0)
    c, delta, extra, loss = state.alternatives(chosen, on > 0)
    app = p.demand_app[p.cand_demand[c]]
    sel = (delta < 0) & (loss > 1e-15) & p.app_average[app] & p.app_splittable[app]
    c, delta, extra, loss, app = c[sel], delta[sel], extra[sel], loss[sel], app[sel]
    if len(c) == 0:
        return x
    best = first_per(app, delta / loss)
    c, extra, loss, app = c[best], extra[best], loss[best], app[best]
    slack = state.accuracy_slack(chosen, x)[app]
    share = np.clip(slack * (1 - 1e-9) / loss, 0.0, 1.0)
    room = spare[p.cand_node[c]]
    share = np.where(
        extra > 0, np.minimum(share, room / np.maximum(extra, 1e-300) * (1 - 1e-9)), share
    )
    share = np.where(share > 1e-6, share, 0.0)
    # one move per node and demand: moves already differ by application, keep one per node
    node_first = first_per(p.cand_node[c], -share)
    c, share = c[node_first], share[node_first]
    cur = chosen[p.cand_demand[c]]
    share = np.minimum(share, x[cur])
    y = x.copy()
    y[cur] -= share
    y[c] += share
    y = np.where(y < 1e-12, 0.0, y)
    return y if state.links_ok(y) else x


def _knapsack_share(
    node: IntArray, load: FloatArray, ratio: FloatArray, room: FloatArray
) -> FloatArray:
    """Share of each item a node takes, best ``ratio`` first, while its ``room`` lasts
    (the fractional knapsack; the last item taken may be partial)."""
    share = np.zeros(len(node))
    if len(node) == 0:
        return share
    order = np.lexsort((ratio, node))
    before = cumsum_in_groups(node[order], load[order]) - load[order]
    left = np.maximum(room[node[order]] * (1 - 1e-9) - before, 0.0)
    share[order] = np.minimum(1.0, left / load[order])
    return share
