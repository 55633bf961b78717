"""Power during the two phases of a generation request, and the energy that follows.

Prefill is compute-bound and draws about the device's peak; decode is memory-bound and
draws less, the more so the smaller the batch (Splitwise, Patel et al., ISCA 2024,
section 3: the token phase leaves compute idle and runs at lower power; POLCA, Patel et
al., ASPLOS 2024). A profile's ``llm.decode_power`` is the power while decoding one
sequence; at batch ``b`` the decode power rises toward the peak as

    P_dec(b) = P_dec(1) + (P_peak - P_dec(1)) x min(log2 b, 7) / 7

a log-linear interpolation between two anchors of the ML.ENERGY benchmark v3.0 for an
H100 SXM (about 300 W at batch 1 and 600 W at batch 128 of a 700 W board; quoted by
the vLLM semantic-router fleet simulator's power-model reference, second-hand here):
the interpolation in ``log2 b`` is *our assumption*. Without ``decode_power`` both
phases draw the peak, as every other candidate does.

Dynamic energy per request (above idle; PUE applied by the caller):

    E = (P_peak - P_idle) t_pre + (P_dec(b) - P_idle) (O - 1) t_step(b) / b

and :func:`power_factor` is ``E / ((P_peak - P_idle) x occupancy)``, the factor the
compiled ``cand_power_factor`` carries so that the optimizer, the evaluator and the
simulator charge the same joules.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray

#: log2 of the batch at which the decode power reaches the peak (ML.ENERGY anchor: 128).
FULL_POWER_LOG2_BATCH = 7.0


def decode_power_w(
    batch: FloatArray, decode_power_1_w: float, idle_w: float, peak_w: float
) -> FloatArray:
    """Power while decoding ``batch`` sequences (module docstring), within [idle, peak]."""
    b = np.maximum(np.asarray(batch, dtype=np.float64), 1.0)
    rise = np.minimum(np.log2(b), FULL_POWER_LOG2_BATCH) / FULL_POWER_LOG2_BATCH
    power = decode_power_1_w + (peak_w - decode_power_1_w) * rise
    return np.asarray(np.clip(power, idle_w, peak_w), dtype=np.float64)


def power_factor(
    prefill_s: FloatArray,
    decode_share_s: FloatArray,
    batch: FloatArray,
    decode_power_1_w: float | None,
    idle_w: float,
    peak_w: float,
) -> FloatArray:
    """Dynamic energy per request over ``(peak - idle) x (prefill + decode share)``:
    1 without a decode power; ``prefill_s`` and ``decode_share_s`` (the request's share
    of the batch's decode time, ``(O - 1) t_step(b) / b``) are means per pair."""
    pre = np.asarray(prefill_s, dtype=np.float64)
    dec = np.asarray(decode_share_s, dtype=np.float64)
    if decode_power_1_w is None or peak_w <= idle_w:
        return np.ones(np.broadcast(pre, dec).shape)
    span = peak_w - idle_w
    above = decode_power_w(batch, decode_power_1_w, idle_w, peak_w) - idle_w
    with np.errstate(divide="ignore", invalid="ignore"):
        f = (span * pre + above * dec) / (span * (pre + dec))
    return np.asarray(np.where(pre + dec > 0, f, 1.0), dtype=np.float64)


__all__ = ["FULL_POWER_LOG2_BATCH", "decode_power_w", "power_factor"]
