"""Token-level latency and energy of a generation request on one device (roofline).

A request with ``P`` prompt tokens and ``O`` output tokens runs a *prefill* (all
prompt tokens in one pass, producing the first output token) and ``O - 1``
*decode* steps (one token each). With the device's calibrated
:class:`DeviceLlmFit` (effective bandwidth ``BW``, effective FLOP/s ``R``,
overheads ``t0``):

- prefill: ``t_pre = t0_pre + max(F_pre(P) / R, W / BW)``, compute-bound for any
  realistic prompt (Pope et al., MLSys 2023; Splitwise, ISCA 2024, section 2);
- decode step of a batch of ``B`` sequences at context ``c``:
  ``t_step = t0_dec + max((W_act + B KV(c)) / BW, B F_dec(c) / R) + d N_q``
  (``N_q``: activated parameters stored below 16 bits, else 0): the roofline
  minimum of memory and compute (Williams et al., CACM 2009); at ``B = 1`` the
  weight read dominates, so throughput ``B / t_step`` rises with ``B`` until the
  compute term takes over (Kwon et al., vLLM, SOSP 2023; Yuan et al., "LLM
  Inference Unveiled: Survey and Roofline Model Insights", arXiv:2402.16363);
  ``d`` is the time per weight to dequantize low-bit weights, added where the
  runtime's kernels are compute-bound on it (AutoGPTQ/AutoAWQ under HF
  Transformers, CPU k-quant kernels; Lin et al., AWQ, MLSys 2024, section 4;
  llama.cpp PR #1684 timings at 4 vs 8 threads); prefill of int8-activation
  schemes (8da4w, SpinQuant) runs at the integer rate ``R_int8``;
- time to first token ``TTFT = t_pre``; time per output token
  ``TPOT = t_step`` at the mean decode context ``P + O / 2`` (exact for the
  memory term, linear in ``c``); end to end ``TTFT + (O - 1) TPOT``;
- energy: ``E = P_pre t_pre + P_dec (O - 1) t_step / B`` (device power during each
  phase; a batch shares the decode power), per output token ``E / O``.

All functions are vectorised over token counts (numpy broadcasting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.llm.model import LlmVariant, decode_flops, prefill_flops

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DeviceLlmFit:
    """Effective speeds of one device (and runtime) for language-model inference.

    ``memory_bandwidth_bps``: effective bytes/s of decode weight and KV reads;
    ``flops_per_s``: effective FLOP/s of prefill (``math.inf`` when unknown);
    ``int8_flops_per_s``: the same on integer kernels (``None``: as ``flops_per_s``);
    ``*_overhead_s``: fixed time per decode step / per prefill;
    ``dequant_s_per_param``: decode time per activated low-bit weight.
    """

    memory_bandwidth_bps: float
    flops_per_s: float = math.inf
    decode_overhead_s: float = 0.0
    prefill_overhead_s: float = 0.0
    int8_flops_per_s: float | None = None
    dequant_s_per_param: float = 0.0
    n_decode: int = 0
    n_prefill: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        for field in ("memory_bandwidth_bps", "flops_per_s"):
            if not getattr(self, field) > 0:
                raise ValueError(f"{field}: must be > 0, got {getattr(self, field)}")
        if self.int8_flops_per_s is not None and not self.int8_flops_per_s > 0:
            raise ValueError(f"int8_flops_per_s: must be > 0, got {self.int8_flops_per_s}")
        for field in ("decode_overhead_s", "prefill_overhead_s", "dequant_s_per_param"):
            if not getattr(self, field) >= 0:
                raise ValueError(f"{field}: must be >= 0, got {getattr(self, field)}")


@dataclass(frozen=True, slots=True)
class PhasePower:
    """Device power (W) while prefilling (compute-bound) and while decoding (memory-bound)."""

    prefill_w: float
    decode_w: float

    def __post_init__(self) -> None:
        for field in ("prefill_w", "decode_w"):
            if not getattr(self, field) >= 0:
                raise ValueError(f"{field}: must be >= 0, got {getattr(self, field)}")


def _positive_tokens(values: npt.ArrayLike, field: str) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.size and not np.all(x >= 1):
        raise ValueError(f"{field}: token counts must be >= 1, got {float(np.min(x)):g}")
    return x


def prefill_rate(fit: DeviceLlmFit, variant: LlmVariant) -> float:
    """FLOP/s of ``variant``'s prefill: the int8 rate for int8-activation schemes where fitted."""
    if variant.quantization.int8_activations and fit.int8_flops_per_s is not None:
        return fit.int8_flops_per_s
    return fit.flops_per_s


def prefill_time_s(
    variant: LlmVariant, fit: DeviceLlmFit, prompt_tokens: npt.ArrayLike
) -> FloatArray:
    """``t0_pre + max(F_pre(P) / R, W_act / BW)`` seconds."""
    p = _positive_tokens(prompt_tokens, "prompt_tokens")
    compute = prefill_flops(variant.model, p) / prefill_rate(fit, variant)
    memory = variant.decode_weight_bytes / fit.memory_bandwidth_bps
    return fit.prefill_overhead_s + np.maximum(compute, memory)


def decode_step_time_s(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    context_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """One decode step of ``batch`` sequences at ``context_tokens`` each (seconds)."""
    c = np.asarray(context_tokens, dtype=np.float64)
    b = _positive_tokens(batch, "batch")
    memory = (
        variant.decode_weight_bytes + b * variant.kv_cache_bytes(c)
    ) / fit.memory_bandwidth_bps
    compute = b * decode_flops(variant.model, c) / fit.flops_per_s
    dequant = fit.dequant_s_per_param * variant.model.active_params
    dequant *= float(variant.quantization.weight_quantized)
    return fit.decode_overhead_s + np.maximum(memory, compute) + dequant


def decode_throughput_tps(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    context_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """Tokens/s of a device decoding ``batch`` sequences: ``B / t_step`` (non-decreasing in B)."""
    b = np.asarray(batch, dtype=np.float64)
    return b / decode_step_time_s(variant, fit, context_tokens, batch)


@dataclass(frozen=True, slots=True)
class GenerationTiming:
    """Per-request timings (arrays broadcast over the inputs), seconds."""

    ttft_s: FloatArray
    tpot_s: FloatArray
    e2e_s: FloatArray


def generation_timing(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    prompt_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> GenerationTiming:
    """TTFT, TPOT and end-to-end latency of requests (``P + O`` must fit the context window)."""
    p = _positive_tokens(prompt_tokens, "prompt_tokens")
    o = _positive_tokens(output_tokens, "output_tokens")
    variant.model.check_context(p + o, "prompt_tokens + output_tokens")
    ttft = prefill_time_s(variant, fit, p)
    tpot = decode_step_time_s(variant, fit, p + o / 2.0, batch)
    return GenerationTiming(ttft, tpot, ttft + (o - 1.0) * tpot)


def generation_energy_j(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    power: PhasePower,
    prompt_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """Device energy of one request: ``P_pre TTFT + P_dec (O - 1) TPOT / B`` joules."""
    t = generation_timing(variant, fit, prompt_tokens, output_tokens, batch)
    o = np.asarray(output_tokens, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    return power.prefill_w * t.ttft_s + power.decode_w * (o - 1.0) * t.tpot_s / b


def energy_per_output_token_j(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    power: PhasePower,
    prompt_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """:func:`generation_energy_j` divided by the output tokens."""
    e = generation_energy_j(variant, fit, power, prompt_tokens, output_tokens, batch)
    return e / np.asarray(output_tokens, dtype=np.float64)


def bandwidth_only_decode_tps(
    weight_bytes: npt.ArrayLike, bandwidth_bps: npt.ArrayLike
) -> FloatArray:
    """The bandwidth-only roofline baseline: tokens/s = spec memory bandwidth / model bytes."""
    return np.asarray(bandwidth_bps, dtype=np.float64) / np.asarray(weight_bytes, dtype=np.float64)
