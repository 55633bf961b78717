"""The public contract suite, run over every registered method (baselines included)."""

from __future__ import annotations

import numpy as np
import pytest

from slimplace.methods import default_registry
from slimplace.placement.registry import FunctionSolver, Registry
from slimplace.plan import Plan, Status, plan_from_choice
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.testing import (
    check_deterministic,
    check_exact_not_worse,
    check_feasible,
    check_infeasible,
    check_method,
    check_reported_objective,
    infeasible_problem,
    small_problem,
    tempting_problems,
    tiny_scenario,
)

REGISTRY = default_registry()


@pytest.fixture(scope="module")
def problems() -> list[CompiledProblem]:
    return [
        compile_problem(tiny_scenario(6, seed=1)),
        compile_problem(tiny_scenario(20, seed=2, rate_scale=2.0)),
        small_problem(),
    ]


@pytest.fixture(scope="module")
def infeasible() -> CompiledProblem:
    return infeasible_problem()


@pytest.fixture(scope="module")
def plans() -> dict[str, list[Plan]]:
    return {}


@pytest.fixture(scope="module")
def tempting() -> dict[str, tuple[CompiledProblem, bool]]:
    return tempting_problems()


@pytest.mark.parametrize("name", REGISTRY.names())
def test_method_meets_its_contract(
    name: str,
    problems: list[CompiledProblem],
    infeasible: CompiledProblem,
    plans: dict[str, list[Plan]],
    tempting: dict[str, tuple[CompiledProblem, bool]],
) -> None:
    plans[name] = check_method(
        name, REGISTRY, problems, infeasible, time_limit_s=5.0, tempting=tempting
    )


def test_all_kinds_are_registered() -> None:
    kinds = {REGISTRY.info(n).kind for n in REGISTRY.names()}
    assert kinds == {"baseline", "heuristic", "exact", "bound"}
    for name in ("milp", "lp-bound", "greedy", "lp-round", "decomposed"):
        assert name in REGISTRY


def test_exact_is_never_worse_and_bounds_hold(
    problems: list[CompiledProblem], plans: dict[str, list[Plan]]
) -> None:
    for i, problem in enumerate(problems):
        runs = []
        for name in REGISTRY.names():
            plan = plans[name][i] if name in plans else REGISTRY.create(name).solve(problem)
            runs.append((name, REGISTRY.info(name).kind, plan))
        check_exact_not_worse(problem, runs)


def _registry_with(name: str, solver: FunctionSolver) -> Registry:
    reg = Registry()
    reg.register(name, lambda **_: solver, kind="heuristic")
    return reg


def test_contract_catches_a_misreported_objective(problems: list[CompiledProblem]) -> None:
    problem = problems[0]
    plan = REGISTRY.create("greedy").solve(problem)
    wrong = Plan(plan.x, plan.servers_on, "wrong", plan.status, objective=plan.objective * 1.01)
    with pytest.raises(AssertionError, match="reported objective"):
        check_reported_objective("wrong", "heuristic", problem, wrong)


def test_contract_catches_a_false_feasible_claim(problems: list[CompiledProblem]) -> None:
    problem = problems[0]
    empty = Plan(
        np.zeros(problem.n_candidates),
        np.zeros(problem.n_nodes, dtype=np.int64),
        "lazy",
        Status.FEASIBLE,
    )
    with pytest.raises(AssertionError, match="violation"):
        check_feasible("lazy", problem, empty)


def test_contract_catches_nondeterminism(problems: list[CompiledProblem]) -> None:
    calls = iter(range(100))

    def flaky(problem: CompiledProblem, *, seed: int = 0) -> Plan:
        rng = np.random.default_rng(next(calls))
        chosen = problem.demand_ptr[:-1] + rng.integers(0, np.diff(problem.demand_ptr))
        return plan_from_choice(problem, chosen, "flaky")

    reg = _registry_with("flaky", FunctionSolver(flaky))
    with pytest.raises(AssertionError, match="different plans"):
        check_deterministic("flaky", reg, problems[1])


def test_contract_catches_a_missed_infeasibility(infeasible: CompiledProblem) -> None:
    def optimist(problem: CompiledProblem, *, seed: int = 0) -> Plan:
        return plan_from_choice(problem, problem.demand_ptr[:-1].copy(), "optimist")

    reg = _registry_with("optimist", FunctionSolver(optimist))
    with pytest.raises(AssertionError, match="infeasible problem"):
        check_infeasible("optimist", reg, infeasible)
