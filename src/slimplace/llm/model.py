"""Language models and their quantized variants: parameters, weight and KV-cache bytes, FLOPs.

Sizes (transformer decoder, Kaplan et al., "Scaling Laws for Neural Language
Models", arXiv:2001.08361, Table 1; Pope et al., "Efficiently Scaling Transformer
Inference", MLSys 2023, section 2):

- weight bytes = parameters x bits per weight / 8 (a decode step reads the
  *activated* parameters: all of a dense model, the routed experts of a mixture of
  experts);
- KV-cache bytes per token of context = 2 (K and V) x layers x KV heads x head
  dimension x KV bits / 8 (grouped-query attention keeps ``kv_heads < heads``;
  Ainslie et al., GQA, EMNLP 2023);
- forward FLOPs per token at context ``c`` = 2 x parameters + 2 x layers x c x
  (heads x head dimension); a prompt of ``P`` tokens (causal, token ``i`` attends to
  ``i`` tokens) costs ``2 N P + layers x d_attn x P (P + 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray

#: Bits per KV-cache element by default (fp16/bf16 cache, llama.cpp and vLLM defaults).
KV_BITS_DEFAULT = 16.0


@dataclass(frozen=True, slots=True)
class LlmArchitecture:
    """One language model (a row of ``llm_models.csv``)."""

    name: str
    family: str
    params: float
    active_params: float
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    context_tokens: int
    source: str = ""

    def __post_init__(self) -> None:
        for field in ("params", "active_params", "layers", "heads", "kv_heads", "head_dim"):
            if not getattr(self, field) > 0:
                raise ValueError(f"{field}: must be > 0 for model {self.name!r}")
        if self.context_tokens < 1:
            raise ValueError(f"context_tokens: must be >= 1 for model {self.name!r}")
        if self.active_params > self.params:
            raise ValueError(f"active_params: exceeds params for model {self.name!r}")

    @property
    def attention_width(self) -> int:
        """``heads x head_dim`` (``d_attn`` of Kaplan et al.)."""
        return self.heads * self.head_dim

    @property
    def layer_attention(self) -> int:
        """``layers x heads x head_dim``: attention FLOPs per token of context are twice this."""
        return self.layers * self.attention_width

    def kv_bytes_per_token(self, kv_bits: float = KV_BITS_DEFAULT) -> float:
        """KV-cache bytes per token of context: ``2 x layers x kv_heads x head_dim x bits / 8``."""
        return 2.0 * self.layers * self.kv_heads * self.head_dim * kv_bits / 8.0

    def check_context(self, context_tokens: npt.ArrayLike, field: str = "context_tokens") -> None:
        """Raise ``ValueError`` naming ``field`` when a context exceeds the model's window."""
        c = np.asarray(context_tokens)
        if c.size and int(c.max()) > self.context_tokens:
            raise ValueError(
                f"{field}: {int(c.max())} tokens exceed the context window of "
                f"{self.name} ({self.context_tokens} tokens)"
            )


@dataclass(frozen=True, slots=True)
class Quantization:
    """A weight format (a row of ``llm_quantizations.csv``).

    ``activation_bits`` is 8 for schemes that quantize activations dynamically
    (ExecuTorch 8da4w, SpinQuant, QAT+LoRA): their matrix products run on integer
    kernels, at a different rate than 16-bit ones.
    """

    name: str
    bits_per_weight: float
    activation_bits: float = 16.0

    def __post_init__(self) -> None:
        if not self.bits_per_weight > 0:
            raise ValueError(f"bits_per_weight: must be > 0 for quantization {self.name!r}")
        if not self.activation_bits > 0:
            raise ValueError(f"activation_bits: must be > 0 for quantization {self.name!r}")

    @property
    def weight_quantized(self) -> bool:
        """Weights stored below 16 bits (dequantized on the fly at decode)."""
        return self.bits_per_weight < 16.0

    @property
    def int8_activations(self) -> bool:
        """Matrix products on 8-bit integer kernels."""
        return self.activation_bits <= 8.0


@dataclass(frozen=True, slots=True)
class LlmVariant:
    """A model at one quantization (a row of ``llm_variants.csv``)."""

    model: LlmArchitecture
    quantization: Quantization
    kv_bits: float = KV_BITS_DEFAULT

    def __post_init__(self) -> None:
        if not self.kv_bits > 0:
            raise ValueError(f"kv_bits: must be > 0 for {self.name!r}")

    @property
    def quant(self) -> str:
        """Quantization key."""
        return self.quantization.name

    @property
    def bits_per_weight(self) -> float:
        """Bits per stored weight."""
        return self.quantization.bits_per_weight

    @property
    def name(self) -> str:
        """``model@quant``."""
        return f"{self.model.name}@{self.quant}"

    @property
    def weight_bytes(self) -> float:
        """All weights: ``params x bits / 8`` (memory footprint)."""
        return self.model.params * self.bits_per_weight / 8.0

    @property
    def decode_weight_bytes(self) -> float:
        """Weights one batch-1 decode step reads: ``active_params x bits / 8``."""
        return self.model.active_params * self.bits_per_weight / 8.0

    def kv_cache_bytes(self, context_tokens: npt.ArrayLike) -> FloatArray:
        """KV cache of one sequence at ``context_tokens``."""
        c = np.asarray(context_tokens, dtype=np.float64)
        return c * self.model.kv_bytes_per_token(self.kv_bits)

    def memory_bytes(self, context_tokens: npt.ArrayLike, batch: npt.ArrayLike = 1) -> FloatArray:
        """Memory footprint: weights + ``batch`` KV caches at ``context_tokens``.

        Activations and runtime buffers are not counted (small next to weights at
        batch 1; vLLM reserves its KV pool up front, Kwon et al., SOSP 2023).
        """
        b = np.asarray(batch, dtype=np.float64)
        return self.weight_bytes + b * self.kv_cache_bytes(context_tokens)


def prefill_flops_of(
    active_params: npt.ArrayLike, layer_attention: npt.ArrayLike, prompt_tokens: npt.ArrayLike
) -> FloatArray:
    """``2 N P + (layers d_attn) P (P + 1)`` on arrays (``layer_attention = layers x d_attn``)."""
    p = np.asarray(prompt_tokens, dtype=np.float64)
    n = np.asarray(active_params, dtype=np.float64)
    a = np.asarray(layer_attention, dtype=np.float64)
    return np.asarray(2.0 * n * p + a * p * (p + 1.0), dtype=np.float64)


def decode_flops_of(
    active_params: npt.ArrayLike, layer_attention: npt.ArrayLike, context_tokens: npt.ArrayLike
) -> FloatArray:
    """``2 N + 2 (layers d_attn) c`` on arrays."""
    c = np.asarray(context_tokens, dtype=np.float64)
    n = np.asarray(active_params, dtype=np.float64)
    a = np.asarray(layer_attention, dtype=np.float64)
    return np.asarray(2.0 * n + 2.0 * a * c, dtype=np.float64)


def prefill_flops(model: LlmArchitecture, prompt_tokens: npt.ArrayLike) -> FloatArray:
    """FLOPs of a causal prefill of ``P`` tokens: ``2 N P + layers d_attn P (P + 1)``."""
    return prefill_flops_of(model.active_params, model.layer_attention, prompt_tokens)


def decode_flops(model: LlmArchitecture, context_tokens: npt.ArrayLike) -> FloatArray:
    """FLOPs of one decoded token at context ``c``: ``2 N + 2 layers c d_attn``."""
    return decode_flops_of(model.active_params, model.layer_attention, context_tokens)
