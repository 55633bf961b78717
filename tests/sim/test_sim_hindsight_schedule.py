"""hindsight's cost-weighed choice of plans: the shortest path over (step, level plan)
checked by hand and by brute force, and on the engine against the hold rule."""

import itertools
from pathlib import Path

import numpy as np
import pytest

from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.problem.compile import compile_problem
from slimplace.sim import build_workload, simulate
from slimplace.sim.policies.hindsight import (
    HindsightError,
    HindsightPolicy,
    _step_cost_j,
    shortest_path,
    switch_cost_j,
)
from slimplace.sim.policy import Context

INF = np.inf

# Two plans: H (index 0), made for the peak, costs 10 per step and serves every step;
# L (index 1) costs 4 per step and serves only the dips. Going down costs 1 (a model
# load), coming back up 14 (waking the servers L switched off): a round trip costs 15
# and each step in L saves 6, so a dip is worth switching for from 3 steps on.
DOWN, UP, HIGH, LOW = 1.0, 14.0, 10.0, 4.0
SWITCH = np.array([[0.0, DOWN], [UP, 0.0]])


def _costs(dips: list[bool]) -> np.ndarray:
    return np.array([[HIGH, LOW if dip else INF] for dip in dips])


def test_a_short_dip_is_ridden_out_and_a_long_one_is_switched_for() -> None:
    # 3 busy, a 2-step dip (saves 12 < 15), 3 busy, a 5-step dip (saves 30 > 15), 3 busy
    dips = [False] * 3 + [True] * 2 + [False] * 3 + [True] * 5 + [False] * 3
    path, cost = shortest_path(_costs(dips), SWITCH)
    assert path.tolist() == [0] * 8 + [1] * 5 + [0] * 3
    # 11 steps in H, 5 in L, one round trip: 110 + 20 + 15
    assert cost == pytest.approx(145.0)


def test_the_break_even_dip_and_a_dip_at_the_end() -> None:
    # a 3-step dip saves 18 > 15: switch; 2 steps save 12 < 15: stay
    three = [False] * 2 + [True] * 3 + [False] * 2
    assert shortest_path(_costs(three), SWITCH)[0].tolist() == [0, 0, 1, 1, 1, 0, 0]
    # a dip that lasts to the end of the horizon never pays the way back: one step
    # saves 6 > 1, so even a 1-step dip at the end is switched for
    end = [False] * 3 + [True]
    path, cost = shortest_path(_costs(end), SWITCH)
    assert path.tolist() == [0, 0, 0, 1]
    assert cost == pytest.approx(3 * HIGH + DOWN + LOW)


def test_shortest_path_is_the_brute_force_optimum() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n, k = 6, 3
        step = rng.uniform(1.0, 10.0, size=(n, k))
        step[rng.random((n, k)) < 0.25] = INF
        step[:, 0] = rng.uniform(5.0, 10.0, size=n)  # state 0 always allowed
        switch = rng.uniform(0.0, 8.0, size=(k, k))
        np.fill_diagonal(switch, 0.0)
        path, cost = shortest_path(step, switch)
        best = min(
            sum(step[t, s[t]] for t in range(n)) + sum(switch[s[t - 1], s[t]] for t in range(1, n))
            for s in itertools.product(range(k), repeat=n)
        )
        assert cost == pytest.approx(best)
        walked = step[np.arange(n), path].sum() + switch[path[:-1], path[1:]].sum()
        assert walked == pytest.approx(cost)


STEP_S = 60.0
PROBLEM = compile_problem(tiny_scenario(16, seed=5, rate_scale=10.0), variants="all")
# full load 20 min, a 1-minute dip to 5 %, 20 min, a 30-minute dip, 20 min
SHAPE = [1.0] * 20 + [0.05] + [1.0] * 20 + [0.05] * 30 + [1.0] * 20
SHORT, LONG = 20, slice(41, 71)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    f: Path = tmp_path_factory.mktemp("trace") / "dips.csv"
    rows = (f"{i * STEP_S},{v}" for i, v in enumerate(SHAPE))
    f.write_text("time,value\n" + "\n".join(rows))
    n = len(SHAPE)
    wl = build_workload(PROBLEM, override=str(f), aligned=True).scaled_to_peak(n, STEP_S)
    peak, mean = wl.peak_and_mean(n, STEP_S)
    return Context(PROBLEM, STEP_S, n, peak, mean, wl)


def test_on_the_engine_the_short_dip_is_ridden_out_and_the_long_one_saves(
    context: Context,
) -> None:
    policy = HindsightPolicy()
    memory = policy.start(context, seed=0)
    plan = memory.step_plan
    peak_plan = int(plan[0])
    assert plan[SHORT] == peak_plan  # the 1-minute dip is not worth the switch
    assert (plan[LONG] != peak_plan).all()  # the 30-minute one is
    assert plan[-1] == peak_plan

    # why, by the policy's own costs: the short dip saves less than the round trip
    grid = policy._levels(context)
    keys = np.unique(grid.ceil, axis=0)
    step = _step_cost_j(context, memory.plans, keys, grid, policy.levels)
    switch = switch_cost_j(PROBLEM, memory.plans, STEP_S)
    low = int(plan[LONG][0])
    saving = step[SHORT, peak_plan] - step[SHORT].min()
    assert 0 < saving < switch[peak_plan, low] + switch[low, peak_plan]
    saving_long = (step[LONG, peak_plan] - step[LONG, low]).sum()
    assert saving_long > switch[peak_plan, low] + switch[low, peak_plan]

    # the engine's energy: no more than either hold rule, every request served in time
    def run(p: HindsightPolicy):  # type: ignore[no-untyped-def]
        n = context.n_steps
        wl = context.workload
        return simulate(PROBLEM, p, horizon_s=n * STEP_S, step_s=STEP_S, workload=wl).summary

    cost = run(policy)
    no_hold = run(HindsightPolicy(rule="hold", hold_s=0.0))  # switches at every dip
    hour = run(HindsightPolicy(rule="hold", hold_s=3600.0))  # fills both dips
    assert cost.served_fraction == pytest.approx(1.0)
    assert cost.slo_attainment >= 0.999
    assert cost.plan_energy_j <= no_hold.plan_energy_j
    assert cost.plan_energy_j < hour.plan_energy_j


def test_an_unknown_rule_is_named(context: Context) -> None:
    with pytest.raises(HindsightError, match="rule must be one of"):
        HindsightPolicy(rule="sometimes").start(context, seed=0)  # type: ignore[arg-type]
