"""The greedy heuristic and relax-and-round: feasible, floors kept, close to the optimum."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import MilpSolver
from slimplace.optim.relax_round import LpRoundSolver
from slimplace.placement.baselines import cloud_only
from slimplace.plan import Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import ModelFamily
from slimplace.testing import small_problem, tiny_scenario


@pytest.fixture(scope="module")
def small() -> CompiledProblem:
    return small_problem()


@pytest.mark.parametrize("solver", [GreedySolver(), LpRoundSolver()], ids=["greedy", "lp-round"])
def test_heuristics_are_feasible_and_near_optimal(
    solver: GreedySolver, small: CompiledProblem
) -> None:
    plan = solver.solve(small)
    ev = evaluate(small, plan)
    assert plan.status is Status.FEASIBLE and ev.feasible, ev.violations
    assert plan.objective == pytest.approx(ev.power_w, rel=1e-9)
    optimum = MilpSolver().solve(small).objective
    assert optimum is not None and plan.objective <= 1.10 * optimum
    assert plan.objective < evaluate(small, cloud_only(small)).power_w


def test_average_floors_hold_and_allow_cheaper_variants(small: CompiledProblem) -> None:
    plan = GreedySolver().solve(small)
    ev = evaluate(small, plan)
    avg = np.nonzero(small.app_average)[0]
    assert (ev.app_accuracy[avg] >= small.app_floor[avg] - 1e-6).all()
    used = plan.x > 0
    below = used & (small.cand_accuracy < small.app_floor[small.demand_app[small.cand_demand]])
    assert below.any()  # some traffic runs below the floor, made up elsewhere


def test_memory_and_bandwidth_limits_are_repaired() -> None:
    scenario = tiny_scenario(10, seed=5, rate_scale=3.0)
    family = scenario.families[0]
    separate = (ModelFamily(family.name, family.variants, weight_sharing=False, source="test"),)
    hardware = tuple(
        replace(h, memory_bytes=5e6) if h.name == "tiny-edge" else h for h in scenario.hardware
    )
    links = tuple(
        replace(lk, bandwidth_bps=4e6) if lk.a == "dev-7" else lk for lk in scenario.links
    )
    problem = compile_problem(replace(scenario, families=separate, hardware=hardware, links=links))
    for solver in (GreedySolver(), LpRoundSolver()):
        plan = solver.solve(problem)
        ev = evaluate(problem, plan)
        assert ev.feasible, (type(solver).__name__, ev.violations)


def test_same_seed_same_plan_and_a_short_limit_still_plans(small: CompiledProblem) -> None:
    a = GreedySolver().solve(small, seed=3)
    b = GreedySolver().solve(small, seed=3)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.servers_on, b.servers_on)
    quick = GreedySolver(time_limit_s=0.05).solve(small)
    assert evaluate(small, quick).feasible  # timing belongs to benchmarks/time_limit.py


def test_greedy_reports_infeasible_when_capacity_is_short() -> None:
    scenario = tiny_scenario(6, seed=1, rate_scale=3e4)
    links = tuple(replace(lk, bandwidth_bps=float("inf")) for lk in scenario.links)
    problem = compile_problem(replace(scenario, links=links))
    plan = GreedySolver().solve(problem)
    assert plan.status is Status.INFEASIBLE and "could not be placed" in plan.reason


def test_arc_loads_match_the_evaluator(small: CompiledProblem) -> None:
    from slimplace.evaluate import link_loads_bps
    from slimplace.optim.arcs import arc_loads_bps

    x = GreedySolver().solve(small).x
    used = np.flatnonzero(x)
    expected = link_loads_bps(small, small.demand_rate_per_s[small.cand_demand] * x)
    assert np.allclose(arc_loads_bps(small, used, x[used]), expected, rtol=1e-9, atol=1e-3)
