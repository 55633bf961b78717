"""Helpers the built-in policies share: solving at given rates, sizing servers."""

from __future__ import annotations

from typing import Any

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.placement.registry import Solver, takes_start
from slimplace.plan import Plan, servers_for_load
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import Objective
from slimplace.sim.policy import Context, at_rates


def solve_at(
    context: Context,
    rate_per_s: FloatArray,
    *,
    solver: Solver,
    seed: int,
    start: Plan | None = None,
    objective: Objective | None = None,
    carbon_g_per_kwh: FloatArray | None = None,
) -> tuple[Plan, CompiledProblem]:
    """Solve the problem at ``rate_per_s`` (and, for carbon, at the given intensities)
    with ``solver``; a solver that takes a warm start (``start``) gets the ``start`` plan.

    Returns the plan and the problem it was solved on (to evaluate it there).
    """
    changes: dict[str, Any] = {}
    if objective is not None:
        changes["objective"] = objective
    if carbon_g_per_kwh is not None:
        changes["region_carbon_g_per_kwh"] = np.asarray(carbon_g_per_kwh, dtype=np.float64)
    problem = at_rates(context.problem, rate_per_s, **changes)
    if start is not None and takes_start(solver):
        return solver.solve(problem, seed=seed, start=start), problem  # type: ignore[call-arg]
    return solver.solve(problem, seed=seed), problem


def servers_for(busy_s_per_s: FloatArray, max_utilisation: float, headroom: float) -> FloatArray:
    """Servers that carry ``busy`` at ``max_utilisation / (1 + headroom)`` (at least 0):
    :func:`slimplace.plan.servers_for_load` as floats."""
    return servers_for_load(busy_s_per_s, max_utilisation, headroom=headroom).astype(np.float64)


def wake_steps(
    problem: CompiledProblem, current_on: FloatArray, new_on: FloatArray | IntArray, step_s: float
) -> int:
    """Steps until the servers ``new_on`` asks for beyond ``current_on`` are awake (the
    longest wake-up time among the nodes that need more), so a new placement can wait for
    them before traffic moves ("make before break")."""
    p = problem
    switchable = (p.node_profile >= 0) & ~p.node_always_on
    more = switchable & (np.asarray(new_on) > np.asarray(current_on))
    if not more.any():
        return 0
    return int(np.ceil(float(p.node_wake_time_s[more].max()) / step_s - 1e-9))
