"""Build the language-model catalog files from the project's reference data (run once, offline).

``python -m slimplace.llm.curate SHARED_DATA_DIR CATALOG_DIR`` reads
``models/llm_device_speed.csv``, ``models/llm_quality.csv``,
``devices/llm_energy.csv`` and the Azure 2023 / Mooncake token traces under
``SHARED_DATA_DIR`` and writes ``llm_device_speed.csv``, ``llm_quality.csv``,
``llm_energy.csv``, ``llm_tokens.csv`` and ``llm_variants.csv`` into ``CATALOG_DIR``.
The hand-entered ``llm_models.csv``, ``llm_quantizations.csv`` and
``llm_devices.csv`` must already be there (model and quantization keys come from
them). Conversions (listed in ``SOURCES.md``):

- model and quantization names as published are mapped to catalog keys
  (:data:`MODEL_KEYS`, :func:`quant_key`); unmapped rows keep an empty key;
- speeds become tokens/s (``decode_ms_per_token`` -> ``1000 / ms``); the Qwen2.5
  ``generation_tps`` (1 prompt token, 2048 generated) and vLLM
  ``output_tps_concurrency1`` rows count as decode speed;
- weight bytes: the published model size where given, else parameters x
  bits/weight (the row's, else the quantization table's);
- ``use_for_fit = no`` for multi-device rows, time-to-first-token rows, rows
  without a mapped model or quantization and rows the source itself flags as
  anomalous.

This module is a build tool; nothing at run time imports it.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from slimplace.llm.tokens import QUANTILES, summarise_tokens

#: Published model name (speed, quality and energy files) -> catalog model key.
MODEL_KEYS: dict[str, str] = {
    "LLaMA (v1) 7B": "llama-1-7b",
    "LLaMA 7B": "llama-1-7b",
    "Llama 1 7B": "llama-1-7b",
    "metaai/llama-7B": "llama-1-7b",
    "LLaMA (v1) 13B": "llama-1-13b",
    "Llama 1 13B": "llama-1-13b",
    "metaai/llama-13B": "llama-1-13b",
    "Llama 2 7B": "llama-2-7b",
    "Llama 2 7B chat": "llama-2-7b",
    "Llama 2 7B Chat": "llama-2-7b",
    "metaai/Llama-2-7b-chat-hf": "llama-2-7b",
    "meta-llama/Llama-2-7b-chat-hf": "llama-2-7b",
    "Llama 2 13B": "llama-2-13b",
    "Llama 2 13B Chat": "llama-2-13b",
    "Llama 2 13B (llama2:13b)": "llama-2-13b",
    "metaai/Llama-2-13b-chat-hf": "llama-2-13b",
    "meta-llama/Llama-2-13b-chat-hf": "llama-2-13b",
    "Llama 2 70B": "llama-2-70b",
    "Llama 2 70B Chat": "llama-2-70b",
    "meta-llama/Llama-2-70b-chat-hf": "llama-2-70b",
    "CodeLlama 7B (LLaMA-2 arch)": "codellama-7b",
    "CodeLlama 7B Instruct": "codellama-7b",
    "Llama 3 8B": "llama-3-8b",
    "Llama 3 8B Instruct": "llama-3-8b",
    "meta-llama/Meta-Llama-3-8B-Instruct": "llama-3-8b",
    "Llama 3 70B": "llama-3-70b",
    "Llama 3 70B Instruct": "llama-3-70b",
    "Llama 3 Instruct 70B": "llama-3-70b",
    "meta-llama/Meta-Llama-3-70B-Instruct": "llama-3-70b",
    "Llama 3.1 8B": "llama-3.1-8b",
    "Llama 3.1 8B Instruct": "llama-3.1-8b",
    "Llama 3.1 8B (llama3.1:8b)": "llama-3.1-8b",
    "Llama 3.1 70B": "llama-3.1-70b",
    "Llama 3.1 70B Instruct": "llama-3.1-70b",
    "Llama 3.3 70B": "llama-3.3-70b",
    "Llama 3.2 1B": "llama-3.2-1b",
    "Llama 3.2 1B Instruct": "llama-3.2-1b",
    "Llama 3.2 3B": "llama-3.2-3b",
    "Llama 3.2 3B Instruct": "llama-3.2-3b",
    "Llama 3.2 3B (llama3.2:3b)": "llama-3.2-3b",
    "Qwen2.5-0.5B-Instruct": "qwen2.5-0.5b",
    "Qwen2.5-1.5B-Instruct": "qwen2.5-1.5b",
    "Qwen2.5-3B-Instruct": "qwen2.5-3b",
    "Qwen2.5-7B-Instruct": "qwen2.5-7b",
    "Qwen2.5 7B": "qwen2.5-7b",
    "Qwen2.5-14B-Instruct": "qwen2.5-14b",
    "Qwen2.5-32B-Instruct": "qwen2.5-32b",
    "Qwen 2.5 32B": "qwen2.5-32b",
    "Qwen2.5-72B-Instruct": "qwen2.5-72b",
    "Qwen2-0.5B-Instruct": "qwen2-0.5b",
    "Qwen2-1.5B-Instruct": "qwen2-1.5b",
    "Qwen2-7B-Instruct": "qwen2-7b",
    "Qwen2-72B-Instruct": "qwen2-72b",
    "Mistral Instruct 7B": "mistral-7b",
    "mistralai/Mistral-7B-Instruct-v0.2": "mistral-7b",
    "Gemma 2 2B": "gemma-2-2b",
    "Gemma 2 9B": "gemma-2-9b",
    "Phi 3.5 3B": "phi-3.5-mini",
    "TinyLlama 1.1B (1T OpenOrca)": "tinyllama-1.1b",
    "TinyLlama 1.1B": "tinyllama-1.1b",
    "DeepSeek R1 Distill 14B (Qwen2.5 14B based)": "deepseek-r1-distill-qwen-14b",
    "DeepSeek R1 Distill 14B": "deepseek-r1-distill-qwen-14b",
    "Qwen3 4B": "qwen3-4b",
    "Qwen3 8B": "qwen3-8b",
    "Qwen3 32B": "qwen3-32b",
    "Qwen3 30B-A3B": "qwen3-30b-a3b",
    "Qwen3 30B-A3B Instruct 2507 (MoE, ~3B active)": "qwen3-30b-a3b",
}

#: Ordered (pattern, key) rules for quantization names as published; first match wins.
_QUANT_RULES: tuple[tuple[str, str], ...] = (
    (r"^not stated$", ""),
    (r"byteshape", ""),
    (r"^Ollama default tag", "Q4_K_M"),
    (r"^Q4 \(exact type not stated\)", "Q4_K_M"),
    (r"SpinQuant", "SpinQuant"),
    (r"QLoRA|QAT\+LoRA", "QAT-LoRA"),
    (r"Vanilla PTQ", ""),
    (r"g128", "INT4-g128"),
    (r"g256", "INT4-g256"),
    (r"q3f16", "MLC-q3f16_1"),
    (r"q4f16|INT4 \(MLC\)", "MLC-q4f16_1"),
    (r"int4 \(GPTQ", "GPTQ-Int4"),
    (r"^(BF16/FP16 reference|reference \(unquantized\))$", "BF16"),
    (r"^FP32 baseline$", "F32"),
)

#: Quantizations whose published name stands for an assumed type (weights flagged).
_ASSUMED_QUANT = re.compile(
    r"Ollama default tag|exact type not stated|not restated|not stated per row"
)


#: Note of mlc-ai/llm-perf-bench: its llama.cpp numbers on the RTX 4090 are implausibly low.
_ANOMALOUS = "llama.cpp 4090 numbers are anomalously low"


def quant_key(published: str, known: Iterable[str]) -> str:
    """Catalog quantization key of a published name; ``""`` when unknown or unstated."""
    name = published.strip()
    for pattern, key in _QUANT_RULES:
        if re.search(pattern, name):
            return key
    head = name.split(" ")[0]
    return head if head in set(known) else ""


def _size_gb(text: str) -> float | None:
    """Model size in GB (1e9 bytes) from '12.55 GiB', '636.18 MiB', '13.0G' or '4.58'."""
    m = re.match(r"^\s*([0-9.]+)\s*(GiB|MiB|G|GB)?\s*$", text)
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2) or "GB"
    factor = {"GiB": 2**30 / 1e9, "MiB": 2**20 / 1e9, "G": 1.0, "GB": 1.0}[unit]
    return value * factor


def _tokens(test: str, pattern: str) -> str:
    m = re.search(pattern, test)
    return m.group(1) if m else ""


def _speed(row: Mapping[str, str]) -> tuple[str, float]:
    metric, value = row["metric"], float(row["value"])
    if metric == "decode_ms_per_token":
        return "decode_tps", 1000.0 / value
    if metric in ("generation_tps", "output_tps_concurrency1", "decode_tps"):
        return "decode_tps", value
    return metric, value


def _exclusion(row: Mapping[str, str], model: str, quant: str, metric: str) -> str:
    if row["n_devices"] not in ("", "1"):
        return f"{row['n_devices']} devices"
    if metric not in ("decode_tps", "prefill_tps"):
        return f"metric {metric}"
    if not model:
        return "model architecture not in llm_models.csv"
    if not quant:
        return "quantization not stated or not in llm_quantizations.csv"
    if _ANOMALOUS in row["notes"] and "4090" in row["device"] and row["engine"].startswith("llama"):
        return "flagged anomalous by the source"
    return ""


def curate_speed(
    rows: Iterable[Mapping[str, str]],
    params_b: Mapping[str, float],
    bits: Mapping[str, float],
) -> list[dict[str, str]]:
    """Normalised speed rows (see the module docstring)."""
    out = []
    for row in rows:
        model = MODEL_KEYS.get(row["model"], "")
        model = model if model in params_b else ""
        quant = quant_key(row["quant"], bits)
        metric, tps = _speed(row)
        size = _size_gb(row["model_size_GB"]) if row["model_size_GB"] else None
        if size is not None:
            weight_gb, basis = size, "published model size"
        elif model and (row["bits_per_weight"] or quant):
            bpw = float(row["bits_per_weight"]) if row["bits_per_weight"] else bits[quant]
            weight_gb, basis = params_b[model] * bpw / 8.0, "params x bits/weight"
        else:
            weight_gb, basis = float("nan"), ""
        if _ASSUMED_QUANT.search(row["quant"]) and basis:
            basis += " (quantization assumed)"
        test = row["test"]
        out.append(
            {
                "device": row["device"],
                "device_class": row["device_class"],
                "setup": _setup(row),
                "model_published": row["model"],
                "model": model,
                "quant_published": row["quant"],
                "quant": quant,
                "weight_gb": "" if weight_gb != weight_gb else f"{weight_gb:.4g}",
                "weight_basis": basis,
                "metric": metric,
                "tokens_per_s": f"{tps:.6g}",
                "prompt_tokens": _tokens(
                    test, r"(?:pp ?|prompt length |input |prompt eval, )(\d+)"
                ),
                "output_tokens": _tokens(test, r"(?:tg ?|gen |decode |output |generate )(\d+)"),
                "n_devices": row["n_devices"] or "1",
                "power_w": row["power_W"],
                "use_for_fit": "no" if _exclusion(row, model, quant, metric) else "yes",
                "exclude_reason": _exclusion(row, model, quant, metric),
                "source": row["source"],
                "verified": row["verified"],
            }
        )
    return out


def _setup(row: Mapping[str, str]) -> str:
    """Runtime a measurement ran under: the engine, plus the CPU thread count where stated."""
    threads = _tokens(row["test"], r"(\d+) threads")
    engine = row["engine"]
    return f"{engine}, {threads} threads" if threads else engine


def curate_quality(
    rows: Iterable[Mapping[str, str]], models: Iterable[str], bits: Mapping[str, float]
) -> list[dict[str, str]]:
    """Quality rows with model and quantization keys; perplexity increase in percent."""
    known = set(models)
    out = []
    for row in rows:
        model = MODEL_KEYS.get(row["model"], "")
        quant = quant_key(row["precision_or_quant"], bits)
        value = float(row["value"])
        base = row["baseline_value"]
        is_ppl = row["benchmark"].startswith("perplexity")
        increase = ""
        if is_ppl and base:
            increase = f"{100.0 * (value / float(base) - 1.0):.4g}"
        out.append(
            {
                "model": model if model in known else "",
                "model_published": row["model"],
                "variant": row["variant"],
                "quant": quant,
                "quant_published": row["precision_or_quant"],
                "benchmark": row["benchmark"],
                "shots": row["shots"],
                "metric": row["metric"],
                "value": row["value"],
                "baseline_value": base,
                "ppl_increase_pct": increase,
                "eval_setting": row["eval_setting"],
                "source": row["source"],
                "verified": row["verified"],
            }
        )
    return out


def curate_energy(rows: Iterable[Mapping[str, str]], models: Iterable[str]) -> list[dict[str, str]]:
    """Energy rows as published, plus a model key."""
    known = set(models)
    keep = (
        "device", "precision_or_quant", "engine", "workload", "batch", "n_gpus", "metric",
        "value", "unit", "throughput_tps", "tokens_per_response", "latency_s", "power_W",
        "derived_J_per_output_token", "derived_note", "source", "verified",
    )  # fmt: skip
    out = []
    for row in rows:
        key = MODEL_KEYS.get(row["model"], "")
        out.append(
            {"model": key if key in known else "", "model_published": row["model"]}
            | {k: row[k] for k in keep}
        )
    return out


def token_rows(
    app: str, prompt: np.ndarray, output: np.ndarray, source: str
) -> list[dict[str, str]]:
    """Two ``llm_tokens.csv`` rows (prompt, output) summarising one trace."""
    out = []
    for quantity, counts in (("prompt", prompt), ("output", output)):
        s = summarise_tokens(counts)
        row = {"app": app, "quantity": quantity, "n": str(s.n), "n_zero": str(s.n_zero)}
        row["mean"] = f"{s.mean:.6g}"
        for q, v in zip(QUANTILES, s.quantiles, strict=True):
            row[f"p{round(q * 100)}"] = f"{v:.6g}"
        row |= {
            "max": str(s.max),
            "lognormal_mu": f"{s.lognormal_mu:.6g}",
            "lognormal_sigma": f"{s.lognormal_sigma:.6g}",
            "source": source,
        }
        out.append(row)
    return out


_TRACES = (
    (
        "chat",
        "workloads/azure_llm_inference_trace_2023_conv.csv",
        ("ContextTokens", "GeneratedTokens"),
        "Azure/AzurePublicDataset @b469a113cedca53ddc3bdea71a143dc4b7d8700c "
        "data/AzureLLMInferenceTrace_conv.csv (Patel et al., Splitwise, ISCA 2024; CC-BY-4.0)",
    ),
    (
        "code",
        "workloads/azure_llm_inference_trace_2023_code.csv",
        ("ContextTokens", "GeneratedTokens"),
        "Azure/AzurePublicDataset @b469a113cedca53ddc3bdea71a143dc4b7d8700c "
        "data/AzureLLMInferenceTrace_code.csv (Patel et al., Splitwise, ISCA 2024; CC-BY-4.0)",
    ),
    (
        "chat-long-context",
        "workloads/mooncake_fast25_conversation_trace.csv",
        ("input_length", "output_length"),
        "kvcache-ai/Mooncake @3b5a594133958449a1feaf1c9e0fc1b553e34a28 "
        "FAST25-release/traces/conversation_trace.jsonl (Qin et al., FAST 2025; Apache-2.0)",
    ),
)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def variant_rows(
    speed: list[dict[str, str]],
    quality: list[dict[str, str]],
    params_b: Mapping[str, float],
    bits: Mapping[str, float],
) -> list[dict[str, str]]:
    """One row per (model, quantization) published for it, plus 16-bit for every model."""
    pairs: dict[tuple[str, str], str] = {}
    for model in params_b:
        pairs[(model, "BF16")] = "16-bit reference (every model)"
    for row in speed:
        if row["model"] and row["quant"]:
            pairs.setdefault((row["model"], row["quant"]), "speed measurement")
    for row in quality:
        if row["model"] and row["quant"]:
            pairs.setdefault((row["model"], row["quant"]), "quality measurement")
    out = []
    for (model, quant), basis in sorted(pairs.items()):
        out.append(
            {
                "model": model,
                "quant": quant,
                "bits_per_weight": f"{bits[quant]:.6g}",
                "weight_gb": f"{params_b[model] * bits[quant] / 8.0:.4g}",
                "listed_because": basis,
            }
        )
    return out


def build(shared: Path, catalog: Path) -> None:
    """Write the curated files (module docstring) from ``shared`` into ``catalog``."""
    models = _read(catalog / "llm_models.csv")
    params_b = {r["model"]: float(r["params_b"]) for r in models}
    bits = {
        r["quant"]: float(r["bits_per_weight"]) for r in _read(catalog / "llm_quantizations.csv")
    }
    speed = curate_speed(_read(shared / "models/llm_device_speed.csv"), params_b, bits)
    quality = curate_quality(_read(shared / "models/llm_quality.csv"), params_b, bits)
    _write(catalog / "llm_device_speed.csv", speed)
    _write(catalog / "llm_quality.csv", quality)
    _write(
        catalog / "llm_energy.csv",
        curate_energy(_read(shared / "devices/llm_energy.csv"), params_b),
    )
    _write(catalog / "llm_variants.csv", variant_rows(speed, quality, params_b, bits))
    tokens: list[dict[str, str]] = []
    for app, rel, (pcol, ocol), source in _TRACES:
        trace = _read(shared / rel)
        prompt = np.array([int(r[pcol]) for r in trace])
        output = np.array([int(r[ocol]) for r in trace])
        tokens += token_rows(app, prompt, output, source)
    _write(catalog / "llm_tokens.csv", tokens)


if __name__ == "__main__":  # pragma: no cover - build tool
    build(Path(sys.argv[1]), Path(sys.argv[2]))
