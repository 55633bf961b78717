"""``milp``: the model of :mod:`slimplace.optim.formulation` on HiGHS, warm-started.

Build, solve, extract and evaluate are separate steps: :func:`build_formulation`,
the HiGHS session of :func:`strengthened_lp` (LP bound and cuts) turned into a MIP,
:func:`~slimplace.optim.extract.plan_from_result`, and the caller's evaluator.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import numpy as np

from slimplace.evaluate import evaluate
from slimplace.optim.colgen import (
    ColumnGeneration,
    artificial_share,
    column_generation,
    initial_columns,
    restrict,
    uses_generated_columns,
)
from slimplace.optim.costs import CostModel, IntArray, controllable_gap, plan_value
from slimplace.optim.empty import empty_problem_plan
from slimplace.optim.extract import (
    empty_on,
    extract_plan,
    plan_from_result,
    start_columns,
    start_vector,
    with_bound,
)
from slimplace.optim.formulation import build_formulation
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.highs import Termination
from slimplace.optim.lp import HighsOptions, strengthened_lp
from slimplace.optim.relax_round import lp_shares_plan
from slimplace.optim.routing_milp import RoutingMilpSolver
from slimplace.optim.segments import top_per_demand
from slimplace.placement.registry import Solver, reconfigured, takes_start
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class MilpSolver(HighsOptions):
    """Exact placement: the MILP on HiGHS, warm-started from the plan of ``warm_start``
    (a solver object, :class:`~slimplace.optim.greedy.GreedySolver` by default; None:
    no warm start) or from the ``start`` plan given to :meth:`solve`.

    ``time_limit_s`` bounds the whole call (build, bound, warm start and search);
    ``mip_gap`` is the relative gap at which the search stops (status "optimal"
    means proven within it); ``objective`` is "energy", "carbon", "mix" (with
    ``carbon_weight``) or None for the scenario's. ``columns``: "all" candidates
    in the model, "generated" (the MILP searches the columns that column
    generation priced in, and the gap is measured against the full LP bound),
    or "auto" (generated from ``COLGEN_MIN_CANDIDATES`` candidates on).
    """

    mip_gap: float = 1e-4
    warm_start: Solver | None = field(default_factory=GreedySolver)

    def solve(self, problem: CompiledProblem, *, seed: int = 0, start: Plan | None = None) -> Plan:
        """Optimal plan (or the incumbent at the time limit, or the infeasible status)."""
        if problem.paths is not None and problem.n_demands:  # routes decided too (docs/routing.md)
            return RoutingMilpSolver(
                time_limit_s=self.time_limit_s,
                objective=self.objective,
                carbon_weight=self.carbon_weight,
                threads=self.threads,
                columns=self.columns,
                mip_gap=self.mip_gap,
                warm_start=self.warm_start,
            ).solve(problem, seed=seed, start=start)
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        if problem.n_demands == 0:
            return empty_problem_plan(problem, model, "milp")
        if uses_generated_columns(problem, self.columns):
            start_plan = self._start(problem, seed, deadline, start)
            if start_plan is not None and self._short_of_time(deadline):
                return _out_of_time(problem, start_plan, t0, "before column generation")
            if start_plan is not None:
                return self._solve_generated(problem, model, start_plan, seed, t0, deadline)
        f = build_formulation(problem, model)
        began = time.perf_counter()
        strong = strengthened_lp(problem, f, deadline=deadline, threads=self.threads, seed=seed)
        lp_s = time.perf_counter() - began
        session, lp = strong.session, strong.result
        if lp.termination is Termination.INFEASIBLE:
            return plan_from_result(problem, f, model, lp, "milp", t0)
        start_plan = self._start(problem, seed, deadline, start)
        if self._short_of_time(deadline) or not root_fits(lp_s, deadline):
            timed_out = _out_of_time(problem, start_plan, t0, "before the MILP search")
            return with_bound(timed_out, lp.bound, self.mip_gap, model, finished=False)
        if (
            start_plan is not None
            and lp.bound is not None
            and _within_gap(start_plan, lp.bound, self.mip_gap, model)
        ):
            return _proven(start_plan, lp.bound, t0, model)
        values = (
            start_vector(problem, f, model, start_plan.x, start_plan.servers_on)
            if start_plan
            else None
        )
        session.make_integer()
        out = session.solve(
            time_limit_s=deadline - time.perf_counter(),
            mip_gap=self.mip_gap,
            start=values,
            start_cols=start_columns(f, complete=not session.presolve),
            allow_restart=root_fits(2.0 * lp_s, deadline),
        )
        plan = plan_from_result(problem, f, model, out, "milp", t0, fallback=start_plan)
        return with_bound(
            plan, lp.bound, self.mip_gap, model, finished=out.termination is Termination.OPTIMAL
        )

    def _solve_generated(
        self,
        problem: CompiledProblem,
        model: CostModel,
        start_plan: Plan,
        seed: int,
        t0: float,
        deadline: float,
    ) -> Plan:
        """Price columns in by column generation (the full LP bound), then search the
        MILP over them plus every column whose reduced-cost slack could beat the
        incumbent (:func:`priced_in`), widening that set while time is left and the gap
        to the bound is open. When no demand is splittable and the set holds every such
        column, the MILP's own bound on it is valid for the whole problem. When the MILP
        over every candidate fits in half the time left (at the last search's rate), it is
        searched instead: its bound is valid whatever the demands."""
        initial = np.union1d(initial_columns(problem, model), np.nonzero(start_plan.x)[0])
        cg_deadline = t0 + 0.6 * self.time_limit_s
        cg = column_generation(
            problem, model, initial, deadline=cg_deadline, threads=self.threads, seed=seed
        )
        # HiGHS gets MIP starts from the warm start and its own plans only: from the LP's
        # shares it reported objectives that its solution does not have
        mip_start = replace(start_plan, method="milp")
        best = _better(mip_start, _lp_plan(problem, model, cg, t0))
        if cg.bound is not None and _within_gap(best, cg.bound, self.mip_gap, model):
            return _proven(best, cg.bound, t0, model)
        if self._short_of_time(deadline):
            timed_out = _out_of_time(problem, best, t0, "after column generation")
            return with_bound(timed_out, cg.bound, self.mip_gap, model, finished=False)
        exact = False
        room, cap = 1.0, max(4 * len(cg.restricted.cands), 20_000)
        cands = core_columns(problem, cg, best, mip_start)
        searches = 0
        while True:
            searches += 1
            began = time.perf_counter()
            plan, finished = self._restricted_milp(
                problem, model, cands, mip_start, best, seed, t0, deadline
            )
            took = time.perf_counter() - began
            bound = cg.bound
            whole = len(cands) == problem.n_candidates
            if whole and plan.bound is not None:
                # the MIP over every candidate: its bound is the problem's, finished or not
                bound = plan.bound if bound is None else max(bound, plan.bound)
            elif exact and finished and plan.bound is not None and best.objective is not None:
                # every plan outside ``cands`` is worth more than the incumbent they were priced for
                global_bound = min(plan.bound, best.objective)
                bound = global_bound if bound is None else max(bound, global_bound)
            plan = with_bound(
                replace(plan, bound=None), bound, self.mip_gap, model, finished=finished
            )
            info = {**plan.info, **_colgen_info(cg, cands), "restricted_searches": float(searches)}
            plan = replace(plan, info=info)
            if plan.objective is not None and plan.objective <= (best.objective or np.inf):
                best = mip_start = plan
            left = deadline - time.perf_counter()
            if plan.status is Status.OPTIMAL or not finished or whole:
                # this search's bound holds for the best plan too (an earlier one's)
                best = with_bound(best, bound, self.mip_gap, model, finished=finished)
                return replace(best, seconds=time.perf_counter() - t0)
            if left < 0.2 * self.time_limit_s:  # stopped by the clock, not by the gap
                best = with_bound(best, best.bound, self.mip_gap, model, finished=False)
                return replace(best, seconds=time.perf_counter() - t0)
            # a search over more columns should take at most half the time left, at the
            # rate (seconds per column) of the search that just finished
            fits = int(len(cands) * 0.5 * left / max(took, 1e-3))
            log.debug(
                "milp search %d: %d columns in %.2fs, %.1fs left: %d columns fit",
                searches,
                len(cands),
                took,
                left,
                fits,
            )
            if fits >= problem.n_candidates:
                # the MIP over every candidate fits: its bound holds for every plan,
                # splittable demands included, so it can prove a plan optimal where no
                # restricted search can (it starts from the best plan found so far)
                cands = np.arange(problem.n_candidates, dtype=np.int64)
                continue
            cap = min(cap, fits)
            if cap <= len(cands):
                best = with_bound(best, best.bound, self.mip_gap, model, finished=False)
                if best.status is Status.TIME_LIMIT:
                    why = "stopped early: a search over more columns would not finish in time"
                    best = replace(best, reason=why)
                return replace(best, seconds=time.perf_counter() - t0)
            more, exact = priced_in(problem, cg, best, widen=room, cap=cap)
            if len(more) == len(cands):
                if len(cands) == problem.n_candidates:
                    return replace(best, seconds=time.perf_counter() - t0)
                room, cap = room * 4.0, cap * 4
                more, exact = priced_in(problem, cg, best, widen=room, cap=cap)
            cands = more

    def _short_of_time(self, deadline: float) -> bool:
        """Whether less than 10 % of the time limit is left (too little for a MILP)."""
        return deadline - time.perf_counter() < 0.1 * self.time_limit_s

    def _restricted_milp(
        self,
        problem: CompiledProblem,
        model: CostModel,
        cands: IntArray,
        start_plan: Plan,
        incumbent: Plan,
        seed: int,
        t0: float,
        deadline: float,
    ) -> tuple[Plan, bool]:
        """The MILP over candidates ``cands`` warm-started from ``start_plan``; the plan
        (over all candidates, its bound the restricted MIP's; ``incumbent`` when HiGHS finds
        none) and whether HiGHS finished."""
        r = restrict(problem, model, cands)
        f = build_formulation(r.problem, r.model)
        began = time.perf_counter()
        session = strengthened_lp(
            r.problem, f, deadline=deadline, threads=self.threads, seed=seed
        ).session
        lp_s = time.perf_counter() - began
        if not root_fits(lp_s, deadline):
            return replace(incumbent, method="milp", status=Status.TIME_LIMIT), False
        start = start_vector(r.problem, f, r.model, start_plan.x[r.cands], start_plan.servers_on)
        session.make_integer()
        out = session.solve(
            time_limit_s=deadline - time.perf_counter(),
            mip_gap=self.mip_gap,
            start=start,
            start_cols=start_columns(f, complete=not session.presolve),
            allow_restart=root_fits(2.0 * lp_s, deadline),
        )
        fallback = replace(incumbent, x=incumbent.x[r.cands])
        plan = plan_from_result(r.problem, f, r.model, out, "milp", t0, fallback=fallback)
        x = np.zeros(problem.n_candidates)
        x[r.cands] = plan.x
        return replace(plan, x=x), out.termination is Termination.OPTIMAL

    def _start(
        self, problem: CompiledProblem, seed: int, deadline: float, given: Plan | None
    ) -> Plan | None:
        """The warm start: the ``given`` plan when it fits ``problem`` (and the warm-start
        solver was asked for none, or finds no better one), else the warm-start solver's."""
        plans = []
        if given is not None and _fits(problem, given):
            plans.append(_valued(problem, self.cost_model(problem), given))
        if self.warm_start is not None:
            budget = max(0.1, 0.25 * (deadline - time.perf_counter()))
            solver = reconfigured(
                self.warm_start,
                time_limit_s=budget,
                objective=self.objective,
                carbon_weight=self.carbon_weight,
            )
            extra = {"start": given} if given is not None and takes_start(solver) else {}
            plans.append(solver.solve(problem, seed=seed, **extra))
        usable = [q for q in plans if q.status is not Status.INFEASIBLE and q.objective is not None]
        return min(usable, key=lambda q: float(q.objective or 0.0), default=None)


#: Columns per demand, by reduced-cost slack, in the first MIP search after column generation.
CORE_PER_DEMAND = 4


def core_columns(problem: CompiledProblem, cg: ColumnGeneration, *plans: Plan) -> IntArray:
    """The first MIP search's columns: those the last restricted LP uses, those of
    ``plans``, and each demand's :data:`CORE_PER_DEMAND` columns of least reduced-cost slack
    (all of the generated columns when column generation left no slack). A small MIP
    whose root LP is quick finds a good plan early; later searches widen the set
    (:func:`priced_in`)."""
    kept = cg.restricted.cands
    if cg.slack is None or cg.lp.values is None:
        return kept
    r = cg.restricted
    x_r, _ = extract_plan(r.problem, cg.formulation, cg.lp.values, relaxed=True)
    used = [kept[x_r > 0]] + [np.flatnonzero(q.x) for q in plans]
    best = top_per_demand(problem, np.arange(problem.n_candidates), cg.slack, CORE_PER_DEMAND)
    return np.unique(np.concatenate([*used, best])).astype(np.int64)


#: The MIP search starts only if the time left is this many times what the LP took.
ROOT_LP_FACTOR = 2.0


def root_fits(lp_seconds: float, deadline: float) -> bool:
    """Whether a MIP search fits before ``deadline``: HiGHS solves the MIP's root LP
    again, from scratch and without calling back (so it cannot be interrupted), and that
    takes about as long as the LP just solved (``lp_seconds``); a search that starts
    with less than :data:`ROOT_LP_FACTOR` times that left would overrun the time limit.
    A restart of the search (presolve and root LP again) is allowed only if two such
    root LPs fit (``root_fits(2 * lp_seconds, deadline)``)."""
    return deadline - time.perf_counter() >= ROOT_LP_FACTOR * lp_seconds


def _lp_plan(
    problem: CompiledProblem, model: CostModel, cg: ColumnGeneration, t0: float
) -> Plan | None:
    """The last restricted LP's shares as a plan (servers rounded up), when it is one:
    often far better than the greedy warm start where the LP is nearly integral."""
    if cg.lp.values is None or artificial_share(cg.formulation, cg.lp.values) > 1e-6:
        return None
    r = cg.restricted
    x_r, _ = extract_plan(r.problem, cg.formulation, cg.lp.values, relaxed=True)
    x = np.zeros(problem.n_candidates)
    x[r.cands] = x_r
    plan = lp_shares_plan(problem, model, x, "milp", time.perf_counter() - t0)
    log.info("the restricted LP's shares as a plan: %s", plan.objective if plan else "none")
    return plan


def _better(plan: Plan, other: Plan | None) -> Plan:
    """The one of two plans with the lower objective (``plan`` on a tie or without ``other``)."""
    if other is None or other.objective is None:
        return plan
    return other if other.objective < (plan.objective or np.inf) else plan


def _fits(problem: CompiledProblem, plan: Plan) -> bool:
    """Whether ``plan`` is a plan of ``problem`` that the evaluator accepts."""
    return (
        plan is not None
        and len(plan.x) == problem.n_candidates
        and evaluate(problem, plan).feasible
    )


#: At most this many columns enter the MILP searched after column generation.
MAX_PRICED_IN = 150_000


def priced_in(
    problem: CompiledProblem,
    cg: ColumnGeneration,
    incumbent: Plan,
    *,
    widen: float = 1.0,
    cap: int = MAX_PRICED_IN,
) -> tuple[IntArray, bool]:
    """The columns column generation kept, plus every column whose slack (see
    :class:`~slimplace.optim.colgen.ColumnGeneration`) is below ``widen`` x (incumbent
    value - the last round's bound): those a better plan could send a whole demand to;
    at most ``cap`` of them (lowest slack first; never above :data:`MAX_PRICED_IN`).
    Returns them (sorted) and whether the set is exact for the problem (every such
    column in it and no splittable demand)."""
    kept = cg.restricted.cands
    if cg.slack is None or cg.last_bound is None or incumbent.objective is None:
        return kept, False
    room = max(incumbent.objective - cg.last_bound, 0.0) * widen
    tol = 1e-9 * max(1.0, abs(incumbent.objective))
    extra = np.flatnonzero(cg.slack <= room + tol)
    cap = min(cap, MAX_PRICED_IN)
    capped = len(extra) > cap
    if capped:
        order = np.argsort(cg.slack[extra], kind="stable")[:cap]
        extra = np.sort(extra[order])
    splittable = bool(problem.app_splittable[problem.demand_app].any())
    return np.union1d(kept, extra).astype(np.int64), widen >= 1.0 and not (capped or splittable)


def _out_of_time(problem: CompiledProblem, plan: Plan | None, t0: float, when: str) -> Plan:
    """Status time-limit with the heuristic incumbent ``plan`` (or no plan at all)."""
    seconds = time.perf_counter() - t0
    if plan is None:
        return Plan(
            np.zeros(problem.n_candidates),
            empty_on(problem),
            "milp",
            Status.TIME_LIMIT,
            seconds=seconds,
            reason=f"time limit reached {when}, with no plan",
        )
    return replace(
        plan,
        method="milp",
        status=Status.TIME_LIMIT,
        seconds=seconds,
        reason=f"time limit reached {when}; the warm start's plan is returned",
    )


def _within_gap(plan: Plan, bound: float | None, mip_gap: float, model: CostModel) -> bool:
    """Whether ``plan`` is within ``mip_gap`` of ``bound`` on the part of the objective
    it controls (:func:`~slimplace.optim.costs.controllable_gap`)."""
    return (
        bound is not None
        and plan.objective is not None
        and controllable_gap(plan.objective, bound, model.constant) <= mip_gap
    )


def _colgen_info(cg: ColumnGeneration, cands: IntArray) -> dict[str, float]:
    return {
        "generated_columns": float(len(cands)),
        "colgen_rounds": float(cg.rounds),
        "colgen_converged": float(cg.converged),
    }


def _valued(problem: CompiledProblem, model: CostModel, plan: Plan) -> Plan:
    """``plan`` with its objective (computed from the plan when it reports none)."""
    if plan.objective is not None or plan.status is Status.INFEASIBLE:
        return plan
    return replace(plan, objective=plan_value(problem, model, plan.x, plan.servers_on))


def _proven(plan: Plan, bound: float, t0: float, model: CostModel) -> Plan:
    """A warm start already within the gap of the bound: optimal within that gap."""
    info = dict(plan.info)
    value = float(plan.objective or 0.0)
    info["mip_gap"] = controllable_gap(value, bound, model.constant)
    return replace(
        plan,
        method="milp",
        status=Status.OPTIMAL,
        bound=bound,
        seconds=time.perf_counter() - t0,
        info=info,
        reason="the warm start is within the gap of the LP bound",
    )
