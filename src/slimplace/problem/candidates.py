"""Admissible candidates (demand, node, variant), enumerated without a per-candidate loop.

A candidate is admissible when (DESIGN.md, "Decisions"):

* its variant meets the application's accuracy floor (hard floors only; an
  average floor is a constraint over the application's traffic),
* the variant's model fits the memory of one server of the node,
* network round trip + compute + M/G/1 queueing wait at the target utilisation
  ``rho_max`` meets the latency SLO.

Within one application and hardware profile a variant is dropped when another is
no slower, no larger and (where accuracy matters) no less accurate: whenever the
dropped one is admissible the other is too, at no more energy or capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.latency import ServiceTable, mg1_response_time_s, network_latency_s
from slimplace.problem.routes import Routes

#: Demand rows x target columns evaluated at once (bounds peak memory).
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True, slots=True)
class CandidateSet:
    """Columns of the candidate table, in no particular order."""

    demand: IntArray
    node: IntArray
    variant: IntArray
    net_latency_s: FloatArray
    energy_j_per_bit: FloatArray


@dataclass(frozen=True, slots=True)
class DemandView:
    """The arrays candidate enumeration needs about demands and nodes."""

    source: IntArray
    slo_s: FloatArray
    bits: FloatArray
    node_profile: IntArray
    node_memory_bytes: FloatArray
    node_local_only: BoolArray
    link_latency_s: FloatArray
    link_seconds_per_bit: FloatArray
    link_energy_j_per_bit: FloatArray
    #: Power a fully loaded server of each node draws per unit of utilisation, with its
    #: idle share: PUE * (P_peak - P_idle + P_idle / rho_max); ranks nodes for ``max_nodes``.
    node_full_load_w: FloatArray
    #: Keep at most this many target nodes per demand (the cheapest), or all when None.
    max_nodes: int | None = None


def pareto_keep(
    service_s: FloatArray, memory_bytes: FloatArray, accuracy: FloatArray | None
) -> BoolArray:
    """Mask of variants (columns) not dominated within each profile (rows).

    k dominates j when service and memory (and accuracy, if given) are no worse
    and at least one is strictly better, or all tie and k has the lower index.
    """
    s = service_s[:, :, None] <= service_s[:, None, :]
    s_strict = service_s[:, :, None] < service_s[:, None, :]
    m = (memory_bytes[:, None] <= memory_bytes[None, :])[None]
    m_strict = (memory_bytes[:, None] < memory_bytes[None, :])[None]
    if accuracy is None:
        a = np.ones_like(m)
        a_strict = np.zeros_like(m)
    else:
        a = (accuracy[:, None] >= accuracy[None, :])[None]
        a_strict = (accuracy[:, None] > accuracy[None, :])[None]
    n = service_s.shape[1]
    earlier = (np.arange(n)[:, None] < np.arange(n)[None, :])[None]
    weakly = s & m & a
    strictly = s_strict | m_strict | a_strict
    dominated = np.asarray((weakly & (strictly | earlier)).any(axis=1), dtype=bool)
    return ~dominated


def enumerate_app(
    demands: IntArray,
    variants: IntArray,
    keep: BoolArray,
    targets: IntArray,
    view: DemandView,
    table: ServiceTable,
    model_memory_bytes: FloatArray,
    routes: Routes,
    max_utilisation: float,
    cv2: float,
    slo_quantile: float | None = None,
) -> CandidateSet:
    """Admissible candidates of one application's demands over ``targets`` and itself.

    ``variants`` are the family's variants meeting a hard floor; ``keep`` the
    (profile x variant) mask of non-dominated ones.
    """
    lat_at_rho = table.compute_s + (
        mg1_response_time_s(
            table.service_s, np.full_like(table.service_s, max_utilisation), cv2, slo_quantile
        )
        - table.service_s
    )
    parts: list[CandidateSet] = []
    tp = view.node_profile[targets]
    step = max(1, CHUNK_CELLS // max(1, len(targets)))
    for lo in range(0, len(demands), step):
        parts.append(
            _chunk(
                demands[lo : lo + step],
                variants,
                keep,
                targets,
                tp,
                view,
                lat_at_rho,
                table.service_s,
                model_memory_bytes,
                routes,
            )
        )
    parts.append(_local(demands, variants, keep, view, lat_at_rho, model_memory_bytes))
    return CandidateSet(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in CandidateSet.__slots__)
    )


def _path_tables(
    d: IntArray, targets: IntArray, view: DemandView, routes: Routes
) -> tuple[FloatArray, FloatArray, FloatArray]:
    src = view.source[d]
    row = routes.source_root_row[src]
    leaf = routes.source_leaf_link[src]
    has_leaf = leaf >= 0
    leaf_i = np.maximum(leaf, 0)
    cell = np.ix_(row, routes.col(targets))
    prop = routes.latency_s[cell] + np.where(has_leaf, view.link_latency_s[leaf_i], 0.0)[:, None]
    spb = (
        routes.seconds_per_bit[cell]
        + np.where(has_leaf, view.link_seconds_per_bit[leaf_i], 0.0)[:, None]
    )
    ebit = (
        routes.energy_j_per_bit[cell]
        + np.where(has_leaf, view.link_energy_j_per_bit[leaf_i], 0.0)[:, None]
    )
    return prop, spb, ebit


def _chunk(
    d: IntArray,
    variants: IntArray,
    keep: BoolArray,
    targets: IntArray,
    tp: IntArray,
    view: DemandView,
    lat_at_rho: FloatArray,
    service_s: FloatArray,
    model_memory_bytes: FloatArray,
    routes: Routes,
) -> CandidateSet:
    prop, spb, ebit = _path_tables(d, targets, view, routes)
    bits = view.bits[d][:, None]
    net = network_latency_s(prop, spb, bits, 0.0)
    budget = view.slo_s[d][:, None] - net
    out_d, out_t, out_k = [], [], []
    mem_t = view.node_memory_bytes[targets]
    masks = []
    for j, k in enumerate(variants):
        fits = keep[tp, j] & (model_memory_bytes[k] <= mem_t)
        masks.append(fits[None, :] & (lat_at_rho[tp, k][None, :] <= budget))
    if view.max_nodes is not None and view.max_nodes < len(targets):
        cheapest = _cheapest_nodes(masks, variants, targets, bits * ebit, service_s, view)
        masks = [m & cheapest for m in masks]
    for k, mask in zip(variants, masks, strict=True):
        r, c = np.nonzero(mask)
        out_d.append(r)
        out_t.append(c)
        out_k.append(np.full(len(r), k, dtype=np.int64))
    r = np.concatenate(out_d)
    c = np.concatenate(out_t)
    return CandidateSet(
        demand=d[r],
        node=targets[c],
        variant=np.concatenate(out_k),
        net_latency_s=net[r, c],
        energy_j_per_bit=ebit[r, c],
    )


def _cheapest_nodes(
    masks: list[BoolArray],
    variants: IntArray,
    targets: IntArray,
    net_energy_j: FloatArray,
    service_s: FloatArray,
    view: DemandView,
) -> BoolArray:
    """Per demand row, the ``max_nodes`` targets with the lowest energy per inference.

    Score: network energy + full-load server energy of the fastest admissible
    variant there. A heuristic restriction (not an exact pruning): use it for
    problems too large to enumerate, and say so when reporting bounds.
    """
    tp = view.node_profile[targets]
    fastest = np.full(masks[0].shape, np.inf)
    for k, mask in zip(variants, masks, strict=True):
        fastest = np.minimum(fastest, np.where(mask, service_s[tp, k][None, :], np.inf))
    score = net_energy_j + fastest * view.node_full_load_w[targets][None, :]
    limit = int(view.max_nodes or 0)
    cut = np.argpartition(score, limit - 1, axis=1)[:, :limit]
    chosen = np.zeros(score.shape, dtype=bool)
    np.put_along_axis(chosen, cut, True, axis=1)
    return chosen & np.isfinite(score)


def _local(
    demands: IntArray,
    variants: IntArray,
    keep: BoolArray,
    view: DemandView,
    lat_at_rho: FloatArray,
    model_memory_bytes: FloatArray,
) -> CandidateSet:
    """Candidates on the source node itself when it is a local-only device."""
    src = view.source[demands]
    local = view.node_local_only[src] & (view.node_profile[src] >= 0)
    d, s = demands[local], src[local]
    p = view.node_profile[s]
    out_d, out_k = [], []
    for j, k in enumerate(variants):
        ok = keep[p, j] & (model_memory_bytes[k] <= view.node_memory_bytes[s])
        ok &= lat_at_rho[p, k] <= view.slo_s[d]
        out_d.append(np.nonzero(ok)[0])
        out_k.append(np.full(int(ok.sum()), k, dtype=np.int64))
    idx = np.concatenate(out_d)
    n = len(idx)
    return CandidateSet(
        demand=d[idx],
        node=s[idx],
        variant=np.concatenate(out_k),
        net_latency_s=np.zeros(n),
        energy_j_per_bit=np.zeros(n),
    )
