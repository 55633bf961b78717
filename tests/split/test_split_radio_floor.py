"""The device radio no plan avoids when a split candidate sends fewer bits than the raw
request (slimplace.energy.accounting.unavoidable_radio_j with ``cand_radio_delta_j``):
a hand-worked single-demand case, and totals unchanged on the examples."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from slimplace.catalog import load_catalog
from slimplace.energy import accounting
from slimplace.energy.radio import radio_energy_j
from slimplace.evaluate import evaluate
from slimplace.optim.costs import cost_model, objective_weights, plan_value
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
    Source,
    Variant,
)
from slimplace.sim.engine import estimate_step
from slimplace.solve import solve

ROOT = Path(__file__).resolve().parents[2]
RATE = 2.0
UP_BITS, DOWN_BITS = 8 * 100e3, 8 * 1e3


def _phone_and_antenna() -> Scenario:
    """A phone without hardware on 4G (LTE radio) under an antenna site with an edge box:
    one demand, no local candidate, one whole-model candidate at the antenna."""
    cat = load_catalog()
    box = HardwareProfile(
        "box", "edge", 1e12, 4e9, idle_power_w=10.0, peak_power_w=30.0, sleep_power_w=1.0
    )
    k4g = cat.link_kinds["4g"]
    app = Application("app", "fam", (Source("phone", RATE),), UP_BITS / 8, DOWN_BITS / 8, 10.0)
    return Scenario(
        name="radio-floor",
        nodes=(
            Node("phone", "device", region="A"),
            Node("antenna", "edge", "box", count=2, region="A"),
        ),
        links=(
            Link("phone", "antenna", "4g", k4g.bandwidth_bps, k4g.latency_s, k4g.energy_j_per_bit),
        ),
        hardware=(box,),
        link_kinds=(k4g,),
        families=(ModelFamily("fam", (Variant("v", 0.7, 2e9, 1e6, 1e7),)),),
        applications=(app,),
        regions=(Region("A", 100.0),),
        settings=Settings(default_region="A", network_energy="power-model"),
    )


def _with_half_bit_split(p: CompiledProblem) -> CompiledProblem:
    """``p`` with a copy of its one candidate made a split candidate that sends half the
    request's bits (no head compute): its route energy is that of its bits, its radio its
    demand's plus ``cand_radio_delta_j`` = (alpha_up + beta / R) x (-UP / 2) (Huang et al.
    2012, linear in the bits sent), carried in ``cand_extra_j`` as the split module does."""
    assert p.n_candidates == 1
    lte = p.radio_models[int(p.demand_radio[0])]
    per_bit = lte.uplink_j_per_bit + lte.active_w / p.demand_access_bps[0]
    delta = per_bit * (UP_BITS / 2 - UP_BITS)
    route_j_per_bit = (p.cand_net_energy_j[0] - p.cand_radio_j[0]) / (UP_BITS + DOWN_BITS)
    fields = {
        name: np.concatenate([a, a[:1]])
        for name in p.__dataclass_fields__
        if name.startswith("cand_") and len(a := getattr(p, name)) == 1
    }
    fields["cand_cut"][1] = 0
    fields["cand_request_bits"][1] = UP_BITS / 2
    fields["cand_net_energy_j"][1] = (UP_BITS / 2 + DOWN_BITS) * route_j_per_bit + p.cand_radio_j[0]
    fields["cand_radio_delta_j"][1] = delta
    fields["cand_extra_j"][1] += delta
    return replace(p, demand_ptr=np.array([0, 2]), **fields)


def _plan(p: CompiledProblem, cand: int) -> Plan:
    plan = plan_from_choice(p, np.array([cand]), f"cand-{cand}")
    return replace(plan, servers_on=np.array([0, 1], dtype=np.int64))


@pytest.fixture(scope="module")
def hand() -> CompiledProblem:
    return _with_half_bit_split(compile_problem(_phone_and_antenna()))


def test_the_fixed_radio_is_that_of_the_split_candidates_bits(hand: CompiledProblem) -> None:
    p = hand
    lte = p.radio_models[int(p.demand_radio[0])]
    access = p.demand_access_bps[0]
    whole = float(radio_energy_j(lte, UP_BITS, DOWN_BITS, access, RATE))
    half = float(radio_energy_j(lte, UP_BITS / 2, DOWN_BITS, access, RATE))
    assert p.cand_radio_j.tolist() == pytest.approx([whole, whole], rel=1e-12)
    assert accounting.unavoidable_radio_j(p)[0] == pytest.approx(half, rel=1e-12)
    assert accounting.unavoidable_radio_w(p)[0] == pytest.approx(RATE * half, rel=1e-12)
    # without the delta (the accounting before): the raw request's radio
    flat = replace(p, cand_radio_delta_j=np.zeros(2))
    assert accounting.unavoidable_radio_j(flat)[0] == pytest.approx(whole, rel=1e-12)


@pytest.mark.parametrize("rate_scale", [0.01, 1.0, 30.0])
def test_the_radio_part_scales_with_the_rate_and_the_delta_does_not(
    hand: CompiledProblem, rate_scale: float
) -> None:
    p = hand
    lte = p.radio_models[int(p.demand_radio[0])]
    rate = p.demand_rate_per_s * rate_scale
    half = radio_energy_j(lte, UP_BITS / 2, DOWN_BITS, p.demand_access_bps[0], rate[0])
    assert accounting.unavoidable_radio_at(p, rate)[0] == pytest.approx(half, rel=1e-12)
    # the simulator passes its nominal floor and its radio at the rates: same answer
    floor = accounting.unavoidable_radio_j(p)
    at = accounting.unavoidable_radio_at(p, rate, floor_j=floor, radio_j=p.demand_radio_j(rate))
    assert at[0] == pytest.approx(half, rel=1e-12)
    fixed_servers, baseload = 2 * 1.0, 200.0  # edge box asleep; the 4G site's baseload
    expected = fixed_servers + baseload + rate[0] * half
    for cand in (0, 1):
        e = evaluate(p, _plan(p, cand), rate_per_s=rate)
        r = estimate_step(p, _plan(p, cand), rate_per_s=rate, step_s=60.0).record
        assert e.fixed_w == pytest.approx(expected, rel=1e-12)
        assert r["fixed_w"] == pytest.approx(expected, rel=1e-12)


def test_evaluator_cost_model_and_simulator_agree(hand: CompiledProblem) -> None:
    p = hand
    weights = objective_weights(p, "energy")
    cm = cost_model(p, weights)
    delta = float(p.cand_radio_delta_j[1])
    plans = [_plan(p, 0), _plan(p, 1)]
    evals = [evaluate(p, q) for q in plans]
    flat = replace(p, cand_radio_delta_j=np.zeros(2))
    for q, e in zip(plans, evals, strict=True):
        assert e.feasible
        assert e.fixed_w == pytest.approx(cm.constant, rel=1e-12)
        assert e.fixed_w + e.plan_w == pytest.approx(e.power_w, rel=1e-12)
        assert e.plan_w == pytest.approx(sum(e.breakdown_w.values()), rel=1e-12)
        assert plan_value(p, cm, q.x, q.servers_on) == pytest.approx(e.power_w, rel=1e-12)
        record = estimate_step(p, q, step_s=60.0).record
        assert record["fixed_w"] == pytest.approx(e.fixed_w, rel=1e-12)
        # totals unchanged; the radio the split avoids moves from plan-dependent to fixed
        before = evaluate(flat, q)
        assert e.power_w == pytest.approx(before.power_w, rel=1e-12)
        assert before.fixed_w - e.fixed_w == pytest.approx(-RATE * delta, rel=1e-9)
    whole, split = evals
    # the split plan pays no avoidable radio; the whole model pays what the split saves
    assert split.breakdown_w["device_radio"] == pytest.approx(0.0, abs=1e-9)
    assert whole.breakdown_w["device_radio"] == pytest.approx(-RATE * delta, rel=1e-9)
    assert min(cm.cand_cost) >= 0.0


@pytest.mark.parametrize("example", ["split.yaml", "demo.yaml"])
@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_totals_unchanged_on_the_examples(example: str, method: str) -> None:
    p = compile_problem(load_scenario(ROOT / "examples" / example))
    plan = solve(p, method).plan
    e = evaluate(p, plan)
    before = evaluate(replace(p, cand_radio_delta_j=np.zeros(p.n_candidates)), plan)
    assert e.power_w == pytest.approx(before.power_w, rel=1e-12)
    assert e.fixed_w <= before.fixed_w + 1e-9
    weights = objective_weights(p, "energy")
    assert e.fixed_w == pytest.approx(cost_model(p, weights).constant, rel=1e-12)
    record = estimate_step(p, plan, step_s=60.0).record
    assert record["fixed_w"] == pytest.approx(e.fixed_w, rel=1e-12)
