"""Language-model catalog files, their loaders, the curation rules and token summaries."""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np
import pytest

from slimplace.llm import TokenDistribution, load_llm_catalog, summarise_tokens
from slimplace.llm.curate import curate_quality, curate_speed, quant_key


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("slimplace").joinpath("data", "catalog", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_file_row_has_a_source() -> None:
    for name in (
        "llm_models.csv", "llm_quantizations.csv", "llm_devices.csv", "llm_device_speed.csv",
        "llm_quality.csv", "llm_energy.csv", "llm_tokens.csv",
    ):  # fmt: skip
        rows = _rows(name)
        assert rows, name
        assert all(r["source"].strip() for r in rows), name
    for name in ("llm_models.csv", "llm_quantizations.csv", "llm_devices.csv"):
        assert {r["verified"] for r in _rows(name)} <= {"yes", "no"}


def test_sources_md_lists_every_llm_file() -> None:
    text = resources.files("slimplace").joinpath("data", "catalog", "SOURCES.md").read_text("utf-8")
    for name in ("llm_models.csv", "llm_device_speed.csv", "llm_tokens.csv", "llm_variants.csv"):
        assert name in text


def test_catalog_loads_and_is_consistent() -> None:
    cat = load_llm_catalog()
    assert len(cat.models) >= 30
    for model, quants in cat.variants.items():
        assert model in cat.models
        assert "BF16" in quants
        assert set(quants) <= set(cat.quantizations)
    speed = cat.speed
    assert len(speed) > 300
    assert set(speed.metric.tolist()) == {"decode_tps", "prefill_tps"}
    assert set(speed.model.tolist()) <= set(cat.models)
    assert np.all(speed.tokens_per_s > 0)
    assert np.all(speed.weight_bytes > 1e8)
    # every fitted row's device has a spec bandwidth or is reported without the baseline
    assert sum(d in cat.device_bandwidth_bps for d in set(speed.device.tolist())) >= 40


def test_weights_of_known_variants() -> None:
    cat = load_llm_catalog()
    llama = cat.variant("llama-3-8b", "Q4_K_M")
    assert llama.weight_bytes == pytest.approx(8.03e9 * 4.8944 / 8)
    moe = cat.variant("qwen3-30b-a3b", "W4A16")
    assert moe.decode_weight_bytes < 0.15 * moe.weight_bytes


def test_quality_lookups() -> None:
    cat = load_llm_catalog()
    assert cat.mmlu("qwen2-7b", "GPTQ-Int4") == pytest.approx(67.8)
    assert cat.mmlu("qwen2-7b", "BF16") == pytest.approx(70.5)
    assert cat.mmlu("llama-3.2-1b", "SpinQuant") == pytest.approx(47.3)
    own = cat.ppl_increase_pct("llama-3-70b", "Q4_K_M")
    assert own is not None and own[1] == "same model" and own[0] == pytest.approx(4.826, rel=1e-3)
    other = cat.ppl_increase_pct("mistral-7b", "Q4_K_M")
    assert other is not None and other[1] == "other models"
    assert cat.ppl_increase_pct("mistral-7b", "AWQ") is None
    with pytest.raises(ValueError, match=r"^model:"):
        cat.mmlu("nope", "BF16")


def test_token_distributions_from_traces() -> None:
    cat = load_llm_catalog()
    chat, code = cat.token_distribution("chat"), cat.token_distribution("code")
    long = cat.token_distribution("chat-long-context")
    # code completion: long prompts, very short outputs; Mooncake: much longer prompts
    assert code.output_median < 0.2 * chat.output_median
    assert long.prompt_median > 5 * chat.prompt_median
    rows = {(r["app"], r["quantity"]): r for r in _rows("llm_tokens.csv")}
    assert float(rows[("chat", "prompt")]["p50"]) == pytest.approx(1020)
    assert int(rows[("chat", "prompt")]["n"]) > 19000
    with pytest.raises(ValueError, match=r"^app:"):
        cat.token_distribution("video")


def test_summarise_tokens_recovers_a_lognormal() -> None:
    x = np.random.default_rng(7).lognormal(5.0, 0.8, size=50_000)
    s = summarise_tokens(np.rint(x) + 0.0)
    assert s.lognormal_mu == pytest.approx(5.0, abs=0.02)
    assert s.lognormal_sigma == pytest.approx(0.8, abs=0.02)
    assert s.quantiles[2] == pytest.approx(np.exp(5.0), rel=0.03)
    with pytest.raises(ValueError, match="counts"):
        summarise_tokens([])
    with pytest.raises(ValueError, match="counts"):
        summarise_tokens([3, -1, 4])


def test_token_sampling_is_seeded_and_bounded() -> None:
    d = TokenDistribution("t", 6.0, 1.0, 2000, 4.0, 1.5, 300)
    p1, o1 = d.sample(1000, seed=3)
    p2, o2 = d.sample(1000, seed=3)
    assert np.array_equal(p1, p2) and np.array_equal(o1, o2)
    assert p1.min() >= 1 and p1.max() <= 2000 and o1.max() <= 300
    with pytest.raises(ValueError, match="output_sigma"):
        TokenDistribution("t", 6.0, 1.0, 2000, 4.0, -1.0, 300)
    with pytest.raises(ValueError, match="prompt_max"):
        TokenDistribution("t", 6.0, 1.0, 0, 4.0, 1.0, 300)


def test_quant_names_map_to_catalog_keys() -> None:
    known = ["Q4_K_M", "Q4_0", "F16", "BF16", "GPTQ-Int4", "AWQ"]
    assert quant_key("Q4_K_M", known) == "Q4_K_M"
    ollama = "Q4_K_M (llama.cpp runs) / Ollama default tag; not restated"
    assert quant_key(ollama, known) == "Q4_K_M"
    assert quant_key("q4f16_1 (MLC)", known) == "MLC-q4f16_1"
    assert quant_key("INT4 (MLC)", known) == "MLC-q4f16_1"
    assert quant_key("int4 groupwise g128 (8da4w)", known) == "INT4-g128"
    assert quant_key("SpinQuant (4-bit groupwise w, 8-bit dyn act)", known) == "SpinQuant"
    assert quant_key("not stated", known) == ""
    assert quant_key("IQ9_ZZ", known) == ""


def _speed_row(**kw: str) -> dict[str, str]:
    row = dict.fromkeys(
        ["device", "device_class", "model", "quant", "bits_per_weight", "model_size_GB", "engine",
         "metric", "value", "test", "n_devices", "power_W", "source", "verified", "notes"], ""
    )  # fmt: skip
    row |= {"device": "d", "model": "Llama 3 8B", "quant": "Q4_0", "engine": "llama.cpp (CPU)"}
    return row | kw


def test_curate_speed_rules() -> None:
    params, bits = {"llama-3-8b": 8.0}, {"Q4_0": 4.5}
    rows = curate_speed(
        [
            _speed_row(metric="decode_ms_per_token", value="50", test="tg 128, 8 threads"),
            _speed_row(metric="prefill_tps", value="100", test="pp512", model_size_GB="4.2 GiB"),
            _speed_row(metric="decode_tps", value="9", n_devices="2"),
            _speed_row(metric="decode_tps", value="9", model="Unknown 3B"),
        ],
        params,
        bits,
    )
    first, second, multi, unknown = rows
    assert float(first["tokens_per_s"]) == pytest.approx(20.0)
    assert first["metric"] == "decode_tps" and first["output_tokens"] == "128"
    assert first["setup"] == "llama.cpp (CPU), 8 threads"
    assert float(first["weight_gb"]) == pytest.approx(8.0 * 4.5 / 8)
    assert second["prompt_tokens"] == "512"
    assert float(second["weight_gb"]) == pytest.approx(4.2 * 2**30 / 1e9, rel=1e-3)
    assert (multi["use_for_fit"], multi["exclude_reason"]) == ("no", "2 devices")
    assert unknown["use_for_fit"] == "no" and "model" in unknown["exclude_reason"]


def test_curate_quality_perplexity_increase() -> None:
    row = {
        "model": "Llama 3 70B", "variant": "base", "precision_or_quant": "Q4_K_M",
        "benchmark": "perplexity wikitext-2 (test)", "shots": "", "metric": "perplexity",
        "value": "2.9674", "baseline_value": "2.8308", "eval_setting": "", "source": "s",
        "verified": "yes",
    }  # fmt: skip
    (out,) = curate_quality([row], ["llama-3-70b"], {"Q4_K_M": 4.89})
    assert out["model"] == "llama-3-70b" and out["quant"] == "Q4_K_M"
    assert float(out["ppl_increase_pct"]) == pytest.approx(4.8255, rel=1e-3)


def test_generation_power_and_energy_per_token() -> None:
    cat = load_llm_catalog()
    pi5 = "Raspberry Pi 5 16GB (BCM2712 D0)"
    power = cat.generation_power_w(pi5)
    assert power is not None and 10.0 < power < 14.0
    assert cat.generation_power_w("NVIDIA A100 80GB") is None
