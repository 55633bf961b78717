"""Decode batch from load (Little's law): hand-worked figures and the evaluator's check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.llm.batching import (
    assumed_batch,
    batch_ladder,
    decode_options,
    fill_rate_per_s,
    ladder_of,
    memory_cap,
)
from slimplace.llm.routing import large_in_cloud_plan
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-edge.yaml"


def test_ladder_and_memory_cap() -> None:
    assert batch_ladder(13).tolist() == [1, 2, 4, 8, 13]
    assert batch_ladder(1).tolist() == [1]
    assert ladder_of(np.array([13, 4])).tolist() == [1, 2, 4, 8, 13]
    # 80 GB server, 40 GB weights, 2.7 GB of KV cache per sequence: 14 sequences
    assert memory_cap(40e9, 2.7e9, 80e9) == 14


def test_fill_rate_is_littles_law() -> None:
    # 4 sequences in flight, each generated for 2 s: 2 requests/s keep the batch full
    assert fill_rate_per_s(np.array([1, 4]), np.array([2.0, 2.0])).tolist() == [0.0, 2.0]


def test_decode_options_hand_worked() -> None:
    # one pair, one request: prefill 1 s, 11 output tokens, step 0.1 s at b=1, 0.12 s at b=2
    step = np.array([[[0.1], [0.12]]])
    opts = decode_options(
        np.array([[1.0]]), step, np.array([11.0]), np.array([2]), True, None, None
    )
    assert opts.batch.tolist() == [1, 2]
    # W = 1 + 10 x step; occupancy = 1 + 10 x step / b; fill rate b / W
    assert opts.residence_s[0] == pytest.approx([2.0, 2.2])
    assert opts.service_s[0] == pytest.approx([2.0, 1.6])
    assert opts.latency_s[0] == pytest.approx([1.0, 1.0])
    assert opts.fill_rate_per_s[0] == pytest.approx([0.0, 2 / 2.2])
    assert assumed_batch(opts).tolist() == [1]
    # a TPOT SLO of 0.11 s rules batch 2 out; batch 1 stays
    tight = decode_options(
        np.array([[1.0]]), step, np.array([11.0]), np.array([2]), True, 0.11, None
    )
    assert tight.ok[0].tolist() == [True, False]
    assert assumed_batch(tight).tolist() == [0]


def test_evaluator_flags_an_unfilled_batch() -> None:
    p = compile_problem(load_scenario(EXAMPLE))
    ref = large_in_cloud_plan(p)
    e = evaluate(p, ref)
    assert e.feasible  # 70B in the cloud: chat's whole traffic keeps its batch full
    used = np.flatnonzero(ref.x > 0)
    batched = used[p.cand_decode_batch[used] > 1]
    assert len(batched) > 0
    # the same plan at 1 % of the load keeps fewer sequences in flight than the batch
    low = evaluate(p, ref, rate_per_s=p.demand_rate_per_s * 0.01)
    kinds = {v.kind for v in low.violations}
    assert "batch-fill" in kinds
    # an empty plan is never flagged for fill
    empty = Plan(x=np.zeros_like(ref.x), servers_on=ref.servers_on, method="t")
    assert "batch-fill" not in {v.kind for v in evaluate(p, empty).violations}


@pytest.mark.parametrize(("rate", "batch"), [(6.0, 2), (9.0, 4)])
def test_the_milp_keeps_only_a_batch_its_traffic_fills(rate: float, batch: int) -> None:
    """Qwen2 7B BF16 on the A100-like box, whole traffic on it (floor 0.7): each request
    is generated for W = 0.50 s, so batch b needs b / W requests/s (2: 4.02, 4: 8.02,
    8: 15.99). At 6/s batch 4 would cost 44 J against 79 J at batch 2 but cannot fill;
    at 9/s it can."""
    from test_llm_scenario import ROUTING

    from slimplace.llm.decode_candidates import with_decode_batches
    from slimplace.scenario.io import loads_scenario
    from slimplace.solve import solve

    text = (
        ROUTING.replace("rate: 0.2/s", f"rate: {rate}/s")
        .replace("accuracy_floor: 0.5", "accuracy_floor: 0.7")
        .replace("memory: 16 GB", "memory: 1 GB")  # the edge box cannot hold the 7B
        .replace(
            "hardware: gpu, ownership: elastic}", "hardware: gpu, ownership: elastic, count: 4}"
        )
    )
    q = with_decode_batches(compile_problem(loads_scenario(text)))
    seven = q.cand_variant == q.variant_names.index("qwen/qwen2-7b@BF16")
    batches, rates = q.cand_batch[seven].tolist(), q.cand_fill_rate_per_s[seven].tolist()
    need = dict(zip(batches, rates, strict=True))
    assert need[2] == pytest.approx(4.02, abs=0.01) and need[4] == pytest.approx(8.02, abs=0.01)
    best = solve(q, "milp")
    assert best.evaluation.feasible
    (used,) = np.flatnonzero(best.plan.x > 0)
    assert q.cand_batch[used] == batch
