"""Decode batch of a generation candidate: what memory holds, the TPOT SLO allows, the load fills.

Continuous batching (Orca, Yu et al., OSDI 2022; vLLM, Kwon et al., SOSP 2023) decodes
every sequence in flight on a server together: one step reads the weights once for all
of them (:func:`~slimplace.llm.roofline.candidate_step_s`). How many sequences are in
flight is not a property of the server but of its load. By Little's law (Little,
Operations Research 9(3), 1961), ``L = lambda W``: with requests for one variant arriving
at a node at ``lambda`` per second and each spending ``W(b) = t_pre + (O - 1) t_step(b)``
being generated, the node holds ``lambda W(b)`` sequences on average. A decode batch of
``b`` is full only when

    lambda >= b / W(b)                          (the *fill rate* of batch b)

Below it the server decodes fewer sequences per weight read and each request costs more
than the batch-``b`` figure: occupancy ``s_b = t_pre + (O - 1) t_step(b) / b`` and energy
``(P_peak - P_idle) s_b`` are *lower bounds* unless the fill rate is met.

Admissible batch sizes of a (variant, server) pair: ``1, 2, 4, ...`` up to the largest of

- the profile's ``batch`` (the runtime's ``max_num_seqs``);
- the KV caches at the application's context that fit the server's memory after the
  weights (:func:`memory_cap`);
- the largest size whose time per output token meets the application's ``tpot_slo``
  (a larger batch lengthens every step).

:func:`decode_options` gives, per pair and admissible size, the occupancy, latency, TPOT,
residence time and fill rate: the per-``b`` candidate table a batch-aware placement uses
(one candidate per size, the fill rate as the requirement on the node's traffic; the
``cand_batch`` / ``cand_fill_rate_per_s`` machinery of power modes and batching).
:func:`assumed_batch` picks one size per pair (the largest admissible), which is what the
compile uses today; the evaluator then flags a plan whose traffic at a node does not reach
that size's fill rate (``batch-fill`` violations, ``cand_seq_fill_rate_per_s``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray


def batch_ladder(cap: int) -> IntArray:
    """``1, 2, 4, ...`` below ``cap``, then ``cap`` itself (at least ``[1]``)."""
    cap = max(1, int(cap))
    sizes = [1 << k for k in range(cap.bit_length()) if (1 << k) < cap]
    return np.array([*sizes, cap], dtype=np.int64)


def ladder_of(cap: IntArray) -> IntArray:
    """The sizes of ``batch_ladder(max(cap))`` and every pair's own cap, sorted."""
    caps = np.asarray(cap, dtype=np.int64)
    return np.union1d(batch_ladder(int(caps.max(initial=1))), caps).astype(np.int64)


def memory_cap(weight_bytes: float, kv_bytes_per_sequence: float, memory_bytes: float) -> int:
    """KV caches of one sequence each that fit ``memory_bytes`` after the weights (>= 1)."""
    if kv_bytes_per_sequence <= 0:
        return 1 << 20
    return max(1, int(np.floor((memory_bytes - weight_bytes) / kv_bytes_per_sequence)))


def fill_rate_per_s(batch: IntArray | FloatArray, residence_s: FloatArray) -> FloatArray:
    """Arrival rate that keeps ``batch`` sequences in flight (Little's law,
    ``b / W``); 0 at batch 1 (a single sequence needs no partner)."""
    b = np.asarray(batch, dtype=np.float64)
    w = np.asarray(residence_s, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(w > 0, b / w, np.inf)
    return np.asarray(np.where(b > 1, rate, 0.0), dtype=np.float64)


def concurrency(rate_per_s: FloatArray, residence_s: FloatArray) -> FloatArray:
    """Sequences in flight, ``lambda W`` (Little's law)."""
    return np.asarray(np.asarray(rate_per_s) * np.asarray(residence_s), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """Per (pair, batch size) of a ladder shared by all pairs (``batch`` of shape (K,)),
    arrays of shape (pairs, K); ``ok`` marks the admissible sizes of each pair."""

    batch: IntArray
    ok: BoolArray
    service_s: FloatArray
    latency_s: FloatArray
    tpot_s: FloatArray
    residence_s: FloatArray
    fill_rate_per_s: FloatArray
    #: mean prefill time of each pair (the same at every size)
    prefill_s: FloatArray


def decode_options(
    t_pre: FloatArray,
    step_s: FloatArray,
    output_tokens: FloatArray,
    cap: IntArray,
    ttft: bool,
    tpot_slo_s: float | None,
    quantile: float | None,
) -> DecodeOptions:
    """Timings of each pair at each batch size of :func:`ladder_of` ``(cap)``.

    ``t_pre``: prefill seconds, (pairs, requests); ``step_s``: decode step seconds,
    (pairs, K, requests) at the ladder's sizes; ``output_tokens``: (requests,);
    ``cap``: memory and profile cap per pair. Latency is the TTFT (``ttft``) or the end
    to end; latency and TPOT are the mean, or the ``quantile``, over the requests.
    """
    ladder = ladder_of(cap)
    b = ladder.astype(np.float64)[None, :, None]
    o = np.asarray(output_tokens, dtype=np.float64)[None, None, :]
    pre = np.asarray(t_pre, dtype=np.float64)[:, None, :]
    decode = (o - 1.0) * step_s
    residence = pre + decode
    latency = np.broadcast_to(pre, residence.shape) if ttft else residence

    def stat(x: FloatArray) -> FloatArray:
        if quantile is None:
            return np.asarray(x.mean(axis=2), dtype=np.float64)
        return np.asarray(np.quantile(x, quantile, axis=2), dtype=np.float64)

    tpot = stat(step_s)
    ok = ladder[None, :] <= np.asarray(cap)[:, None]
    if tpot_slo_s is not None:
        ok &= (tpot <= tpot_slo_s) | (ladder[None, :] == 1)
    w = np.asarray(residence.mean(axis=2), dtype=np.float64)
    return DecodeOptions(
        batch=ladder,
        ok=np.asarray(ok, dtype=bool),
        service_s=np.asarray((pre + decode / b).mean(axis=2), dtype=np.float64),
        latency_s=stat(latency),
        tpot_s=tpot,
        residence_s=w,
        fill_rate_per_s=fill_rate_per_s(ladder[None, :], w),
        prefill_s=np.broadcast_to(pre.mean(axis=2), w.shape).copy(),
    )


def assumed_batch(options: DecodeOptions) -> IntArray:
    """Index in ``options.batch`` of the largest admissible size of each pair."""
    k = np.arange(len(options.batch))[None, :]
    return np.asarray(np.where(options.ok, k, 0).max(axis=1), dtype=np.int64)


__all__ = [
    "DecodeOptions",
    "assumed_batch",
    "batch_ladder",
    "concurrency",
    "decode_options",
    "fill_rate_per_s",
    "ladder_of",
    "memory_cap",
]
