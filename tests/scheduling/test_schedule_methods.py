"""Contract tests over every registered scheduling method: checked by the independent
checker, objective as reported, deterministic, within the time limit, infeasible
instances reported."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from slimplace.errors import SlimplaceError
from slimplace.plan import Status
from slimplace.registry import UnknownOptionError
from slimplace.scheduling import (
    ExactMilp,
    Heuristic,
    check_schedule,
    compile_jobs,
    default_schedulers,
    generate_jobs,
)
from slimplace.scheduling.contract import check_scheduler
from slimplace.scheduling.registry import FunctionScheduler, SchedulerRegistry

REGISTRY = default_schedulers()
METHODS = REGISTRY.names()


@pytest.fixture(scope="module")
def small():
    return compile_jobs(generate_jobs(8, 3, seed=2))


@pytest.fixture(scope="module")
def budgeted(small):
    least = Heuristic(time_limit_s=5).solve(small).objective
    return small.with_objective("accuracy", 1.5 * least)


def _create(name: str):
    return REGISTRY.create(name, time_limit_s=20)


@pytest.mark.parametrize("name", METHODS)
def test_contract_energy_objective(small, name):
    check_scheduler(name, _create(name), small)


@pytest.mark.parametrize("name", METHODS)
def test_contract_accuracy_objective(budgeted, name):
    check_scheduler(name, _create(name), budgeted)


@pytest.mark.parametrize("name", ["milp", "heuristic"])
def test_budget_respected_and_accuracy_above_least_energy(small, budgeted, name):
    s = _create(name).solve(budgeted)
    c = check_schedule(budgeted, s)
    assert c.feasible and c.energy_j <= budgeted.budget_j * (1 + 1e-9)
    floor_only = check_schedule(small, _create(name).solve(small))
    assert c.mean_accuracy > floor_only.mean_accuracy


def test_methods_rank_as_expected(small):
    """Exact <= heuristic (small gap) < the no-compression baseline, by the checker."""
    energy = {n: check_schedule(small, _create(n).solve(small)).energy_j for n in METHODS}
    assert energy["milp"] <= energy["heuristic"] * (1 + 1e-9)
    assert energy["heuristic"] <= energy["milp"] * 1.02
    assert energy["heuristic"] < energy["edf"]


def _impossible(problem):
    """Job 0 must finish a moment after its release: no machine is that fast."""
    deadline = problem.job_deadline_s.copy()
    deadline[0] = problem.job_release_s[0] + 1e-3
    return replace(problem, job_deadline_s=deadline)


@pytest.mark.parametrize("name", METHODS)
def test_infeasible_instance_is_reported(small, name):
    problem = _impossible(small)
    s = _create(name).solve(problem)
    assert s.status == Status.INFEASIBLE
    assert s.reason
    if s.n_pieces:
        assert not check_schedule(problem, s).feasible


@pytest.mark.parametrize("name", ["milp", "heuristic"])
def test_budget_below_least_energy_is_infeasible(small, name):
    least = Heuristic(time_limit_s=5).solve(small).objective
    s = _create(name).solve(small.with_objective("accuracy", 0.5 * least))
    assert s.status == Status.INFEASIBLE


def test_heuristic_respects_its_time_limit():
    problem = compile_jobs(generate_jobs(400, 20, seed=1))
    t0 = time.perf_counter()
    s = Heuristic(time_limit_s=0.5).solve(problem)
    assert time.perf_counter() - t0 < 0.5 + 1.5
    assert s.n_pieces > 0


def test_milp_respects_its_time_limit_and_keeps_a_bound():
    problem = compile_jobs(generate_jobs(30, 4, seed=1, load=0.8)).with_objective("accuracy", 1e12)
    t0 = time.perf_counter()
    s = ExactMilp(time_limit_s=1.0).solve(problem)
    assert time.perf_counter() - t0 < 1.0 + 3.0
    assert s.status in (Status.OPTIMAL, Status.TIME_LIMIT)
    if s.n_pieces:
        assert check_schedule(problem, s).feasible
        assert s.bound is not None and s.bound >= s.objective - 1e-9


def test_same_seed_same_schedule_and_seeds_are_used():
    problem = compile_jobs(generate_jobs(12, 3, seed=5))
    a = Heuristic(time_limit_s=5).solve(problem, seed=1)
    b = Heuristic(time_limit_s=5).solve(problem, seed=1)
    assert np.array_equal(a.start_s, b.start_s) and np.array_equal(a.variant, b.variant)


def test_registry_suggests_and_accepts_plugins(small):
    with pytest.raises(SlimplaceError, match="did you mean heuristic"):
        REGISTRY.create("heuristik")
    reg = SchedulerRegistry()
    reg.register(
        "mine", lambda: FunctionScheduler(REGISTRY.create("lightest").solve), kind="baseline"
    )
    assert reg.names() == ["mine"]
    assert check_schedule(small, reg.create("mine", time_limit_s=1).solve(small)).feasible
    with pytest.raises(UnknownOptionError, match="unused"):
        reg.create("mine", unused=1)


def test_split_jobs_run_a_continuous_width_at_their_floor(small):
    """The energy optimum of a splittable job sits exactly at its floor (a mix of two widths)."""
    s = Heuristic(time_limit_s=5).solve(small)
    c = check_schedule(small, s)
    split = np.nonzero(small.job_split)[0]
    assert len(split)
    prof = small.machine_profile[s.machine[np.searchsorted(s.job, split)]]
    lightest = small.variant_accuracy[small.option_variant[prof, small.job_family[split], 0]]
    expected = np.maximum(small.job_floor[split], lightest)
    assert np.allclose(c.job_accuracy[split], expected, atol=1e-9)
