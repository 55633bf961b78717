r"""The placement MILP of DESIGN.md as sparse arrays (built vectorized, no per-variable objects).

Sets: demands d, admissible candidates c in C(d) (node v(c), model m(c)),
compute nodes v, switchable nodes S (not always on), nodes with a measured
power curve P, directed arcs e with finite bandwidth, applications a with an
average accuracy floor. Data per candidate: rate r_d, server-seconds per
inference s_c, cost k_c (network, and compute energy at linear nodes, see
:mod:`slimplace.optim.costs`); per node: servers K_v, on-cost h_v (PUE x
(idle - sleep), in objective units), memory M_v, rho_max.

Variables::

    x_c     in [0, 1]   share of d's requests served by c (binary if d's app is unsplittable)
    n_v     in {0..K_v} servers switched on, v in S (always-on nodes: n_v = K_v, a constant)
    y_vm    in {0, 1}   model m loaded on v, only where memory can bind
    l_vi    >= 0        servers of curve node v running at breakpoint utilisation u_i
    z_vj    in {0, 1}   curve node v runs on segment [u_j, u_j+1] (non-convex curves only)

Objective (average W, gCO2e/h, or their mix; ``offset`` holds sleeping servers
and always-on idle power)::

    min  offset + sum_c r_d k_c x_c + sum_{v in S} h_v n_v + sum_{v in P, i} f_vi l_vi

Rows, by family name::

    cover[d]     sum_{c in C(d)} x_c = 1
    cap[v]       sum_{c at v} r_d s_c x_c - rho n_v <= 0        (<= rho K_v when always on)
    curve_on[v]  sum_i l_vi - n_v = 0                           (= K_v when always on)
    curve_load[v] sum_{c at v} r_d s_c x_c - sum_i u_i l_vi = 0
    sos_one[v]   sum_j z_vj = 1
    sos_lam[v,i] l_vi - K_v (z_v,i-1 + z_vi) <= 0               (SOS2: two adjacent breakpoints)
    mem[v]       sum_m (mem_m / M_v) y_vm <= 1
    load[c]      x_c - y_v(c)m(c) <= 0
    bw[e]        sum_{c crossing e} r_d bits_ce x_c / B_e <= 1   (requests forward, responses back)
    avgacc[a]    sum_{c of a} r_d (acc_c - floor_a) x_c / R_a >= 0
    link[d,v]    sum_{c in C(d) at v} x_c - n_v <= 0             (serving d at v needs a server)

Power modes and batch fill add their columns and rows (``w``, ``nm``, ``lam_s``;
``mode_*``, ``stream``, ``fill``) where nodes have modes or batch
(:mod:`slimplace.optim.mode_rows`); batched candidates are binary.

``link`` rows are the strong (disaggregated) linking inequalities of facility
location (Cornuejols, Nemhauser & Wolsey, "The uncapacitated facility location
problem", 1990): redundant for integer n_v, they lift the LP bound from
fractions of a server to whole servers where little load is served. They are
added all at once for small models and otherwise separated: only the pairs an
LP solution violates (:func:`violated_links`).

``cap`` is implied by the curve rows at curve nodes but kept, so every node has
a named capacity row. Memory rows exist only at nodes where the models that
could run there do not all fit together; bandwidth rows only on arcs that all
the demands that could cross them together could overload. The lambda
formulation of the curve (Dantzig 1960; see Vielma, Ahmed & Nemhauser,
"Mixed-integer models for nonseparable piecewise-linear optimization",
Oper. Res. 58(2), 2010) gives ``n_v f_v(busy_v / n_v)``, exactly the
evaluator's power of n_v servers sharing the load equally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from slimplace.arrays import FloatArray, IntArray
from slimplace.optim.arcs import arc_capacity_bps, candidate_arcs
from slimplace.optim.costs import CostModel
from slimplace.optim.mode_rows import CONTINUOUS, INTEGER, add_fill_rows, add_mode_rows
from slimplace.optim.segments import model_pairs, weighted_sum
from slimplace.problem.compiled import CompiledProblem


@dataclass(frozen=True, eq=False)
class Formulation:
    """A MILP ``min cost.x + offset, row_lower <= A x <= row_upper, bounds, integrality``.

    ``cols`` and ``rows`` map each family name to its slice; ``col_index`` and
    ``row_index`` give, per family, what each column or row is about (node,
    candidate, arc, application, or (node, model) pairs as two arrays).
    """

    matrix: sparse.csc_array
    col_cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integrality: npt.NDArray[np.int32]
    row_lower: FloatArray
    row_upper: FloatArray
    offset: float
    cols: dict[str, slice]
    rows: dict[str, slice]
    col_index: dict[str, tuple[IntArray, ...]]
    row_index: dict[str, tuple[IntArray, ...]]
    row_scale: FloatArray

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.col_cost)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lower)


@dataclass
class _Builder:
    """Accumulates column and row families and COO entries (local to one build)."""

    cost: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    integ: list[IntArray] = field(default_factory=list)
    rlo: list[FloatArray] = field(default_factory=list)
    rup: list[FloatArray] = field(default_factory=list)
    rscale: list[FloatArray] = field(default_factory=list)
    ent_r: list[IntArray] = field(default_factory=list)
    ent_c: list[IntArray] = field(default_factory=list)
    ent_v: list[FloatArray] = field(default_factory=list)
    cols: dict[str, slice] = field(default_factory=dict)
    rows: dict[str, slice] = field(default_factory=dict)
    col_index: dict[str, tuple[IntArray, ...]] = field(default_factory=dict)
    row_index: dict[str, tuple[IntArray, ...]] = field(default_factory=dict)
    n_cols: int = 0
    n_rows: int = 0

    def add_cols(
        self,
        name: str,
        cost: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        integ: IntArray,
        *index: IntArray,
    ) -> int:
        start = self.n_cols
        self.cost.append(np.asarray(cost, dtype=np.float64))
        self.lower.append(np.asarray(lower, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))
        self.integ.append(np.asarray(integ, dtype=np.int64))
        self.n_cols += len(cost)
        self.cols[name] = slice(start, self.n_cols)
        self.col_index[name] = index
        return start

    def add_rows(
        self,
        name: str,
        lower: FloatArray,
        upper: FloatArray,
        *index: IntArray,
        scale: FloatArray | None = None,
    ) -> int:
        start = self.n_rows
        self.rlo.append(np.asarray(lower, dtype=np.float64))
        self.rup.append(np.asarray(upper, dtype=np.float64))
        self.rscale.append(
            np.ones(len(lower)) if scale is None else np.asarray(scale, dtype=np.float64)
        )
        self.n_rows += len(lower)
        self.rows[name] = slice(start, self.n_rows)
        self.row_index[name] = index
        return start

    def entries(self, rows: IntArray, cols: IntArray, values: FloatArray) -> None:
        self.ent_r.append(np.asarray(rows, dtype=np.int64))
        self.ent_c.append(np.asarray(cols, dtype=np.int64))
        self.ent_v.append(np.asarray(values, dtype=np.float64))

    def finish(self, offset: float) -> Formulation:
        def cat(parts: Sequence[npt.NDArray[Any]], dtype: type) -> npt.NDArray[Any]:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        matrix = sparse.coo_array(
            (cat(self.ent_v, np.float64), (cat(self.ent_r, np.int64), cat(self.ent_c, np.int64))),
            shape=(self.n_rows, self.n_cols),
        ).tocsc()
        matrix.sum_duplicates()
        return Formulation(
            matrix=matrix,
            col_cost=cat(self.cost, np.float64),
            col_lower=cat(self.lower, np.float64),
            col_upper=cat(self.upper, np.float64),
            integrality=cat(self.integ, np.int32),
            row_lower=cat(self.rlo, np.float64),
            row_upper=cat(self.rup, np.float64),
            offset=offset,
            cols=self.cols,
            rows=self.rows,
            col_index=self.col_index,
            row_index=self.row_index,
            row_scale=cat(self.rscale, np.float64),
        )


def build_formulation(
    problem: CompiledProblem,
    model: CostModel,
    *,
    relax: bool = False,
    artificial_cost: float | None = None,
    fixed_routes: bool = True,
    fill_rows: bool = True,
) -> Formulation:
    """The MILP (or, with ``relax``, its LP relaxation) of ``problem`` under ``model``.

    With ``artificial_cost``, every demand also gets an artificial column ``art[d]`` in
    its cover row at that cost (the big-M phase one of column generation: a restricted
    set of candidates then always has an LP solution and duals to price with).
    ``fixed_routes=False`` leaves the bandwidth rows out (routing as a decision adds its
    own over path columns, :mod:`slimplace.optim.routing_milp`). ``fill_rows=False``
    leaves the batch-fill rows out (a relaxation: column generation's LPs,
    :func:`slimplace.optim.mode_rows.add_fill_rows`).
    """
    p, b = problem, _Builder()
    unsplit = ~p.app_splittable[p.demand_app[p.cand_demand]]
    unsplit |= p.cand_batch > 1  # a batched candidate carries its demand whole (mode_rows)
    integ = np.where(unsplit & (not relax), INTEGER, CONTINUOUS)
    b.add_cols(
        "x",
        model.cand_cost,
        np.zeros(p.n_candidates),
        np.ones(p.n_candidates),
        integ,
        np.arange(p.n_candidates),
    )
    used = np.unique(p.cand_node)
    n_col = _server_columns(p, b, model, used, relax)
    art = None
    if artificial_cost is not None:
        art = b.add_cols(
            "art",
            np.full(p.n_demands, artificial_cost),
            np.zeros(p.n_demands),
            np.ones(p.n_demands),
            np.zeros(p.n_demands, dtype=np.int64),
            np.arange(p.n_demands),
        )
    _cover_rows(p, b, art)
    _capacity_rows(p, b, model, used, n_col)
    add_mode_rows(p, b, model.kappa, model.cand_load, used, n_col, relax)
    if fill_rows:
        add_fill_rows(p, b)
    _curve_rows(p, b, model, used, n_col, relax)
    _memory_rows(p, b, relax)
    if fixed_routes:
        _bandwidth_rows(p, b)
    _accuracy_rows(p, b)
    return b.finish(model.constant)


def _server_columns(
    p: CompiledProblem, b: _Builder, model: CostModel, used: IntArray, relax: bool
) -> IntArray:
    """Column of n_v per node (-1 for always-on nodes and nodes without candidates)."""
    nodes = used[model.switchable[used]]
    start = b.add_cols(
        "n",
        model.server_cost[nodes],
        np.zeros(len(nodes)),
        p.node_count[nodes].astype(np.float64),
        np.full(len(nodes), CONTINUOUS if relax else INTEGER),
        nodes,
    )
    n_col = np.full(p.n_nodes, -1, dtype=np.int64)
    n_col[nodes] = start + np.arange(len(nodes))
    return n_col


def _cover_rows(p: CompiledProblem, b: _Builder, art: int | None) -> None:
    start = b.add_rows("cover", np.ones(p.n_demands), np.ones(p.n_demands), np.arange(p.n_demands))
    b.entries(start + p.cand_demand, np.arange(p.n_candidates), np.ones(p.n_candidates))
    if art is not None:
        b.entries(
            start + np.arange(p.n_demands), art + np.arange(p.n_demands), np.ones(p.n_demands)
        )


def _capacity_rows(
    p: CompiledProblem, b: _Builder, model: CostModel, used: IntArray, n_col: IntArray
) -> None:
    rho = p.max_utilisation
    upper = np.where(n_col[used] >= 0, 0.0, rho * p.node_count[used])
    start = b.add_rows("cap", np.full(len(used), -np.inf), upper, used)
    row_of = np.full(p.n_nodes, -1, dtype=np.int64)
    row_of[used] = start + np.arange(len(used))
    b.entries(row_of[p.cand_node], np.arange(p.n_candidates), model.cand_load)
    head = np.flatnonzero(
        (p.cand_head_compute_s > 0) & (row_of[p.demand_source[p.cand_demand]] >= 0)
    )
    if len(head):  # split heads load their source device (slimplace.split.candidates)
        d = p.cand_demand[head]
        load = p.demand_rate_per_s[d] * p.cand_head_compute_s[head]
        b.entries(row_of[p.demand_source[d]], head, load)
    sw = used[n_col[used] >= 0]
    b.entries(row_of[sw], n_col[sw], np.full(len(sw), -rho))


def _curve_rows(
    p: CompiledProblem, b: _Builder, model: CostModel, used: IntArray, n_col: IntArray, relax: bool
) -> None:
    """Lambda (and, for non-convex curves, SOS2 segment) columns and rows of curve nodes."""
    keep = np.isin(model.curve_nodes, used)
    nodes, U, F = model.curve_nodes[keep], model.curve_u[keep], model.curve_f[keep]
    if len(nodes) == 0:
        return
    valid = ~np.isnan(U)
    owner, bp = np.nonzero(valid)
    u, f = U[valid], F[valid]
    lam = b.add_cols(
        "lam",
        f,
        np.zeros(len(u)),
        np.full(len(u), np.inf),
        np.zeros(len(u), dtype=np.int64),
        nodes[owner],
        bp,
    )
    k = np.where(n_col[nodes] >= 0, 0.0, p.node_count[nodes].astype(np.float64))
    on = b.add_rows("curve_on", k, k, nodes)
    b.entries(on + owner, lam + np.arange(len(u)), np.ones(len(u)))
    sw = np.nonzero(n_col[nodes] >= 0)[0]
    b.entries(on + sw, n_col[nodes[sw]], -np.ones(len(sw)))
    load = b.add_rows("curve_load", np.zeros(len(nodes)), np.zeros(len(nodes)), nodes)
    row_of = np.full(p.n_nodes, -1, dtype=np.int64)
    row_of[nodes] = load + np.arange(len(nodes))
    at = np.nonzero(row_of[p.cand_node] >= 0)[0]
    b.entries(row_of[p.cand_node[at]], at, model.cand_load[at])
    b.entries(load + owner, lam + np.arange(len(u)), -u)
    _sos2(p, b, nodes, U, F, owner, bp, lam, relax)


def _sos2(
    p: CompiledProblem,
    b: _Builder,
    nodes: IntArray,
    U: FloatArray,
    F: FloatArray,
    owner: IntArray,
    bp: IntArray,
    lam: int,
    relax: bool,
) -> None:
    slope = np.diff(F, axis=1) / np.diff(U, axis=1)
    convex = np.all(np.nan_to_num(np.diff(slope, axis=1), nan=0.0) >= -1e-9, axis=1)
    nc = np.nonzero(~convex)[0]
    if len(nc) == 0:
        return
    n_seg = (~np.isnan(U[nc])).sum(axis=1) - 1
    seg_owner = np.repeat(np.arange(len(nc)), n_seg)
    seg_j = np.arange(len(seg_owner)) - np.repeat(np.cumsum(n_seg) - n_seg, n_seg)
    z = b.add_cols(
        "seg",
        np.zeros(len(seg_owner)),
        np.zeros(len(seg_owner)),
        np.ones(len(seg_owner)),
        np.full(len(seg_owner), CONTINUOUS if relax else INTEGER),
        nodes[nc][seg_owner],
        seg_j,
    )
    one = b.add_rows("sos_one", np.ones(len(nc)), np.ones(len(nc)), nodes[nc])
    b.entries(one + seg_owner, z + np.arange(len(seg_owner)), np.ones(len(seg_owner)))
    # lambda i of node nc[k] may be positive only if segment i-1 or i is chosen
    pos_in_nc = np.full(len(nodes), -1, dtype=np.int64)
    pos_in_nc[nc] = np.arange(len(nc))
    lam_sel = np.nonzero(pos_in_nc[owner] >= 0)[0]
    k = pos_in_nc[owner[lam_sel]]
    i = bp[lam_sel]
    rows = b.add_rows(
        "sos_lam", np.full(len(lam_sel), -np.inf), np.zeros(len(lam_sel)), nodes[owner[lam_sel]], i
    )
    r = rows + np.arange(len(lam_sel))
    b.entries(r, lam + lam_sel, np.ones(len(lam_sel)))
    seg_start = np.cumsum(n_seg) - n_seg
    cap = p.node_count[nodes[owner[lam_sel]]].astype(np.float64)
    for shift in (-1, 0):
        j = i + shift
        ok = (j >= 0) & (j < n_seg[k])
        b.entries(r[ok], z + seg_start[k[ok]] + j[ok], -cap[ok])


def _memory_rows(p: CompiledProblem, b: _Builder, relax: bool) -> None:
    """y_vm where the models that could run on v do not all fit in one server's memory."""
    n_m = p.n_models
    pair = np.nonzero(model_pairs(p, np.arange(p.n_candidates)))[0]
    node, mdl = pair // n_m, pair % n_m
    need = weighted_sum(node, p.model_memory_bytes[mdl], p.n_nodes)
    tight = need > p.node_memory_bytes * (1 + 1e-9)
    sel = tight[node]
    node, mdl, pair = node[sel], mdl[sel], pair[sel]
    if len(pair) == 0:
        return
    y = b.add_cols(
        "y",
        np.zeros(len(pair)),
        np.zeros(len(pair)),
        np.ones(len(pair)),
        np.full(len(pair), CONTINUOUS if relax else INTEGER),
        node,
        mdl,
    )
    nodes = np.unique(node)
    mem = b.add_rows(
        "mem",
        np.full(len(nodes), -np.inf),
        np.ones(len(nodes)),
        nodes,
        scale=p.node_memory_bytes[nodes],
    )
    b.entries(
        mem + np.searchsorted(nodes, node),
        y + np.arange(len(pair)),
        p.model_memory_bytes[mdl] / p.node_memory_bytes[node],
    )
    cand_pair = p.cand_node * n_m + p.cand_model
    at = np.nonzero(np.isin(cand_pair, pair))[0]
    load = b.add_rows("load", np.full(len(at), -np.inf), np.zeros(len(at)), at)
    rows = load + np.arange(len(at))
    b.entries(rows, at, np.ones(len(at)))
    b.entries(rows, y + np.searchsorted(pair, cand_pair[at]), -np.ones(len(at)))


def _bandwidth_rows(p: CompiledProblem, b: _Builder) -> None:
    cap = arc_capacity_bps(p)
    finite = np.isfinite(cap)
    if not finite.any():
        return
    cands = np.arange(p.n_candidates, dtype=np.int64)
    pos, arc, bits = candidate_arcs(p, cands)
    keep = finite[arc]
    pos, arc, bits = pos[keep], arc[keep], bits[keep]
    flow = p.demand_rate_per_s[p.cand_demand[pos]] * bits
    arcs = _arcs_that_can_overload(p, pos, arc, flow, cap)
    sel = np.isin(arc, arcs)
    pos, arc, flow = pos[sel], arc[sel], flow[sel]
    if len(arcs) == 0:
        return
    start = b.add_rows("bw", np.full(len(arcs), -np.inf), np.ones(len(arcs)), arcs, scale=cap[arcs])
    b.entries(start + np.searchsorted(arcs, arc), pos, flow / cap[arc])


def _arcs_that_can_overload(
    p: CompiledProblem, pos: IntArray, arc: IntArray, flow: FloatArray, cap: FloatArray
) -> IntArray:
    """Arcs whose bandwidth the largest possible traffic of all their demands exceeds."""
    if len(arc) == 0:
        return np.zeros(0, dtype=np.int64)
    key = arc * p.n_demands + p.cand_demand[pos]
    order = np.lexsort((-flow, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    top = order[first]
    worst = weighted_sum(arc[top], flow[top], len(cap))
    return np.nonzero(worst > cap * (1 + 1e-9))[0].astype(np.int64)


def _accuracy_rows(p: CompiledProblem, b: _Builder) -> None:
    apps = np.nonzero(p.app_average)[0]
    if len(apps) == 0:
        return
    app_of = p.demand_app[p.cand_demand]
    rate = p.demand_rate_per_s[p.cand_demand]
    total = weighted_sum(p.demand_app, p.demand_rate_per_s, len(p.app_ids))
    scale = np.maximum(total[apps], 1e-300)
    start = b.add_rows("avgacc", np.zeros(len(apps)), np.full(len(apps), np.inf), apps, scale=scale)
    row_of = np.full(len(p.app_ids), -1, dtype=np.int64)
    row_of[apps] = start + np.arange(len(apps))
    at = np.nonzero(p.app_average[app_of])[0]
    coef = (
        rate[at]
        * (p.cand_accuracy[at] - p.app_floor[app_of[at]])
        / scale[row_of[app_of[at]] - start]
    )
    b.entries(row_of[app_of[at]], at, coef)


@dataclass(frozen=True, eq=False)
class RowBlock:
    """Rows to append to a formulation: bounds and a CSR matrix over its columns."""

    name: str
    lower: FloatArray
    upper: FloatArray
    matrix: sparse.csr_array
    index: tuple[IntArray, ...]


def link_pairs(problem: CompiledProblem, f: Formulation) -> IntArray:
    """Keys ``d * N + v`` of every (demand, switchable node) pair with a candidate."""
    p = problem
    n_col = np.full(p.n_nodes, -1, dtype=np.int64)
    nodes = f.col_index["n"][0]
    n_col[nodes] = np.arange(len(nodes))
    at = n_col[p.cand_node] >= 0
    return np.unique(p.cand_demand[at] * p.n_nodes + p.cand_node[at])


def link_rows(problem: CompiledProblem, f: Formulation, pairs: IntArray) -> RowBlock:
    """``link[d,v]`` rows for (demand, node) keys ``pairs`` (sorted, from :func:`link_pairs`)."""
    p = problem
    key = p.cand_demand * p.n_nodes + p.cand_node
    pos = np.searchsorted(pairs, key)
    pos = np.minimum(pos, max(len(pairs) - 1, 0))
    hit = (
        np.nonzero((len(pairs) > 0) & (pairs[pos] == key))[0]
        if len(pairs)
        else np.zeros(0, np.int64)
    )
    nodes = f.col_index["n"][0]
    n_col = np.full(p.n_nodes, -1, dtype=np.int64)
    n_col[nodes] = f.cols["n"].start + np.arange(len(nodes))
    rows = np.concatenate([pos[hit], np.arange(len(pairs))])
    cols = np.concatenate([f.cols["x"].start + hit, n_col[pairs % p.n_nodes]])
    vals = np.concatenate([np.ones(len(hit)), -np.ones(len(pairs))])
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(pairs), f.n_cols))
    matrix.sum_duplicates()
    return RowBlock(
        "link",
        np.full(len(pairs), -np.inf),
        np.zeros(len(pairs)),
        matrix,
        (pairs // p.n_nodes, pairs % p.n_nodes),
    )


def violated_links(
    problem: CompiledProblem, f: Formulation, values: FloatArray, pairs: IntArray, tol: float = 1e-6
) -> IntArray:
    """Keys of the ``pairs`` whose link row ``values`` violate by more than ``tol``."""
    p = problem
    if len(pairs) == 0:
        return pairs
    x = values[f.cols["x"]]
    key = p.cand_demand * p.n_nodes + p.cand_node
    pos = np.minimum(np.searchsorted(pairs, key), len(pairs) - 1)
    hit = pairs[pos] == key
    served = weighted_sum(pos[hit], x[hit], len(pairs))
    n = np.zeros(p.n_nodes)
    n[f.col_index["n"][0]] = values[f.cols["n"]]
    return pairs[served > n[pairs % p.n_nodes] + tol]


def with_rows(f: Formulation, block: RowBlock) -> Formulation:
    """``f`` with ``block`` appended as row family ``block.name``."""
    start = f.n_rows
    rows = dict(f.rows)
    rows[block.name] = slice(start, start + len(block.lower))
    index = dict(f.row_index)
    index[block.name] = block.index
    matrix = sparse.vstack([f.matrix.tocsr(), block.matrix], format="csc")
    return Formulation(
        matrix=matrix,
        col_cost=f.col_cost,
        col_lower=f.col_lower,
        col_upper=f.col_upper,
        integrality=f.integrality,
        row_lower=np.concatenate([f.row_lower, block.lower]),
        row_upper=np.concatenate([f.row_upper, block.upper]),
        offset=f.offset,
        cols=f.cols,
        rows=rows,
        col_index=f.col_index,
        row_index=index,
        row_scale=np.concatenate([f.row_scale, np.ones(len(block.lower))]),
    )
