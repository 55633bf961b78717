"""Vectorized operations on segments of arrays: sums, minima and the best ``k`` per group
(candidates come sorted by demand, so a demand's candidates are one segment)."""

from __future__ import annotations

import itertools

import numpy as np

from slimplace.optim.costs import BoolArray, FloatArray, IntArray
from slimplace.problem.compiled import CompiledProblem


def concat_ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, counts)])`` without a loop."""
    counts = counts.astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - offsets + np.repeat(starts.astype(np.int64), counts)


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


def model_pairs(problem: CompiledProblem, cands: IntArray) -> BoolArray:
    """Mask over (node x model) keys ``node * M + model`` of the pairs ``cands`` use."""
    p = problem
    mask = np.zeros(p.n_nodes * p.n_models, dtype=bool)
    mask[p.cand_node[cands] * p.n_models + p.variant_model[p.cand_variant[cands]]] = True
    return mask
