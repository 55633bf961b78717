"""Pricing the ``link`` rows a column brings with it, in column generation.

A candidate c of demand d at a switchable node v enters the LP with its ``link[d,v]``
row ``sum_{c' of d at v} x_c' - n_v <= 0`` (:mod:`slimplace.optim.formulation`). When
the restricted LP has no candidate of d at v, it has no such row, and the row's dual,
extended with zero, prices c as if serving d at v needed no server: at a node the LP
keeps switched off, every candidate looks cheaper by the cost of switching a server on.
Such columns price out round after round, and few of them are ever used: the tail-off
of column generation (Lübbecke & Desrosiers, "Selected topics in column generation",
Oper. Res. 53(6), 2005, sec. 4; rows that come with columns: Muter, Birbil & Bülbül,
"Simultaneous column-and-row generation for large-scale linear programs with
column-dependent-rows", Math. Program. 142, 2013).

The missing rows get duals ``mu[d,v] >= 0`` (penalties) instead of zero. A candidate's
reduced cost rises by ``mu[d,v]``, the server column n_v's falls by ``sum_d mu[d,v]``.
While that sum stays within ``rho_v``, the reduced cost of n_v at its lower bound
(``max(rc(n_v), 0)``: 0 when n_v is basic or at its upper bound; for a node without any
column in the restricted LP, its on-cost), n_v's term of the Lagrangian bound
``sum_j min(rc_j l_j, rc_j u_j)`` is unchanged, so the bound of column generation
(``LP(R) + sum_d min(0, min_c rc_c)``) stays valid with the raised reduced costs.
Each pair asks for ``need[d,v] = max(0, -min rc)`` over its candidates; a node gives
every pair its need when their total is within ``rho_v``, else shares ``rho_v`` in
proportion to the needs. A node whose pairs together need more than ``rho_v`` is worth
switching on for them together, and their candidates still price out; when no node
is, the restricted LP is optimal for the full LP.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.optim.costs import CostModel
from slimplace.optim.formulation import Formulation
from slimplace.problem.compiled import CompiledProblem

#: Share of ``rho_v`` handed out (a margin for the LP's dual tolerance).
BUDGET_SHARE = 1.0 - 1e-9


def missing_link_duals(
    p: CompiledProblem,
    model: CostModel,
    f: Formulation,
    restricted: IntArray,
    col_duals: FloatArray,
    col_values: FloatArray,
    rc: FloatArray,
) -> FloatArray:
    """``mu`` of every candidate's (demand, node) pair (0 where the pair has a candidate
    in the restricted set ``restricted``, or the node is not switchable); add it to the
    reduced costs ``rc`` (of the restricted LP ``f``, whose column duals and values are
    given) before pricing."""
    mu = np.zeros(p.n_candidates)
    key = p.cand_demand.astype(np.int64) * p.n_nodes + p.cand_node
    inside = np.unique(key[restricted])
    pos = np.minimum(np.searchsorted(inside, key), max(len(inside) - 1, 0))
    has_row = inside[pos] == key if len(inside) else np.zeros(p.n_candidates, dtype=bool)
    missing = np.flatnonzero(model.switchable[p.cand_node] & ~has_row)
    if len(missing) == 0 or not (rc[missing] < 0).any():
        return mu
    pairs, which, low = _group_min(key[missing], rc[missing])
    need = np.maximum(-low, 0.0)
    node = pairs % p.n_nodes
    total = np.bincount(node, weights=need, minlength=p.n_nodes)
    budget = _budget(p, model, f, col_duals, col_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, np.minimum(1.0, budget / total), 0.0)
    mu[missing] = (need * share[node])[which]
    return mu


def _budget(
    p: CompiledProblem,
    model: CostModel,
    f: Formulation,
    col_duals: FloatArray,
    col_values: FloatArray,
) -> FloatArray:
    """``rho_v`` of every node: the reduced cost of n_v at its lower bound 0 (0 when it
    is above it); the on-cost for switchable nodes without a column."""
    rho = np.where(model.switchable, np.maximum(model.server_cost, 0.0), 0.0)
    nodes = f.col_index["n"][0] if "n" in f.col_index else np.zeros(0, dtype=np.int64)
    if len(nodes):
        sl = f.cols["n"]
        at_zero = col_values[sl] <= 1e-9
        rho[nodes] = np.where(at_zero, np.maximum(col_duals[sl], 0.0), 0.0)
    return rho * BUDGET_SHARE


def _group_min(key: IntArray, values: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Distinct keys, each entry's group and each group's least value (keys come sorted:
    candidates are sorted by demand, then node; sorted here otherwise)."""
    order = np.arange(len(key))
    if not bool(np.all(key[1:] >= key[:-1])):
        order = np.argsort(key, kind="stable")
    k = key[order]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    starts = np.flatnonzero(first)
    which = np.empty(len(k), dtype=np.int64)
    which[order] = np.cumsum(first) - 1
    return k[starts], which, np.minimum.reduceat(values[order], starts)
