"""Capacity-aware assignment in vectorized rounds, with regret priorities.

Each round every unplaced demand proposes its best remaining candidate (lowest
score); every node accepts proposals in order of *regret* per unit of capacity used (how
much more the demand's second choice costs, divided by its load; Martello &
Toth, "An algorithm for the generalized assignment problem", Operational
Research '81, 1981, with the ratio of a fractional knapsack) while its residual
capacity lasts; placed demands and candidates that no longer fit are
dropped, and the arrays are compacted so later rounds only touch what is left.
"""

from __future__ import annotations

import numpy as np

from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.optim.heads import has_heads, head_load, head_node
from slimplace.placement.assign import accept_in_order, fits
from slimplace.problem.compiled import CompiledProblem


def assign_by_regret(
    problem: CompiledProblem,
    cands: IntArray,
    score: FloatArray,
    load: FloatArray,
    residual: FloatArray,
    *,
    max_rounds: int = 10_000,
) -> tuple[IntArray, FloatArray]:
    """Place the demands of ``cands`` (allowed candidates, with per-candidate ``score``,
    lower preferred, and ``load`` in server-seconds per second) into ``residual``
    capacity per node. Returns the chosen candidate per demand (-1 where none was
    placed) and the residual capacity left. A split candidate must also fit its head's
    load into its source device's residual (:mod:`slimplace.optim.heads`)."""
    p = problem
    residual = residual.astype(np.float64, copy=True)
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    order = np.lexsort((cands, score, p.cand_demand[cands]))
    c, s, ld = cands[order], score[order], load[order]
    heads = has_heads(p)
    h_load = head_load(p) if heads else np.zeros(0)
    h_node = head_node(p) if heads else np.zeros(0, dtype=np.int64)
    keep = fits(ld, residual[p.cand_node[c]])
    if heads:
        keep &= fits(h_load[c], residual[h_node[c]])
    c, s, ld = c[keep], s[keep], ld[keep]
    for _ in range(max_rounds):
        if len(c) == 0:
            break
        d = p.cand_demand[c]
        first = np.ones(len(c), dtype=bool)
        first[1:] = d[1:] != d[:-1]
        prop = np.nonzero(first)[0]
        nxt = prop + 1
        has_second = np.zeros(len(prop), dtype=bool)
        has_second[nxt < len(c)] = d[nxt[nxt < len(c)]] == d[prop[nxt < len(c)]]
        regret = np.where(has_second, s[np.minimum(nxt, len(c) - 1)] - s[prop], np.inf)
        node = p.cand_node[c[prop]]
        key = -regret / np.maximum(ld[prop], 1e-300)
        ok = accept_in_order(node, ld[prop], key, residual)
        if heads:
            ok &= _heads_fit(p, c[prop], ld[prop], key, ok, residual)
        won = prop[ok]
        chosen[d[won]] = c[won]
        np.subtract.at(residual, p.cand_node[c[won]], ld[won])
        if heads:
            np.subtract.at(residual, h_node[c[won]], h_load[c[won]])
        alive = chosen[d] < 0
        alive[prop[~ok]] = False
        alive &= fits(ld, residual[p.cand_node[c]])
        if heads:
            alive &= fits(h_load[c], residual[h_node[c]])
        c, s, ld = c[alive], s[alive], ld[alive]
    return chosen, residual


def _heads_fit(
    p: CompiledProblem,
    cands: IntArray,
    tail: FloatArray,
    key: FloatArray,
    accepted: BoolArray,
    residual: FloatArray,
) -> BoolArray:
    """Which accepted proposals' heads fit their source devices once every accepted
    tail is placed (heads in ``key`` order; a rejected head frees nothing, so the check
    errs on the safe side)."""
    after = residual.copy()
    np.subtract.at(after, p.cand_node[cands[accepted]], tail[accepted])
    load = np.where(accepted, head_load(p)[cands], 0.0)
    return accept_in_order(head_node(p)[cands], load, key, after)
