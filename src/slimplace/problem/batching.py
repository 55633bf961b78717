"""Batching: service time, latency and energy per inference against batch size.

A device that batches serves ``b`` requests of one model together. From a published
throughput-against-batch curve (``BatchCurve``: throughput at batch b over throughput at
batch 1, ``f(b)``; e.g. NVIDIA DeepLearningExamples' ResNet-50 v1.5 inference tables for
the T4 and V100, see ``data/catalog/SOURCES.md``), with ``s`` the batch-1 service time:

* server time per inference ``s_b = s / f(b)`` (capacity and, at the mode's busy power,
  energy per inference: ``(P_peak - P_idle) s_b``; the sources give no power per batch
  size, so busy power is the peak at every size);
* a batch takes ``l_b = b s_b`` to compute, the time each of its requests spends in it;
* queueing: batches are the unit of service, ``W = l_b + M/G/1 wait(l_b, rho)`` at the
  node's utilisation rho (the batch-service view of Nexus, Shen et al., SOSP 2019, whose
  worst case ``2 l_b`` this approaches as rho -> 1);
* filling: with requests of the batch's stream (same node, variant and batch size)
  arriving as a Poisson process of rate Lambda, the j-th of b requests waits for
  ``b - j`` more arrivals, ``(b - j) / Lambda``; on average over the batch
  ``(b - 1) / (2 Lambda)``, and ``(b - 1) / Lambda`` for the first request, the bound
  used when SLOs bound a quantile (Inoue, "Queueing analysis of GPU-based inference
  servers with dynamic batching: a closed-form characterization", Performance
  Evaluation 147, 2021, for the exact analysis this approximates; Clipper, Crankshaw et
  al., NSDI 2017, for batch sizes bounded by the latency SLO).

The fill wait falls as the stream's rate grows: a batch size out of reach of one demand's
rate can be within the SLO for two demands served together. Energy per inference then
falls with load, and consolidation pays more than idle power alone says.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.scenario.model import BatchCurve


def batch_options(curve: BatchCurve | None) -> tuple[IntArray, FloatArray]:
    """Batch sizes a profile can use and their throughput factors (batch 1 alone
    without a curve)."""
    if curve is None:
        return np.ones(1, dtype=np.int64), np.ones(1)
    return np.asarray(curve.batch_sizes, dtype=np.int64), np.asarray(curve.throughput_factor)


def fill_wait_s(
    batch: IntArray, stream_rate_per_s: FloatArray, quantile: float | None
) -> FloatArray:
    """Time a request waits for its batch to fill: ``(b - 1) / (2 Lambda)`` on average,
    ``(b - 1) / Lambda`` (the first request's) when SLOs bound a quantile; 0 at batch 1."""
    b = np.asarray(batch, dtype=np.float64)
    rate = np.asarray(stream_rate_per_s, dtype=np.float64)
    scale = 1.0 if quantile is not None else 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(rate > 0, scale * (b - 1.0) / rate, np.inf)
    return np.where(b > 1, wait, 0.0)


def fill_rate_needed(batch: IntArray, budget_s: FloatArray, quantile: float | None) -> FloatArray:
    """Stream rate at which the fill wait of :func:`fill_wait_s` equals ``budget_s``: the
    least rate a batch of that size needs to meet its SLO (0 at batch 1; inf without budget)."""
    b = np.asarray(batch, dtype=np.float64)
    budget = np.asarray(budget_s, dtype=np.float64)
    scale = 1.0 if quantile is not None else 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(budget > 0, scale * (b - 1.0) / budget, np.inf)
    return np.where(b > 1, rate, 0.0)


def queue_unit_s(service_s: FloatArray, compute_s: FloatArray, batch: IntArray) -> FloatArray:
    """What the M/G/1 wait is computed on: the per-inference service time at batch 1 (as
    without batching), the batch's compute time ``l_b`` above."""
    return np.where(np.asarray(batch) > 1, compute_s, service_s)


def stream_rate_per_s(
    node: IntArray, variant: IntArray, batch: IntArray, flow_per_s: FloatArray, n_variants: int
) -> FloatArray:
    """Rate of the stream each entry belongs to: the flows of every entry with the same
    node, variant and batch size, summed."""
    key = (np.asarray(node) * n_variants + np.asarray(variant)) * (
        int(np.max(batch, initial=1)) + 1
    )
    key = key + np.asarray(batch)
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=flow_per_s, minlength=len(uniq))
    return np.asarray(total[inverse], dtype=np.float64)
