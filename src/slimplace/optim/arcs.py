"""Which directed links each candidate's traffic crosses, vectorized.

Requests travel from the source to the serving node, responses back, over the
routes of :mod:`slimplace.problem.routes` (the same convention as
:func:`slimplace.evaluate.link_loads_bps`): arc ``2l`` is link l crossed from
``a`` to ``b``, arc ``2l + 1`` from ``b`` to ``a``.
"""

from __future__ import annotations

import numpy as np

from slimplace.optim.costs import FloatArray, IntArray
from slimplace.optim.segments import concat_ranges
from slimplace.problem.compiled import CompiledProblem


def candidate_arcs(
    problem: CompiledProblem, cands: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Arcs crossed by candidates ``cands``, as COO triplets.

    Returns (position in ``cands``, arc, bits per request crossing that arc):
    request bits on the arcs toward the node, response bits on the way back.
    Paths are expanded once per distinct (root, node) pair.
    """
    p, r = problem, problem.routes
    d = p.cand_demand[cands]
    node = p.cand_node[cands]
    src = p.demand_source[d]
    req, resp = p.cand_request_bits[cands], p.demand_response_bits[d]
    away = node != src
    pos_all = np.arange(len(cands), dtype=np.int64)
    out_pos, out_arc, out_bits = [], [], []
    leaf = r.source_leaf_link[src]
    on_leaf = away & (leaf >= 0)
    lf = leaf[on_leaf]
    up = np.where(p.link_a[lf] == src[on_leaf], 0, 1)
    out_pos += [pos_all[on_leaf], pos_all[on_leaf]]
    out_arc += [2 * lf + up, 2 * lf + 1 - up]
    out_bits += [req[on_leaf], resp[on_leaf]]
    row = r.source_root_row[src]
    core = away & (node != r.roots[row])
    if core.any():
        n = p.n_nodes
        key = row[core] * n + node[core]
        uniq, inv = np.unique(key, return_inverse=True)
        pair, link, parent = r.path_links(uniq // n, uniq % n)
        order = np.argsort(pair, kind="stable")
        pair, link, parent = pair[order], link[order], parent[order]
        start = np.searchsorted(pair, np.arange(len(uniq)))
        count = np.bincount(pair, minlength=len(uniq))
        entries = concat_ranges(start[inv], count[inv])
        pos = np.repeat(pos_all[core], count[inv])
        fwd = np.where(p.link_a[link[entries]] == parent[entries], 0, 1)
        arc = 2 * link[entries]
        out_pos += [pos, pos]
        out_arc += [arc + fwd, arc + 1 - fwd]
        out_bits += [req[pos], resp[pos]]
    if not out_pos:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(out_pos), np.concatenate(out_arc), np.concatenate(out_bits)


def arc_capacity_bps(problem: CompiledProblem) -> FloatArray:
    """Bandwidth of every directed arc (links are full duplex)."""
    return np.repeat(problem.link_bandwidth_bps, 2)


def arc_loads_bps(problem: CompiledProblem, cands: IntArray, shares: FloatArray) -> FloatArray:
    """Traffic on every directed arc (bit/s) when candidates ``cands`` carry ``shares`` of
    their demands: :func:`slimplace.evaluate.link_loads_bps` restricted to a few candidates
    (cost proportional to their path lengths, not to roots x nodes)."""
    p = problem
    pos, arc, bits = candidate_arcs(p, cands)
    flow = p.demand_rate_per_s[p.cand_demand[cands[pos]]] * shares[pos] * bits
    loads = np.bincount(arc, weights=flow, minlength=2 * len(p.link_a))
    return loads.astype(np.float64, copy=False)
