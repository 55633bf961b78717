"""static-peak, predictive and hindsight policies, the plan-energy lower bound, the
online benchmark and the simulate command with the new policies."""

import json
import math
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import save_scenario
from slimplace.sim import build_workload, default_policies, simulate
from slimplace.sim.bounds import energy_per_request_floor_j, plan_energy_lower_bound
from slimplace.sim.policies.hindsight import HindsightError, HindsightPolicy, regret_pct
from slimplace.testing import check_policy, tiny_scenario

REGISTRY = default_policies()
SCENARIO = tiny_scenario(16, seed=5, rate_scale=10.0)  # peak load needs several servers
PROBLEM = compile_problem(SCENARIO, variants="all")
STEP_S = 1800.0
N = 96  # two days


def _trace(tmp_path: Path) -> Path:
    """A two-day trace: a daily cycle from 10 % to 100 % with a ramp, in seconds."""
    t = np.arange(0, 2 * 86400, 900)
    hour = t / 3600.0 % 24
    v = 0.1 + 0.9 * np.clip(np.sin(np.pi * (hour - 4) / 20), 0, 1) ** 2
    f = tmp_path / "trace.csv"
    f.write_text("time,value\n" + "\n".join(f"{a},{b:.6f}" for a, b in zip(t, v, strict=True)))
    return f


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    trace = _trace(tmp_path_factory.mktemp("trace"))
    wl = build_workload(PROBLEM, override=str(trace), aligned=True).scaled_to_peak(N, STEP_S)
    out: dict[str, object] = {"workload": wl}
    for name in ("static", "static-peak", "reactive", "predictive", "hindsight"):
        out[name] = simulate(
            PROBLEM, REGISTRY.create(name), horizon_s=N * STEP_S, step_s=STEP_S, workload=wl
        ).summary
    return out


@pytest.mark.parametrize("name", ["static-peak", "predictive", "hindsight"])
def test_new_policies_pass_the_policy_contract(name: str) -> None:
    check_policy(REGISTRY.create(name))


def test_static_peak_is_the_static_peak_plan(runs: dict) -> None:
    a, b = runs["static"], runs["static-peak"]
    assert b.policy == "static-peak"
    assert b.energy_j == pytest.approx(a.energy_j, rel=1e-12)
    assert b.wake_ups == 0 and b.moves == 0


def test_hindsight_serves_everything_and_is_no_worse_than_static_peak(runs: dict) -> None:
    h, s = runs["hindsight"], runs["static-peak"]
    assert h.served_fraction == pytest.approx(1.0)
    assert h.slo_attainment > 0.99
    # the load falls to 10 % of the peak: plans for less load use fewer servers
    assert h.plan_energy_j < 0.9 * s.plan_energy_j
    assert h.policy_report["plans_solved"] <= HindsightPolicy().levels + 1


def test_lower_bound_holds_for_every_policy_that_serves_all(runs: dict) -> None:
    bound = plan_energy_lower_bound(PROBLEM, runs["workload"], n_steps=N, step_s=STEP_S)
    assert bound > 0
    for name in ("static-peak", "reactive", "predictive", "hindsight"):
        s = runs[name]
        assert s.served_fraction == pytest.approx(1.0)
        assert s.plan_energy_j >= bound, name


def test_energy_floor_per_request_is_the_cheapest_candidate() -> None:
    p = PROBLEM
    floor = energy_per_request_floor_j(p)
    slope = p.node_peak_w - p.node_idle_w
    for d in range(p.n_demands):
        c = np.flatnonzero(p.cand_demand == d)
        cost = (
            p.node_pue[p.cand_node[c]] * p.cand_service_s[c] * slope[p.cand_node[c]]
            + p.cand_net_energy_j[c]
            - p.cand_radio_j[c]
            + p.cand_extra_j[c]
        )
        assert floor[d] == pytest.approx(max(cost.min(), 0.0), rel=1e-12)


def test_predictive_reports_forecast_error_and_serves_the_load(runs: dict) -> None:
    s = runs["predictive"]
    report = s.policy_report
    assert 0 <= report["forecast_mape"] < 1 and report["forecast_scored_values"] > 0
    assert report["share_seasonal_naive"] + report["share_damped_trend"] == pytest.approx(1)
    assert s.slo_attainment > 0.99
    assert report["placements_adopted"] >= 1
    # static-peak's plan is consolidated too (closing search): 5.52 kWh, predictive 5.04,
    # hindsight 4.95 on this trace (the load falls to 10 % of the peak)
    assert s.plan_energy_j < 0.95 * runs["static-peak"].plan_energy_j
    assert s.plan_energy_j < 1.1 * runs["hindsight"].plan_energy_j
    assert report["placement_solves"] <= 2 * (HindsightPolicy().levels + 1)  # plans reused


def test_hysteresis_is_relative_to_what_the_plan_controls() -> None:
    from slimplace.evaluate import evaluate
    from slimplace.methods import default_registry

    e = evaluate(PROBLEM, default_registry().create("greedy").solve(PROBLEM))
    assert e.plan_objective("energy") == e.plan_w < e.power_w
    assert e.plan_objective("carbon") == pytest.approx(
        e.objective("carbon") - e.carbon_fixed_g_per_h - e.embodied_fixed_g_per_h
    )


def test_hindsight_needs_the_future() -> None:
    from slimplace.sim.policy import Context

    ctx = Context(PROBLEM, STEP_S, 4, PROBLEM.demand_rate_per_s, PROBLEM.demand_rate_per_s)
    with pytest.raises(HindsightError, match="whole load"):
        HindsightPolicy().start(ctx, seed=0)


def test_regret() -> None:
    assert regret_pct(110.0, 100.0) == pytest.approx(10.0)
    assert math.isnan(regret_pct(1.0, 0.0))


def test_online_benchmark_json(
    tmp_path: Path, benchmark_script: Callable[[str], ModuleType]
) -> None:
    main = benchmark_script("online").main
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    out = tmp_path / "out.json"
    code = main(
        [
            str(scenario),
            "--trace",
            str(_trace(tmp_path)),
            "--horizon",
            "1d",
            "--step",
            "1h",
            "--json",
            str(out),
            "--policies",
            "static-peak,reactive,predictive,hindsight",
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert set(doc["policies"]) == {"static-peak", "reactive", "predictive", "hindsight"}
    for row in doc["policies"].values():
        assert {
            "energy_kwh",
            "plan_energy_kwh",
            "slo_attainment",
            "mean_accuracy",
            "switches",
            "wakeups",
            "seconds",
            "regret_pct",
        } <= set(row)
    assert doc["policies"]["hindsight"]["regret_pct"] == 0.0
    assert doc["hindsight_energy_kwh"] == doc["policies"]["hindsight"]["energy_kwh"]
    assert doc["plan_energy_lower_bound_kwh"] <= doc["hindsight_plan_energy_kwh"]
    assert doc["fixed_kwh"] > 0


def test_online_benchmark_bad_trace_exits_2(
    tmp_path: Path, benchmark_script: Callable[[str], ModuleType]
) -> None:
    main = benchmark_script("online").main
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n0,1\n60,-3\n")
    assert main([str(scenario), "--trace", str(bad), "--json", str(tmp_path / "o.json")]) == 2
    good = _trace(tmp_path)
    assert main([str(scenario), "--trace", str(good), "--horizon", "7 parsecs"]) == 2
    assert main([str(scenario), "--trace", str(tmp_path / "missing.csv")]) == 2


@pytest.mark.parametrize("policy", ["static-peak", "predictive", "hindsight"])
def test_simulate_command_runs_the_new_policies(tmp_path: Path, policy: str) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    out = tmp_path / policy
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(scenario),
            "--policy",
            policy,
            "--horizon",
            "12h",
            "--step",
            "30min",
            "--trace",
            "diurnal",
            "--out",
            str(out),
            "--no-plots",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"] == policy and summary["served_fraction"] > 0.99


def test_the_bound_counting_the_radio_is_at_least_the_radio_free_floor(runs: dict) -> None:
    wl = runs["workload"]
    bound = plan_energy_lower_bound(PROBLEM, wl, n_steps=N, step_s=STEP_S)
    _, mean = wl.peak_and_mean(N, STEP_S)
    radio_free = float(mean * N * STEP_S @ energy_per_request_floor_j(PROBLEM))
    assert bound >= radio_free * (1 - 1e-12)


def _cover(cand_demand: list[int], cand_node: list[int], n_demands: int):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    n_nodes = max(cand_node) + 1
    return SimpleNamespace(
        cand_demand=np.array(cand_demand),
        cand_node=np.array(cand_node),
        n_demands=n_demands,
        node_wake_time_s=np.full(n_nodes, 30.0),
        node_pue=np.ones(n_nodes),
        node_wake_energy_j=np.full(n_nodes, 1e9),  # waking never cheaper than being on
        node_sleep_w=np.zeros(n_nodes),
        node_elastic=np.zeros(n_nodes, dtype=bool),
    )


def test_server_bound_is_the_facility_location_lp_hand_worked() -> None:
    from slimplace.sim.bounds import _facility_lp_w

    sw = np.ones(3, dtype=bool)
    # a triangle: each node serves two of three demands at 1 W; integer optimum 2 W,
    # LP optimum 1.5 W (every y = 1/2)
    p = _cover([0, 0, 1, 1, 2, 2], [0, 2, 0, 1, 1, 2], 3)
    on_w = np.ones(3)
    assert _facility_lp_w(p, 60.0, on_w, sw, active=np.ones(3, bool)) == pytest.approx(1.5)
    # with y binary (HiGHS's dual bound after solving to optimality): 2 W
    integer = _facility_lp_w(p, 60.0, on_w, sw, active=np.ones(3, bool), integer_s=5.0)
    assert integer == pytest.approx(2.0)
    # one shared node (1 W) against two private ones (0.6 W each): 1 W
    p = _cover([0, 0, 1, 1], [0, 1, 0, 2], 2)
    cost = np.array([1.0, 0.6, 0.6])
    assert _facility_lp_w(p, 60.0, cost, sw, active=np.ones(2, bool)) == pytest.approx(1.0)
    # a demand its own device can serve needs no server
    free = np.array([True, True, False])
    assert _facility_lp_w(p, 60.0, cost, free, active=np.ones(2, bool)) == pytest.approx(0.6)


def test_periodic_reuses_a_plan_per_rounded_load(runs: dict) -> None:
    wl = runs["workload"]
    policy = REGISTRY.create("periodic", period_s=STEP_S)  # due every step: 96 periods
    s = simulate(PROBLEM, policy, horizon_s=N * STEP_S, step_s=STEP_S, workload=wl).summary
    assert s.served_fraction == pytest.approx(1.0)
    # headroom 15 %: levels up to ceil(20 x 1.15) = 23, one solve each at most
    assert 0 < s.policy_report["placement_solves"] <= 24


def test_hindsight_solves_at_most_levels_plus_one_plans_when_sources_are_out_of_step() -> None:
    # per-source phases and noise, each source's peak at its scenario rate
    wl = build_workload(PROBLEM, override="diurnal", seed=3).scaled_to_peak(N, STEP_S)
    policy = HindsightPolicy(levels=10, max_plans=8)
    s = simulate(PROBLEM, policy, horizon_s=N * STEP_S, step_s=STEP_S, workload=wl).summary
    assert s.policy_report["coarse_levels"] == 1.0
    assert s.policy_report["plans_solved"] <= 11
    assert s.served_fraction == pytest.approx(1.0)
