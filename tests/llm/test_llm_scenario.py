"""Generation applications in scenarios: a hand-worked candidate, SLOs, routing under an
average quality floor, the shared-family copy, and bad input (exit 2 naming the field)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.evaluate import evaluate
from slimplace.llm.routing import large_in_cloud_plan, routing_report
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import dump_scenario, loads_scenario
from slimplace.solve import solve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# qwen2-0.5b (llm_models.csv): 0.49e9 parameters, 24 layers, 14 heads x 64, 2 KV heads;
# at BF16 its MMLU is 37.9 (llm_quality.csv, Qwen2 quantization benchmark).
BASE = """
name: llm-toy
settings: {max_utilisation: 0.5, horizon: 1 h, default_region: FRA}
hardware:
  - name: box
    tier: edge
    throughput: 1 TFLOP/s
    memory: 4 GB
    idle_power: 5 W
    peak_power: 25 W
    llm: {memory_bandwidth: 50 GB/s, throughput: 2 TFLOP/s, decode_overhead: 0 s,
          prefill_overhead: 0 s, dequant_per_param: 0 s, batch: 1}
llm_families:
  - name: qwen
    variants:
      - {model: qwen2-0.5b, quant: BF16}
nodes:
  - {id: user, tier: device}
  - {id: edge, tier: edge, hardware: box}
links:
  - {a: user, b: edge, kind: ethernet, latency: 0 s}
applications:
  - id: chat
    family: qwen
    sources: [{node: user, rate: 1/s}]
    slo: 10 s
    accuracy_floor: 0.3
    generation:
      prompt_tokens: 100
      output_tokens: 20
      context_tokens: 256
      slo_on: e2e
"""


def _hand_worked() -> tuple[float, float, float]:
    """Prefill, decode step and occupancy of one request on ``box`` (seconds)."""
    n, layers, heads, head_dim, kv_heads = 0.49e9, 24, 14, 64, 2
    p, o = 100.0, 20.0
    weights = n * 2.0  # BF16: 2 bytes per weight
    bandwidth, flops = 50e9, 2e12  # "50 GB/s": bytes per second
    prefill_flops = 2 * n * p + layers * heads * head_dim * p * (p + 1)
    t_pre = max(prefill_flops / flops, weights / bandwidth)
    kv_per_token = 2 * layers * kv_heads * head_dim * 2.0  # K and V at 16 bits
    context = p + o / 2
    memory = (weights + kv_per_token * context) / bandwidth
    compute = (2 * n + 2 * layers * heads * head_dim * context) / flops
    t_step = max(memory, compute)
    return t_pre, t_step, t_pre + (o - 1) * t_step


def test_one_candidate_by_hand() -> None:
    p = compile_problem(loads_scenario(BASE))
    assert p.n_candidates == 1
    t_pre, t_step, service = _hand_worked()
    assert p.cand_service_s[0] == pytest.approx(service, rel=1e-12)
    assert p.cand_compute_s[0] == pytest.approx(service, rel=1e-12)  # e2e, batch 1
    # energy per request: busy power above idle over the occupancy (PUE 1)
    assert p.cand_dyn_energy_j[0] == pytest.approx((25.0 - 5.0) * service, rel=1e-12)
    # request and response from the token counts, 4 bytes per token
    assert (p.demand_request_bits[0], p.demand_response_bits[0]) == (100 * 4 * 8.0, 20 * 4 * 8.0)
    assert p.cand_accuracy[0] == pytest.approx(0.379)
    # memory: weights + the KV cache of one sequence at the 256-token context
    kv = 2 * 24 * 2 * 64 * 2.0 * 256
    assert p.model_memory_bytes[0] == pytest.approx(0.49e9 * 2 + kv)
    assert t_pre < t_step * 19  # decode dominates this request


def test_ttft_slo_bounds_the_prefill_and_queueing_uses_the_occupancy() -> None:
    p = compile_problem(loads_scenario(BASE.replace("slo_on: e2e", "slo_on: ttft")))
    t_pre, _, service = _hand_worked()
    assert p.cand_compute_s[0] == pytest.approx(t_pre, rel=1e-12)
    assert p.cand_service_s[0] == pytest.approx(service, rel=1e-12)
    wait = 0.5 * service / (2 * (1 - 0.5))  # M/D/1 at rho_max = 0.5
    transfer = (100 + 20) * 4 * 8 / 1e9  # the tokens' bytes over 1 Gbit/s ethernet
    assert p.cand_latency_s[0] == pytest.approx(transfer + t_pre + wait, rel=1e-12)


def test_tpot_slo_removes_pairs_that_decode_too_slowly() -> None:
    _, t_step, _ = _hand_worked()
    ok = BASE.replace("slo_on: e2e", f"slo_on: e2e\n      tpot_slo: {1.01 * t_step} s")
    assert compile_problem(loads_scenario(ok)).n_candidates == 1
    slow = BASE.replace("slo_on: e2e", f"slo_on: e2e\n      tpot_slo: {0.99 * t_step} s")
    loose = compile_problem(loads_scenario(slow), strict=False)
    assert loose.n_candidates == 0 and len(loose.unservable) == 1


ROUTING = """
name: llm-routing
settings: {max_utilisation: 0.7, horizon: 1 h, default_region: FRA}
hardware:
  - name: box
    tier: edge
    throughput: 1 TFLOP/s
    memory: 16 GB
    idle_power: 5 W
    peak_power: 25 W
    llm: {memory_bandwidth: 100 GB/s, throughput: 4 TFLOP/s}
  - name: gpu
    tier: cloud
    throughput: 100 TFLOP/s
    memory: 80 GB
    idle_power: 100 W
    peak_power: 400 W
    llm: {memory_bandwidth: 1600 GB/s, throughput: 100 TFLOP/s, batch: 8}
llm_families:
  - name: qwen
    variants:
      - {model: qwen2-0.5b, quant: BF16}
      - {model: qwen2-7b, quant: BF16}
nodes:
  - {id: user, tier: device}
  - {id: edge, tier: edge, hardware: box}
  - {id: dc, tier: cloud, hardware: gpu, ownership: elastic}
links:
  - {a: user, b: edge, kind: ethernet}
  - {a: edge, b: dc, kind: ethernet}
applications:
  - id: chat
    family: qwen
    sources: [{node: user, rate: 0.2/s}]
    slo: 30 s
    accuracy_floor: 0.5
    accuracy_mode: average
    generation: {prompt_tokens: 200, output_tokens: 50, context_tokens: 1024}
"""


def test_average_floor_routes_a_share_to_the_large_model() -> None:
    """Small (MMLU 37.9) and large (70.5) Qwen2: the cheapest mix meets the 0.5 floor with
    equality, i.e. a share (0.5 - 0.379) / (0.705 - 0.379) on the large model."""
    p = compile_problem(loads_scenario(ROUTING))
    best = solve(p, "milp")
    assert best.evaluation.feasible
    assert best.evaluation.app_accuracy[0] == pytest.approx(0.5, abs=1e-6)
    large = p.cand_accuracy == p.cand_accuracy.max()
    share = float(best.plan.x[large].sum())
    assert share == pytest.approx((0.5 - 0.379) / (0.705 - 0.379), abs=1e-6)
    report = routing_report(p, best.plan)
    reference = evaluate(p, large_in_cloud_plan(p))
    assert reference.feasible and report.saving is not None
    assert report.saving == pytest.approx(
        (reference.plan_w - best.evaluation.plan_w) / reference.plan_w
    )
    assert report.saving > 0


def test_a_family_shared_by_two_generation_apps_loads_its_weights_once() -> None:
    text = (
        ROUTING
        + """
  - id: complete
    family: qwen
    sources: [{node: user, rate: 1/s}]
    slo: 30 s
    generation: {prompt_tokens: 50, output_tokens: 10, context_tokens: 128}
"""
    )
    s = loads_scenario(text)
    p = compile_problem(s)
    assert sorted(f.name for f in p.families) == ["qwen:chat", "qwen:complete"]
    # the copies share one model: the weights once, plus one sequence's KV cache at each
    # application's context (1024 and 128 tokens)
    kv = 2 * 24 * 2 * 64 * 2.0  # qwen2-0.5b, bytes per token
    small = [p.variant_names.index(f"qwen:{a}/qwen2-0.5b@BF16") for a in ("chat", "complete")]
    model = p.variant_model[small]
    assert model[0] == model[1]
    assert p.model_memory_bytes[model[0]] == pytest.approx(0.49e9 * 2 + kv * (1024 + 128))
    assert p.n_models == len({v for f in s.families for v in f.variants})
    # on each node, the chat's longer requests occupy the server longer
    for node in np.unique(p.cand_node):
        svc = [p.cand_service_s[(p.cand_variant == k) & (p.cand_node == node)] for k in small]
        assert svc[0].min() > svc[1].max()


def test_generation_scenario_round_trips() -> None:
    s = loads_scenario(ROUTING)
    assert loads_scenario(dump_scenario(s)) == s


def test_llm_edge_example_best_plan_meets_slos_and_floors() -> None:
    from slimplace.scenario.io import load_scenario

    p = compile_problem(load_scenario(EXAMPLES / "llm-edge.yaml"))
    best = solve(p, "milp")
    e = best.evaluation
    assert e.slo_met_fraction == pytest.approx(1.0)
    floors = p.app_floor
    assert np.all(e.app_accuracy >= floors - 1e-6)
    # the MILP has no batch-fill rows on main (docs/llm.md): where its plan breaks a
    # constraint, it is only that a node's traffic cannot fill an assumed decode batch
    assert {v.kind for v in e.violations} <= {"batch-fill"}


# ------------------------------------------------------------------------- bad input


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        loads_scenario(text)
    return {p.path: p.message for p in info.value.problems}


GEN = "applications[0].generation"
VAR = "llm_families[0].variants[0]"
#: (text replaced, replacement, path named, words of the message)
BAD = [
    ("prompt_tokens: 100", "prompt_tokens: 0", f"{GEN}.prompt_tokens.median", "1 or more"),
    ("output_tokens: 20", "output_tokens: -3", f"{GEN}.output_tokens.median", "1 or more"),
    ("context_tokens: 256", "context_tokens: 0", f"{GEN}.context_tokens", "1 or more"),
    (
        "context_tokens: 256",
        "context_tokens: 40000",
        f"{GEN}.context_tokens",
        "context window of qwen2-0.5b (32768 tokens)",
    ),
    ("quant: BF16}", "quant: Q4_K_M}", f"{VAR}.quant", "qwen2-0.5b has no variant 'Q4_K_M'"),
    ("model: qwen2-0.5b,", "model: qwen2-0.6b,", f"{VAR}.model", "unknown LLM model"),
    (
        "accuracy_floor: 0.3",
        "accuracy_floor: 0.4",
        "applications[0].accuracy_floor",
        "above every variant",
    ),
    (
        "batch: 1}",
        "batch: 1, calibrated: Raspberry Pi 9}",
        "hardware[0].llm.calibrated",
        "unknown LLM device",
    ),
    ("      prompt_tokens: 100\n", "", f"{GEN}.prompt_tokens", "missing"),
]


@pytest.mark.parametrize(("old", "new", "path", "words"), BAD)
def test_bad_generation_input_names_the_field(old: str, new: str, path: str, words: str) -> None:
    assert old in BASE
    problems = _problems(BASE.replace(old, new))
    assert path in problems, problems
    assert words in problems[path]


def test_bad_generation_input_exits_2_on_the_command_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("context_tokens: 256", "context_tokens: 40000"))
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "applications[0].generation.context_tokens" in result.output
    assert "Traceback" not in result.output


def test_a_plain_application_still_needs_request_and_response() -> None:
    text = BASE.replace("    generation:\n", "    generation_x:\n")
    text = text.split("    generation_x:")[0]
    problems = _problems(text)
    assert "missing" in problems["applications[0].request"]
    assert "missing" in problems["applications[0].generation"]


def test_catalog_profiles_serve_generation_at_the_catalog_speed() -> None:
    """A catalog profile (raspberry-pi-5) gets its LLM speed from llm_hardware.csv."""
    text = BASE.replace("hardware: box}", "hardware: raspberry-pi-5}")
    text = text.replace("slo: 10 s", "slo: 60 s")
    s = loads_scenario(text)
    (pi,) = [h for h in s.hardware if h.name == "raspberry-pi-5"]
    assert pi.llm is not None and "llm_hardware.csv" in pi.llm.source
    assert pi.llm.memory_bandwidth_bytes_per_s == pytest.approx(11e9, rel=0.05)  # the Ollama fit
    assert pi.llm.flops_per_s == pi.throughput_flops  # no published prefill speed
    p = compile_problem(s)
    assert p.n_candidates == 1 and p.node_ids[p.cand_node[0]] == "edge"
    assert loads_scenario(dump_scenario(s)) == s


def test_catalog_profiles_get_no_llm_speed_without_generation_apps() -> None:
    from slimplace.catalog import load_catalog
    from slimplace.scenario.io import load_scenario

    s = load_scenario(EXAMPLES / "minimal.yaml")
    assert all(h.llm is None for h in s.hardware)
    assert s.hardware[0] == load_catalog().hardware[s.hardware[0].name]


def test_a_model_without_mmlu_needs_a_given_accuracy() -> None:
    text = BASE.replace(
        "{model: qwen2-0.5b, quant: BF16}", "{model: qwen2.5-0.5b, quant: GPTQ-Int4}"
    )
    problems = _problems(text)
    assert "no MMLU for qwen2.5-0.5b" in problems["llm_families[0].variants[0].accuracy"]
    given = text.replace("quant: GPTQ-Int4}", "quant: GPTQ-Int4, accuracy: 45 %}")
    s = loads_scenario(given)
    (variant,) = s.family_by_name()["qwen"].variants
    assert (variant.name, variant.accuracy) == ("qwen2.5-0.5b@GPTQ-Int4", 0.45)


def test_llm_edge_simulates_the_azure_arrival_pattern() -> None:
    """Two hours of the Azure 2023 trace's pattern (the hour repeated) on llm-edge: the
    simulator runs the generation candidates like any other."""
    from slimplace.scenario.io import load_scenario
    from slimplace.sim import simulate

    p = compile_problem(load_scenario(EXAMPLES / "llm-edge.yaml"))
    result = simulate(p, "static-peak", horizon_s=7200.0, step_s=600.0, seed=0)
    s = result.summary
    assert s.steps == 12 and s.served_fraction == pytest.approx(1.0)
    assert s.slo_attainment > 0.9 and s.energy_j > 0
    # the plan for the peak meets both floors: at least the traffic-weighted floor (the
    # nominal MILP plan meets the floors with equality)
    assert s.mean_accuracy >= evaluate(p, solve(p, "milp").plan).mean_accuracy - 0.02


def test_slo_quantile_bounds_the_token_distribution_quantile() -> None:
    """With ``slo_quantile`` the latency a pair is checked at is that quantile over the
    sampled requests (long prompts), not their mean; the occupancy stays the mean."""
    from slimplace.llm.compile import generation_times
    from slimplace.llm.scenario import split_variant_name

    spread = BASE.replace("prompt_tokens: 100", "prompt_tokens: {median: 100, sigma: 1.0}")
    mean = compile_problem(loads_scenario(spread))
    q90 = compile_problem(
        loads_scenario(
            spread.replace("default_region: FRA}", "default_region: FRA, slo_quantile: 0.9}")
        )
    )
    assert q90.cand_service_s[0] == pytest.approx(mean.cand_service_s[0], rel=1e-12)
    assert q90.cand_compute_s[0] > 1.05 * mean.cand_compute_s[0]
    s = loads_scenario(spread)
    (box,) = s.hardware
    (variant,) = s.families[0].variants
    from slimplace.llm.scenario import llm_catalog

    v = llm_catalog().variant(*split_variant_name(variant.name))
    app = s.applications[0]
    assert box.llm is not None and app.generation is not None
    times = generation_times([(v, box.llm, box.memory_bytes)], app.generation, 0.9)
    assert q90.cand_compute_s[0] == pytest.approx(times.latency_s[0], rel=1e-12)


def test_a_generation_app_needs_hardware_with_llm_speed() -> None:
    start = BASE.index("    llm: {memory_bandwidth")
    end = BASE.index("llm_families:")
    problems = _problems(BASE[:start] + BASE[end:])
    assert "llm: block" in problems["applications[0].generation"]


def test_shared_weights_fit_where_two_copies_would_not() -> None:
    """1.5 GB holds qwen2-0.5b's 0.98 GB of BF16 weights once (plus two 6.3 MB KV caches
    at 256 tokens) but not twice: both applications are served on the one box."""
    text = BASE.replace("memory: 4 GB", "memory: 1.5 GB") + (
        """
  - id: complete
    family: qwen
    sources: [{node: user, rate: 0.1/s}]
    slo: 30 s
    accuracy_floor: 0.3
    generation: {prompt_tokens: 50, output_tokens: 10, context_tokens: 256}
"""
    )
    p = compile_problem(loads_scenario(text))
    assert p.n_models == 1
    best = solve(p, "milp")
    assert best.evaluation.feasible
    assert p.model_memory_bytes[0] == pytest.approx(0.49e9 * 2 + 2 * 2 * 24 * 2 * 64 * 2.0 * 256)
