"""``lp-bound``: the LP relaxation of :mod:`slimplace.optim.formulation` with its ``link``
rows; its optimum is a lower bound on every plan's objective (by column generation on
large problems, where the bound stays valid if it stops early)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from slimplace.optim.colgen import (
    artificial_share,
    column_generation,
    initial_columns,
    uses_generated_columns,
)
from slimplace.optim.costs import CostModel
from slimplace.optim.empty import empty_problem_plan
from slimplace.optim.extract import empty_on, extract_plan, plan_from_result
from slimplace.optim.formulation import build_formulation
from slimplace.optim.lp import HighsOptions, strengthened_lp
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem


@dataclass(frozen=True, kw_only=True)
class LpBoundSolver(HighsOptions):
    """The LP relaxation (with the ``link`` rows of the formulation): its optimum
    is a lower bound on every plan's objective.

    Large problems (``columns``, as for ``milp``) are solved by column
    generation; the bound reported is then valid even if it stops early. The
    plan carries the relaxed shares with servers rounded up; it need not be
    feasible (shares may split unsplittable demands, models may not fit).
    """

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Solve the relaxation; status "optimal" refers to the relaxation."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        if problem.n_demands == 0:
            return empty_problem_plan(problem, model, "lp-bound")
        if uses_generated_columns(problem, self.columns):
            return _lp_by_columns(problem, model, t0, deadline, self.threads, seed)
        f = build_formulation(problem, model, relax=True)
        out = strengthened_lp(problem, f, deadline=deadline, threads=self.threads, seed=seed)
        return plan_from_result(problem, f, model, out.result, "lp-bound", t0, relaxed=True)


def _lp_by_columns(
    problem: CompiledProblem,
    model: CostModel,
    t0: float,
    deadline: float,
    threads: int | None,
    seed: int,
) -> Plan:
    """The LP bound by column generation (phase one by big-M artificial columns)."""
    cg = column_generation(
        problem,
        model,
        initial_columns(problem, model),
        deadline=deadline,
        threads=threads,
        seed=seed,
    )
    if cg.lp.values is None or cg.bound is None:
        return Plan(
            np.zeros(problem.n_candidates),
            empty_on(problem),
            "lp-bound",
            Status.TIME_LIMIT,
            bound=cg.bound,
            seconds=time.perf_counter() - t0,
            reason=f"restricted LP: {cg.lp.model_status}"
            + ("; the bound of the earlier rounds holds" if cg.bound is not None else ""),
        )
    r = cg.restricted
    x_r, on = extract_plan(r.problem, cg.formulation, cg.lp.values, relaxed=True)
    x = np.zeros(problem.n_candidates)
    x[r.cands] = x_r
    info = {
        "generated_columns": float(len(r.cands)),
        "colgen_rounds": float(cg.rounds),
        "restricted_lp": float(cg.lp.objective or np.nan),
    }
    if artificial_share(cg.formulation, cg.lp.values) > 1e-6:
        status = Status.INFEASIBLE if cg.converged else Status.TIME_LIMIT
        return Plan(
            x,
            on,
            "lp-bound",
            status,
            seconds=time.perf_counter() - t0,
            info=info,
            reason="some demands cannot be served even fractionally",
        )
    status = Status.OPTIMAL if cg.converged else Status.TIME_LIMIT
    reason = (
        "" if cg.converged else "column generation stopped early: the bound is valid but weaker"
    )
    return Plan(
        x,
        on,
        "lp-bound",
        status,
        objective=cg.bound,
        bound=cg.bound,
        seconds=time.perf_counter() - t0,
        info=info,
        reason=reason,
    )
