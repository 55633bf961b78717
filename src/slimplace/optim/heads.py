"""Load that split candidates' heads put on their source devices, for the heuristics.

A split candidate (:mod:`slimplace.split.candidates`) runs its first blocks on the
demand's source device: ``rate x cand_head_compute_s`` server-seconds per second there,
besides its tail load at ``cand_node``. The MILP's capacity rows
(:mod:`slimplace.optim.formulation`) and the evaluator count it; these helpers let the
heuristics count it the same way. Without split candidates every function returns zeros
(or nothing to evict), so the heuristics behave as before.
"""

from __future__ import annotations

import numpy as np

from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.segments import weighted_sum
from slimplace.placement.assign import cumsum_in_groups
from slimplace.problem.compiled import CompiledProblem


def has_heads(p: CompiledProblem) -> bool:
    """Whether some candidate runs a head on its source device."""
    return bool(len(p.cand_head_compute_s) and (p.cand_head_compute_s > 0).any())


def head_load(p: CompiledProblem) -> FloatArray:
    """Server-seconds per second each candidate's head puts on its source device."""
    return np.asarray(p.demand_rate_per_s[p.cand_demand] * p.cand_head_compute_s, dtype=np.float64)


def head_node(p: CompiledProblem) -> IntArray:
    """The node each candidate's head runs on (the demand's source)."""
    return np.asarray(p.demand_source[p.cand_demand], dtype=np.int64)


def head_busy(p: CompiledProblem, chosen: IntArray) -> FloatArray:
    """Head load per node under a one-candidate-per-demand assignment (-1: unplaced)."""
    c = chosen[chosen >= 0]
    if not has_heads(p) or len(c) == 0:
        return np.zeros(p.n_nodes)
    return weighted_sum(head_node(p)[c], head_load(p)[c], p.n_nodes)


def head_busy_of_shares(p: CompiledProblem, x: FloatArray) -> FloatArray:
    """Head load per node under candidate shares ``x``."""
    if not has_heads(p):
        return np.zeros(p.n_nodes)
    used = np.flatnonzero(x)
    return weighted_sum(head_node(p)[used], head_load(p)[used] * x[used], p.n_nodes)


def capacity_evictions(p: CompiledProblem, chosen: IntArray, busy: FloatArray) -> BoolArray:
    """Demands to evict so that no node's load (``busy``: tails and heads) exceeds
    rho_max x its servers: at an over-full node, the demands whose heads run there go,
    largest head first, until the rest fits."""
    evict = np.zeros(p.n_demands, dtype=bool)
    cap = p.max_utilisation * p.node_count.astype(np.float64)
    over = busy > cap * (1 + 1e-9) + 1e-12
    if not has_heads(p) or not over.any():
        return evict
    d = np.flatnonzero(chosen >= 0)
    c = chosen[d]
    load, node = head_load(p)[c], head_node(p)[c]
    sel = over[node] & (load > 0)
    d, load, node = d[sel], load[sel], node[sel]
    order = np.lexsort((-load, node))
    freed = cumsum_in_groups(node[order], load[order])
    excess = busy[node[order]] - cap[node[order]] * (1 + 1e-9)
    before = freed - load[order]  # freed by the larger heads evicted before this one
    evict[d[order][before < excess]] = True
    return evict


__all__ = [
    "capacity_evictions",
    "has_heads",
    "head_busy",
    "head_busy_of_shares",
    "head_load",
    "head_node",
]
