"""The language-model catalog: models, quantized variants, device speeds, quality, token counts.

Files (``src/slimplace/data/catalog/llm_*.csv``, sources in ``SOURCES.md``):
``llm_models.csv`` (architecture), ``llm_quantizations.csv`` (bits/weight),
``llm_variants.csv`` (which quantizations each model is published at),
``llm_devices.csv`` (spec memory bandwidth), ``llm_device_speed.csv`` (published
decode/prefill tokens/s), ``llm_quality.csv`` (MMLU, perplexity by quantization),
``llm_energy.csv`` and ``llm_tokens.csv`` (token-count summaries per application).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray
from slimplace.catalog._rows import read_rows
from slimplace.llm.model import LlmArchitecture, LlmVariant, Quantization
from slimplace.llm.tokens import TokenDistribution

Row = dict[str, str]


def _rows(filename: str, directory: Path | None) -> list[Row]:
    if directory is None:
        return read_rows(filename)
    with (directory / filename).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _float(row: Mapping[str, str], column: str) -> float:
    raw = (row.get(column) or "").strip()
    return float(raw) if raw else math.nan


@dataclass(frozen=True, slots=True)
class SpeedTable:
    """Published speed measurements usable for fitting, as parallel arrays (one per row).

    ``metric`` is ``decode_tps`` or ``prefill_tps``; ``group`` is ``device / setup``
    (the unit a fit is made for); token counts are 0 where the source does not say.
    """

    group: npt.NDArray[np.str_]
    device: npt.NDArray[np.str_]
    model: npt.NDArray[np.str_]
    quant: npt.NDArray[np.str_]
    metric: npt.NDArray[np.str_]
    tokens_per_s: FloatArray
    weight_bytes: FloatArray
    prompt_tokens: FloatArray
    output_tokens: FloatArray
    power_w: FloatArray

    def take(self, index: npt.ArrayLike) -> SpeedTable:
        """Rows at ``index`` (indices or a boolean mask)."""
        i = np.asarray(index)
        return SpeedTable(*(getattr(self, f)[i] for f in self.__slots__))

    def __len__(self) -> int:
        return len(self.tokens_per_s)


@dataclass(frozen=True, slots=True)
class LlmCatalog:
    """All language-model catalog data, keyed by catalog names."""

    models: Mapping[str, LlmArchitecture]
    quantizations: Mapping[str, Quantization]
    variants: Mapping[str, tuple[str, ...]]
    device_bandwidth_bps: Mapping[str, float]
    speed: SpeedTable
    quality: tuple[Row, ...]
    energy: tuple[Row, ...]
    tokens: Mapping[str, TokenDistribution]

    def model(self, name: str) -> LlmArchitecture:
        """The model ``name``; ``ValueError`` naming the field when unknown."""
        if name not in self.models:
            raise ValueError(
                f"model: unknown model {name!r}; known: {', '.join(sorted(self.models))}"
            )
        return self.models[name]

    def variant(self, model: str, quant: str) -> LlmVariant:
        """``model`` at quantization ``quant``; ``ValueError`` when the family lacks it."""
        arch = self.model(model)
        available = self.variants.get(model, ())
        if quant not in available:
            raise ValueError(
                f"quant: {model} has no variant {quant!r}; available: {', '.join(available)}"
            )
        return LlmVariant(arch, self.quantizations[quant])

    def token_distribution(self, app: str) -> TokenDistribution:
        """Token counts of application kind ``app`` (``chat``, ``code``, ``chat-long-context``)."""
        if app not in self.tokens:
            raise ValueError(
                f"app: unknown application {app!r}; known: {', '.join(sorted(self.tokens))}"
            )
        return self.tokens[app]

    def generation_power_w(self, device: str) -> float | None:
        """Median published wall power (W) of ``device`` while decoding, if any was given.

        Whole-system power (geerlingguy/ai-benchmarks); the decode-phase power of
        :class:`~slimplace.llm.roofline.PhasePower` where nothing better is known.
        """
        rows = (self.speed.device == device) & np.isfinite(self.speed.power_w)
        rows &= self.speed.metric == "decode_tps"
        return float(np.median(self.speed.power_w[rows])) if rows.any() else None

    def mmlu(self, model: str, quant: str) -> float | None:
        """Published MMLU accuracy (%) of ``model`` at ``quant`` (16-bit: the reference row)."""
        self.model(model)
        for row in self.quality:
            if row["model"] == model and row["quant"] == quant and row["benchmark"] == "MMLU":
                return float(row["value"])
        return None

    def ppl_increase_pct(self, model: str, quant: str) -> tuple[float, str] | None:
        """Wikitext-2 perplexity increase (%) of ``quant`` over 16 bits, and where it comes from.

        The model's own llama.cpp measurement where published, else the mean over
        the models measured at that quantization (basis ``"other models"``).
        """
        self.model(model)
        rows = [r for r in self.quality if r["quant"] == quant and r["ppl_increase_pct"]]
        own = [float(r["ppl_increase_pct"]) for r in rows if r["model"] == model]
        if own:
            return float(np.mean(own)), "same model"
        if rows:
            return float(np.mean([float(r["ppl_increase_pct"]) for r in rows])), "other models"
        return None


def _models(rows: list[Row]) -> dict[str, LlmArchitecture]:
    out = {}
    for r in rows:
        out[r["model"]] = LlmArchitecture(
            name=r["model"],
            family=r["family"],
            params=float(r["params_b"]) * 1e9,
            active_params=float(r["active_params_b"]) * 1e9,
            layers=int(r["layers"]),
            heads=int(r["heads"]),
            kv_heads=int(r["kv_heads"]),
            head_dim=int(r["head_dim"]),
            context_tokens=int(r["context_tokens"]),
            source=r["source"],
        )
    return out


def _speed(rows: list[Row]) -> SpeedTable:
    use = [r for r in rows if r["use_for_fit"] == "yes"]

    def col(name: str) -> npt.NDArray[np.str_]:
        return np.array([r[name] for r in use], dtype=str)

    def num(name: str, default: float) -> FloatArray:
        values = [_float(r, name) for r in use]
        return np.array([default if math.isnan(v) else v for v in values], dtype=np.float64)

    group = np.array([f"{r['device']} / {r['setup']}" for r in use], dtype=str)
    return SpeedTable(
        group=group,
        device=col("device"),
        model=col("model"),
        quant=col("quant"),
        metric=col("metric"),
        tokens_per_s=num("tokens_per_s", math.nan),
        weight_bytes=num("weight_gb", math.nan) * 1e9,
        prompt_tokens=num("prompt_tokens", 0.0),
        output_tokens=num("output_tokens", 0.0),
        power_w=num("power_w", math.nan),
    )


def _tokens(rows: list[Row]) -> dict[str, TokenDistribution]:
    by_app: dict[str, dict[str, Row]] = {}
    for r in rows:
        by_app.setdefault(r["app"], {})[r["quantity"]] = r
    return {
        app: TokenDistribution(
            app=app,
            prompt_mu=float(q["prompt"]["lognormal_mu"]),
            prompt_sigma=float(q["prompt"]["lognormal_sigma"]),
            prompt_max=int(q["prompt"]["max"]),
            output_mu=float(q["output"]["lognormal_mu"]),
            output_sigma=float(q["output"]["lognormal_sigma"]),
            output_max=int(q["output"]["max"]),
            source=q["prompt"]["source"],
        )
        for app, q in by_app.items()
    }


def load_llm_catalog(directory: Path | None = None) -> LlmCatalog:
    """Load the ``llm_*.csv`` files (packaged data, or ``directory`` for another copy)."""
    variants: dict[str, list[str]] = {}
    for r in _rows("llm_variants.csv", directory):
        variants.setdefault(r["model"], []).append(r["quant"])
    return LlmCatalog(
        models=_models(_rows("llm_models.csv", directory)),
        quantizations={
            r["quant"]: Quantization(
                r["quant"], float(r["bits_per_weight"]), float(r["activation_bits"])
            )
            for r in _rows("llm_quantizations.csv", directory)
        },
        variants={m: tuple(q) for m, q in variants.items()},
        device_bandwidth_bps={
            r["device"]: float(r["mem_bw_gbps"]) * 1e9 for r in _rows("llm_devices.csv", directory)
        },
        speed=_speed(_rows("llm_device_speed.csv", directory)),
        quality=tuple(_rows("llm_quality.csv", directory)),
        energy=tuple(_rows("llm_energy.csv", directory)),
        tokens=_tokens(_rows("llm_tokens.csv", directory)),
    )
