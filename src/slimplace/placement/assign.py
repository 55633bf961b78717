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
import numpy.typing as npt

from slimplace.problem.compiled import CompiledProblem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


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
        accept = _accept(node[prop], load[prop], rank[prop], residual)
        won = prop[accept]
        chosen[demand[won]] = cand[won]
        np.subtract.at(residual, node[won], load[won])
        alive[prop[~accept]] = False
        alive[idx] &= (chosen[demand[idx]] < 0) & (
            load[idx] <= residual[node[idx]] * (1 + 1e-9) + 1e-12
        )
    return chosen


def _accept(node: IntArray, load: FloatArray, rank: FloatArray, residual: FloatArray) -> BoolArray:
    """Which proposals each node takes, best-ranked first, while capacity lasts."""
    order = np.lexsort((rank, node))
    n_sorted, l_sorted = node[order], load[order]
    cum = np.cumsum(l_sorted)
    start = np.ones(len(order), dtype=bool)
    start[1:] = n_sorted[1:] != n_sorted[:-1]
    group_base = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    before = cum - l_sorted - (cum[group_base] - l_sorted[group_base])
    ok_sorted = before + l_sorted <= residual[n_sorted] * (1 + 1e-9) + 1e-12
    ok = np.empty(len(order), dtype=bool)
    ok[order] = ok_sorted
    return ok
