"""Decomposition by region: parts cover every demand once, the merged plan is feasible."""

from __future__ import annotations

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.optim.decompose import DecomposedSolver, split
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import MilpSolver
from slimplace.optim.relax_round import LpRoundSolver
from slimplace.placement.registry import Solver
from slimplace.plan import Status
from slimplace.problem.compiled import CompiledProblem
from slimplace.testing import small_problem


@pytest.fixture(scope="module")
def small() -> CompiledProblem:
    return small_problem()


def test_parts_partition_demands_and_share_the_cloud(small: CompiledProblem) -> None:
    parts = split(small, 3)
    assert len(parts) >= 2
    covered = np.concatenate([part.demands for part in parts])
    assert np.array_equal(np.sort(covered), np.arange(small.n_demands))
    cloud = small.node_tier == 3
    total = sum(part.problem.node_count for part in parts)
    assert (total[cloud] <= small.node_count[cloud]).all()
    for part in parts:
        assert part.problem.n_demands == len(part.demands)
        assert np.array_equal(small.cand_node[part.cands], part.problem.cand_node)


@pytest.mark.parametrize("inner", [GreedySolver(), LpRoundSolver(), MilpSolver()])
def test_merged_plan_is_feasible_and_close(inner: Solver, small: CompiledProblem) -> None:
    plan = DecomposedSolver(parts=3, inner=inner).solve(small)
    ev = evaluate(small, plan)
    assert plan.status is Status.FEASIBLE and ev.feasible, ev.violations
    assert plan.objective == pytest.approx(ev.power_w, rel=1e-9)
    assert plan.objective <= 1.15 * MilpSolver().solve(small).objective


def test_parallel_parts_give_the_same_plan(small: CompiledProblem) -> None:
    one = DecomposedSolver(parts=3, workers=1, inner=GreedySolver()).solve(small)
    two = DecomposedSolver(parts=3, workers=2, inner=GreedySolver()).solve(small)
    assert np.array_equal(one.x, two.x) and np.array_equal(one.servers_on, two.servers_on)
