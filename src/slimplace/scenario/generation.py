"""Domain values of generation (language-model) applications and LLM-capable hardware.

An :class:`~slimplace.scenario.model.Application` with a :class:`Generation` is a
stream of requests that each read a prompt and generate output tokens; a
:class:`~slimplace.scenario.model.HardwareProfile` with an :class:`LlmHardware`
can serve them. :mod:`slimplace.llm.compile` turns both into ordinary
service times (see ``docs/llm.md``). SI units, as the rest of the scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

#: What an application's ``slo`` bounds: time to first token or the whole response.
SloOn = Literal["ttft", "e2e"]

#: Bytes of text per token on the wire (UTF-8; about 4 characters per token for English
#: with GPT/Llama tokenizers, OpenAI "What are tokens and how to count them").
BYTES_PER_TOKEN_DEFAULT = 4.0


@dataclass(frozen=True, slots=True)
class TokenCounts:
    """Token counts of one quantity (prompt or output) as a lognormal, clipped to ``[1, max]``.

    ``sigma = 0`` is a fixed count. Lognormal token counts: Patel et al., Splitwise,
    ISCA 2024, Fig. 3 (fitted to the Azure 2023 traces in ``llm_tokens.csv``).
    """

    median: float
    sigma: float = 0.0
    max: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.median) and self.median >= 1.0):
            raise ValueError(f"median: token counts must be >= 1, got {self.median}")
        if not self.sigma >= 0.0:
            raise ValueError(f"sigma: must be >= 0, got {self.sigma}")
        if self.max is not None and self.max < 1:
            raise ValueError(f"max: token counts must be >= 1, got {self.max}")

    @property
    def upper(self) -> int:
        """The largest count drawn: ``max``, or the median when fixed and unbounded."""
        if self.max is not None:
            return self.max
        return max(1, round(self.median)) if self.sigma == 0.0 else 2**31 - 1


@dataclass(frozen=True, slots=True)
class Generation:
    """What makes an application a generation (LLM) application.

    ``context_tokens`` is the longest prompt + output the application admits: the KV
    cache is sized for it and it must fit every variant's context window.
    ``slo_on`` says whether the application's ``latency_slo_s`` bounds the time to first
    token (network + queueing + prefill) or the whole response (+ decoding every
    output token); ``tpot_slo_s`` bounds the time per output token on the serving
    hardware. Token-dependent figures are averaged over ``samples`` requests drawn
    with ``seed``. ``bytes_per_token`` turns token counts into request/response sizes.
    """

    prompt: TokenCounts
    output: TokenCounts
    context_tokens: int
    slo_on: SloOn = "e2e"
    tpot_slo_s: float | None = None
    bytes_per_token: float = BYTES_PER_TOKEN_DEFAULT
    samples: int = 512
    seed: int = 0
    source: str = ""


@dataclass(frozen=True, slots=True)
class LlmHardware:
    """Language-model speed of a hardware profile (a calibrated token-level roofline).

    Effective memory bandwidth for decode weight/KV reads, effective FLOP/s of prefill
    (``int8_flops_per_s`` for int8-activation schemes), fixed time per decode step and
    per prefill, dequantization time per low-bit weight, and the decode batch the
    server runs (``batch`` sequences share each weight read; see
    :mod:`slimplace.llm.roofline`). ``source`` names the calibration it comes from.
    """

    memory_bandwidth_bytes_per_s: float
    flops_per_s: float
    decode_overhead_s: float = 0.0
    prefill_overhead_s: float = 0.0
    int8_flops_per_s: float | None = None
    dequant_s_per_param: float = 0.0
    batch: int = 1
    #: power (W) while decoding one sequence; None: the profile's peak in every phase
    decode_power_w: float | None = None
    source: str = ""
