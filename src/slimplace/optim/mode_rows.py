r"""Power-mode and batch-fill rows of the placement MILP (:mod:`slimplace.optim.formulation`).

Sets: mode rows (v, m) of nodes with modes (:mod:`slimplace.problem.modes`), streams s
of batched candidates (same node, variant and batch size > 1). Data: ``e_vm`` the
objective cost per second of one server on in mode m above its resting mode
(kappa_v PUE_v (idle_m - idle_rest,v), >= 0), ``L_c`` the stream rate batched candidate
c needs to fill its batch within its SLO (:mod:`slimplace.problem.batching`).

Variables::

    w_vm    in {0, 1}    node v runs in mode m
    n_vm    >= 0         servers of v on, in mode m (switchable v)
    lam_s   >= 0         request rate of stream s

Objective terms: ``sum_{vm} e_vm n_vm`` (switchable), ``sum_{vm} K_v e_vm w_vm`` (always on).

Rows::

    mode_one[v]       sum_m w_vm = 1
    mode_use[d,m]     sum_{c in C(d) in mode m} x_c - w_v(m)m <= 0
    mode_split[v]     n_v - sum_m n_vm = 0
    mode_servers[v,m] n_vm - K_v w_vm <= 0
    mode_cap[v,m]     sum_{c in mode m} r_d s_c x_c - rho n_vm <= 0
    stream[s]         lam_s - sum_{c in s} r_d x_c = 0
    fill[c]           lam_s(c) - L_c x_c >= 0           (x_c binary; only where L_c > r_d)

``mode_use`` is the disaggregated linking of facility location (as ``link`` rows);
``mode_servers`` with ``mode_split`` is the standard linearisation of the product
n_v w_vm (Glover, "Improved linear integer programming formulations of nonlinear
integer problems", Management Science 22(4), 1975), written per mode so that the LP
bound charges the mode's idle power on the servers its load needs (``mode_cap``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import node_modes

#: column integrality codes of HiGHS (``kContinuous``, ``kInteger``); the formulation
#: imports them from here (it imports these rows, so they cannot live there)
CONTINUOUS, INTEGER = 0, 1


class _Builder(Protocol):
    """What these rows need of the formulation's builder (:mod:`slimplace.optim.formulation`)."""

    def add_cols(
        self,
        name: str,
        cost: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        integ: IntArray,
        *index: IntArray,
    ) -> int: ...

    def add_rows(
        self,
        name: str,
        lower: FloatArray,
        upper: FloatArray,
        *index: IntArray,
        scale: FloatArray | None = None,
    ) -> int: ...

    def entries(self, rows: IntArray, cols: IntArray, values: FloatArray) -> None: ...


def mode_cost_per_server(p: CompiledProblem, kappa: FloatArray) -> FloatArray:
    """Objective cost per second of one server on in each mode row, above its node's
    resting mode (the lowest idle power, what ``node_idle_w`` holds)."""
    node = p.mode_node
    return np.asarray(
        kappa[node] * p.node_pue[node] * (p.mode_idle_w - p.node_idle_w[node]), dtype=np.float64
    )


def plan_mode_cost(p: CompiledProblem, kappa: FloatArray, x: FloatArray, on: FloatArray) -> float:
    """What the modes of plan ``x`` with ``on`` servers on add to the objective."""
    if len(p.mode_node) == 0:
        return 0.0
    mode, _ = node_modes(p, x)
    nodes = np.flatnonzero(mode >= 0)
    cost = mode_cost_per_server(p, kappa)[mode[nodes]]
    return float((cost * np.asarray(on, dtype=np.float64)[nodes]).sum())


def add_mode_rows(
    p: CompiledProblem,
    b: _Builder,
    kappa: FloatArray,
    cand_load: FloatArray,
    used: IntArray,
    n_col: IntArray,
    relax: bool,
) -> None:
    """The mode columns and rows above, for nodes in ``used`` (nodes with candidates)."""
    if len(p.mode_node) == 0:
        return
    modes = np.flatnonzero(np.isin(p.mode_node, used))
    if len(modes) == 0:
        return
    nodes = p.mode_node[modes]
    cost = mode_cost_per_server(p, kappa)[modes]
    count = p.node_count[nodes].astype(np.float64)
    sw = n_col[nodes] >= 0
    w = b.add_cols(
        "w",
        np.where(sw, 0.0, count * cost),
        np.zeros(len(modes)),
        np.ones(len(modes)),
        np.full(len(modes), CONTINUOUS if relax else INTEGER),
        nodes,
        modes,
    )
    uniq = np.unique(nodes)
    one = b.add_rows("mode_one", np.ones(len(uniq)), np.ones(len(uniq)), uniq)
    b.entries(one + np.searchsorted(uniq, nodes), w + np.arange(len(modes)), np.ones(len(modes)))
    _use_rows(p, b, modes, w)
    _server_rows(p, b, modes[sw], w + np.flatnonzero(sw), cost[sw], cand_load, n_col)


def _use_rows(p: CompiledProblem, b: _Builder, modes: IntArray, w: int) -> None:
    at = np.flatnonzero(np.isin(p.cand_mode, modes))
    n_m = len(p.mode_node)
    key = p.cand_demand[at] * n_m + p.cand_mode[at]
    uniq, inverse = np.unique(key, return_inverse=True)
    start = b.add_rows(
        "mode_use", np.full(len(uniq), -np.inf), np.zeros(len(uniq)), uniq // n_m, uniq % n_m
    )
    b.entries(start + inverse, at, np.ones(len(at)))
    b.entries(
        start + np.arange(len(uniq)), w + np.searchsorted(modes, uniq % n_m), -np.ones(len(uniq))
    )


def _server_rows(
    p: CompiledProblem,
    b: _Builder,
    modes: IntArray,
    w_cols: IntArray,
    cost: FloatArray,
    cand_load: FloatArray,
    n_col: IntArray,
) -> None:
    """``n_vm`` columns with the split, servers and capacity rows of switchable nodes."""
    if len(modes) == 0:
        return
    nodes = p.mode_node[modes]
    count = p.node_count[nodes].astype(np.float64)
    k = len(modes)
    nm = b.add_cols(
        "nm", cost, np.zeros(k), count, np.full(k, CONTINUOUS, dtype=np.int64), nodes, modes
    )
    uniq = np.unique(nodes)
    split = b.add_rows("mode_split", np.zeros(len(uniq)), np.zeros(len(uniq)), uniq)
    b.entries(split + np.arange(len(uniq)), n_col[uniq], np.ones(len(uniq)))
    b.entries(split + np.searchsorted(uniq, nodes), nm + np.arange(k), -np.ones(k))
    servers = b.add_rows("mode_servers", np.full(k, -np.inf), np.zeros(k), nodes, modes)
    b.entries(servers + np.arange(k), nm + np.arange(k), np.ones(k))
    b.entries(servers + np.arange(k), w_cols, -count)
    cap = b.add_rows("mode_cap", np.full(k, -np.inf), np.zeros(k), nodes, modes)
    row_of = np.full(len(p.mode_node), -1, dtype=np.int64)
    row_of[modes] = cap + np.arange(k)
    at = np.flatnonzero((p.cand_mode >= 0) & (row_of[np.maximum(p.cand_mode, 0)] >= 0))
    b.entries(row_of[p.cand_mode[at]], at, cand_load[at])
    b.entries(cap + np.arange(k), nm + np.arange(k), np.full(k, -p.max_utilisation))


#: Batch sizes below this make a stream key unique (``(node * V + variant) * BATCH_KEY + b``).
BATCH_KEY = 1 << 16


def stream_keys(p: CompiledProblem) -> tuple[IntArray, IntArray, IntArray]:
    """Batched candidates (batch > 1), the stream index of each (same node, variant,
    batch size) and each stream's key (the same in any restriction of ``p``)."""
    at = np.flatnonzero(p.cand_batch > 1)
    key = (p.cand_node[at] * len(p.variant_names) + p.cand_variant[at]) * BATCH_KEY
    key = key + p.cand_batch[at]
    uniq, stream = np.unique(key, return_inverse=True)
    return at, stream.astype(np.int64), uniq.astype(np.int64)


def add_fill_rows(p: CompiledProblem, b: _Builder) -> None:
    """``stream`` and ``fill`` rows of the batched candidates whose own demand's rate
    cannot fill their batch in time."""
    at, stream, keys = stream_keys(p)
    rate = p.demand_rate_per_s[p.cand_demand[at]]
    need = p.cand_fill_rate_per_s[at]
    short = need > rate * (1 + 1e-12)
    if not short.any():
        return
    n_s = len(keys)
    lam = b.add_cols(
        "lam_s",
        np.zeros(n_s),
        np.zeros(n_s),
        np.full(n_s, np.inf),
        np.zeros(n_s, dtype=np.int64),
        keys,
    )
    rows = b.add_rows("stream", np.zeros(n_s), np.zeros(n_s), keys)
    b.entries(rows + np.arange(n_s), lam + np.arange(n_s), np.ones(n_s))
    b.entries(rows + stream, at, -rate)
    c = at[short]
    fill = b.add_rows("fill", np.zeros(len(c)), np.full(len(c), np.inf), c)
    b.entries(fill + np.arange(len(c)), lam + stream[short], np.ones(len(c)))
    b.entries(fill + np.arange(len(c)), c, -need[short])


def start_modes(
    p: CompiledProblem,
    f_cols: dict[str, slice],
    f_index: dict[str, tuple[IntArray, ...]],
    x: FloatArray,
    servers_on: IntArray,
    v: FloatArray,
) -> None:
    """Warm-start values of the mode and stream columns of plan (``x``, ``servers_on``)."""
    if "w" in f_cols:
        mode, _ = node_modes(p, x)
        _, modes = f_index["w"]
        chosen = mode[p.mode_node[modes]] == modes
        v[f_cols["w"]] = chosen
        if "nm" in f_cols:
            nodes, nm_modes = f_index["nm"]
            v[f_cols["nm"]] = np.where(mode[nodes] == nm_modes, servers_on[nodes], 0.0)
    if "lam_s" in f_cols:
        at, stream, _ = stream_keys(p)
        flow = p.demand_rate_per_s[p.cand_demand[at]] * x[at]
        v[f_cols["lam_s"]] = np.bincount(
            stream, weights=flow, minlength=f_cols["lam_s"].stop - f_cols["lam_s"].start
        )


def mode_row_prices(
    p: CompiledProblem,
    cand_load: FloatArray,
    rows: dict[str, slice],
    row_index: dict[str, tuple[IntArray, ...]],
    y: dict[str, FloatArray],
) -> FloatArray:
    """``a_c^T y`` over the mode and stream rows of a (restricted) formulation, for every
    candidate of ``p`` (rows a candidate's restriction lacks count 0: column generation,
    :func:`slimplace.optim.colgen.reduced_costs`)."""
    out = np.zeros(p.n_candidates)
    n_m = len(p.mode_node)
    if "mode_use" in rows and n_m:
        d, m = row_index["mode_use"]
        key = d * n_m + m
        mine = p.cand_demand * n_m + np.maximum(p.cand_mode, 0)
        pos = np.minimum(np.searchsorted(key, mine), max(len(key) - 1, 0))
        hit = (p.cand_mode >= 0) & (key[pos] == mine) if len(key) else p.cand_mode < -1
        out[hit] += y["mode_use"][pos[hit]]
    if "mode_cap" in rows and n_m:
        dual = np.zeros(n_m)
        dual[row_index["mode_cap"][1]] = y["mode_cap"]
        moded = p.cand_mode >= 0
        out[moded] += cand_load[moded] * dual[p.cand_mode[moded]]
    if "stream" in rows:
        keys = row_index["stream"][0]
        at, stream, mine = stream_keys(p)
        pos = np.minimum(np.searchsorted(keys, mine), len(keys) - 1)
        price = np.where(keys[pos] == mine, y["stream"][pos], 0.0)
        out[at] -= p.demand_rate_per_s[p.cand_demand[at]] * price[stream]
    return out
