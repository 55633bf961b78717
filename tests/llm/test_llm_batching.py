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
