"""Heuristics with split candidates: the heads' load on the source device is respected
(greedy, lp-round and their local search and repairs), and problems with no candidate
at all end infeasible instead of crashing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.optim.heads import capacity_evictions, head_busy
from slimplace.optim.repair import _regret_per_bit, node_busy
from slimplace.plan import Status, plan_from_choice
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import Scenario
from slimplace.solve import solve


def two_streams(make_tiny: Callable[..., Scenario]) -> CompiledProblem:
    """Two applications at 7/s each from one device (10 GFLOP/s, rho_max 0.5): the whole
    model on the device (0.7 s/s) and raw 300 kB frames over the 10 Mbit/s link (16.8
    Mbit/s each) are out, so both must cut. The cheapest cut of each alone (ir7, 40.2 %
    of the FLOPs on the device) puts 2 x 0.7 x 0.0402 = 0.563 s/s on the device, over
    its 0.5; ir4 + ir7 (0.49 s/s, 8.4 Mbit/s on the link) is the optimum."""
    s = make_tiny(slo_s=10.0, rate=7.0, request_bytes=300_000.0)
    a = s.applications[0]
    s = dataclasses.replace(s, applications=(a, dataclasses.replace(a, id="app2")))
    return compile_problem(s)


def test_each_demands_cheapest_cut_overloads_the_device(make_tiny) -> None:
    p = two_streams(make_tiny)
    energy = p.cand_energy_j()
    cheapest = np.array(
        [
            lo + int(np.argmin(energy[lo:hi]))
            for lo, hi in zip(p.demand_ptr[:-1], p.demand_ptr[1:], strict=True)
        ]
    )
    assert (p.cand_cut[cheapest] >= 0).all()
    e = evaluate(p, plan_from_choice(p, cheapest, "each-alone"))
    assert any(v.kind == "capacity" and v.where == "dev1" for v in e.violations)
    busy = node_busy(p, cheapest, p.demand_rate_per_s[p.cand_demand] * p.cand_service_s)
    assert head_busy(p, cheapest)[0] == pytest.approx(2 * 7.0 * p.cand_head_compute_s[cheapest[0]])
    assert capacity_evictions(p, cheapest, busy).sum() == 1  # one head's removal suffices


@pytest.mark.parametrize("method", ["greedy", "lp-round"])
def test_heuristics_respect_the_heads_load(make_tiny, method: str) -> None:
    p = two_streams(make_tiny)
    best = solve(p, "milp")
    result = solve(p, method)
    assert result.evaluation.feasible, result.evaluation.violations
    used = np.flatnonzero(result.plan.x > 1e-9)
    assert (p.cand_cut[used] >= 0).all()
    assert result.evaluation.power_w == pytest.approx(best.evaluation.power_w, rel=1e-9)


@pytest.mark.parametrize("method", ["milp", "greedy", "lp-round"])
def test_no_candidate_at_all_is_infeasible_not_a_crash(make_tiny, method: str) -> None:
    p = compile_problem(make_tiny(slo_s=0.01), strict=False)  # nothing meets 10 ms
    assert p.n_candidates == 0 and p.n_demands == 1
    assert solve(p, method).plan.status is Status.INFEASIBLE


def test_regret_order_uses_the_cut_tensor_bits(make_tiny) -> None:
    p = two_streams(make_tiny)
    cut = np.flatnonzero(p.cand_cut >= 0)
    chosen = np.array([cut[p.cand_demand[cut] == d][-1] for d in range(p.n_demands)])
    on_device = np.flatnonzero(p.cand_node == 0)  # the whole model on the device
    score = p.cand_energy_j()
    key = _regret_per_bit(p, chosen, score, np.arange(p.n_candidates))
    sent = 7.0 * (p.cand_request_bits[chosen] + p.demand_response_bits)
    assert p.cand_request_bits[chosen][0] < p.demand_request_bits[0] / 5
    assert key == pytest.approx((score[on_device] - score[chosen]) / sent)
    empty = _regret_per_bit(p, np.full(p.n_demands, -1), score, np.arange(p.n_candidates))
    assert np.isinf(empty).all()
