"""The simulator's batching and mode switches (slimplace.sim.batch_step), worked by hand.

``one_gpu``: 10 ms per inference at batch 1, batch 4 three and batch 8 five times the
throughput, 20 W idle / 120 W peak, M/D/1 (cv2 = 0), rho_max 0.7, mean SLO 100 ms.
At 200 req/s the plan takes batch 8 (2 ms per inference, 16 ms a batch). Its candidate
may spend on filling what the SLO leaves after network, compute and the M/D/1 wait at
rho_max: ``T = 0.1 - net - 0.016 - 0.7 x 0.016 / (2 x 0.3)``; the mean fill wait
``(b - 1) / (2 Lambda)`` must stay within it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from modes_scenarios import FAST, SLOW, one_gpu, one_node

from slimplace.evaluate import evaluate
from slimplace.optim.milp import MilpSolver
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.sim.engine import build_step_model, estimate_step
from slimplace.sim.records import COL
from slimplace.sim.state import SimState

STEP_S = 3600.0


def _batch8_plan() -> tuple[object, Plan, int]:
    p = compile_problem(one_gpu(0.1))
    plan = MilpSolver(time_limit_s=30).solve(p)
    (c,) = np.flatnonzero(plan.x > 0)
    assert p.cand_batch[c] == 8
    return p, plan, int(c)


def test_filled_batch_is_the_evaluators_and_worked_by_hand() -> None:
    """200 req/s fill batch 8: busy 200 x 2 ms = 0.4, power 20 + 100 x 0.4 = 60 W; latency
    net + 16 ms + M/D/1 0.4 x 16 / (2 x 0.6) = 5.33 ms + fill 7 / 400 s = 17.5 ms."""
    p, plan, c = _batch8_plan()
    rec = estimate_step(p, plan, step_s=STEP_S)
    r = rec.record
    net = float(p.cand_net_latency_s[c])
    assert r["power_w"] == pytest.approx(60.0, rel=1e-9)
    assert r["mean_latency_s"] == pytest.approx(net + 0.016 + 0.016 * 0.4 / 1.2 + 0.0175)
    assert r["mean_latency_s"] == pytest.approx(evaluate(p, plan).demand_latency_s[0], rel=1e-9)
    assert r["batch_unfilled"] == 0.0
    assert r["slo_met"] == pytest.approx(200.0 * STEP_S)


@pytest.mark.parametrize(
    ("rate", "batch", "power_w", "fill_s"),
    [
        # batch 4 fills in 3 / 60 = 50 ms < T (about 65 ms); 10/3 ms each: busy 0.1
        (30.0, 4, 30.0, 0.05),
        # batch 4 would wait 3 / 40 = 75 ms > T: batch 1, 10 ms each, busy 0.2
        (20.0, 1, 40.0, 0.0),
    ],
)
def test_unfilled_batch_falls_back_to_the_batch_the_traffic_fills(
    rate: float, batch: int, power_w: float, fill_s: float
) -> None:
    """The batch-8 plan at a rate that cannot fill batch 8 within T (7 / (2 rate) > T)."""
    p, plan, c = _batch8_plan()
    r = estimate_step(p, plan, rate_per_s=np.array([rate]), step_s=STEP_S).record
    service = 0.01 / {1: 1.0, 4: 3.0}[batch]
    busy = rate * service
    compute = batch * service
    wait = busy * compute / (2 * (1 - busy))  # M/D/1 on the batch (batch 1: the request)
    net = float(p.cand_net_latency_s[c])
    assert r["power_w"] == pytest.approx(power_w, rel=1e-9)
    assert r["max_utilisation"] == pytest.approx(busy, rel=1e-9)
    assert r["mean_latency_s"] == pytest.approx(net + compute + wait + fill_s, rel=1e-9)
    assert r["batch_unfilled"] == pytest.approx(rate * STEP_S)
    assert r["slo_met"] == pytest.approx(rate * STEP_S)  # the fallback meets the SLO


def _plan_in(p: object, mode_name: str) -> Plan:
    assert hasattr(p, "cand_mode")
    rows = [i for i, n in enumerate(p.mode_names) if n == mode_name]  # type: ignore[attr-defined]
    (c,) = np.flatnonzero((p.cand_mode == rows[0]) & (p.cand_batch == 1))  # type: ignore[attr-defined]
    x = np.zeros(p.n_candidates)  # type: ignore[attr-defined]
    x[c] = 1.0
    return Plan(x=x, servers_on=np.ones(p.n_nodes, dtype=np.int64), method="test")  # type: ignore[attr-defined]


def test_mode_switch_is_charged_once() -> None:
    """fast -> slow at 5 req/s: one switch of the node's one server, 40 J, and the step's
    requests arriving during the 2 s switch are late: 5 x 2 = 10 requests."""
    slow = dataclasses.replace(SLOW, switch_time_s=2.0, switch_energy_j=40.0)
    p = compile_problem(one_node(5.0, (FAST, slow)))
    m = build_step_model(p)
    state = SimState(m, STEP_S)
    g_node = p.region_carbon_g_per_kwh[m.node_region] / 3.6e6
    state.set_rates(p.demand_rate_per_s.copy(), changed=True)
    rows = []
    for i, mode in enumerate(("fast", "slow", "slow")):
        state.set_plan(_plan_in(p, mode))
        if i == 0:
            state.start_servers()
        state.advance_servers(g_node)
        row = np.zeros(len(COL))
        with np.errstate(all="ignore"):
            state.measure(row, p.region_carbon_g_per_kwh, g_node)
        rows.append(row)
        state.end_step()
    switches = [r[COL["mode_switches"]] for r in rows]
    assert switches == [0, 1, 0]
    assert rows[1][COL["mode_switch_j"]] == pytest.approx(40.0)
    assert rows[1][COL["late_transition"]] == pytest.approx(5.0 * 2.0)
    # 6.5 W in slow mode (5 + 15 x 0.05) over the step, plus the switch
    assert rows[1][COL["energy_j"]] == pytest.approx(6.5 * STEP_S + 40.0, rel=1e-9)
    assert rows[2][COL["energy_j"]] == pytest.approx(6.5 * STEP_S, rel=1e-9)


def test_support_value_is_plan_value() -> None:
    """The mode search's O(support) value equals the optimizers' plan value."""
    from modes_scenarios import two_cameras

    from slimplace.optim.costs import cost_model, objective_weights, plan_value
    from slimplace.optim.mode_search import support_value

    for scen in (two_cameras(True), one_node(5.0), one_gpu(0.1)):
        p = compile_problem(scen)
        model = cost_model(p, objective_weights(p))
        plan = MilpSolver(time_limit_s=30).solve(p)
        idx = np.flatnonzero(plan.x > 0)
        value, on = support_value(p, model, idx, plan.x[idx])
        assert value == pytest.approx(plan_value(p, model, plan.x, on), rel=1e-12)
