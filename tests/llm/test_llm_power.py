"""Phase powers: prefill at the peak, decode at the profile's decode power; the same joules
in the compiled candidate, the evaluator and the simulator (hand-worked)."""

from __future__ import annotations

import numpy as np
import pytest
from test_llm_scenario import BASE, _hand_worked

from slimplace.evaluate import evaluate
from slimplace.llm.power import decode_power_w, power_factor
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import dump_scenario, loads_scenario
from slimplace.sim import simulate
from slimplace.solve import solve

PHASED = BASE.replace("batch: 1}", "batch: 1, decode_power: 15 W}")


def test_decode_power_rises_with_the_batch_to_the_peak() -> None:
    # 300 W at batch 1 on a 700 W board, the peak at batch 128 (ML.ENERGY anchors)
    got = decode_power_w(np.array([1, 2, 128, 512]), 300.0, 70.0, 700.0)
    assert got == pytest.approx([300.0, 300.0 + 400.0 / 7, 700.0, 700.0])
    assert power_factor(np.array([1.0]), np.array([3.0]), np.array([1.0]), None, 5, 25) == 1.0


def test_candidate_energy_is_prefill_at_peak_plus_decode_at_decode_power() -> None:
    p = compile_problem(loads_scenario(PHASED))
    t_pre, t_step, service = _hand_worked()
    decode = 19 * t_step
    joules = (25.0 - 5.0) * t_pre + (15.0 - 5.0) * decode
    assert p.cand_dyn_energy_j[0] == pytest.approx(joules, rel=1e-12)
    assert p.cand_service_s[0] == pytest.approx(service, rel=1e-12)  # occupancy unchanged
    assert p.cand_power_factor[0] == pytest.approx(joules / (20.0 * service), rel=1e-12)
    # the evaluator charges the same: 1 request/s on the box (PUE 1)
    e = evaluate(p, solve(p, "milp").plan)
    assert e.dynamic_w == pytest.approx(joules, rel=1e-9)
    # and so does the simulator, at the constant nominal rate
    s = simulate(p, "static-peak", horizon_s=600.0, step_s=60.0, seed=0).summary
    static = e.static_w + e.network_w
    assert s.energy_j == pytest.approx((static + joules) * 600.0, rel=1e-6)


def test_without_decode_power_both_phases_draw_the_peak() -> None:
    p = compile_problem(loads_scenario(BASE))
    _, _, service = _hand_worked()
    assert p.cand_power_factor[0] == 1.0
    assert p.cand_dyn_energy_j[0] == pytest.approx(20.0 * service, rel=1e-12)


def test_decode_power_round_trips() -> None:
    s = loads_scenario(PHASED)
    assert s.hardware_by_name()["box"].llm.decode_power_w == 15.0  # type: ignore[union-attr]
    assert loads_scenario(dump_scenario(s)) == s
