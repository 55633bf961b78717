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

import itertools

import numpy as np
import numpy.typing as npt

from slimplace.placement.assign import accept_in_order, fits
from slimplace.problem.compiled import CompiledProblem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def assign_rounds(
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
    placed) and the residual capacity left."""
    p = problem
    residual = residual.astype(np.float64, copy=True)
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    order = np.lexsort((cands, score, p.cand_demand[cands]))
    c, s, ld = cands[order], score[order], load[order]
    keep = fits(ld, residual[p.cand_node[c]])
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
        ok = accept_in_order(node, ld[prop], -regret / np.maximum(ld[prop], 1e-300), residual)
        won = prop[ok]
        chosen[d[won]] = c[won]
        np.subtract.at(residual, p.cand_node[c[won]], ld[won])
        alive = chosen[d] < 0
        alive[prop[~ok]] = False
        alive &= fits(ld, residual[p.cand_node[c]])
        c, s, ld = c[alive], s[alive], ld[alive]
    return chosen, residual


def top_per_demand(
    problem: CompiledProblem, cands: IntArray, key: FloatArray, k: int, *, chunk: int = 4_000_000
) -> IntArray:
    """The ``k`` candidates with the lowest ``key`` of each demand among ``cands``
    (ascending candidate indices), sorted by candidate.

    One quicksort of ``segment + 0.5 x key normalised within its demand`` per chunk
    of about ``chunk`` candidates (cut at demand boundaries, which bounds the
    temporary memory): several times faster than a lexicographic sort.
    """
    if len(cands) == 0:
        return np.zeros(0, dtype=np.int64)
    d = problem.cand_demand[cands]
    cuts = np.searchsorted(d, d[np.arange(chunk, len(d), chunk)], side="left")
    bounds = np.unique(np.concatenate([[0], cuts, [len(d)]]))
    parts = [
        _top_slice(cands[lo:hi], d[lo:hi], key[lo:hi], k) for lo, hi in itertools.pairwise(bounds)
    ]
    return np.sort(np.concatenate(parts))


def _top_slice(cands: IntArray, d: IntArray, key: FloatArray, k: int) -> IntArray:
    starts = np.flatnonzero(np.concatenate([[True], d[1:] != d[:-1]]))
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(d))))
    lo = np.minimum.reduceat(key, starts)
    span = np.maximum.reduceat(key, starts) - lo
    norm = (key - lo[seg]) / np.where(span > 0, span, 1.0)[seg]
    order = np.argsort(seg + 0.5 * norm)
    rank = np.arange(len(order)) - starts[seg[order]]
    return np.asarray(cands[order[rank < k]], dtype=np.int64)


def model_pairs(problem: CompiledProblem, cands: IntArray) -> BoolArray:
    """Mask over (node x model) keys ``node * M + model`` of the pairs ``cands`` use."""
    p = problem
    mask = np.zeros(p.n_nodes * p.n_models, dtype=bool)
    mask[p.cand_node[cands] * p.n_models + p.variant_model[p.cand_variant[cands]]] = True
    return mask


def weighted_sum(index: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """Sum of ``weights`` per value of ``index`` (``np.bincount`` typed as float64)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)


def argmin_segments(values: FloatArray, starts: IntArray) -> IntArray:
    """Offset of the smallest value within each segment ``values[starts[i]:starts[i+1]]``."""
    mins = np.minimum.reduceat(values, starts)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    hit = values <= mins[seg]
    pos = np.nonzero(hit)[0]
    first_hit = pos[np.searchsorted(seg[pos], np.arange(len(starts)))]
    return np.asarray(first_hit - starts, dtype=np.int64)


def first_per(group: IntArray, key: FloatArray) -> IntArray:
    """Index of the lowest ``key`` in each group (ties: lowest index)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(group)), key, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return order[first]
