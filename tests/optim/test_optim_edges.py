"""Edge cases every optimizer answers normally: a tiny rate and no applications."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.plan import Status
from slimplace.problem.compile import compile_problem
from slimplace.solve import solve

OPTIMIZERS = ("milp", "greedy", "lp-round", "decomposed", "lp-bound")


def _with_rate(rate_per_s: float):  # type: ignore[no-untyped-def]
    sc = tiny_scenario(6, seed=1)
    apps = tuple(
        replace(a, sources=tuple(replace(s, rate_per_s=rate_per_s) for s in a.sources))
        for a in sc.applications
    )
    return replace(sc, applications=apps)


@pytest.mark.parametrize("method", (*OPTIMIZERS, "cloud-only"))
def test_a_tiny_rate_gives_a_normal_plan_with_finite_latency(method: str) -> None:
    problem = compile_problem(_with_rate(1e-6))
    result = solve(problem, method, time_limit_s=10.0)
    assert result.evaluation.feasible, result.evaluation.violations[:2]
    assert result.plan.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert (result.plan.servers_on[np.unique(problem.cand_node[result.plan.x > 0])] > 0).all()


@pytest.mark.parametrize("method", OPTIMIZERS)
def test_no_applications_is_an_optimal_empty_plan(method: str) -> None:
    problem = compile_problem(replace(tiny_scenario(6, seed=1), applications=()), strict=False)
    result = solve(problem, method, time_limit_s=10.0)
    assert result.plan.status is Status.OPTIMAL
    assert not result.plan.x.any() and result.evaluation.feasible
    assert result.plan.objective == pytest.approx(result.evaluation.power_w)
