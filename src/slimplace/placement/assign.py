"""Capacity-aware assignment of demands to their preferred candidates, vectorized.

Deferred acceptance in rounds (Gale & Shapley, 1962, as used for placement by
e.g. the edge-first policies of iFogSim): every unplaced demand proposes its
best remaining candidate; each node accepts proposals in order of preference
while its servers, at rho_max, have room; rejected candidates are dropped, and
so is every candidate whose load no longer fits its node. Each round is a few
numpy passes over the candidates.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.compiled import CompiledProblem


def rank_by(*keys: FloatArray) -> FloatArray:
    """Rank of every candidate under lexicographic ``keys`` (first key most significant)."""
    order = np.lexsort(tuple(reversed(keys)))
    rank = np.empty(len(order), dtype=np.float64)
    rank[order] = np.arange(len(order))
    return rank


def assign_by_preference(
    problem: CompiledProblem,
    keys: tuple[FloatArray, ...],
    allowed: BoolArray,
    *,
    max_rounds: int = 1000,
) -> IntArray:
    """Candidate chosen for every demand (-1 where none fits) among the ``allowed`` ones,
    preferring lower ``keys`` (lexicographic, first key most significant).

    Only the allowed candidates are ranked; candidates come sorted by demand, so one
    sort by (demand, rank) lists each demand's preferences in order, and a round is a
    pass over the candidates still alive."""
    p = problem
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    cand = np.flatnonzero(allowed)
    if len(cand) == 0:
        return chosen
    rank = rank_by(*(np.asarray(k)[cand] for k in keys))
    demand = p.cand_demand[cand]
    # ranks are 0..n-1, so demand x n + rank is exact in float64 below 2^53
    order = np.argsort(demand.astype(np.float64) * len(cand) + rank)
    cand, rank, demand = cand[order], rank[order], demand[order]
    node = p.cand_node[cand]
    load = p.demand_rate_per_s[demand] * p.cand_service_s[cand]
    residual = p.max_utilisation * p.node_count.astype(np.float64)
    alive = np.ones(len(cand), dtype=bool)
    for _ in range(max_rounds):
        idx = np.flatnonzero(alive)
        if len(idx) == 0:
            break
        first = np.ones(len(idx), dtype=bool)  # each demand's best alive candidate
        first[1:] = demand[idx[1:]] != demand[idx[:-1]]
        prop = idx[first]
        accept = accept_in_order(node[prop], load[prop], rank[prop], residual)
        won = prop[accept]
        chosen[demand[won]] = cand[won]
        np.subtract.at(residual, node[won], load[won])
        alive[prop[~accept]] = False
        alive[idx] &= (chosen[demand[idx]] < 0) & fits(load[idx], residual[node[idx]])
    return chosen


#: Relative slack when comparing loads with capacities.
FIT_TOL = 1e-9


def fits(load: FloatArray, residual: FloatArray) -> BoolArray:
    """Whether ``load`` fits ``residual`` (with a tiny tolerance)."""
    return np.asarray(load <= residual * (1 + FIT_TOL) + 1e-12, dtype=bool)


def cumsum_in_groups(group: IntArray, values: FloatArray) -> FloatArray:
    """Running total of ``values`` within each run of equal ``group`` (both already in
    order; the total includes the element itself)."""
    if len(values) == 0:
        return np.zeros(0)
    cum = np.cumsum(values)
    start = np.ones(len(group), dtype=bool)
    start[1:] = group[1:] != group[:-1]
    base = np.maximum.accumulate(np.where(start, np.arange(len(group)), 0))
    return np.asarray(cum - (cum[base] - values[base]), dtype=np.float64)


def accept_in_order(
    node: IntArray, load: FloatArray, priority: FloatArray, residual: FloatArray
) -> BoolArray:
    """Which proposals each node takes, lowest ``priority`` first, while capacity lasts
    (a proposal that does not fit blocks the ones after it at that node)."""
    if len(node) == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((priority, node))
    n_sorted = node[order]
    ok = np.empty(len(order), dtype=bool)
    ok[order] = fits(cumsum_in_groups(n_sorted, load[order]), residual[n_sorted])
    return ok
