"""Scenario CONT through the engine: the fast paths of the step loop against from-scratch
computations (placement, incremental loads, the per-step measurement)."""

import numpy as np
import pytest

from slimplace.benchmarks.cont_continuum import cont_problem, leaf_s_mean_power_w
from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.plan import Plan, node_busy_s_per_s, servers_needed
from slimplace.problem.compile import compile_problem
from slimplace.sim import simulate
from slimplace.sim.engine import estimate_step
from slimplace.sim.policies.continuum import (
    ContinuumFirstPolicy,
    TierIndex,
    first_fit,
    place_in_order,
)
from slimplace.sim.records import COL
from slimplace.sim.state import SimState, late_probability


class _Sink:
    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []

    def write(self, block: np.ndarray) -> None:
        self.rows.append(block.copy())

    def close(self) -> None:
        pass


def _sequential_first_fit(node, load, residual):
    residual = residual.copy()
    out = np.zeros(len(node), dtype=bool)
    for i, (v, ld) in enumerate(zip(node, load, strict=True)):
        if ld <= residual[v] * (1 + 1e-12) + 1e-12:
            residual[v] -= ld
            out[i] = True
    return out, residual


@pytest.mark.parametrize("seed", range(40))
def test_first_fit_is_sequential_on_crowded_nodes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_nodes = int(rng.integers(1, 30))
    n = int(rng.integers(1, 300))
    node = rng.integers(0, n_nodes, n)
    grid = seed % 2 == 0  # multiples of 1/8 (exact sums) or arbitrary floats
    load = rng.integers(0, 17, n) / 8.0 if grid else rng.random(n) * 2.0
    residual = rng.integers(0, 40, n_nodes) / 4.0 if grid else rng.random(n_nodes) * 6.0
    want, want_res = _sequential_first_fit(node, load, residual)
    got_res = residual.copy()
    got = first_fit(node, load, got_res)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_res, want_res, rtol=1e-12, atol=1e-12)


def test_first_fit_accepts_everything_that_fits() -> None:
    residual = np.array([3.0, 1.0])
    got = first_fit(np.array([0, 1, 0]), np.array([1.0, 1.0, 2.0]), residual)
    assert got.all()
    np.testing.assert_allclose(residual, [0.0, 0.0], atol=1e-12)


def _tiered_reference(cand, local, load, residual, tiers):
    """Tier by tier, items in order (tiers have disjoint nodes); the rest overflow."""
    residual = residual.copy()
    n, n_tiers = cand.shape
    chosen = np.full(n, -1)
    for t in range(n_tiers):
        for i in range(n):
            if chosen[i] >= 0 or cand[i, t] < 0:
                continue
            v = tiers.nodes[t][local[i, t]]
            if load[i, t] <= residual[v] * (1 + 1e-12) + 1e-12:
                residual[v] -= load[i, t]
                chosen[i] = cand[i, t]
    for i in range(n):
        for t in range(n_tiers - 1, -1, -1):
            if chosen[i] < 0 and cand[i, t] >= 0:
                chosen[i] = cand[i, t]
                residual[tiers.nodes[t][local[i, t]]] -= load[i, t]
    return chosen, residual


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("scattered", [False, True])
def test_place_in_order_is_tier_by_tier_first_fit(seed: int, scattered: bool) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, 3)
    perm = rng.permutation(sizes.sum()) if scattered else np.arange(sizes.sum())
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    nodes = tuple(np.sort(perm[bounds[t] : bounds[t + 1]]) for t in range(3))
    local = np.full(sizes.sum(), -1)
    for members in nodes:
        local[members] = np.arange(len(members))
    tiers = TierIndex(
        nodes,
        local,
        tuple(slice(int(m[0]), int(m[-1]) + 1) for m in nodes),
        tuple(int(m[-1]) - int(m[0]) + 1 != len(m) for m in nodes),
    )
    n = int(rng.integers(1, 120))
    item_local = np.column_stack([rng.integers(0, s, n) for s in sizes])
    cand = np.arange(3 * n).reshape(n, 3) + 1000
    complete = seed % 3 == 0
    if not complete:
        cand[rng.random((n, 3)) < 0.25] = -1
    item_local[cand < 0] = -1
    load = rng.integers(1, 9, (n, 3)) / 4.0
    residual = rng.integers(0, 20, sizes.sum()) / 2.0
    want, want_res = _tiered_reference(cand, item_local, load, residual, tiers)
    got_res = residual.copy()
    got = place_in_order(cand, item_local, load, got_res, tiers, complete=complete)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_res, want_res, atol=1e-12)


def _run_with_plans(size: str, steps: int, seed: int = 0):
    """CONT ``size``: the per-step records, and at every step the plan and node loads."""
    p = cont_problem(size)
    plans, busy = [], []
    original = SimState.end_step

    def spy(self):
        plans.append(Plan(self.plan_x(), self.target.copy(), "spy"))
        fresh = np.bincount(self.e_node, weights=self.e_flow * self.e_svc, minlength=len(self.busy))
        busy.append((self.busy.copy(), fresh))
        original(self)

    SimState.end_step = spy  # type: ignore[method-assign]
    try:
        sink = _Sink()
        res = simulate(
            p, ContinuumFirstPolicy(), horizon_s=steps, step_s=1.0, seed=seed, records=sink
        )
    finally:
        SimState.end_step = original  # type: ignore[method-assign]
    return p, res, np.concatenate(sink.rows), plans, busy


@pytest.mark.parametrize(("size", "steps"), [("S", 60), ("M", 12)])
def test_every_step_measures_the_whole_state_as_from_scratch(size: str, steps: int) -> None:
    p, res, rows, plans, busy = _run_with_plans(size, steps)
    assert len(plans) == steps
    churned = round(0.1 * p.n_demands)
    for t in range(steps):
        incremental, fresh = busy[t]
        np.testing.assert_allclose(incremental, fresh, rtol=1e-12, atol=1e-12)
        if t:  # a tenth of the apps picked a width and were re-placed, the rest stayed
            moved = np.count_nonzero(plans[t].x != plans[t - 1].x) // 2
            assert 0 < moved <= churned
        est = estimate_step(p, plans[t], step_s=1.0).record
        for col in ("power_w", "dynamic_w", "network_w", "served", "slo_met", "slo_ok"):
            assert rows[t, COL[col]] == pytest.approx(est[col], rel=1e-9), (t, col)
        assert rows[t, COL["p95_latency_s"]] == pytest.approx(est["p95_latency_s"], rel=1e-9)
    assert res.summary.steps == steps


def test_cont_s_energy_is_the_benchmark_figure() -> None:
    """`python benchmarks/sim_cont.py S 60`: 15.571 Wh, 934.3 W per step (LEAF: 15.7 Wh over
    61 readings, 926.6 W per reading)."""
    p = cont_problem("S")
    res = simulate(p, ContinuumFirstPolicy(churn=0.1), horizon_s=60, step_s=1.0, seed=0)
    assert res.summary.energy_j / 3600.0 == pytest.approx(15.571, abs=5e-4)
    assert res.summary.energy_j / 60 == pytest.approx(934.3, abs=0.05)
    assert leaf_s_mean_power_w() == pytest.approx(926.56, abs=0.01)


def _spread_plan(p, rng, tiers):
    """Every demand on random candidates of the given tiers, with servers for the load."""
    ok = np.isin(p.node_tier[p.cand_node], tiers)
    w = rng.random(p.n_candidates) * ok
    x = (
        w
        / np.maximum(np.bincount(p.cand_demand, weights=w, minlength=p.n_demands), 1e-300)[
            p.cand_demand
        ]
    )
    on = servers_needed(p, node_busy_s_per_s(p, x))
    return Plan(x, np.where(p.node_always_on, p.node_count, on), "test")


@pytest.mark.parametrize("case", ["cont", "tiny"])
def test_slo_probability_is_the_tail_formula(case: str) -> None:
    """The step's requests within the SLO are served minus the M/G/1 tail probability
    (:func:`late_probability`) summed over the placed traffic: moderate tails (tiny) and
    tails far below 1e-300 (CONT, where the engine floors the exponent)."""
    rng = np.random.default_rng(3)
    if case == "cont":
        p = cont_problem("S")
        plan = _spread_plan(p, rng, [2, 3])  # metro or cloud
    else:
        p = compile_problem(tiny_scenario(8, seed=2), variants="all")
        plan = _spread_plan(p, rng, [0, 1, 2, 3])
    rate = p.demand_rate_per_s * rng.uniform(0.5, 1.0, p.n_demands)
    s = estimate_step(p, plan, rate_per_s=rate, step_s=1.0)
    c = np.flatnonzero(plan.x > 1e-12)
    util = s.node_utilisation[p.cand_node[c]]
    assert util.max() < 1.0
    wait = util * p.cand_service_s[c] * (1 + p.service_cv2) / 2 / (1 - util)
    budget = p.demand_slo_s[p.cand_demand[c]] - p.cand_net_latency_s[c] - p.cand_compute_s[c]
    late = late_probability(util, wait, budget)
    flow = rate[p.cand_demand[c]] * plan.x[c]
    if case == "tiny":
        assert 1e-6 < float(flow @ late) / flow.sum() < 0.5  # tails that matter
    assert s.record["slo_ok"] == pytest.approx(float(flow @ (1.0 - late)), rel=1e-12)
