"""Batching and power-mode switches in the simulator (issue 18, items 2-3 at run time).

Batches. A batched candidate (``cand_batch`` b > 1) was planned for a stream (same node,
variant and batch size) of at least ``cand_fill_rate_per_s`` requests/s. Each step the
simulator takes the stream's *actual* rate Lambda (the flows of the plan's entries in it)
and, with the formulas of :mod:`slimplace.problem.batching` (the evaluator's):

* fill wait ``(b - 1) / (2 Lambda)`` (mean SLOs) or ``(b - 1) / Lambda`` (quantile SLOs);
* a batch takes ``l_b = b s_b``, ``s_b = s_1 / f(b)`` per inference (``s_1`` the batch-1
  service time in the candidate's mode, ``f`` the profile's batch curve); batches queue
  as M/G/1 units of ``l_b``; energy per inference is the mode's busy power x ``s_b``.

When Lambda falls short of the rate the plan's batch needs, a server that kept batch b
would make its requests wait past their SLO. The simulator instead assumes what a
dynamic-batching server with a timeout does (Clipper, Crankshaw et al., NSDI 2017;
Triton's ``max_queue_delay``): it dispatches the largest batch of the profile's curve,
at most b, that fills within the fill budget the plan gave the stream (the tightest of
its entries': ``(b - 1) / L_c`` scaled as above), batch 1 at worst. Those requests are
counted as ``batch_unfilled``; their service time, energy per inference and latency are
the smaller batch's, which is the honest cost of a batch the traffic does not fill.
When the stream fills its batch this is exactly the evaluator's latency.

Mode switches. When a new plan runs a node in another power mode (the mode of the
candidates it serves, :func:`slimplace.problem.modes.node_modes`), every server of the
node pays the new mode's ``switch_energy_j`` (x PUE) once and the node's requests are
late for its ``switch_time_s`` (the share of the step that arrives during it). The
figures are the profile's (``power_modes``); the catalog's are 0, as NVIDIA publishes
none for ``nvpmodel`` changes (``data/catalog/SOURCES.md``). A node whose plan stops
using it keeps its mode (nothing to switch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.problem.batching import batch_options, fill_wait_s
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import node_modes

#: Relative tolerance of "the stream fills its batch".
FILL_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class BatchTable:
    """Per candidate: plan batch, batch-1 service time in its mode, fill budget, and the
    batch curve of its node's profile (padded with batch 1)."""

    batch: IntArray
    service1_s: FloatArray
    fill_budget_s: FloatArray
    need_per_s: FloatArray
    sizes: IntArray  # (candidates' profile rows, width)
    factors: FloatArray
    profile_row: IntArray
    n_variants: int
    quantile: float | None
    cv2: float


def batch_table(p: CompiledProblem) -> BatchTable | None:
    """The table of ``p``'s batched candidates; None when no candidate batches."""
    batch = np.where(p.cand_decode_batch > 1, 1, p.cand_batch).astype(np.int64)
    if not (batch > 1).any():
        return None
    curves = [batch_options(prof.batching) for prof in p.profiles]
    width = max([len(b) for b, _ in curves] + [1])
    sizes = np.ones((len(p.profiles) + 1, width), dtype=np.int64)
    factors = np.ones((len(p.profiles) + 1, width))
    for i, (b, f) in enumerate(curves):
        sizes[i, : len(b)] = b
        factors[i, : len(f)] = f
    row = p.node_profile[p.cand_node]  # -1 (no profile) reads the padded last row
    at = np.argmax(sizes[row] == batch[:, None], axis=1)
    f_b = np.where(batch > 1, factors[row, at], 1.0)
    need = p.cand_fill_rate_per_s
    budget = fill_wait_s(batch, need, p.slo_quantile)  # the fill wait the plan allowed
    return BatchTable(
        batch=batch,
        service1_s=p.cand_service_s * f_b,
        fill_budget_s=np.where(batch > 1, budget, np.inf),
        need_per_s=need,
        sizes=sizes,
        factors=factors,
        profile_row=row,
        n_variants=len(p.variant_names),
        quantile=p.slo_quantile,
        cv2=p.service_cv2,
    )


@dataclass(frozen=True, eq=False)
class BatchStep:
    """What the batched entries of a step run at (entries ``at`` of the support)."""

    at: IntArray
    service_s: FloatArray
    compute_s: FloatArray
    fill_s: FloatArray
    unfilled: BoolArray


def batch_step(
    t: BatchTable, cand: IntArray, node: IntArray, variant: IntArray, flow: FloatArray
) -> BatchStep:
    """Batch each batched support entry runs at this step, at its stream's actual rate."""
    at = np.flatnonzero(t.batch[cand] > 1)
    c = cand[at]
    b = t.batch[c]
    key = (node[at] * t.n_variants + variant[at]) * (int(b.max(initial=1)) + 1) + b
    uniq, inv = np.unique(key, return_inverse=True)
    stream = np.asarray(
        np.bincount(inv, weights=flow[at], minlength=len(uniq))[inv], dtype=np.float64
    )
    budget = np.full(len(uniq), np.inf)
    np.minimum.at(budget, inv, t.fill_budget_s[c])
    budget = budget[inv]
    row = t.profile_row[c]
    cand_sizes, cand_f = t.sizes[row], t.factors[row]
    waits = fill_wait_s(cand_sizes, stream[:, None], t.quantile)
    fits = (cand_sizes <= b[:, None]) & (waits <= budget[:, None] * (1 + FILL_RTOL))
    fits |= cand_sizes == 1
    pick = np.argmax(np.where(fits, cand_sizes, 0), axis=1)
    eff = cand_sizes[np.arange(len(at)), pick]
    service = t.service1_s[c] / cand_f[np.arange(len(at)), pick]
    return BatchStep(
        at=at,
        service_s=service,
        compute_s=eff * service,
        fill_s=fill_wait_s(eff, stream, t.quantile),
        unfilled=eff < b,
    )


def mode_switch(
    p: CompiledProblem, before: IntArray | None, x: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Node modes under plan ``x`` (serving nodes take their plan's mode, others keep
    ``before``), the nodes that switch, their energy (J, x PUE, every server) and time (s)."""
    mode, _ = node_modes(p, x)
    if before is None:
        return mode, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    serving = np.zeros(p.n_nodes, dtype=bool)
    serving[p.cand_node[x > 0]] = True
    mode = np.where(serving, mode, before)
    nodes = np.flatnonzero((before >= 0) & (mode >= 0) & (before != mode))
    rows = mode[nodes]
    energy = p.mode_switch_j[rows] * p.node_count[nodes] * p.node_pue[nodes]
    return mode, nodes, np.asarray(energy, dtype=np.float64), p.mode_switch_s[rows]
