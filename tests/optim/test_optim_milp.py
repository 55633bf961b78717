"""The MILP and its LP bound: formulation, objectives, curves, memory, bandwidth, status."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from slimplace.evaluate import evaluate, link_loads_bps
from slimplace.optim.costs import cost_model, objective_weights, plan_value
from slimplace.optim.formulation import build_formulation
from slimplace.optim.lp_bound import LpBoundSolver
from slimplace.optim.milp import MilpSolver
from slimplace.plan import Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import ModelFamily, PowerCurve, Scenario
from slimplace.testing import infeasible_problem, small_problem, tiny_scenario


@pytest.fixture(scope="module")
def small() -> CompiledProblem:
    return small_problem()


def _with_cloud_curve(scenario: Scenario) -> Scenario:
    """The tiny scenario whose cloud servers follow a measured, non-convex power curve
    (links unlimited, so that heavy load reaches the cloud)."""
    curve = PowerCurve((0.0, 0.2, 0.4, 0.5, 0.7, 1.0), (150.0, 260.0, 300.0, 340.0, 345.0, 450.0))
    hardware = tuple(
        replace(h, power_curve=curve) if h.name == "tiny-cloud" else h for h in scenario.hardware
    )
    links = tuple(replace(lk, bandwidth_bps=math.inf) for lk in scenario.links)
    return replace(scenario, hardware=hardware, links=links)


def _separate_models(scenario: Scenario, edge_memory_bytes: float) -> Scenario:
    """Every variant its own model (no weight sharing), and edge servers with little memory."""
    family = scenario.families[0]
    families = (
        ModelFamily(
            family.name,
            family.variants,
            weight_sharing=False,
            load_time_s=family.load_time_s,
            source="test",
        ),
    )
    hardware = tuple(
        replace(h, memory_bytes=edge_memory_bytes) if h.name == "tiny-edge" else h
        for h in scenario.hardware
    )
    return replace(scenario, families=families, hardware=hardware)


def test_objective_equals_evaluator_and_solver(small: CompiledProblem) -> None:
    plan = MilpSolver(time_limit_s=30).solve(small)
    ev = evaluate(small, plan)
    assert plan.status is Status.OPTIMAL and ev.feasible
    assert plan.objective == pytest.approx(ev.power_w, rel=1e-9)
    assert plan.info["solver_objective"] == pytest.approx(ev.power_w, rel=1e-7)
    assert plan.bound is not None and plan.bound <= plan.objective


def test_lp_bound_is_below_the_optimum_and_tight(small: CompiledProblem) -> None:
    lp = LpBoundSolver().solve(small)
    opt = MilpSolver().solve(small)
    assert lp.status is Status.OPTIMAL and lp.bound is not None and opt.objective is not None
    assert lp.bound <= opt.objective * (1 + 1e-9)
    assert lp.bound >= 0.95 * opt.objective  # link rows keep the relaxation close


def test_formulation_names_its_row_families(small: CompiledProblem) -> None:
    model = cost_model(small, objective_weights(small))
    f = build_formulation(small, model)
    assert {"cover", "cap", "avgacc", "curve_on", "curve_load", "sos_one", "sos_lam"} <= set(f.rows)
    assert f.rows["cover"].stop - f.rows["cover"].start == small.n_demands
    assert f.matrix.shape == (f.n_rows, f.n_cols)
    assert (f.integrality[f.cols["n"]] == 1).all() and (f.integrality[f.cols["x"]] == 0).all()


def test_power_curve_is_charged_exactly() -> None:
    problem = compile_problem(_with_cloud_curve(tiny_scenario(12, seed=4, rate_scale=300.0)))
    plan = MilpSolver().solve(problem)
    ev = evaluate(problem, plan)
    assert ev.feasible and plan.status is Status.OPTIMAL
    cloud = problem.node_ids.index("cloud")
    assert plan.servers_on[cloud] > 0  # the curve node is used
    assert plan.info["solver_objective"] == pytest.approx(ev.power_w, rel=1e-7)
    lp = LpBoundSolver().solve(problem)
    assert lp.bound is not None and lp.bound <= plan.objective * (1 + 1e-9)


def test_memory_of_loaded_models_is_respected() -> None:
    # 5 MB per edge server: the w0.25 (1.1 MB) and w0.5 (4.3 MB) models do not fit together
    scenario = _separate_models(tiny_scenario(10, seed=5, rate_scale=3.0), 5e6)
    problem = compile_problem(scenario)
    f = build_formulation(problem, cost_model(problem, objective_weights(problem)))
    assert "mem" in f.rows and "y" in f.cols
    plan = MilpSolver().solve(problem)
    ev = evaluate(problem, plan)
    assert ev.feasible, ev.violations
    used = plan.x > 1e-9
    for node in ("edge-0", "edge-1"):
        v = problem.node_ids.index(node)
        models = np.unique(
            problem.variant_model[problem.cand_variant[used & (problem.cand_node == v)]]
        )
        assert problem.model_memory_bytes[models].sum() <= 5e6


def test_unsplittable_demands_use_one_placement() -> None:
    scenario = tiny_scenario(8, seed=6, rate_scale=5.0)
    apps = tuple(replace(a, splittable=False) for a in scenario.applications)
    problem = compile_problem(replace(scenario, applications=apps))
    plan = MilpSolver().solve(problem)
    assert evaluate(problem, plan).feasible
    per_demand = np.bincount(problem.cand_demand[plan.x > 1e-9], minlength=problem.n_demands)
    assert (per_demand == 1).all()
    assert set(np.unique(plan.x)) <= {0.0, 1.0}


def test_bandwidth_binds_and_is_respected() -> None:
    scenario = tiny_scenario(6, seed=1, rate_scale=5.0)
    # dev-3 (classify, ~95 requests/s of 20 kB) gets a 10 Mbit/s link: a third must stay local
    narrow = tuple(
        replace(lk, bandwidth_bps=10e6) if lk.a == "dev-3" else lk for lk in scenario.links
    )
    problem = compile_problem(replace(scenario, links=narrow))
    f = build_formulation(problem, cost_model(problem, objective_weights(problem)))
    assert "bw" in f.rows
    plan = MilpSolver().solve(problem)
    assert plan.status is Status.OPTIMAL and evaluate(problem, plan).feasible
    loads = link_loads_bps(problem, problem.demand_rate_per_s[problem.cand_demand] * plan.x)
    link = next(i for i, lk in enumerate(problem.link_a) if problem.node_ids[lk] == "dev-3")
    assert loads[2 * link] == pytest.approx(10e6, rel=1e-6)  # dev-3's uplink is full
    loose = compile_problem(scenario)
    assert MilpSolver().solve(loose).objective < plan.objective


def test_carbon_and_mixed_objectives() -> None:
    scenario = tiny_scenario(12, seed=3, rate_scale=8.0)
    energy = compile_problem(scenario)
    carbon = compile_problem(
        replace(scenario, settings=replace(scenario.settings, objective="carbon"))
    )
    by_energy = MilpSolver().solve(energy)
    by_carbon = MilpSolver().solve(carbon)
    ev_e, ev_c = evaluate(energy, by_energy), evaluate(carbon, by_carbon)
    assert by_carbon.objective == pytest.approx(ev_c.carbon_g_per_h, rel=1e-9)
    assert ev_c.carbon_g_per_h <= ev_e.carbon_g_per_h * (1 + 1e-9)
    assert ev_e.power_w <= ev_c.power_w * (1 + 1e-9)
    mixed = MilpSolver(objective="mix", carbon_weight=2.0).solve(energy)
    ev_m = evaluate(energy, mixed)
    assert mixed.objective == pytest.approx(ev_m.power_w + 2.0 * ev_m.carbon_g_per_h, rel=1e-9)
    model = cost_model(energy, objective_weights(energy, "mix", 2.0))
    assert plan_value(energy, model, mixed.x, mixed.servers_on) == pytest.approx(mixed.objective)


def test_infeasible_problem_gets_infeasible_status() -> None:
    problem = infeasible_problem()
    assert MilpSolver().solve(problem).status is Status.INFEASIBLE
    assert LpBoundSolver().solve(problem).status is Status.INFEASIBLE


def test_generated_columns_reach_the_full_model(small: CompiledProblem) -> None:
    full = LpBoundSolver(columns="all").solve(small)
    gen = LpBoundSolver(columns="generated").solve(small)
    assert gen.bound == pytest.approx(full.bound, rel=1e-6)
    assert gen.info["generated_columns"] < small.n_candidates
    exact = MilpSolver(columns="all").solve(small)
    searched = MilpSolver(columns="generated", mip_gap=0.01).solve(small)
    assert evaluate(small, searched).feasible
    assert searched.bound is not None and searched.bound <= exact.objective * (1 + 1e-9)
    assert searched.objective <= exact.objective * 1.01 + 1e-9


def test_time_limit_is_kept_with_an_incumbent(small: CompiledProblem) -> None:
    plan = MilpSolver(time_limit_s=0.5, mip_gap=0.0).solve(small)
    assert plan.seconds < 3.0
    assert plan.status in (Status.OPTIMAL, Status.TIME_LIMIT, Status.FEASIBLE)
    assert evaluate(small, plan).feasible


def test_solves_write_nothing_to_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    # highspy.Highs() prints a banner from C++ unless logging is off before any call
    from slimplace.optim.highs import quiet_highs
    from slimplace.testing import tiny_scenario

    h = quiet_highs()
    assert h.getOptionValue("output_flag")[1] is False
    MilpSolver().solve(compile_problem(tiny_scenario(4, seed=1)))
    out, _err = capfd.readouterr()
    assert "HiGHS" not in out


def test_a_tiny_time_limit_gives_time_limit_and_the_warm_start_not_infeasible() -> None:
    from slimplace.evaluate import evaluate
    from slimplace.plan import Status
    from slimplace.testing import small_problem

    problem = small_problem()
    plan = MilpSolver(time_limit_s=1e-3).solve(problem)
    assert plan.status is Status.TIME_LIMIT
    assert evaluate(problem, plan).feasible  # greedy's plan, returned as the incumbent
    assert plan.seconds < 1.0


def test_milp_with_generated_columns_keeps_searching_until_the_gap_closes() -> None:
    """The MILP over the columns column generation kept stops above the gap here; the
    searches over the columns priced in by reduced-cost slack close it (no demand is
    splittable, so the bound is exact) and reach the optimum of the full model."""
    from dataclasses import replace

    from slimplace.plan import Status
    from slimplace.testing import small_problem

    p = small_problem(2, rate_per_source_per_s=(3.0, 60.0))
    p = replace(p, app_splittable=np.zeros_like(p.app_splittable))
    full = MilpSolver(columns="all", time_limit_s=60).solve(p)
    generated = MilpSolver(columns="generated", time_limit_s=60).solve(p)
    assert generated.status is Status.OPTIMAL and generated.info["restricted_searches"] >= 2
    assert generated.objective == pytest.approx(full.objective, rel=2e-4)
    assert generated.bound is not None and generated.bound <= full.objective * (1 + 1e-9)


def test_generated_columns_prove_a_splittable_optimum_with_the_whole_mip() -> None:
    """With splittable demands no restricted search's bound holds for the whole problem
    (a plan may send a small share anywhere). When the MIP over every candidate fits in
    the time left at the rate of the last search, it is searched, and its bound proves
    the optimum (before: 'feasible' after 7 widening searches, never proven)."""
    from slimplace.plan import Status
    from slimplace.topology import load_topology
    from slimplace.topology.realistic import generate_realistic

    scenario = generate_realistic(load_topology("zoo:Arpanet196912"), seed=0, name="arpanet")
    p = compile_problem(scenario)
    assert p.app_splittable[p.demand_app].any()
    full = MilpSolver(columns="all", time_limit_s=60).solve(p)
    generated = MilpSolver(columns="generated", time_limit_s=60).solve(p)
    assert full.status is Status.OPTIMAL
    assert generated.status is Status.OPTIMAL
    assert generated.objective == pytest.approx(full.objective, rel=2e-4)
    assert generated.bound is not None and generated.bound <= full.objective * (1 + 1e-9)
    assert evaluate(p, generated).feasible
