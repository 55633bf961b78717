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
    rank: FloatArray,
    allowed: BoolArray,
    *,
    max_rounds: int = 1000,
) -> IntArray:
    """Candidate chosen for every demand (-1 where none fits), lower rank preferred."""
    p = problem
    load = p.demand_rate_per_s[p.cand_demand] * p.cand_service_s
    residual = p.max_utilisation * p.node_count.astype(np.float64)
    order = np.lexsort((rank, p.cand_demand))
    alive = allowed[order].copy()
    demand_sorted = p.cand_demand[order]
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    for _ in range(max_rounds):
        idx = np.nonzero(alive)[0]
        if len(idx) == 0:
            break
        _, first = np.unique(demand_sorted[idx], return_index=True)
        prop_pos = idx[first]
        prop = order[prop_pos]
        accept = _accept(p.cand_node[prop], load[prop], rank[prop], residual)
        won = prop[accept]
        chosen[p.cand_demand[won]] = won
        np.subtract.at(residual, p.cand_node[won], load[won])
        alive[prop_pos[~accept]] = False
        placed = chosen[demand_sorted] >= 0
        fits = load[order] <= residual[p.cand_node[order]] * (1 + 1e-9) + 1e-12
        alive &= ~placed & fits
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
