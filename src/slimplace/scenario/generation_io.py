"""Scenario-file form of generation applications, LLM hardware and LLM families.

The pydantic models here are the ``generation:`` block of an application, the
``llm:`` block of a hardware profile and the ``llm_families:`` list of a scenario
file (:mod:`slimplace.scenario.schema` holds them as optional fields); the
``*_doc`` writers give them back for :mod:`slimplace.scenario.dump`. Resolving
them against the language-model catalog (a calibrated device, a model at a
quantization, a catalog token distribution) is :mod:`slimplace.llm.scenario`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from slimplace.scenario import validate as rules
from slimplace.scenario.fields import rule as _rule
from slimplace.scenario.fields import unit as _unit
from slimplace.scenario.generation import (
    BYTES_PER_TOKEN_DEFAULT,
    Generation,
    LlmHardware,
    SloOn,
    TokenCounts,
)
from slimplace.units import format_si

_Name = Annotated[str, Field(min_length=1)]
_Time = Annotated[float, _unit("time"), _rule(rules.non_negative)]
_PositiveTime = Annotated[float, _unit("time"), _rule(rules.positive)]
_Bandwidth = Annotated[float, _unit("bandwidth"), _rule(rules.positive)]
_Throughput = Annotated[float, _unit("throughput"), _rule(rules.positive)]
_Power = Annotated[float, _unit("power"), _rule(rules.non_negative)]
_Tokens = Annotated[float, _unit("count"), _rule(rules.at_least_one)]
_TokenInt = Annotated[int, _rule(rules.at_least_one)]
_NonNegative = Annotated[float, _unit("count"), _rule(rules.non_negative)]
_Positive = Annotated[float, _unit("count"), _rule(rules.positive)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenCountsModel(_Model):
    """``prompt_tokens:`` / ``output_tokens:``: a number (fixed) or a lognormal
    ``{median, sigma, max}`` (every count at least 1)."""

    median: _Tokens
    sigma: _NonNegative = 0.0
    max: _TokenInt | None = None

    @model_validator(mode="before")
    @classmethod
    def _fixed(cls, value: Any) -> Any:
        return {"median": value} if isinstance(value, (int, float, str)) else value


class GenerationModel(_Model):
    """``generation:`` of an application: token counts (``tokens:`` names a distribution of
    the catalog, ``llm_tokens.csv``; ``prompt_tokens``/``output_tokens`` give or override
    them), the context the KV cache is sized for, what the SLO bounds and the TPOT SLO."""

    tokens: _Name | None = None
    prompt_tokens: TokenCountsModel | None = None
    output_tokens: TokenCountsModel | None = None
    context_tokens: _TokenInt
    slo_on: SloOn = "e2e"
    tpot_slo: _PositiveTime | None = None
    bytes_per_token: _Positive = BYTES_PER_TOKEN_DEFAULT
    samples: Annotated[int, _rule(rules.at_least_one), Field(le=100_000)] = 512
    seed: int = 0
    source: str = ""


class LlmHardwareModel(_Model):
    """``llm:`` of a hardware profile: ``calibrated`` names a device / runtime of the
    catalog's published speeds (``llm_device_speed.csv``) whose fit gives the figures;
    explicit figures override it (``throughput``: prefill FLOP/s, default the fit's,
    else the profile's ``throughput``)."""

    calibrated: _Name | None = None
    memory_bandwidth: _Bandwidth | None = None
    throughput: _Throughput | None = None
    int8_throughput: _Throughput | None = None
    decode_overhead: _Time | None = None
    prefill_overhead: _Time | None = None
    dequant_per_param: _Time | None = None
    batch: Annotated[int, _rule(rules.at_least_one)] = 1
    #: power while decoding one sequence (memory-bound); omitted: the profile's peak
    decode_power: _Power | None = None
    source: str = ""


class LlmVariantRefModel(_Model):
    """One variant of an LLM family: a catalog model at one of its quantizations;
    ``accuracy`` gives its quality where the catalog has no MMLU for it (or overrides it)."""

    model: _Name
    quant: _Name
    accuracy: Annotated[float, _unit("fraction"), _rule(rules.fraction)] | None = None


class LlmFamilyModel(_Model):
    """``llm_families:`` entry: variants (model, quantization) whose quality, parameters
    and weight bytes come from the language-model catalog."""

    name: _Name
    variants: Annotated[list[LlmVariantRefModel], Field(min_length=1)]
    load_time: _Time = 1.0
    source: str = ""


def to_token_counts(m: TokenCountsModel) -> TokenCounts:
    """The domain value of a token-count entry."""
    return TokenCounts(float(m.median), float(m.sigma), None if m.max is None else int(m.max))


def token_counts_doc(t: TokenCounts) -> dict[str, Any]:
    """A token-count entry written back (always as a mapping)."""
    doc: dict[str, Any] = {"median": float(t.median), "sigma": float(t.sigma)}
    if t.max is not None:
        doc["max"] = int(t.max)
    return doc


def generation_doc(g: Generation) -> dict[str, Any]:
    """The ``generation:`` block of an application, token counts explicit."""
    doc: dict[str, Any] = {
        "prompt_tokens": token_counts_doc(g.prompt),
        "output_tokens": token_counts_doc(g.output),
        "context_tokens": int(g.context_tokens),
        "slo_on": g.slo_on,
    }
    if g.tpot_slo_s is not None:
        doc["tpot_slo"] = format_si(g.tpot_slo_s, "time")
    if g.bytes_per_token != BYTES_PER_TOKEN_DEFAULT:
        doc["bytes_per_token"] = float(g.bytes_per_token)
    doc["samples"] = int(g.samples)
    doc["seed"] = int(g.seed)
    if g.source:
        doc["source"] = g.source
    return doc


def llm_hardware_doc(h: LlmHardware) -> dict[str, Any]:
    """The ``llm:`` block of a hardware profile, every figure explicit (no ``calibrated``)."""
    doc: dict[str, Any] = {
        "memory_bandwidth": format_si(8.0 * h.memory_bandwidth_bytes_per_s, "bandwidth"),
        "throughput": format_si(h.flops_per_s, "throughput"),
    }
    if h.int8_flops_per_s is not None:
        doc["int8_throughput"] = format_si(h.int8_flops_per_s, "throughput")
    doc["decode_overhead"] = format_si(h.decode_overhead_s, "time")
    doc["prefill_overhead"] = format_si(h.prefill_overhead_s, "time")
    doc["dequant_per_param"] = format_si(h.dequant_s_per_param, "time")
    doc["batch"] = int(h.batch)
    if h.decode_power_w is not None:
        doc["decode_power"] = format_si(h.decode_power_w, "power")
    if h.source:
        doc["source"] = h.source
    return doc


__all__ = [
    "GenerationModel",
    "LlmFamilyModel",
    "LlmHardwareModel",
    "LlmVariantRefModel",
    "TokenCountsModel",
    "generation_doc",
    "llm_hardware_doc",
    "to_token_counts",
    "token_counts_doc",
]
