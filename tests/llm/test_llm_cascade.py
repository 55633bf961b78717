"""Cascades (small model first, a share escalated to a large one): quality rule, the
stages' figures combined by hand, and the example's plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_llm_scenario import ROUTING

from slimplace.llm.cascade import EQUAL_QUALITY_SHARE, cascade_quality
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario, loads_scenario
from slimplace.solve import solve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: ROUTING's chat as a cascade: qwen2-0.5b first, qwen2-7b for 30 % of the requests
CASCADE = ROUTING.replace(
    """llm_families:
  - name: qwen
    variants:
      - {model: qwen2-0.5b, quant: BF16}
      - {model: qwen2-7b, quant: BF16}""",
    """llm_families:
  - name: qwen-small
    variants:
      - {model: qwen2-0.5b, quant: BF16}
  - name: qwen-large
    variants:
      - {model: qwen2-7b, quant: BF16}""",
).replace(
    "    family: qwen\n",
    "    stages:\n      - {id: s, family: qwen-small}\n"
    "      - {id: l, family: qwen-large, after: [s], calls: 0.3}\n",
)


def test_quality_rule() -> None:
    # Hybrid LLM: the large model's quality at 60 % of the calls; linear below
    assert EQUAL_QUALITY_SHARE == 0.6
    assert cascade_quality(0.4, 0.7, 0.0) == pytest.approx(0.4)
    assert cascade_quality(0.4, 0.7, 0.3) == pytest.approx(0.55)
    assert cascade_quality(0.4, 0.7, 0.9) == pytest.approx(0.7)


def _plain(family_line: str, floor: str) -> object:
    """ROUTING with one variant only (the cascade's stages served alone)."""
    text = ROUTING.replace("accuracy_floor: 0.5", floor)
    return compile_problem(loads_scenario(text.replace(family_line, "")), strict=False)


def test_cascade_figures_are_the_stages_combined() -> None:
    p = compile_problem(loads_scenario(CASCADE))
    k = p.variant_names.index("cascade:chat/qwen2-0.5b@BF16>qwen2-7b@BF16")
    assert set(p.cand_variant.tolist()) == {k}
    # quality: MMLU 37.9 and 70.5 (llm_quality.csv) at share 0.3 -> halfway
    assert p.variant_accuracy[k] == pytest.approx(0.379 + (0.705 - 0.379) * 0.5)
    small = _plain("      - {model: qwen2-7b, quant: BF16}\n", "accuracy_floor: 0.3")
    large = _plain("      - {model: qwen2-0.5b, quant: BF16}\n", "accuracy_floor: 0.3")
    checked = []
    for node in ("edge", "dc"):
        v = p.node_ids.index(node)
        c = np.flatnonzero(p.cand_node == v)
        cs = np.flatnonzero(small.cand_node == small.node_ids.index(node))  # type: ignore[attr-defined]
        cl = np.flatnonzero(large.cand_node == large.node_ids.index(node))  # type: ignore[attr-defined]
        if not (len(c) and len(cs) and len(cl)):
            continue
        # e2e SLO: occupancy and compute latency S + 0.3 L (batch 1: 0.2/s fills nothing)
        want = small.cand_service_s[cs[0]] + 0.3 * large.cand_service_s[cl[0]]  # type: ignore[attr-defined]
        assert p.cand_service_s[c[0]] == pytest.approx(want, rel=1e-9)
        want = small.cand_compute_s[cs[0]] + 0.3 * large.cand_compute_s[cl[0]]  # type: ignore[attr-defined]
        assert p.cand_compute_s[c[0]] == pytest.approx(want, rel=1e-9)
        checked.append(node)
    assert checked
    # memory: both models' weights and KV caches
    both = small.model_memory_bytes[0] + large.model_memory_bytes[0]  # type: ignore[attr-defined]
    assert p.model_memory_bytes[p.variant_model[k]] == pytest.approx(both)
    assert solve(p, "milp").evaluation.feasible


def test_cascade_example_meets_its_floors() -> None:
    p = compile_problem(load_scenario(EXAMPLES / "llm-cascade.yaml"))
    e = solve(p, "milp").evaluation
    assert e.feasible
    assert np.all(e.app_accuracy >= p.app_floor - 1e-6)
