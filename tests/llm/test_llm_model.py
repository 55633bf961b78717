"""Token-level LLM model: hand-computed roofline cases, monotonicity, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from slimplace.llm import (
    DeviceLlmFit,
    LlmArchitecture,
    LlmVariant,
    PhasePower,
    Quantization,
    decode_step_time_s,
    decode_throughput_tps,
    energy_per_output_token_j,
    generation_energy_j,
    generation_timing,
    load_llm_catalog,
    prefill_time_s,
)
from slimplace.llm.model import decode_flops, prefill_flops
from slimplace.llm.roofline import Candidates, candidate_energy_j, candidate_timing

# A small made-up dense model: 1e9 parameters, 10 layers, 8 heads x 64, 2 KV heads.
ARCH = LlmArchitecture(
    name="toy-1b",
    family="toy",
    params=1e9,
    active_params=1e9,
    layers=10,
    heads=8,
    kv_heads=2,
    head_dim=64,
    context_tokens=4096,
)
Q4 = Quantization("Q4", 4.0)
F16 = Quantization("F16", 16.0)
TOY = LlmVariant(ARCH, Q4)  # weights: 1e9 x 4 / 8 = 0.5e9 bytes
FIT = DeviceLlmFit(
    memory_bandwidth_bps=100e9,
    flops_per_s=1e12,
    decode_overhead_s=0.001,
    prefill_overhead_s=0.01,
)


def test_sizes_by_hand() -> None:
    assert TOY.weight_bytes == pytest.approx(0.5e9)
    # 2 (K,V) x 10 layers x 2 KV heads x 64 dims x 2 bytes = 5120 bytes per token
    assert ARCH.kv_bytes_per_token() == pytest.approx(5120.0)
    assert float(TOY.kv_cache_bytes(1000)) == pytest.approx(5.12e6)
    assert float(TOY.memory_bytes(1000, batch=4)) == pytest.approx(0.5e9 + 4 * 5.12e6)
    # Llama 3 8B (32 layers, 8 KV heads of 128): 128 KiB of fp16 KV cache per token
    llama = load_llm_catalog().model("llama-3-8b")
    assert llama.kv_bytes_per_token() == 2 * 32 * 8 * 128 * 2


def test_flops_by_hand() -> None:
    # prefill of 100 tokens: 2 N P + layers x d_attn x P (P + 1) = 2e11 + 10 x 512 x 100 x 101
    assert float(prefill_flops(ARCH, 100)) == pytest.approx(2e11 + 10 * 512 * 100 * 101)
    # one token at context 1000: 2 N + 2 x layers x c x d_attn
    assert float(decode_flops(ARCH, 1000)) == pytest.approx(2e9 + 2 * 10 * 1000 * 512)


def test_roofline_by_hand() -> None:
    # decode at batch 1, context 0: memory-bound, t0 + 0.5e9 / 100e9 = 0.001 + 0.005
    assert float(decode_step_time_s(TOY, FIT, 0)) == pytest.approx(0.006)
    # prefill of 100 tokens: compute-bound, t0 + F / R
    f = 2e11 + 10 * 512 * 100 * 101
    assert float(prefill_time_s(TOY, FIT, 100)) == pytest.approx(0.01 + f / 1e12)
    # a 1-token prompt is memory-bound: max(2e9 / 1e12, 0.005) = 0.005
    assert float(prefill_time_s(TOY, FIT, 1)) == pytest.approx(0.01 + 0.005, rel=1e-3)


def test_generation_timing_by_hand() -> None:
    t = generation_timing(TOY, FIT, prompt_tokens=100, output_tokens=11)
    ttft = 0.01 + (2e11 + 10 * 512 * 100 * 101) / 1e12
    context = 100 + 11 / 2
    tpot = 0.001 + (0.5e9 + 5120 * context) / 100e9
    assert float(t.ttft_s) == pytest.approx(ttft)
    assert float(t.tpot_s) == pytest.approx(tpot)
    assert float(t.e2e_s) == pytest.approx(ttft + 10 * tpot)


def test_energy_by_hand() -> None:
    power = PhasePower(prefill_w=30.0, decode_w=20.0)
    t = generation_timing(TOY, FIT, 100, 11)
    e = float(generation_energy_j(TOY, FIT, power, 100, 11))
    assert e == pytest.approx(30.0 * float(t.ttft_s) + 20.0 * 10 * float(t.tpot_s))
    per_token = float(energy_per_output_token_j(TOY, FIT, power, 100, 11))
    assert per_token == pytest.approx(e / 11)
    # a batch of 8 shares the decode power: less decode energy per request
    assert float(generation_energy_j(TOY, FIT, power, 100, 11, batch=8)) < e


def test_batching_rises_until_compute_bound() -> None:
    batch = np.array([1, 2, 4, 8, 16, 64, 256, 1024, 4096], dtype=float)
    tps = decode_throughput_tps(TOY, FIT, 500, batch)
    assert np.all(np.diff(tps) >= -1e-9)
    assert tps[1] > 1.9 * tps[0]  # nearly doubles while memory-bound (weights read once)
    # ceiling: the compute roof R / F_tok (overhead amortised away)
    roof = 1e12 / float(decode_flops(ARCH, 500))
    assert tps[-1] < roof
    assert tps[-1] == pytest.approx(roof, rel=0.01)
    # at batch 1 the memory term is the larger one
    memory = (TOY.decode_weight_bytes + TOY.kv_cache_bytes(500)) / 100e9
    assert float(memory) > float(decode_flops(ARCH, 500)) / 1e12


def test_monotone_in_tokens_and_bits() -> None:
    prompts = np.array([1, 10, 100, 1000, 3000])
    t = generation_timing(TOY, FIT, prompts, 50)
    assert np.all(np.diff(t.ttft_s) > 0)
    assert np.all(np.diff(t.tpot_s) > 0)  # longer context, more KV cache read
    outputs = np.array([1, 2, 10, 100, 1000])
    assert np.all(np.diff(generation_timing(TOY, FIT, 100, outputs).e2e_s) > 0)
    f16 = LlmVariant(ARCH, F16)
    assert float(decode_step_time_s(f16, FIT, 0)) > float(decode_step_time_s(TOY, FIT, 0))


def test_moe_reads_active_parameters_only() -> None:
    moe = LlmArchitecture("moe", "toy", 8e9, 1e9, 10, 8, 2, 64, 4096)
    dense = LlmVariant(ARCH, Q4)
    sparse = LlmVariant(moe, Q4)
    assert sparse.weight_bytes == pytest.approx(8 * dense.weight_bytes)
    assert float(decode_step_time_s(sparse, FIT, 0)) == pytest.approx(
        float(decode_step_time_s(dense, FIT, 0))
    )


def test_dequant_and_int8_terms() -> None:
    fit = DeviceLlmFit(100e9, 1e12, int8_flops_per_s=4e12, dequant_s_per_param=1e-12)
    f16, q4 = LlmVariant(ARCH, F16), LlmVariant(ARCH, Q4)
    assert float(decode_step_time_s(f16, fit, 0)) == pytest.approx(2e9 / 100e9)
    assert float(decode_step_time_s(q4, fit, 0)) == pytest.approx(0.5e9 / 100e9 + 1e-3)
    w8 = LlmVariant(ARCH, Quantization("8da4w", 4.0, activation_bits=8.0))
    f = float(prefill_flops(ARCH, 512))
    assert float(prefill_time_s(w8, fit, 512)) == pytest.approx(f / 4e12)
    assert float(prefill_time_s(q4, fit, 512)) == pytest.approx(f / 1e12)


@pytest.mark.parametrize(
    ("prompt", "output", "field"),
    [
        (0, 10, "prompt_tokens"),
        (-5, 10, "prompt_tokens"),
        (10, 0, "output_tokens"),
        (np.array([10, 20]), np.array([5, -1]), "output_tokens"),
        (4000, 200, "prompt_tokens + output_tokens"),
    ],
)
def test_bad_token_counts_name_the_field(prompt: object, output: object, field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("+", r"\+")):
        generation_timing(TOY, FIT, prompt, output)  # type: ignore[arg-type]


def test_context_window_names_the_model() -> None:
    with pytest.raises(ValueError, match="context window of toy-1b"):
        ARCH.check_context(5000)


def test_bad_constructor_values() -> None:
    with pytest.raises(ValueError, match="bits_per_weight"):
        Quantization("bad", 0.0)
    with pytest.raises(ValueError, match="layers"):
        LlmArchitecture("bad", "toy", 1e9, 1e9, 0, 8, 2, 64, 4096)
    with pytest.raises(ValueError, match="active_params"):
        LlmArchitecture("bad", "toy", 1e9, 2e9, 10, 8, 2, 64, 4096)
    with pytest.raises(ValueError, match="memory_bandwidth_bps"):
        DeviceLlmFit(memory_bandwidth_bps=0.0)
    with pytest.raises(ValueError, match="decode_overhead_s"):
        DeviceLlmFit(1e9, decode_overhead_s=-1.0)
    with pytest.raises(ValueError, match="decode_w"):
        PhasePower(10.0, -1.0)
    with pytest.raises(ValueError, match="batch"):
        decode_step_time_s(TOY, FIT, 10, batch=0)


def test_unknown_model_and_missing_quantization() -> None:
    cat = load_llm_catalog()
    with pytest.raises(ValueError, match=r"^model: unknown model 'gpt-9'"):
        cat.variant("gpt-9", "Q4_K_M")
    with pytest.raises(ValueError, match=r"^quant: llama-3-8b has no variant 'GPTQ-Int4'"):
        cat.variant("llama-3-8b", "GPTQ-Int4")
    assert cat.variant("qwen2.5-7b", "GPTQ-Int4").bits_per_weight == pytest.approx(4.19)


def test_no_prefill_fit_means_memory_bound_only() -> None:
    fit = DeviceLlmFit(100e9)
    assert math.isinf(fit.flops_per_s)
    assert float(prefill_time_s(TOY, fit, 512)) == pytest.approx(0.005)


def test_candidate_grid_matches_per_variant_results() -> None:
    cat = load_llm_catalog()
    small = cat.variant("llama-3.2-1b", "SpinQuant")
    large = cat.variant("llama-3.1-70b", "Q4_K_M")
    phone = DeviceLlmFit(60e9, 3e11, 0.002, 0.05, int8_flops_per_s=1e12, dequant_s_per_param=1e-12)
    gpu = DeviceLlmFit(1.5e12, 2e14, 0.004, 0.02)
    pairs = [(small, phone), (large, gpu), (small, gpu)]
    grid = Candidates.stack(pairs).column()
    prompts, outputs = np.array([50, 500, 2000]), np.array([20, 200, 400])
    t = candidate_timing(grid, prompts, outputs)
    assert t.e2e_s.shape == (3, 3)
    for i, (variant, fit) in enumerate(pairs):
        one = generation_timing(variant, fit, prompts, outputs)
        np.testing.assert_allclose(t.ttft_s[i], one.ttft_s)
        np.testing.assert_allclose(t.e2e_s[i], one.e2e_s)
    energy = candidate_energy_j(grid, np.array([[5.0], [300.0], [300.0]]), 3.0, prompts, outputs)
    assert energy.shape == (3, 3)
    # the phone's int8 prefill rate is used for SpinQuant
    assert float(prefill_time_s(small, phone, 512)) < float(
        prefill_time_s(cat.variant("llama-3.2-1b", "BF16"), phone, 512)
    )


def test_candidate_context_window() -> None:
    cat = load_llm_catalog()
    tiny = Candidates.stack([(cat.variant("tinyllama-1.1b", "Q4_K_M"), FIT)])
    with pytest.raises(ValueError, match="context window"):
        candidate_timing(tiny, 2000, 100)
