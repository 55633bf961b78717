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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray
from slimplace.llm.model import LlmVariant, decode_flops_of, prefill_flops_of


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


@dataclass(frozen=True, slots=True)
class Candidates:
    """(variant, device) pairs as parallel arrays: the form a placement compile consumes.

    Built by :meth:`of` (one pair, 0-d arrays) or :meth:`stack` (``n`` pairs, shape
    ``(n,)``); :meth:`column` reshapes to ``(n, 1)`` so that token arrays of shape
    ``(m,)`` give ``(n, m)`` grids (candidates x requests).
    """

    decode_weight_bytes: FloatArray
    kv_bytes_per_token: FloatArray
    active_params: FloatArray
    layer_attention: FloatArray
    context_window: FloatArray
    dequant_s: FloatArray
    bandwidth_bps: FloatArray
    prefill_flops_per_s: FloatArray
    decode_flops_per_s: FloatArray
    decode_overhead_s: FloatArray
    prefill_overhead_s: FloatArray

    @classmethod
    def stack(cls, pairs: Sequence[tuple[LlmVariant, DeviceLlmFit]]) -> Candidates:
        """Arrays of shape ``(len(pairs),)``."""
        cols: list[list[float]] = [[] for _ in cls.__slots__]
        for variant, fit in pairs:
            m = variant.model
            row = (
                variant.decode_weight_bytes,
                m.kv_bytes_per_token(variant.kv_bits),
                m.active_params,
                m.layer_attention,
                m.context_tokens,
                fit.dequant_s_per_param * m.active_params * variant.quantization.weight_quantized,
                fit.memory_bandwidth_bps,
                prefill_rate(fit, variant),
                fit.flops_per_s,
                fit.decode_overhead_s,
                fit.prefill_overhead_s,
            )
            for col, value in zip(cols, row, strict=True):
                col.append(float(value))
        return cls(*(np.asarray(c, dtype=np.float64) for c in cols))

    @classmethod
    def of(cls, variant: LlmVariant, fit: DeviceLlmFit) -> Candidates:
        """One pair, as 0-d arrays (results broadcast like the token arrays)."""
        one = cls.stack([(variant, fit)])
        return cls(*(getattr(one, f)[0] for f in cls.__slots__))

    def column(self) -> Candidates:
        """Every array reshaped to ``(n, 1)`` for candidate x request grids."""
        return Candidates(*(np.reshape(getattr(self, f), (-1, 1)) for f in self.__slots__))


def candidate_prefill_s(c: Candidates, prompt_tokens: npt.ArrayLike) -> FloatArray:
    """``t0_pre + max(F_pre(P) / R, W_act / BW)`` seconds, broadcast."""
    p = _positive_tokens(prompt_tokens, "prompt_tokens")
    flops = prefill_flops_of(c.active_params, c.layer_attention, p)
    memory = c.decode_weight_bytes / c.bandwidth_bps
    return np.asarray(
        c.prefill_overhead_s + np.maximum(flops / c.prefill_flops_per_s, memory), dtype=np.float64
    )


def candidate_step_s(
    c: Candidates, context_tokens: npt.ArrayLike, batch: npt.ArrayLike = 1
) -> FloatArray:
    """Decode step of ``batch`` sequences at ``context_tokens`` (roofline max + dequant), s."""
    ctx = np.asarray(context_tokens, dtype=np.float64)
    b = _positive_tokens(batch, "batch")
    memory = (c.decode_weight_bytes + b * c.kv_bytes_per_token * ctx) / c.bandwidth_bps
    compute = b * decode_flops_of(c.active_params, c.layer_attention, ctx) / c.decode_flops_per_s
    return np.asarray(
        c.decode_overhead_s + np.maximum(memory, compute) + c.dequant_s, dtype=np.float64
    )


@dataclass(frozen=True, slots=True)
class GenerationTiming:
    """Per-request timings (arrays broadcast over the inputs), seconds."""

    ttft_s: FloatArray
    tpot_s: FloatArray
    e2e_s: FloatArray


def candidate_timing(
    c: Candidates,
    prompt_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> GenerationTiming:
    """TTFT, TPOT (at the mean decode context ``P + O / 2``) and end-to-end latency.

    ``P + O`` beyond a candidate's context window is a ``ValueError``; a compile
    that wants such pairs infeasible instead masks them with ``context_window``.
    """
    p = _positive_tokens(prompt_tokens, "prompt_tokens")
    o = _positive_tokens(output_tokens, "output_tokens")
    over = (p + o) > c.context_window
    if np.any(over):
        window = int(np.min(np.broadcast_to(c.context_window, over.shape)[over]))
        raise ValueError(
            f"prompt_tokens + output_tokens: {int(np.max(p + o))} tokens exceed a "
            f"candidate's context window ({window} tokens)"
        )
    ttft = candidate_prefill_s(c, p)
    tpot = candidate_step_s(c, p + o / 2.0, batch)
    return GenerationTiming(ttft, tpot, ttft + (o - 1.0) * tpot)


def prefill_time_s(
    variant: LlmVariant, fit: DeviceLlmFit, prompt_tokens: npt.ArrayLike
) -> FloatArray:
    """``t0_pre + max(F_pre(P) / R, W_act / BW)`` seconds."""
    return candidate_prefill_s(Candidates.of(variant, fit), prompt_tokens)


def decode_step_time_s(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    context_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """One decode step of ``batch`` sequences at ``context_tokens`` each (seconds)."""
    return candidate_step_s(Candidates.of(variant, fit), context_tokens, batch)


def decode_throughput_tps(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    context_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """Tokens/s of a device decoding ``batch`` sequences: ``B / t_step`` (non-decreasing in B)."""
    b = np.asarray(batch, dtype=np.float64)
    return b / decode_step_time_s(variant, fit, context_tokens, batch)


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
    return candidate_timing(Candidates.of(variant, fit), p, o, batch)


def candidate_energy_j(
    c: Candidates,
    prefill_w: npt.ArrayLike,
    decode_w: npt.ArrayLike,
    prompt_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """Device energy of one request: ``P_pre TTFT + P_dec (O - 1) TPOT / B`` joules."""
    t = candidate_timing(c, prompt_tokens, output_tokens, batch)
    o = np.asarray(output_tokens, dtype=np.float64)
    b = np.asarray(batch, dtype=np.float64)
    pre, dec = np.asarray(prefill_w, dtype=np.float64), np.asarray(decode_w, dtype=np.float64)
    return np.asarray(pre * t.ttft_s + dec * (o - 1.0) * t.tpot_s / b, dtype=np.float64)


def generation_energy_j(
    variant: LlmVariant,
    fit: DeviceLlmFit,
    power: PhasePower,
    prompt_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
    batch: npt.ArrayLike = 1,
) -> FloatArray:
    """Device energy of one request: ``P_pre TTFT + P_dec (O - 1) TPOT / B`` joules."""
    variant.model.check_context(
        np.asarray(prompt_tokens) + np.asarray(output_tokens), "prompt_tokens + output_tokens"
    )
    c = Candidates.of(variant, fit)
    return candidate_energy_j(
        c, power.prefill_w, power.decode_w, prompt_tokens, output_tokens, batch
    )


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
