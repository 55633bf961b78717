"""Repairs that make a one-candidate-per-demand assignment respect memory and
bandwidth, by evicting demands and placing them again elsewhere (vectorized rounds)."""

from __future__ import annotations

import numpy as np

from slimplace.optim.arcs import arc_capacity_bps, candidate_arcs
from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.heads import capacity_evictions, head_busy
from slimplace.optim.regret import assign_by_regret
from slimplace.optim.segments import weighted_sum
from slimplace.placement.assign import cumsum_in_groups
from slimplace.problem.compiled import CompiledProblem


def node_busy(p: CompiledProblem, chosen: IntArray, load: FloatArray) -> FloatArray:
    """Server-seconds per second at each node under ``chosen`` (split heads included, at
    their source devices: :mod:`slimplace.optim.heads`)."""
    ok = chosen >= 0
    return weighted_sum(p.cand_node[chosen[ok]], load[chosen[ok]], p.n_nodes) + head_busy(p, chosen)


def memory_evictions(
    p: CompiledProblem, chosen: IntArray, load: FloatArray
) -> tuple[BoolArray, IntArray]:
    """Demands to evict so every node's loaded models fit, and the (node x model)
    pairs to forbid: at an over-full node, models are kept by decreasing load."""
    ok = np.nonzero(chosen >= 0)[0]
    c = chosen[ok]
    n_m = p.n_models
    pair = p.cand_node[c] * n_m + p.variant_model[p.cand_variant[c]]
    uniq, inv = np.unique(pair, return_inverse=True)
    pair_load = weighted_sum(inv, load[c], len(uniq))
    node, mdl = uniq // n_m, uniq % n_m
    mem = p.model_memory_bytes[mdl]
    order = np.lexsort((-pair_load, node))
    used = cumsum_in_groups(node[order], mem[order])
    over = np.zeros(len(uniq), dtype=bool)
    over[order] = used > p.node_memory_bytes[node[order]] * (1 + 1e-9)
    evict = np.zeros(p.n_demands, dtype=bool)
    evict[ok[over[inv]]] = True
    return evict, uniq[over]


def bandwidth_evictions(
    p: CompiledProblem, chosen: IntArray, keep_key: FloatArray | None = None
) -> tuple[BoolArray, FloatArray]:
    """Demands to evict so no arc is overloaded, and the residual bandwidth per arc
    after eviction. On each overloaded arc the demands with the highest ``keep_key``
    (per demand; default: smaller flows) stay while the bandwidth lasts."""
    cap = arc_capacity_bps(p)
    ok = np.nonzero(chosen >= 0)[0]
    evict = np.zeros(p.n_demands, dtype=bool)
    pos, arc, bits = candidate_arcs(p, chosen[ok])
    flow = p.demand_rate_per_s[ok[pos]] * bits
    loads = weighted_sum(arc, flow, len(cap))
    over = loads > cap * (1 + 1e-9)
    if not over.any():
        return evict, cap - loads
    on_over = over[arc]
    o_pos, o_arc, o_flow = pos[on_over], arc[on_over], flow[on_over]
    key = o_flow if keep_key is None else -keep_key[ok[o_pos]]
    order = np.lexsort((key, o_arc))
    within = cumsum_in_groups(o_arc[order], o_flow[order]) <= cap[o_arc[order]] * (1 + 1e-9)
    evict[ok[o_pos[order][~within]]] = True
    gone = evict[ok[pos]]
    loads = loads - weighted_sum(arc[gone], flow[gone], len(cap))
    return evict, cap - loads


def _regret_per_bit(
    p: CompiledProblem, chosen: IntArray, score: FloatArray, universe: IntArray
) -> FloatArray:
    """What moving each placed demand to its best candidate at another node costs, per
    bit per second its chosen candidate sends (``cand_request_bits``: a split candidate
    sends its cut tensor; evicting the cheapest to move first frees links best)."""
    key = np.full(p.n_demands, np.inf)
    placed = np.flatnonzero(chosen >= 0)
    if len(placed) == 0:  # nothing placed (or no candidates at all): no order to give
        return key
    d = p.cand_demand[universe]
    cur = chosen[d]
    other = cur >= 0
    other[other] = p.cand_node[universe[other]] != p.cand_node[cur[other]]
    alt = np.full(p.n_demands, np.inf)
    np.minimum.at(alt, d[other], score[universe[other]])
    c = chosen[placed]
    regret = alt[placed] - score[c]
    bits = p.demand_rate_per_s[placed] * (p.cand_request_bits[c] + p.demand_response_bits[placed])
    finite = np.isfinite(regret) & (bits > 0)
    key[placed[finite]] = regret[finite] / bits[finite]
    return key


def bandwidth_blocked(p: CompiledProblem, cands: IntArray, residual_bps: FloatArray) -> BoolArray:
    """Candidates whose own traffic alone exceeds the residual bandwidth of an arc they cross."""
    blocked = np.zeros(len(cands), dtype=bool)
    if len(cands) == 0 or not np.isfinite(residual_bps).any():
        return blocked
    pos, arc, bits = candidate_arcs(p, cands)
    flow = p.demand_rate_per_s[p.cand_demand[cands[pos]]] * bits
    bad = flow > residual_bps[arc] * (1 + 1e-9) + 1e-9
    blocked[pos[bad]] = True
    return blocked


def repair(
    p: CompiledProblem,
    chosen: IntArray,
    score: FloatArray,
    load: FloatArray,
    universe: IntArray,
    *,
    max_rounds: int = 50,
) -> IntArray:
    """Evict and re-place demands until memory, bandwidth and the capacity that split
    heads take on their source devices hold (or nothing moves).

    Evicted demands are placed again among the candidates ``universe`` (sorted
    indices; ``score`` and ``load`` are per candidate of the problem), avoiding
    the (node x model) pairs that overflowed and paths without bandwidth left.
    """
    chosen = chosen.copy()
    forbidden = np.zeros(p.n_nodes * p.n_models, dtype=bool)
    blocked = np.zeros(0, dtype=np.int64)
    for _ in range(max_rounds):
        evict_m, bad_pairs = memory_evictions(p, chosen, load)
        evict_b, residual_bps = bandwidth_evictions(
            p, chosen, _regret_per_bit(p, chosen, score, universe)
        )
        evict = evict_m | evict_b | capacity_evictions(p, chosen, node_busy(p, chosen, load))
        if not evict.any():
            break
        forbidden[bad_pairs] = True
        chosen[evict] = -1
        residual = p.max_utilisation * p.node_count - node_busy(p, chosen, load)
        todo = universe[evict[p.cand_demand[universe]]]
        todo = todo[
            ~forbidden[p.cand_node[todo] * p.n_models + p.variant_model[p.cand_variant[todo]]]
        ]
        todo = np.setdiff1d(todo, blocked, assume_unique=True)
        stop = bandwidth_blocked(p, todo, residual_bps)
        blocked = np.union1d(blocked, todo[stop])
        todo = todo[~stop]
        placed, _ = assign_by_regret(p, todo, score[todo], load[todo], residual)
        chosen = np.where(placed >= 0, placed, chosen)
    return chosen
