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
from slimplace.optim.colgen import column_generation, initial_columns, uses_generated_columns
from slimplace.optim.costs import CostModel, plan_value
from slimplace.optim.extract import plan_from_result, start_columns, start_vector
from slimplace.optim.formulation import build_formulation
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.highs import Termination
from slimplace.optim.lp import HighsOptions, strengthened_lp
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
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        if uses_generated_columns(problem, self.columns):
            start_plan = self._start(problem, seed, deadline, start)
            if start_plan is not None:
                return self._solve_generated(problem, model, start_plan, seed, t0, deadline)
        f = build_formulation(problem, model)
        strong = strengthened_lp(problem, f, deadline=deadline, threads=self.threads, seed=seed)
        session, lp = strong.session, strong.result
        if lp.termination is Termination.INFEASIBLE:
            return plan_from_result(problem, f, model, lp, "milp", t0)
        start_plan = self._start(problem, seed, deadline, start)
        if (
            start_plan is not None
            and lp.bound is not None
            and start_plan.objective is not None
            and start_plan.objective - lp.bound <= self.mip_gap * abs(start_plan.objective)
        ):
            return _proven(start_plan, lp.bound, t0)
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
        )
        plan = plan_from_result(problem, f, model, out, "milp", t0, fallback=start_plan)
        return _with_bound(
            plan, lp.bound, self.mip_gap, finished=out.termination is Termination.OPTIMAL
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
        """Search the columns column generation priced in; bound: the full LP bound."""
        initial = np.union1d(initial_columns(problem, model), np.nonzero(start_plan.x)[0])
        cg_deadline = t0 + 0.6 * self.time_limit_s
        cg = column_generation(
            problem, model, initial, deadline=cg_deadline, threads=self.threads, seed=seed
        )
        if (
            cg.bound is not None
            and start_plan.objective is not None
            and start_plan.objective - cg.bound <= self.mip_gap * abs(start_plan.objective)
        ):
            return _proven(start_plan, cg.bound, t0)
        r = cg.restricted
        f = build_formulation(r.problem, r.model)
        session = strengthened_lp(
            r.problem, f, deadline=deadline, threads=self.threads, seed=seed
        ).session
        start = start_vector(r.problem, f, r.model, start_plan.x[r.cands], start_plan.servers_on)
        session.make_integer()
        out = session.solve(
            time_limit_s=deadline - time.perf_counter(),
            mip_gap=self.mip_gap,
            start=start,
            start_cols=start_columns(f, complete=not session.presolve),
        )
        fallback = replace(start_plan, x=start_plan.x[r.cands])
        plan = plan_from_result(r.problem, f, r.model, out, "milp", t0, fallback=fallback)
        x = np.zeros(problem.n_candidates)
        x[r.cands] = plan.x
        info = {
            **plan.info,
            "generated_columns": float(len(r.cands)),
            "colgen_rounds": float(cg.rounds),
            "colgen_converged": float(cg.converged),
        }
        plan = replace(plan, x=x, bound=None, info=info)
        return _with_bound(
            plan, cg.bound, self.mip_gap, finished=out.termination is Termination.OPTIMAL
        )

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


def _fits(problem: CompiledProblem, plan: Plan) -> bool:
    """Whether ``plan`` is a plan of ``problem`` that the evaluator accepts."""
    return (
        plan is not None
        and len(plan.x) == problem.n_candidates
        and evaluate(problem, plan).feasible
    )


def _valued(problem: CompiledProblem, model: CostModel, plan: Plan) -> Plan:
    """``plan`` with its objective (computed from the plan when it reports none)."""
    if plan.objective is not None or plan.status is Status.INFEASIBLE:
        return plan
    return replace(plan, objective=plan_value(problem, model, plan.x, plan.servers_on))


def _proven(plan: Plan, bound: float, t0: float) -> Plan:
    """A warm start already within the gap of the bound: optimal within that gap."""
    info = dict(plan.info)
    info["mip_gap"] = (plan.objective - bound) / abs(plan.objective) if plan.objective else 0.0
    return replace(
        plan,
        method="milp",
        status=Status.OPTIMAL,
        bound=bound,
        seconds=time.perf_counter() - t0,
        info=info,
        reason="the warm start is within the gap of the LP bound",
    )


def _with_bound(plan: Plan, lp_bound: float | None, mip_gap: float, *, finished: bool) -> Plan:
    """Take the better of the MIP's and the LP's bound; re-derive the status from the gap
    (optimal within ``mip_gap``; else feasible when the search ``finished``, time-limit if not)."""
    if plan.objective is None or plan.status is Status.INFEASIBLE:
        return plan
    bounds = [b for b in (plan.bound, lp_bound) if b is not None]
    if not bounds:
        return plan
    bound = min(max(bounds), plan.objective)
    gap = (plan.objective - bound) / abs(plan.objective) if plan.objective else 0.0
    if gap <= mip_gap * (1 + 1e-9) + 1e-12:
        status = Status.OPTIMAL
    else:
        status = Status.FEASIBLE if finished else Status.TIME_LIMIT
    return replace(plan, bound=bound, status=status, info={**plan.info, "mip_gap": gap})
