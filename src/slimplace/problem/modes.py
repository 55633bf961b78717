"""Power modes and batch sizes as candidate attributes: the operating points of a node.

A hardware profile may list power modes (Jetson ``nvpmodel`` settings, GPU power caps;
:class:`~slimplace.scenario.model.PowerMode`, fastest first) and a batch curve
(:mod:`slimplace.problem.batching`). Compilation first enumerates candidates at the
profile's own figures, which are its fastest mode at batch 1; since a slower mode and a
larger batch only lengthen a request's latency, every admissible operating point is one
of those candidates run slower. :func:`expand_operating_points` then repeats each
candidate at a node with modes once per mode and batch size that meets the SLO:

* service time ``s / (t_m f(b))`` for a mode of throughput factor ``t_m``;
* dynamic energy per inference ``(P_peak,m - P_idle,m) s / (t_m f(b))`` (linear server
  power, Fan et al., ISCA 2007, with the mode's idle and peak power);
* latency: network + compute + M/G/1 wait at rho_max (+ the fill wait of a batch at the
  stream rate it needs, ``cand_fill_rate_per_s``).

A node runs in one mode (all its servers; a plan whose candidates at one node use two
modes is infeasible). Its idle power is the mode's while its servers are on; compiled
``node_idle_w`` / ``node_peak_w`` hold the mode with the lowest idle power (the one a node
without work is left in), and :func:`in_modes` gives the problem with each node's
chosen mode instead (the evaluator's view of a plan). A profile without modes has one:
its own figures, and the problem is left exactly as it was.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.batching import (
    batch_options,
    fill_rate_needed,
    fill_wait_s,
    queue_unit_s,
)
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.energy import dynamic_energy_j
from slimplace.problem.latency import mg1_response_time_s

#: Relative tolerance under which a service time counts as a batch-1 figure.
BATCH1_RTOL = 1e-9


@dataclass(frozen=True, slots=True)
class ModeTable:
    """One row per (node, mode) of the nodes whose profile lists modes, fastest first."""

    node: IntArray
    names: tuple[str, ...]
    throughput: FloatArray
    idle_w: FloatArray
    peak_w: FloatArray
    switch_s: FloatArray
    switch_j: FloatArray


def mode_table(p: CompiledProblem) -> ModeTable:
    """The (node, mode) rows of ``p``'s nodes, in node order and each profile's mode order."""
    rows = [
        (v, m)
        for v, prof in enumerate(p.node_profile)
        if prof >= 0
        for m in p.profiles[prof].power_modes
    ]
    return ModeTable(
        node=np.array([v for v, _ in rows], dtype=np.int64),
        names=tuple(m.name for _, m in rows),
        throughput=np.array([m.throughput_factor for _, m in rows], dtype=np.float64),
        idle_w=np.array([m.idle_power_w for _, m in rows], dtype=np.float64),
        peak_w=np.array([m.peak_power_w for _, m in rows], dtype=np.float64),
        switch_s=np.array([m.switch_time_s for _, m in rows], dtype=np.float64),
        switch_j=np.array([m.switch_energy_j for _, m in rows], dtype=np.float64),
    )


def has_operating_points(p: CompiledProblem) -> bool:
    """Whether some profile of a node lists modes or batches."""
    used = {int(i) for i in p.node_profile if i >= 0}
    return any(p.profiles[i].power_modes or p.profiles[i].batching for i in used)


def expand_operating_points(p: CompiledProblem) -> CompiledProblem:
    """``p`` with each candidate repeated per admissible (mode, batch size) of its node;
    ``p`` itself when no node has modes or batching."""
    if not has_operating_points(p):
        return p
    table = mode_table(p)
    first = np.full(p.n_nodes, -1, dtype=np.int64)
    count = np.zeros(p.n_nodes, dtype=np.int64)
    if len(table.node):
        np.add.at(count, table.node, 1)
        first[table.node[::-1]] = np.arange(len(table.node))[::-1]
    options = _options(p, table, first, count)
    base, mode, batch, factor = options
    fields = {
        f.name: getattr(p, f.name)[base]
        for f in dataclasses.fields(p)
        if f.name.startswith("cand_")
    }
    tput = np.where(mode >= 0, _at(table.throughput, mode), 1.0)
    service = p.cand_service_s[base] / (tput * factor)
    head = p.cand_head_compute_s[base]  # split heads run on the source device, at its speed
    compute0 = p.cand_compute_s[base]
    scaled = np.where(tput == 1.0, compute0, (compute0 - head) / tput + head)
    compute = np.where(batch > 1, batch * service, scaled)
    unit = queue_unit_s(service, compute, batch)
    wait = mg1_response_time_s(
        unit, np.full_like(unit, p.max_utilisation), p.service_cv2, p.slo_quantile
    )
    lat = p.cand_net_latency_s[base] + compute + wait - unit
    d = p.cand_demand[base]
    need = fill_rate_needed(batch, p.demand_slo_s[d] - lat, p.slo_quantile)
    reference = (batch == 1) & ((mode < 0) | (mode == first[p.cand_node[base]]))
    ok = reference | ((lat <= p.demand_slo_s[d]) & (need <= _stream_potential(p, base, batch)))
    ok &= _fillable(p, base, batch, need, ok)
    rate = np.maximum(p.demand_rate_per_s[d], need)
    idle = np.where(mode >= 0, _at(table.idle_w, mode), p.node_idle_w[p.cand_node[base]])
    peak = np.where(mode >= 0, _at(table.peak_w, mode), p.node_peak_w[p.cand_node[base]])
    fields.update(
        cand_service_s=service,
        cand_compute_s=compute,
        cand_latency_s=np.where(reference, p.cand_latency_s[base], lat)
        + fill_wait_s(batch, rate, p.slo_quantile),
        cand_dyn_energy_j=np.where(
            reference & (mode < 0), p.cand_dyn_energy_j[base], dynamic_energy_j(service, idle, peak)
        ),
        cand_mode=mode,
        cand_batch=batch,
        cand_fill_rate_per_s=need,
    )
    fields = {k: v[ok] for k, v in fields.items()}
    ptr = np.searchsorted(fields["cand_demand"], np.arange(p.n_demands + 1)).astype(np.int64)
    idle_node, peak_node = _resting_power(p, table, first, count)
    return dataclasses.replace(
        p,
        demand_ptr=ptr,
        node_idle_w=idle_node,
        node_peak_w=peak_node,
        mode_node=table.node,
        mode_names=table.names,
        mode_throughput=table.throughput,
        mode_idle_w=table.idle_w,
        mode_peak_w=table.peak_w,
        mode_switch_s=table.switch_s,
        mode_switch_j=table.switch_j,
        **fields,
    )


def _at(values: FloatArray, index: IntArray) -> FloatArray:
    return values[np.maximum(index, 0)] if len(values) else np.zeros(len(index))


def _options(
    p: CompiledProblem, table: ModeTable, first: IntArray, count: IntArray
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Every (base candidate, mode row, batch size, throughput factor), in candidate order,
    then mode order, then batch size (so each candidate's reference point comes first)."""
    n_c = p.n_candidates
    node = p.cand_node
    prof = p.node_profile[node]
    curves = [batch_options(p.profiles[i].batching) for i in range(len(p.profiles))]
    n_batch_prof = np.array([len(b) for b, _ in curves] + [1], dtype=np.int64)
    batch1 = np.isclose(p.cand_compute_s, p.cand_service_s, rtol=BATCH1_RTOL, atol=0.0)
    n_batch = np.where(batch1, n_batch_prof[prof], 1)
    n_mode = np.maximum(count[node], 1)
    per = n_mode * n_batch
    base = np.repeat(np.arange(n_c, dtype=np.int64), per)
    local = np.arange(len(base)) - np.repeat(np.cumsum(per) - per, per)
    mode_i = local // n_batch[base]
    batch_i = local % n_batch[base]
    mode = np.where(count[node[base]] > 0, first[node[base]] + mode_i, -1)
    width = int(n_batch_prof.max(initial=1))
    sizes = np.ones((len(p.profiles) + 1, width), dtype=np.int64)
    factors = np.ones((len(p.profiles) + 1, width))
    for i, (b, f) in enumerate(curves):
        sizes[i, : len(b)] = b
        factors[i, : len(f)] = f
    pb = prof[base]
    return base, mode.astype(np.int64), sizes[pb, batch_i], factors[pb, batch_i]


def _stream_potential(p: CompiledProblem, base: IntArray, batch: IntArray) -> FloatArray:
    """Largest rate a (node, variant) stream could get: the rates of every demand with a
    candidate there, summed (a batch needing more can never fill in time)."""
    key = p.cand_node * len(p.variant_names) + p.cand_variant
    pair = np.unique(np.stack([key, p.cand_demand]), axis=1)
    uniq, inverse = np.unique(pair[0], return_inverse=True)
    total = np.bincount(inverse, weights=p.demand_rate_per_s[pair[1]], minlength=len(uniq))
    pos = np.searchsorted(uniq, key[base])
    return np.asarray(np.where(batch > 1, total[pos], np.inf), dtype=np.float64)


def _fillable(
    p: CompiledProblem, base: IntArray, batch: IntArray, need: FloatArray, ok: BoolArray
) -> BoolArray:
    """Batched options whose stream (node, variant, batch size) could reach the rate they
    need on the traffic of every demand with an option in it, to a fixed point (dropping
    one can starve another); batch-1 options are all kept."""
    keep = ok.copy()
    at = np.flatnonzero(ok & (batch > 1))
    node, variant, d = p.cand_node[base[at]], p.cand_variant[base[at]], p.cand_demand[base[at]]
    key = (node * len(p.variant_names) + variant) * (int(batch.max(initial=1)) + 1) + batch[at]
    alive = np.ones(len(at), dtype=bool)
    while alive.any():
        pair = np.unique(np.stack([key[alive], d[alive]]), axis=1)
        uniq, inverse = np.unique(pair[0], return_inverse=True)
        total = np.bincount(inverse, weights=p.demand_rate_per_s[pair[1]], minlength=len(uniq))
        short = np.zeros(len(at), dtype=bool)
        short[alive] = need[at[alive]] > total[np.searchsorted(uniq, key[alive])] * (1 + 1e-12)
        if not short.any():
            break
        alive &= ~short
    keep[at[~alive]] = False
    return keep


def _resting_power(
    p: CompiledProblem, table: ModeTable, first: IntArray, count: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Idle and peak power per node in the mode with the lowest idle power (the last, as
    modes are listed fastest first with idle power not rising)."""
    idle, peak = p.node_idle_w.copy(), p.node_peak_w.copy()
    has = count > 0
    last = first[has] + count[has] - 1
    idle[has] = table.idle_w[last]
    peak[has] = table.peak_w[last]
    return idle, peak


def node_modes(p: CompiledProblem, x: FloatArray) -> tuple[IntArray, BoolArray]:
    """Each node's mode row under shares ``x`` (-1: no modes) and which nodes mix modes.

    A node runs the mode of the candidates it serves (the one carrying the most traffic
    if they disagree); a node serving nothing rests in its lowest-idle mode.
    """
    mode = np.full(p.n_nodes, -1, dtype=np.int64)
    mixed = np.zeros(p.n_nodes, dtype=bool)
    if len(p.mode_node) == 0:
        return mode, mixed
    mode = resting_modes(p)
    used = np.flatnonzero((x > 0) & (p.cand_mode >= 0))
    if len(used) == 0:
        return mode, mixed
    flow = p.demand_rate_per_s[p.cand_demand[used]] * x[used]
    load = np.bincount(p.cand_mode[used], weights=flow + 1e-300, minlength=len(p.mode_node))
    on = load > 0
    per_node = np.bincount(p.mode_node[on], minlength=p.n_nodes)
    mixed = per_node > 1
    order = np.lexsort((-load, p.mode_node))
    top = order[np.r_[True, p.mode_node[order][1:] != p.mode_node[order][:-1]]]
    busy = top[on[top]]
    mode[p.mode_node[busy]] = busy
    return mode, mixed


def in_modes(p: CompiledProblem, mode: IntArray) -> CompiledProblem:
    """``p`` with the idle and peak power of each node's mode row ``mode`` (-1: unchanged)."""
    if len(p.mode_node) == 0:
        return p
    has = mode >= 0
    idle = np.where(has, p.mode_idle_w[np.maximum(mode, 0)], p.node_idle_w)
    peak = np.where(has, p.mode_peak_w[np.maximum(mode, 0)], p.node_peak_w)
    return dataclasses.replace(p, node_idle_w=idle, node_peak_w=peak)


def mode_label(p: CompiledProblem, mode: IntArray) -> dict[str, str]:
    """``{node id: mode name}`` of the nodes with modes."""
    return {p.node_ids[int(p.mode_node[m])]: p.mode_names[int(m)] for m in mode if m >= 0}


def switch_energy_j(p: CompiledProblem, before: IntArray, after: IntArray) -> float:
    """Energy of switching nodes from mode rows ``before`` to ``after`` (the switched-to
    mode's ``switch_energy_j`` per server on; for the simulator's run-time changes)."""
    changed = (before >= 0) & (after >= 0) & (before != after)
    rows = after[changed]
    return float((p.mode_switch_j[rows] * p.node_count[changed]).sum()) if len(rows) else 0.0


def _first_rows(p: CompiledProblem) -> tuple[IntArray, IntArray]:
    """First mode row and number of modes of every node (-1 and 0 without modes)."""
    count = np.bincount(p.mode_node, minlength=p.n_nodes).astype(np.int64)
    first = np.full(p.n_nodes, -1, dtype=np.int64)
    first[p.mode_node[::-1]] = np.arange(len(p.mode_node))[::-1]
    return first, count


def mode_choice_nodes(p: CompiledProblem) -> IntArray:
    """Nodes whose candidates run in more than one mode (where a plan chooses)."""
    at = p.cand_mode >= 0
    if not at.any() or len(p.mode_node) == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.unique(p.cand_mode[at])
    per_node = np.bincount(p.mode_node[rows], minlength=p.n_nodes)
    return np.flatnonzero(per_node > 1).astype(np.int64)


def self_filling(p: CompiledProblem) -> BoolArray:
    """Candidates whose batches fill in time on their own demand's traffic (all batch-1 ones)."""
    return np.asarray(
        p.cand_fill_rate_per_s <= p.demand_rate_per_s[p.cand_demand] * (1 + 1e-12), dtype=bool
    )


def needs_mode_search(p: CompiledProblem) -> bool:
    """Whether a per-candidate heuristic could break a mode or batch rule here: some node
    has candidates in several modes, or some batch fills only with other demands' traffic."""
    return bool(len(mode_choice_nodes(p)) or not self_filling(p).all())


def resting_modes(p: CompiledProblem) -> IntArray:
    """Every node's lowest-idle mode row (-1 without modes)."""
    first, count = _first_rows(p)
    return np.where(count > 0, first + count - 1, -1)


def fastest_modes(p: CompiledProblem) -> IntArray:
    """Every node's fastest mode row (-1 without modes)."""
    return _first_rows(p)[0]


def with_fixed_modes(p: CompiledProblem, mode: IntArray) -> tuple[CompiledProblem, IntArray]:
    """A plain problem (no mode decisions) with every node in mode row ``mode[v]`` and only
    self-filling batches, and the candidates of ``p`` it keeps (its candidate i is
    ``p``'s ``kept[i]``). Any plan of it is consistent in modes and batch fill."""
    keep = self_filling(p) & ((p.cand_mode < 0) | (p.cand_mode == mode[p.cand_node]))
    kept = np.flatnonzero(keep).astype(np.int64)
    fields = {
        f.name: getattr(p, f.name)[kept]
        for f in dataclasses.fields(p)
        if f.name.startswith("cand_")
    }
    fields["cand_mode"] = np.full(len(kept), -1, dtype=np.int64)
    ptr = np.searchsorted(fields["cand_demand"], np.arange(p.n_demands + 1)).astype(np.int64)
    moded = in_modes(p, mode)
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
    sub = dataclasses.replace(
        moded,
        demand_ptr=ptr,
        mode_node=empty_i,
        mode_names=(),
        mode_throughput=empty_f,
        mode_idle_w=empty_f,
        mode_peak_w=empty_f,
        mode_switch_s=empty_f,
        mode_switch_j=empty_f,
        **fields,
    )
    return sub, kept


def operating_point_columns(p: CompiledProblem, x: FloatArray) -> dict[str, str]:
    """Result-table columns of a plan where the problem has modes or batching (none
    otherwise): ``modes`` ("node:mode" of the nodes with modes that serve traffic) and
    ``batch_sizes`` (the batch sizes of its traffic, largest share first)."""
    if len(p.mode_node) == 0 and not (p.cand_batch > 1).any():
        return {}
    mode, _ = node_modes(p, x)
    serving = np.zeros(p.n_nodes, dtype=bool)
    serving[p.cand_node[x > 0]] = True
    labels = mode_label(p, np.where(serving, mode, -1))
    used = np.flatnonzero(x > 0)
    flow = p.demand_rate_per_s[p.cand_demand[used]] * x[used]
    sizes = p.cand_batch[used]
    by_size = {int(b): float(flow[sizes == b].sum()) for b in np.unique(sizes)}
    order = sorted(by_size, key=lambda b: (-by_size[b], b))
    return {
        "modes": "; ".join(f"{node}:{name}" for node, name in labels.items()),
        "batch_sizes": ",".join(str(b) for b in order),
    }


def mode_power_w(p: CompiledProblem, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per node, with PUE, the idle power of one server on and the dynamic power per
    server-second of work, in the modes of plan ``x`` (the simulator's power model)."""
    moded = in_modes(p, node_modes(p, x)[0])
    idle = moded.node_pue * moded.node_idle_w
    return idle, moded.node_pue * (moded.node_peak_w - moded.node_idle_w)
