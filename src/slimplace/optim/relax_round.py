"""``lp-round``: relax and round, for problems too large for the MILP.

The LP relaxation with ``link`` rows (by column generation above
``COLGEN_MIN_CANDIDATES`` candidates) is nearly integral in the servers; its
shares with whole servers for their load are a plan whenever memory holds and
no unsplittable demand is split. A second plan gives every demand its largest
LP share, evicts what overloads a node, re-places it (regret rounds) and runs
the greedy's repairs and local search. The better feasible plan is returned,
with the LP value as its lower bound (so its gap is proven).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from slimplace.optim.colgen import (
    artificial_share,
    column_generation,
    initial_columns,
    uses_generated_columns,
)
from slimplace.optim.construction import construct, restore_floors
from slimplace.optim.costs import CostModel, FloatArray, IntArray, plan_value
from slimplace.optim.empty import empty_problem_plan
from slimplace.optim.extract import extract_plan
from slimplace.optim.formulation import build_formulation
from slimplace.optim.local_search import improve
from slimplace.optim.lp import HighsOptions, strengthened_lp
from slimplace.optim.regret import assign_by_regret
from slimplace.optim.repair import node_busy, repair
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import argmin_segments, model_pairs, weighted_sum
from slimplace.optim.verify import verified
from slimplace.placement.assign import cumsum_in_groups, fits
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import needs_mode_search


@dataclass(frozen=True, kw_only=True)
class LpRoundSolver(HighsOptions):
    """Relax and round (see the module docstring); options as for ``milp``."""

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """A feasible plan with a proven bound, or status infeasible.

        With power modes or shared batches (:func:`~slimplace.problem.modes.
        needs_mode_search`), a rounded plan the evaluator rejects (rounding does not know
        the mode rows: one mode per node, batches that fill) is followed by the mode search
        greedy uses (:class:`~slimplace.optim.mode_search.ModeSearch`) with lp-round inside,
        in the time left; the first LP's value stays its lower bound."""
        plan = self._rounded(problem, seed=seed)
        left = self.time_limit_s - plan.seconds
        if plan.status is not Status.INFEASIBLE or left <= 0 or not needs_mode_search(problem):
            return plan
        from slimplace.optim.mode_search import ModeSearch

        model = self.cost_model(problem)
        found = ModeSearch(inner=self, time_limit_s=left, model=model).solve(problem, seed=seed)
        if found.status is Status.INFEASIBLE or found.objective is None:
            return plan
        bound = None if plan.bound is None else min(plan.bound, found.objective)
        return replace(
            found,
            method="lp-round",
            status=Status.FEASIBLE,
            bound=bound,
            seconds=plan.seconds + found.seconds,
            reason="the rounded plan broke a mode or batch rule: mode search around lp-round",
        )

    def _rounded(self, problem: CompiledProblem, *, seed: int) -> Plan:
        """Relax and round (the module docstring)."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        if problem.n_demands == 0:
            return empty_problem_plan(problem, model, "lp-round")
        search = SearchState(problem, model, 24)
        x, bound = self._relaxation(problem, model, search, t0 + 0.7 * self.time_limit_s, seed)
        if x is None and time.perf_counter() > t0 + 0.7 * self.time_limit_s:
            return _constructed(problem, search, t0, deadline)
        if x is None:
            return Plan(
                np.zeros(problem.n_candidates),
                np.where(problem.node_always_on, problem.node_count, 0),
                "lp-round",
                Status.INFEASIBLE,
                seconds=time.perf_counter() - t0,
                reason="the LP relaxation has no solution",
            )
        plans = []
        direct = _direct(problem, search, x)
        if direct is not None:
            plans.append(direct)
        chosen = _round(problem, search, x)
        if (chosen >= 0).all():
            chosen, x2 = improve(search, chosen, deadline)
            plans.append(x2)
        if not plans:
            plan = search.plan(chosen, search.shares(chosen), "lp-round", time.perf_counter() - t0)
            return plan
        seconds = time.perf_counter() - t0
        found = [
            verified(problem, _plan_of(problem, search, y, bound, seconds), deadline=deadline)
            for y in plans
        ]
        ok = [q for q in found if q.status is Status.FEASIBLE]
        return min(ok or found, key=lambda q: float(q.objective or np.inf))

    def _relaxation(
        self,
        problem: CompiledProblem,
        model: CostModel,
        search: SearchState,
        deadline: float,
        seed: int,
    ) -> tuple[FloatArray | None, float | None]:
        if uses_generated_columns(problem, self.columns):
            initial = initial_columns(problem, model, state=search)
            cg = column_generation(
                problem,
                model,
                initial,
                deadline=deadline,
                threads=self.threads,
                seed=seed,
                stop_gap=1e-4,
            )
            if cg.lp.values is None:
                return None, None
            r = cg.restricted
            x_r, _ = extract_plan(r.problem, cg.formulation, cg.lp.values, relaxed=True)
            x = np.zeros(problem.n_candidates)
            x[r.cands] = x_r
            if artificial_share(cg.formulation, cg.lp.values) > 1e-6:
                return x, None  # some demands unserved even fractionally: round what there is
            return x, cg.bound
        return self._full(problem, model, deadline, seed)

    def _full(
        self, problem: CompiledProblem, model: CostModel, deadline: float, seed: int
    ) -> tuple[FloatArray | None, float | None]:
        f = build_formulation(problem, model, relax=True)
        lp = strengthened_lp(problem, f, deadline=deadline, threads=self.threads, seed=seed).result
        if lp.values is None:
            return None, None
        x, _ = extract_plan(problem, f, lp.values, relaxed=True)
        return x, lp.bound


def _constructed(p: CompiledProblem, search: SearchState, t0: float, deadline: float) -> Plan:
    """The relaxation ran out of time: the greedy construction (improved while time is
    left), status time-limit."""
    chosen = construct(search, search.base_rate)
    x = search.shares(chosen)
    if (chosen >= 0).all() and time.perf_counter() < deadline:
        chosen, x = improve(search, chosen, deadline)
    plan = search.plan(chosen, x, "lp-round", time.perf_counter() - t0, deadline=deadline)
    reason = "time limit reached in the LP relaxation; greedy construction returned"
    if plan.status is Status.FEASIBLE:
        return replace(plan, status=Status.TIME_LIMIT, reason=reason)
    return replace(plan, status=Status.TIME_LIMIT, reason=f"{reason}; {plan.reason}")


def _plan_of(
    p: CompiledProblem, search: SearchState, x: FloatArray, bound: float | None, seconds: float
) -> Plan:
    """The plan of shares ``x`` with the servers their load needs; the LP value is its
    lower bound."""
    busy = search.busy_of_shares(x)
    on = search.servers(busy).astype(np.int64)
    value = plan_value(p, search.model, x, on)
    return Plan(
        x,
        on,
        "lp-round",
        Status.FEASIBLE,
        objective=value,
        bound=min(bound, value) if bound is not None else None,
        seconds=seconds,
    )


def lp_shares_plan(
    problem: CompiledProblem, model: CostModel, x: FloatArray, method: str, seconds: float
) -> Plan | None:
    """The LP shares ``x`` themselves with the servers their load needs, when that is a
    plan the evaluator accepts (no unsplittable demand split, models fit; shares below
    1e-9 dropped and each demand's shares renormalised); None otherwise."""
    p = problem
    x = np.where(x > 1e-9, x, 0.0)
    total = np.bincount(p.cand_demand, weights=x, minlength=p.n_demands)
    if (total <= 0).any():
        return None
    x = x / total[p.cand_demand]
    search = SearchState(p, model, 1)
    if _direct(p, search, x) is None:
        return None
    plan = replace(_plan_of(p, search, x, None, seconds), method=method)
    checked = verified(p, plan)
    return checked if checked.status is Status.FEASIBLE else None


def _direct(p: CompiledProblem, search: SearchState, x: FloatArray) -> FloatArray | None:
    """The LP shares themselves, when they split no unsplittable demand and models fit."""
    used = x > 1e-9
    split = np.bincount(p.cand_demand[used], minlength=p.n_demands) > 1
    if (split & ~p.app_splittable[p.demand_app]).any():
        return None
    pairs = np.nonzero(model_pairs(p, np.nonzero(used)[0]))[0]
    mem = weighted_sum(pairs // p.n_models, p.model_memory_bytes[pairs % p.n_models], p.n_nodes)
    if (mem > p.node_memory_bytes * (1 + 1e-9)).any():
        return None
    busy = search.busy_of_shares(x)
    if not fits(busy, p.max_utilisation * p.node_count.astype(np.float64)).all():
        return None
    return x


def _round(p: CompiledProblem, search: SearchState, x: FloatArray) -> IntArray:
    """Each demand on its largest LP share; overloaded nodes shed their smallest
    shares, which are placed again; memory and bandwidth are repaired."""
    starts = p.demand_ptr[:-1]
    has = np.diff(p.demand_ptr) > 0
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    chosen[has] = starts[has] + argmin_segments(-x, starts[has])
    load = search.load
    busy = node_busy(p, chosen, load)
    cap = p.max_utilisation * p.node_count.astype(np.float64)
    over = ~fits(busy, cap)
    if over.any():
        d = np.nonzero(over[p.cand_node[chosen]])[0]
        keep = x[chosen[d]]
        order = np.lexsort((keep, p.cand_node[chosen[d]]))[::-1]
        node = p.cand_node[chosen[d[order]]]
        within = cumsum_in_groups(node, load[chosen[d[order]]]) <= cap[node] * (1 + 1e-9)
        chosen[d[order][~within]] = -1
        residual = cap - node_busy(p, chosen, load)
        price = search.price(search.base_rate)
        rest = search.candidates_of(chosen < 0)
        placed, _ = assign_by_regret(p, rest, price[rest], load[rest], residual)
        chosen = np.where(placed >= 0, placed, chosen)
    price = search.price(search.base_rate)
    chosen = repair(p, chosen, price, load, search.shortlisted)
    if p.app_average.any() and (chosen >= 0).all():
        chosen = restore_floors(search, chosen)
    return chosen
