"""Split candidates: (demand, serving node, variant, cut) with the head on the source device.

A split candidate keeps the compiled problem's one-node-per-candidate structure: its
node serves the tail, and the head is an attribute of the candidate (DESIGN.md's
candidate arrays, extended). For a cut after block j with head share ``h`` of the FLOPs
(:mod:`slimplace.split.cuts`), on a source device of profile ``pd`` and a node of
profile ``pn`` (Neurosurgeon, Kang et al., ASPLOS 2017, eq. 1-2, with this project's
queueing and energy models)::

    head_s     = h x compute_s[pd, k]                 (on the device, counted as its load)
    service_s  = (1 - h) x service_s[pn, k]           (the node's capacity rows: the tail)
    latency    = head_s + 2 prop + (cut_bits + response_bits) x s/bit + tail compute
                 + M/G/1 waits of the head (at the device) and the tail at rho_max
    energy     = PUE_n (P_peak - P_idle)_n service_s            (tail, at the node's grid)
               + PUE_d (P_peak - P_idle)_d head_s               (head, at the source's grid)
               + (cut_bits + response_bits) x J/bit of the route  + device radio

The device radio's transfer energy is linear in the bits sent (Huang et al., MobiSys
2012: ``alpha_up U + beta U / R``) while its tail and promotion depend only on the
request rate, so a split candidate's radio is the demand's (the evaluator and the
simulator recompute it at the actual rates) plus the rate-independent difference
``(alpha_up + beta / R) (cut_bits - request_bits)``, carried in ``cand_extra_j`` with
the head's energy (both drawn at the source's grid) and, on its own, in
``cand_radio_delta_j``: the radio no plan avoids is the least of ``cand_radio_j +
cand_radio_delta_j`` over a demand's candidates
(:func:`slimplace.energy.accounting.unavoidable_radio_j`).

Cuts dominated within one (demand, node) group are pruned: a candidate is dropped when
another of the group (the whole model at that node included) is no worse in energy
(in total under the energy objective or one grid intensity; else node-grid, source-grid
and network energy apart), weight memory and accuracy, and, where they can matter, tail
load, device load and bits sent (:class:`_Matters`), so counts stay bounded by the front
of each group.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.candidates import DemandView, _path_tables
from slimplace.problem.compiled import CAND_NEUTRAL, CompiledProblem
from slimplace.problem.energy import dynamic_energy_j
from slimplace.problem.latency import ServiceTable, mg1_response_time_s, network_latency_s
from slimplace.split.cuts import CutTable

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class _Rows:
    """Candidate rows of one application (whole-model comparators have cut -1)."""

    demand: IntArray
    node: IntArray
    variant: IntArray
    cut: IntArray
    head_s: FloatArray
    service_s: FloatArray
    compute_s: FloatArray
    net_latency_s: FloatArray
    latency_s: FloatArray
    node_j: FloatArray
    head_j: FloatArray
    net_j: FloatArray
    radio_delta_j: FloatArray
    request_bits: FloatArray
    accuracy: FloatArray
    source: IntArray

    def take(self, keep: BoolArray) -> _Rows:
        return _Rows(*(getattr(self, f.name)[keep] for f in dataclasses.fields(self)))


def _view(p: CompiledProblem) -> DemandView:
    bw = p.link_bandwidth_bps
    return DemandView(
        source=p.demand_source,
        slo_s=p.demand_slo_s,
        bits=p.demand_request_bits + p.demand_response_bits,
        node_profile=p.node_profile,
        node_memory_bytes=p.node_memory_bytes,
        node_local_only=p.node_local_only,
        link_latency_s=p.link_latency_s,
        link_seconds_per_bit=np.where(np.isinf(bw), 0.0, 1.0 / bw),
        link_energy_j_per_bit=p.link_per_bit_j,
        node_full_load_w=np.zeros(p.n_nodes),
    )


def _radio_j_per_bit(p: CompiledProblem, demands: IntArray) -> FloatArray:
    """Marginal radio energy per uplink bit of each demand's device: alpha_up + beta / R
    (0 without a radio model or under the attributional model)."""
    if not p.power_model or not p.radio_models:
        return np.zeros(len(demands))
    up = np.array([m.uplink_j_per_bit for m in p.radio_models] + [0.0])
    active = np.array([m.active_w for m in p.radio_models] + [0.0])
    r = p.demand_radio[demands]
    return up[r] + active[r] / p.demand_access_bps[demands]


def _app_rows(p: CompiledProblem, t: CutTable, table: ServiceTable) -> _Rows:
    """Every (demand, node, variant, cut) row of one application, with comparators."""
    demands = np.nonzero(p.demand_app == t.app)[0]
    src = p.demand_source[demands]
    demands = demands[p.node_profile[src] >= 0]
    targets = np.nonzero((p.node_profile >= 0) & ~p.node_local_only)[0]
    if len(demands) == 0 or len(targets) == 0:
        return _empty()
    prop, spb, ebit = _path_tables(demands, targets, _view(p), p.routes)
    n_k, n_j = t.head_share.shape
    # axes: demand row r, target column c, variant k, cut j (j = 0: whole model)
    share = np.concatenate([np.zeros((n_k, 1)), t.head_share], axis=1)[None, None]
    params = np.concatenate([np.zeros((n_k, 1)), t.param_share], axis=1)[None, None]
    req = p.demand_request_bits[demands][:, None, None, None]
    bits = np.concatenate([np.zeros((n_k, 1)), t.cut_bits], axis=1)[None, None]
    bits = np.where(np.arange(n_j + 1) == 0, req, bits)
    resp = p.demand_response_bits[demands][:, None, None, None]
    ks = t.variants
    pd = p.node_profile[p.demand_source[demands]]
    pn = p.node_profile[targets]
    ex = _Exit.of(t)
    head_s = share * table.compute_s[pd][:, ks][:, None, :, None]  # a request that goes on
    head_load_s = ex.head_share(share) * table.compute_s[pd][:, ks][:, None, :, None]
    full_tail_service = (1 - share) * table.service_s[pn][:, ks][None, :, :, None]
    tail_service = (1 - ex.rate) * full_tail_service  # per request, exits included
    tail_compute = (1 - share) * table.compute_s[pn][:, ks][None, :, :, None]
    wait = _wait_s(p, full_tail_service)
    # the evaluator's wait is that of cand_service_s: the difference at rho_max is added
    # to the compute time, so that its latency is the no-exit path's (an upper bound)
    wait_gap = wait - _wait_s(p, tail_service)
    # the head queues at the device as a tail does at its node (M/G/1 at rho_max; an upper
    # bound at any lower utilisation of the device, carried in the compute time)
    head_wait = _wait_s(p, head_s)
    net = network_latency_s(prop[:, :, None, None], spb[:, :, None, None], bits, resp)
    latency = net + head_s + head_wait + tail_compute + wait
    dev = p.demand_source[demands]
    ok = latency <= p.demand_slo_s[demands][:, None, None, None] * (1 + 1e-12)
    ok &= (p.model_memory_bytes[p.variant_model[ks]] <= p.node_memory_bytes[targets][:, None])[
        None, :, :, None
    ]
    mem = p.model_memory_bytes[p.variant_model[ks]][None, None, :, None]
    ok &= params * mem <= p.node_memory_bytes[dev][:, None, None, None]
    rate = p.demand_rate_per_s[demands][:, None, None, None]
    ok &= rate * head_load_s <= p.max_utilisation * p.node_count[dev][:, None, None, None]
    ok &= np.isfinite(latency) & ~np.isnan(share) & ~np.isnan(bits)
    # the tail runs upstream: a split whose serving node is its own source device is the
    # whole model at the source (radio and network charged for nothing), never a candidate
    ok &= (targets[None, :] != dev[:, None])[:, :, None, None]
    node_j = p.node_pue[targets][None, :, None, None] * dynamic_energy_j(
        tail_service,
        p.node_idle_w[targets][None, :, None, None],
        p.node_peak_w[targets][None, :, None, None],
    )
    head_j = p.node_pue[dev][:, None, None, None] * dynamic_energy_j(
        head_load_s,
        p.node_idle_w[dev][:, None, None, None],
        p.node_peak_w[dev][:, None, None, None],
    )
    sent = (1 - ex.rate) * bits  # requests leaving at the exit send nothing
    net_j = (sent + resp) * ebit[:, :, None, None]
    radio = _radio_j_per_bit(p, demands)[:, None, None, None] * (sent - req)
    loss = np.where(np.arange(n_j + 1) == 0, 0.0, t.accuracy_loss) + ex.loss
    acc = p.variant_accuracy[ks][None, None, :, None] - loss
    floor_ok = ~(~p.app_average[t.app] & (acc < p.app_floor[t.app] - 1e-12))
    ok &= np.broadcast_to(floor_ok, ok.shape)
    r, c, k, j = np.nonzero(ok)
    cut_index = np.concatenate([np.full((n_k, 1), -1), t.cut_index], axis=1)
    cut = cut_index[k, j]
    full = (len(demands), len(targets), n_k, n_j + 1)

    def at(a: FloatArray) -> FloatArray:
        return np.broadcast_to(a, full)[r, c, k, j]

    return _Rows(
        demand=demands[r],
        node=targets[c],
        variant=ks[k],
        cut=cut,
        head_s=at(head_load_s),
        service_s=at(tail_service),
        compute_s=at(head_s + head_wait + tail_compute + wait_gap),
        net_latency_s=at(net),
        latency_s=at(latency),
        node_j=at(node_j),
        head_j=at(head_j),
        net_j=at(net_j),
        radio_delta_j=at(radio),
        request_bits=at(sent),
        accuracy=at(acc),
        source=table.source[pn[c], ks[k]].astype(np.int64),
    )


def _wait_s(p: CompiledProblem, service_s: FloatArray) -> FloatArray:
    """M/G/1 wait (mean, or the SLO quantile's) of the tail at rho_max."""
    rho = np.full_like(service_s, p.max_utilisation)
    return mg1_response_time_s(service_s, rho, p.service_cv2, p.slo_quantile) - service_s


@dataclasses.dataclass(frozen=True, slots=True)
class _Exit:
    """The early exit of a cut table, broadcast to (demand, node, variant, cut) axes with
    the whole model as cut 0: ``rate`` q of requests leaving at the exit (0 where the
    cut is before it), ``share`` the FLOP share up to the exit, ``loss`` its top-1 cost.

    Expected figures (BranchyNet, Teerapittayanon et al., ICPR 2016; Edgent, Li et al.,
    MECOMM 2018): head load ``q x exit share + (1 - q) x cut share``; tail load, bits
    sent and their energy ``(1 - q)`` of a request's; accuracy the measured (or given)
    top-1 of the network with its exit. Latency is the no-exit path's: the exit path is
    a prefix of it, so the mixture's SLO quantile is at most the no-exit path's
    (conservative, exact at q = 0)."""

    rate: FloatArray
    share: FloatArray
    loss: FloatArray

    @staticmethod
    def of(t: CutTable) -> _Exit:
        n_k = len(t.variants)
        q = np.concatenate([np.zeros((n_k, 1)), t.exit_rates()], axis=1)
        share = np.zeros(n_k) if t.exit_share is None else t.exit_share
        loss = np.where(q > 0, t.exit_accuracy_loss, 0.0)
        return _Exit(q[None, None], share[None, None, :, None], loss[None, None])

    def head_share(self, cut_share: FloatArray) -> FloatArray:
        """Expected FLOP share of a request computed on the device."""
        return np.asarray(self.rate * self.share + (1 - self.rate) * cut_share)


def _empty() -> _Rows:
    ints = ("demand", "node", "variant", "cut", "source")
    empty: dict[str, Any] = {
        f.name: np.zeros(0, dtype=np.int64 if f.name in ints else np.float64)
        for f in dataclasses.fields(_Rows)
    }
    return _Rows(**empty)


def non_dominated(rows: _Rows, memory: FloatArray, matters: _Matters) -> BoolArray:
    """Rows no other row of the same (demand, node) group dominates (module docstring).

    A load or size is compared only where it :class:`_Matters`; latency is not compared
    (every row meets its SLO at rho_max, hence at any lower utilisation)."""
    energy = [rows.node_j, rows.head_j + rows.radio_delta_j, rows.net_j]
    if matters.one_grid:
        energy = [rows.node_j + rows.head_j + rows.radio_delta_j + rows.net_j]
    crit = np.stack(
        [
            *energy,
            rows.service_s * matters.tail[rows.node],
            rows.head_s * matters.head[rows.demand],
            rows.request_bits * matters.bits,
            memory,
            -rows.accuracy,
        ],
        axis=1,
    )
    keep = np.ones(len(rows.demand), dtype=bool)
    group = rows.demand * (int(rows.node.max(initial=0)) + 1) + rows.node
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for idx in np.split(order, bounds):
        g = crit[idx]
        weak = (g[:, None, :] <= g[None, :, :]).all(axis=2)
        strict = (g[:, None, :] < g[None, :, :]).any(axis=2)
        earlier = np.arange(len(idx))[:, None] < np.arange(len(idx))[None, :]
        dominated = (weak & (strict | earlier)).any(axis=0)
        keep[idx] = ~dominated
    return keep


@dataclasses.dataclass(frozen=True, slots=True)
class _Matters:
    """Where a row's loads and sizes can change a plan's cost or feasibility:
    ``tail[node]`` (the node's servers can be switched off, or all the load that could
    reach it may exceed rho_max x its servers), ``head[demand]`` (the same for the
    demand's source device) and ``bits`` (the requests that could be sent may exceed the
    narrowest link; rows whose own requests overload their access link are dropped
    first). Where they cannot, only energy, memory and accuracy tell rows apart.
    """

    tail: FloatArray
    head: FloatArray
    bits: float
    #: every joule costs the same (energy objective, or one grid intensity everywhere):
    #: compare total energy, else node-grid, source-grid and network energy apart
    one_grid: bool = False


def _matters(p: CompiledProblem, rows: _Rows) -> _Matters:
    n = p.n_nodes
    src = p.demand_source[rows.demand]
    keys = np.concatenate(
        [p.cand_demand * n + p.cand_node, rows.demand * n + rows.node, rows.demand * n + src]
    )
    values = np.concatenate([p.cand_service_s, rows.service_s, rows.head_s])
    most = np.zeros(p.n_demands * n)
    np.maximum.at(most, keys, values)
    load = (most.reshape(p.n_demands, n) * p.demand_rate_per_s[:, None]).sum(axis=0)
    binds = load > p.max_utilisation * p.node_count * (1 - 1e-9)
    tail = (binds | ~p.node_always_on).astype(np.float64)
    bits_most = np.zeros(p.n_demands)
    np.maximum.at(bits_most, rows.demand, rows.request_bits)
    bits_most = np.maximum(bits_most, p.demand_request_bits)
    finite = p.link_bandwidth_bps[np.isfinite(p.link_bandwidth_bps)]
    narrowest = float(finite.min()) if len(finite) else np.inf
    bits = float(float(bits_most @ p.demand_rate_per_s) > narrowest)
    g = p.region_carbon_g_per_kwh[p.node_region]
    one_grid = p.objective == "energy" or bool(np.all(g == g[0]))
    return _Matters(tail, binds[p.demand_source].astype(np.float64), bits, one_grid)


def add_split_candidates(
    problem: CompiledProblem,
    tables: list[CutTable],
    service: ServiceTable,
    *,
    prune: bool = True,
) -> CompiledProblem:
    """``problem`` with the non-dominated split candidates of the applications in
    ``tables`` added (and demands they serve removed from ``problem.unservable``);
    ``prune=False`` keeps every admissible cut (brute-force enumeration)."""
    p = problem
    found = [rows for t in tables if len((rows := _app_rows(p, t, service)).demand)]
    if not found:
        return p
    rows = _concat(found)
    if prune:  # a row whose requests alone overload the source's access link is never used
        rate = p.demand_rate_per_s[rows.demand]
        rows = rows.take(rate * rows.request_bits <= p.demand_access_bps[rows.demand])
    keep = rows.cut >= 0
    if prune:
        memory = p.model_memory_bytes[p.variant_model[rows.variant]]
        keep &= non_dominated(rows, memory, _matters(p, rows))
    log.info("split: %d rows, %d split candidates kept", len(rows.demand), int(keep.sum()))
    if not keep.any():
        return p
    return _merge(p, rows.take(keep))


def _concat(parts: list[_Rows]) -> _Rows:
    return _Rows(
        *(np.concatenate([getattr(x, f.name) for x in parts]) for f in dataclasses.fields(_Rows))
    )


def _new_columns(p: CompiledProblem, new: _Rows) -> dict[str, np.ndarray]:
    radio = np.zeros(len(new.demand))
    if p.power_model:
        radio = p.demand_radio_j()[new.demand]
    return {
        "cand_demand": new.demand,
        "cand_node": new.node,
        "cand_variant": new.variant,
        "cand_service_s": new.service_s,
        "cand_compute_s": new.compute_s,
        "cand_net_latency_s": new.net_latency_s,
        "cand_latency_s": new.latency_s,
        "cand_dyn_energy_j": new.node_j / p.node_pue[new.node],
        "cand_net_energy_j": new.net_j + radio,
        "cand_accuracy": new.accuracy,
        "cand_latency_source": new.source.astype(np.int8),
        "cand_radio_j": radio,
        "cand_extra_j": new.head_j + new.radio_delta_j,
        "cand_cut": new.cut,
        "cand_head_compute_s": new.head_s,
        "cand_head_energy_j": new.head_j,
        "cand_radio_delta_j": new.radio_delta_j,
        "cand_request_bits": new.request_bits,
    }


def _merge(p: CompiledProblem, new: _Rows) -> CompiledProblem:
    """All candidates, sorted by (demand, node, variant, cut), with ``demand_ptr`` rebuilt."""
    cols = _new_columns(p, new)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(p):
        old = getattr(p, f.name)
        if not f.name.startswith("cand_") or len(old) != p.n_candidates:
            continue
        add = cols.get(f.name)
        if add is None:
            if f.name not in CAND_NEUTRAL:
                log.warning("split candidates: %s unknown, filled with zeros", f.name)
            add = np.full(len(new.demand), CAND_NEUTRAL.get(f.name, 0), dtype=old.dtype)
        fields[f.name] = np.concatenate([old, add.astype(old.dtype)])
    order = np.lexsort(
        (fields["cand_cut"], fields["cand_variant"], fields["cand_node"], fields["cand_demand"])
    )
    fields = {name: a[order] for name, a in fields.items()}
    ptr = np.searchsorted(fields["cand_demand"], np.arange(p.n_demands + 1)).astype(np.int64)
    served = set(np.unique(new.demand).tolist())
    labels = {p.demand_label(d) for d in served}
    unservable = tuple(u for u in p.unservable if f"{u.application}@{u.source}" not in labels)
    return dataclasses.replace(p, demand_ptr=ptr, unservable=unservable, **fields)


__all__ = ["add_split_candidates", "non_dominated"]
