"""Per-link quantities summed over the fixed routes of candidates (energy per bit,
carbon per bit), by the pointer jumping of :func:`slimplace.problem.routes.path_sums`.

A candidate (demand from source s, served at node v) sends its requests over the
leaf link of s when s is a folded leaf (:class:`~slimplace.problem.routes.Routes`),
then along the shortest-path tree of s's root to v; responses come back the same way.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.problem.routes import Routes, path_sums


def into_links(routes: Routes) -> IntArray:
    """The link into every (root row, column) cell on its route (-1 at roots, unreachable)."""
    pred = routes.pred
    into = np.full(pred.shape, -1, dtype=np.int64)
    rr, cc = np.nonzero(pred >= 0)
    if len(rr):
        into[rr, cc] = routes.link_between(routes.cols[pred[rr, cc]], routes.cols[cc])
    return into


def route_table(routes: Routes, into: IntArray, link_values: FloatArray) -> FloatArray:
    """Sum of ``link_values`` over the path from every root (rows) to every column."""
    if into.size == 0:
        return np.zeros(into.shape)
    edge = np.where(into >= 0, np.asarray(link_values)[np.maximum(into, 0)], 0.0)
    return path_sums(routes.pred, edge)


def cand_route_sum(
    routes: Routes,
    table: FloatArray,
    link_values: FloatArray,
    source: IntArray,
    node: IntArray,
) -> FloatArray:
    """Sum of ``link_values`` over the route of each (source, serving node) pair
    (0 where the request is served at its source)."""
    out = np.zeros(len(source))
    away = np.flatnonzero(node != source)
    if len(away) == 0:
        return out
    src, dst = source[away], node[away]
    leaf = routes.source_leaf_link[src]
    values = np.asarray(link_values)
    total = np.where(leaf >= 0, values[np.maximum(leaf, 0)], 0.0)
    row = routes.source_root_row[src]
    beyond = dst != routes.roots[row]
    total[beyond] += table[row[beyond], routes.col(dst[beyond])]
    out[away] = total
    return out
