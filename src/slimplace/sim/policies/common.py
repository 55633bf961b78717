"""Helpers the built-in policies share: solving at given rates, sizing servers.

Every policy plans through :func:`solve_at`, which follows the solver with a *closing
search*: the *drop* move of facility-location local search (Kuehn & Hamburger,
"A heuristic program for locating warehouses", Management Science 9(4), 1963; Arya et
al., SIAM J. Comput. 33(3), 2004) with the solver as its subroutine. The node whose
servers draw the most static power in the last plan is closed (its server count set to
0), the solver runs again, and so on, the closed nodes accumulating, for at most
``close_tries`` rounds and while that node draws at least ``CLOSE_SHARE`` (10 %) of the
static power of the servers the last plan switches on; the cheapest plan the independent
evaluator finds feasible is kept (the solver's own plan when no trial beats it); an
infeasible trial ends the search. A constructive heuristic prices a server at its most
efficient utilisation, which at low load keeps one large server (an elastic A100 at
281 W) where one small one (a T4 at 60 W) carries the load; closing
the large one, and the next-largest the solver falls back to, finds the small one.
A plan the solver proved optimal (to 0.01 %) is kept as it is.

**Overload.** When the solver finds no plan that serves every request (``milp`` proves
the overload infeasible and returns an empty plan), :func:`solve_at` returns the
best-effort plan of a *fallback* solver instead (``greedy``, which places what fits), so
a policy planning with ``milp`` under overload still serves what it can; a plan the
solver finds is returned unchanged.

**Peak plan.** :func:`peak_plan` is the plan for every demand's peak rate: the context's
``reference_plan`` when the harness solved one (static-peak's plan, solved once with a
stronger planner; :class:`slimplace.sim.policy.Context`), else the policy's own solve.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy.accounting import switchable
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver, takes_start
from slimplace.plan import Plan, Status, node_busy_s_per_s, servers_for_load, servers_needed
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.rates import at_rates
from slimplace.scenario.model import Objective
from slimplace.sim.policy import Context

log = logging.getLogger(__name__)

#: Rounds of the closing search after each solve (module docstring); 0 turns it off.
CLOSE_TRIES = 3
#: A node is closed only when its servers draw at least this share of the static power of
#: all servers the last plan switches on: the search is for the large server a
#: constructive heuristic keeps at low load. Closing groups of many small servers (those
#: drawing half the idle power, most wasteful first) found cheaper plans per load level on
#: polska and Aarnet, but different small sets at neighbouring levels: on Aarnet / AWS ELB
#: hindsight then woke 2,363 servers a week (28 before) and used 19 % more energy.
CLOSE_SHARE = 0.1
#: The best-effort planner :func:`solve_at` falls back to when the solver finds no plan
#: (module docstring, "Overload"); stateless, so one object serves every policy.
FALLBACK: Solver = GreedySolver(time_limit_s=30.0)


def solve_at(
    context: Context,
    rate_per_s: FloatArray,
    *,
    solver: Solver,
    seed: int,
    start: Plan | None = None,
    objective: Objective | None = None,
    carbon_g_per_kwh: FloatArray | None = None,
    close_tries: int = CLOSE_TRIES,
    fallback: Solver | None = FALLBACK,
) -> tuple[Plan, CompiledProblem]:
    """Solve the problem at ``rate_per_s`` (and, for carbon, at the given intensities)
    with ``solver``; a solver that takes a warm start (``start``) gets the ``start`` plan;
    then the closing search of the module docstring (``close_tries`` rounds). When the
    solver finds no plan (status infeasible, nothing placed) and ``fallback`` is another
    kind of solver, the fallback's best-effort plan is solved and returned instead (module
    docstring, "Overload"; ``fallback=None`` returns the solver's plan as it is). The
    fallback plans over every candidate: a solver restricted to some (mobility's
    :class:`~slimplace.sim.mobility.hook.RoamingSolver` around ``milp``) is not
    restricted in its fallback.

    Returns the plan and the problem it was solved on (to evaluate it there).
    """
    changes: dict[str, Any] = {}
    if objective is not None:
        changes["objective"] = objective
    if carbon_g_per_kwh is not None:
        changes["region_carbon_g_per_kwh"] = np.asarray(carbon_g_per_kwh, dtype=np.float64)
    rate = np.asarray(rate_per_s, dtype=np.float64)
    stated = context.problem.demand_rate_per_s
    # a rate within rounding of the scenario's (a trace scaled to its peak) is the
    # scenario's: the heuristics' ties then break alike whatever the trace
    rate = np.where(np.abs(rate - stated) <= 1e-9 * np.abs(stated), stated, rate)
    problem = at_rates(context.problem, rate, **changes)
    plan = _solve(solver, problem, seed, start)
    if (
        plan.status is Status.INFEASIBLE
        and fallback is not None
        and not (plan.x > 0).any()  # a best-effort plan (greedy's) is kept as it is
        and type(fallback) is not type(solver)  # the same kind finds the same plan
    ):
        log.info(
            "%s found no plan (%s); using %s's best-effort plan",
            plan.method,
            plan.reason,
            type(fallback).__name__,
        )
        solver = fallback
        plan = _solve(solver, problem, seed, start)
    return close_nodes(problem, plan, solver=solver, seed=seed, tries=close_tries), problem


def _solve(solver: Solver, problem: CompiledProblem, seed: int, start: Plan | None) -> Plan:
    """``solver``'s plan, warm-started from ``start`` when it takes one."""
    if start is not None and takes_start(solver):
        return solver.solve(problem, seed=seed, start=start)  # type: ignore[call-arg]
    return solver.solve(problem, seed=seed)


def peak_plan(
    context: Context,
    *,
    solver: Solver,
    seed: int,
    headroom: float = 0.0,
    fallback: Solver | None = FALLBACK,
) -> Plan:
    """The plan for every demand's peak rate (x ``1 + headroom``): the context's
    ``reference_plan`` when there is one and ``headroom`` is 0 (the harness solved it
    once with a stronger planner), else :func:`solve_at` with ``solver`` (and its
    best-effort ``fallback`` under overload)."""
    if context.reference_plan is not None and headroom == 0.0:
        return context.reference_plan
    rate = context.peak_rate_per_s * (1.0 + headroom)
    plan, _ = solve_at(context, rate, solver=solver, seed=seed, fallback=fallback)
    return plan


def close_nodes(
    problem: CompiledProblem,
    plan: Plan,
    *,
    solver: Solver,
    seed: int,
    tries: int = CLOSE_TRIES,
    share: float = CLOSE_SHARE,
) -> Plan:
    """The closing search of the module docstring from ``plan``: the cheapest feasible
    plan (by the evaluator's objective on ``problem``) among ``plan`` and the solver's
    plans with the most expensive open nodes closed one after another (each while it
    draws at least ``share`` of the last plan's server static power)."""
    from slimplace.energy.accounting import server_on_w, switchable
    from slimplace.evaluate import evaluate

    if tries <= 0 or plan.status == Status.OPTIMAL or _proven(plan):
        return plan
    first = evaluate(problem, plan)
    best, best_value = plan, first.objective(problem.objective) if first.feasible else np.inf
    on_w, can = server_on_w(problem), switchable(problem)
    closed = np.zeros(problem.n_nodes, dtype=bool)
    last = plan
    for _ in range(tries):
        power = np.where(can, on_w * last.servers_on, 0.0)
        cost = np.where(closed, 0.0, power)
        if not (cost > 0).any() or cost.max() < share * power.sum():
            break
        closed[int(np.argmax(cost))] = True
        count = np.where(closed, 0, problem.node_count).astype(problem.node_count.dtype)
        last = solver.solve(replace(problem, node_count=count), seed=seed)
        trial = evaluate(problem, last)
        if not trial.feasible:
            break  # closed too much: closing more will not help
        value = trial.objective(problem.objective)
        if value < best_value - 1e-9 * abs(best_value):
            best, best_value = last, value
    return best


def _proven(plan: Plan, rtol: float = 1e-4) -> bool:
    """Whether the solver proved ``plan`` optimal to within ``rtol`` (its bound)."""
    if plan.bound is None or plan.objective is None:
        return False
    return plan.objective - plan.bound <= rtol * max(abs(plan.objective), 1e-12)


def resized(problem: CompiledProblem, plan: Plan) -> Plan:
    """``plan`` with the servers its placement needs at ``problem``'s rates (at most the
    servers present): how a load-following policy runs any placement."""
    busy = node_busy_s_per_s(problem, plan.x)
    on = np.minimum(servers_needed(problem, busy), problem.node_count)
    return Plan(plan.x, on, plan.method)


def cheapest(
    problem: CompiledProblem, plans: Sequence[Plan | None], *, resize: bool = False
) -> Plan:
    """The plan of ``plans`` (None skipped) with the lowest plan-dependent objective at
    ``problem``'s rates among the feasible ones, the first on a tie or when none is
    feasible; each evaluated with its own servers, or with ``resize`` with the servers its
    placement needs there (:func:`resized`: how a load-following policy runs it)."""
    kept = [plan for plan in plans if plan is not None]
    best, best_value = kept[0], np.inf
    for plan in kept:
        e = evaluate(problem, resized(problem, plan) if resize else plan)
        value = e.plan_objective(problem.objective)
        if e.feasible and value < best_value:
            best, best_value = plan, value
    return best


def servers_for(busy_s_per_s: FloatArray, max_utilisation: float, headroom: float) -> FloatArray:
    """Servers that carry ``busy`` at ``max_utilisation / (1 + headroom)`` (at least 0):
    :func:`slimplace.plan.servers_for_load` as floats."""
    return servers_for_load(busy_s_per_s, max_utilisation, headroom=headroom).astype(np.float64)


def switchable_nodes(problem: CompiledProblem) -> BoolArray:
    """Nodes whose servers a policy switches on and off: those of
    :func:`slimplace.energy.accounting.switchable` that have a hardware profile."""
    return np.asarray(switchable(problem) & (problem.node_profile >= 0), dtype=bool)


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


class RateWindow:
    """Per demand, the largest rate observed over the last ``steps`` steps: a ring buffer
    of ``steps`` x demands, one row written per step, so the maximum is one numpy reduction.

    Planning for the recent maximum instead of the current rate is the *peak-hold* /
    upper-envelope rule of capacity autoscalers (e.g. the Kubernetes horizontal pod
    autoscaler's scale-down stabilisation window, which keeps the largest recommendation
    of the last 5 min; Gandhi et al., "AutoScale: dynamic, robust capacity management for
    multi-tier data centers", ACM TOCS 30(4), 2012, hold capacity for a while after a
    burst): a bursty trace (AWS ELB rises 3.8x in one 10-minute sample one time in ten)
    returns to its recent peaks far more often than the current rate predicts."""

    def __init__(self, n_demands: int, steps: int) -> None:
        self._buf = np.zeros((max(int(steps), 1), n_demands), dtype=np.float64)
        self._seen = 0

    @classmethod
    def over(cls, n_demands: int, window_s: float, step_s: float) -> RateWindow:
        """The window of the steps in the last ``window_s`` (one step, the current one,
        when ``window_s`` is 0)."""
        return cls(n_demands, max(1, round(window_s / step_s)) if window_s > 0 else 1)

    def push(self, rate_per_s: FloatArray) -> None:
        """Record this step's rates."""
        self._buf[self._seen % len(self._buf)] = rate_per_s
        self._seen += 1

    def peak(self) -> FloatArray:
        """Per demand, the largest rate pushed in the last ``steps`` steps (0 before any)."""
        if self._seen == 0:
            return np.zeros(self._buf.shape[1])
        return np.asarray(self._buf[: min(self._seen, len(self._buf))].max(axis=0))


def overloaded(obs_busy: FloatArray, servers_available: FloatArray, utilisation: float) -> bool:
    """Whether some node carries more than ``utilisation`` x the servers available now
    (waking ones by the share of the step they are up): the plan in force is failing its
    requests at this step, and a new placement should move at once rather than wait for
    its servers (a waking server's partial step beats an overloaded one)."""
    busy = np.asarray(obs_busy)
    return bool((busy > np.asarray(servers_available) * utilisation + 1e-12).any())


def switch_w(
    problem: CompiledProblem,
    new_on: FloatArray | IntArray,
    old_on: FloatArray | IntArray,
    target: FloatArray,
    *,
    idle_s: float,
    period_s: float,
) -> float:
    """What moving from a plan with ``old_on`` servers to one with ``new_on`` costs, spread
    over ``period_s`` (W): waking the servers it adds beyond ``target`` (wake energy x PUE),
    and keeping those it frees on for ``idle_s`` before they sleep (idle minus sleep power
    x PUE). A plan is worth adopting only when its saving over the period exceeds this
    (the switching-cost term of online right-sizing, Lin et al., "Dynamic right-sizing for
    power-proportional data centers", IEEE/ACM ToN 21(5), 2013)."""
    p = problem
    target = np.asarray(target, dtype=np.float64)
    extra = np.maximum(0.0, np.asarray(new_on) - target)
    freed = np.maximum(0.0, np.minimum(np.asarray(old_on), target) - np.asarray(new_on))
    wake_j = extra * p.node_pue * p.node_wake_energy_j
    idle_j = freed * p.node_pue * (p.node_idle_w - p.node_sleep_w) * idle_s
    return float((wake_j + idle_j).sum()) / max(period_s, 1e-9)


def follow_load(
    target: FloatArray,
    need: FloatArray,
    switchable: npt.NDArray[np.bool_],
    surplus_s: FloatArray,
    step_s: float,
    idle_s: float | None,
    keep: BoolArray | None = None,
) -> FloatArray:
    """Servers that follow the load: a switchable node gets ``need`` at once when it needs
    more than its ``target`` (wake on rise), and drops to ``need`` once it has had surplus
    servers for ``idle_s`` (``surplus_s``, per node, is updated in place; ``idle_s=None``
    never lowers the target). The timeout rule of Gandhi et al., "AutoScale", ACM TOCS
    30(4), 2012: a server idle for the timeout sleeps. Nodes in ``keep`` (those the
    placement in force uses) never drop below one server, whatever their load at a step:
    closing a node is the placement's decision, not the timeout's."""
    if keep is not None:
        need = np.where(keep, np.maximum(need, 1.0), need)
    target = np.where(switchable & (need > target), need, target)
    if idle_s is None:
        surplus_s[:] = 0.0
        return target
    surplus = switchable & (target > need)
    surplus_s[:] = np.where(surplus, surplus_s + step_s, 0.0)
    off = surplus_s >= idle_s - 1e-9
    surplus_s[off] = 0.0
    return np.where(off, need, target)
