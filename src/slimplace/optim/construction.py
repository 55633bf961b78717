"""Building assignments on a :class:`~slimplace.optim.search_state.SearchState`: prices
by subgradient steps, regret-ordered placement with repairs of memory and bandwidth, and
the restoration of average accuracy floors."""

from __future__ import annotations

import numpy as np

from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.regret import assign_by_regret
from slimplace.optim.repair import node_busy, repair
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import argmin_segments, first_per, weighted_sum
from slimplace.placement.assign import accept_in_order, cumsum_in_groups, fits


def multipliers(
    state: SearchState, rate: FloatArray, checkpoints: tuple[int, ...]
) -> list[tuple[FloatArray, FloatArray]]:
    """Scarcity price of capacity per node (objective per server-second of work) and
    price of accuracy per average-floor application, by subgradient steps on the
    relaxation where every demand takes its cheapest shortlisted candidate (the
    multiplier adjustment of Fisher, Jaikumar & Van Wassenhove, Management
    Science 32(9), 1986): demands then compete for scarce nodes by what they
    save per unit of capacity, and trade accuracy where it is cheapest. Returns
    the prices after each number of rounds in ``checkpoints``."""
    p = state.p
    c = state.shortlisted
    d = p.cand_demand[c]
    node, app = p.cand_node[c], p.demand_app[d]
    load, gain = state.load[c], state.acc_gain[c]
    base = state.price(rate)[c]
    cap = p.max_utilisation * p.node_count.astype(np.float64)
    rate_a = weighted_sum(p.demand_app, p.demand_rate_per_s, len(p.app_ids))
    first = np.searchsorted(d, np.unique(d))
    mu, lam = np.zeros(p.n_nodes), np.zeros(len(p.app_ids))
    rounds = max(checkpoints, default=0)
    if len(c) == 0 or rounds <= 0:
        return [(mu, lam) for _ in checkpoints]
    out: dict[int, tuple[FloatArray, FloatArray]] = {0: (mu, lam)}
    mu_scale = float(np.median(np.abs(base) / np.maximum(load, 1e-12)))
    spread = np.abs(gain) > 0
    lam_scale = (
        float(np.median(np.abs(base[spread]) / np.abs(gain[spread]))) if spread.any() else 0.0
    )
    for t in range(rounds):
        price = base + load * mu[node] - lam[app] * gain
        best = first + argmin_segments(price, first)
        use = weighted_sum(node[best], load[best], p.n_nodes)
        over = (use - cap) / np.maximum(cap, 1e-12)
        step = 0.5 / (1.0 + t)
        mu = np.maximum(0.0, mu + step * mu_scale * np.clip(over, -1.0, 1.0))
        short = -weighted_sum(app[best], gain[best], len(p.app_ids))
        short = np.where(p.app_average, short / np.maximum(rate_a, 1e-12), 0.0)
        lam = np.maximum(0.0, lam + step * lam_scale * np.clip(short / 0.01, -1.0, 1.0))
        if t + 1 in checkpoints:
            out[t + 1] = (mu, lam)
    return [out[max(0, k)] for k in checkpoints]


def construct(
    state: SearchState,
    rate: FloatArray,
    mu: FloatArray | None = None,
    lam: FloatArray | None = None,
) -> IntArray:
    """Place every demand under node rates ``rate`` (plus capacity prices ``mu`` and
    accuracy prices ``lam``); repair memory, bandwidth and average floors."""
    p = state.p
    price = state.price(rate)
    if mu is not None:
        price = price + state.load * mu[p.cand_node]
    if lam is not None:
        price = price - lam[p.demand_app[p.cand_demand]] * state.acc_gain
    else:  # without accuracy prices, average-floor apps start on variants meeting the floor
        price = np.where(state.floor_ok, price, np.inf)
    residual = p.max_utilisation * p.node_count.astype(np.float64)
    cands = state.shortlisted[np.isfinite(price[state.shortlisted])]
    chosen, residual = assign_by_regret(p, cands, price[cands], state.load[cands], residual)
    score = np.where(np.isfinite(price), price, 1e300)
    chosen = repair(p, chosen, score, state.load, cands)
    if (chosen < 0).any():  # fall back to every candidate for the demands left
        rest = state.candidates_of(chosen < 0)
        rest = rest[np.isfinite(price[rest])]
        residual = p.max_utilisation * p.node_count - node_busy(p, chosen, state.load)
        more, _ = assign_by_regret(p, rest, price[rest], state.load[rest], residual)
        chosen = repair(p, np.where(more >= 0, more, chosen), score, state.load, rest)
    if p.app_average.any() and (chosen >= 0).all():
        chosen = restore_floors(state, chosen)
    return chosen


def restore_floors(state: SearchState, chosen: IntArray) -> IntArray:
    """Raise every average-floor application back to its floor: moves to more
    accurate candidates (same node, or spare capacity of servers on), cheapest
    per accuracy point first; demands of apps still short go to their most
    accurate candidate that fits."""
    p = state.p
    for _ in range(3):
        slack = state.accuracy_slack(chosen)
        short = p.app_average & (slack < -1e-9 * np.maximum(1.0, np.abs(slack)))
        if not short.any():
            return chosen
        _, on, spare = state.node_state(chosen)
        c, delta, extra, loss = state.alternatives(chosen, on > 0)
        app = p.demand_app[p.cand_demand[c]]
        sel = short[app] & (loss < -1e-15) & fits(extra, spare[p.cand_node[c]])
        c, delta, extra, loss, app = c[sel], delta[sel], extra[sel], loss[sel], app[sel]
        key = delta / -loss
        best = first_per(p.cand_demand[c], key)
        c, extra, loss, app, key = c[best], extra[best], loss[best], app[best], key[best]
        order = np.lexsort((key, app))
        before = cumsum_in_groups(app[order], -loss[order]) + loss[order]
        need = -slack[app[order]]
        take = np.zeros(len(order), dtype=bool)
        take[order] = before < need
        take &= (extra <= 0) | accept_in_order(p.cand_node[c], np.maximum(extra, 0), key, spare)
        chosen = state.apply_moves(chosen, c[take])
    slack = state.accuracy_slack(chosen)
    short = p.app_average & (slack < -1e-9 * np.maximum(1.0, np.abs(slack)))
    if short.any():
        chosen = _floor_fallback(state, chosen, short)
    return chosen


def _floor_fallback(state: SearchState, chosen: IntArray, short: BoolArray) -> IntArray:
    """Re-place the demands of short applications on variants meeting the floor."""
    p = state.p
    out = chosen.copy()
    evict = short[p.demand_app]
    out[evict] = -1
    residual = p.max_utilisation * p.node_count - node_busy(p, out, state.load)
    cands = state.candidates_of(evict)
    cands = cands[state.floor_ok[cands]]
    placed, _ = assign_by_regret(
        p, cands, state.price(state.base_rate)[cands], state.load[cands], residual
    )
    return np.where(evict, placed, out)
