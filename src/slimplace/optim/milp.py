"""``milp`` and ``lp-bound``: the model of :mod:`slimplace.optim.formulation` on HiGHS.

Build, solve, extract and evaluate are separate steps: :func:`build_formulation`,
:func:`solve_formulation`, :func:`extract_plan`, and the caller's evaluator.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from slimplace.optim.costs import (
    CostModel,
    FloatArray,
    IntArray,
    ObjectiveOptions,
    plan_value,
)
from slimplace.optim.formulation import (
    Formulation,
    build_formulation,
    link_pairs,
    link_rows,
    violated_links,
)
from slimplace.optim.highs import HighsSession, Outcome, SolverOutcome
from slimplace.optim.rounds import weighted_sum
from slimplace.plan import Plan, Status, node_busy_s_per_s
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)

#: Shares below this are treated as zero when a solution is read back.
SHARE_EPS = 1e-9


#: Up to this many (demand, node) pairs, every ``link`` row goes into the model at
#: once; above it they are separated from LP solutions.
LINK_ALL_MAX = 40_000


#: From this many candidates on, LPs are solved by column generation
#: (:mod:`slimplace.optim.colgen`) and the MILP searches the generated columns.
COLGEN_MIN_CANDIDATES = 50_000

Columns = Literal["auto", "all", "generated"]


def uses_generated_columns(problem: CompiledProblem, columns: str) -> bool:
    """Whether LPs of ``problem`` go by column generation under option ``columns``."""
    return columns == "generated" or (
        columns == "auto" and problem.n_candidates >= COLGEN_MIN_CANDIDATES
    )


@dataclass(frozen=True, kw_only=True)
class HighsOptions(ObjectiveOptions):
    """Options of the methods that solve on HiGHS: ``threads`` (None: HiGHS's default)
    and ``columns`` (which candidates enter the model; see :class:`MilpSolver`)."""

    threads: int | None = None
    columns: Columns = "auto"


@dataclass(frozen=True, kw_only=True)
class MilpSolver(HighsOptions):
    """Exact placement: the MILP on HiGHS, warm-started from ``greedy``.

    ``time_limit_s`` bounds the whole call (build, bound, warm start and search);
    ``mip_gap`` is the relative gap at which the search stops (status "optimal"
    means proven within it); ``objective`` is "energy", "carbon", "mix" (with
    ``carbon_weight``) or None for the scenario's. ``columns``: "all" candidates
    in the model, "generated" (the MILP searches the columns that column
    generation priced in, and the gap is measured against the full LP bound),
    or "auto" (generated from ``COLGEN_MIN_CANDIDATES`` candidates on).
    """

    mip_gap: float = 1e-4
    warm_start: bool = True

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Optimal plan (or the incumbent at the time limit, or the infeasible status)."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        if uses_generated_columns(problem, self.columns):
            start_plan = self._start(problem, seed, deadline)
            if start_plan is not None:
                return self._solve_generated(problem, model, start_plan, seed, t0, deadline)
        f = build_formulation(problem, model)
        session, lp = strengthened_lp(
            problem, f, deadline=deadline, threads=self.threads, seed=seed
        )
        if lp.outcome is Outcome.INFEASIBLE:
            return plan_from_outcome(problem, f, model, lp, "milp", t0)
        start_plan = self._start(problem, seed, deadline)
        if (
            start_plan is not None
            and lp.bound is not None
            and start_plan.objective is not None
            and start_plan.objective - lp.bound <= self.mip_gap * abs(start_plan.objective)
        ):
            return _proven(start_plan, lp.bound, t0)
        start = (
            start_vector(problem, f, model, start_plan.x, start_plan.servers_on)
            if start_plan
            else None
        )
        session.make_integer()
        out = session.solve(
            time_limit_s=deadline - time.perf_counter(),
            mip_gap=self.mip_gap,
            start=start,
            start_cols=start_columns(f, complete=not session.presolve),
        )
        plan = plan_from_outcome(problem, f, model, out, "milp", t0, fallback=start_plan)
        return _with_bound(plan, lp.bound, self.mip_gap, finished=out.outcome is Outcome.OPTIMAL)

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
        from slimplace.optim.colgen import column_generation

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
        session, _ = strengthened_lp(
            r.problem, f, deadline=deadline, threads=self.threads, seed=seed
        )
        start = start_vector(r.problem, f, r.model, start_plan.x[r.cands], start_plan.servers_on)
        session.make_integer()
        out = session.solve(
            time_limit_s=deadline - time.perf_counter(),
            mip_gap=self.mip_gap,
            start=start,
            start_cols=start_columns(f, complete=not session.presolve),
        )
        fallback = replace(start_plan, x=start_plan.x[r.cands])
        plan = plan_from_outcome(r.problem, f, r.model, out, "milp", t0, fallback=fallback)
        x = np.zeros(problem.n_candidates)
        x[r.cands] = plan.x
        info = {
            **plan.info,
            "generated_columns": float(len(r.cands)),
            "colgen_rounds": float(cg.rounds),
            "colgen_converged": float(cg.converged),
        }
        plan = replace(plan, x=x, bound=None, info=info)
        return _with_bound(plan, cg.bound, self.mip_gap, finished=out.outcome is Outcome.OPTIMAL)

    def _start(self, problem: CompiledProblem, seed: int, deadline: float) -> Plan | None:
        if not self.warm_start:
            return None
        from slimplace.optim.greedy import GreedySolver

        budget = max(0.1, 0.25 * (deadline - time.perf_counter()))
        plan = GreedySolver(
            time_limit_s=budget, objective=self.objective, carbon_weight=self.carbon_weight
        ).solve(problem, seed=seed)
        return plan if plan.status is not Status.INFEASIBLE else None


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
        if uses_generated_columns(problem, self.columns):
            return _lp_by_columns(problem, model, t0, deadline, self.threads, seed)
        f = build_formulation(problem, model, relax=True)
        _, out = strengthened_lp(problem, f, deadline=deadline, threads=self.threads, seed=seed)
        return plan_from_outcome(problem, f, model, out, "lp-bound", t0, relaxed=True)


def initial_columns(
    problem: CompiledProblem, model: CostModel, per_demand: int = 8, search: Any = None
) -> IntArray:
    """A shortlist of each demand's cheapest candidates to start column generation
    (from ``search``, a :class:`~slimplace.optim.greedy.Search`, when given)."""
    from slimplace.optim.greedy import Search

    if search is not None:
        return np.asarray(search.shortlist(per_demand), dtype=np.int64)
    return Search(problem, model, per_demand).sub


def _lp_by_columns(
    problem: CompiledProblem,
    model: CostModel,
    t0: float,
    deadline: float,
    threads: int | None,
    seed: int,
) -> Plan:
    """The LP bound by column generation (phase one by big-M artificial columns)."""
    from slimplace.optim.colgen import artificial_share, column_generation

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
            _empty_on(problem),
            "lp-bound",
            Status.TIME_LIMIT,
            seconds=time.perf_counter() - t0,
            reason=f"restricted LP: {cg.lp.model_status}",
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


def strengthened_lp(
    problem: CompiledProblem,
    f: Formulation,
    *,
    deadline: float,
    threads: int | None,
    seed: int,
    max_rounds: int = 30,
    return_pairs: bool = False,
) -> Any:
    """Solve the LP relaxation of ``f`` with its ``link`` rows (all of them when few,
    else those the LP solutions violate, round after round).

    Returns the session (still an LP, holding the link rows) and the last LP outcome
    (and, with ``return_pairs``, the link rows' (demand, node) keys in row order).
    """
    pairs = link_pairs(problem, f) if "n" in f.cols else np.zeros(0, dtype=np.int64)
    added = np.zeros(0, dtype=np.int64)
    in_order = [np.zeros(0, dtype=np.int64)]
    if 0 < len(pairs) <= LINK_ALL_MAX:
        added = pairs
        in_order.append(pairs)
    session = HighsSession(f, threads=threads, seed=seed, relax=True)
    if len(added):
        session.add_rows(link_rows(problem, f, added))
    out = session.solve(time_limit_s=deadline - time.perf_counter())
    for _ in range(max_rounds):
        if out.values is None or len(added) == len(pairs) or time.perf_counter() > deadline:
            break
        todo = np.setdiff1d(pairs, added, assume_unique=True)
        new = violated_links(problem, f, out.values, todo)
        if len(new) == 0:
            break
        session.add_rows(link_rows(problem, f, new))
        added = np.union1d(added, new)
        in_order.append(new)
        out = session.solve(time_limit_s=deadline - time.perf_counter())
    log.info("LP bound %s with %d of %d link rows", out.bound, len(added), len(pairs))
    if return_pairs:
        return session, out, np.concatenate(in_order)
    return session, out


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


def plan_from_outcome(
    problem: CompiledProblem,
    f: Formulation,
    model: CostModel,
    out: SolverOutcome,
    method: str,
    t0: float,
    *,
    relaxed: bool = False,
    fallback: Plan | None = None,
) -> Plan:
    """Read a solver outcome back as a :class:`Plan` (objective recomputed from the plan)."""
    p = problem
    info: dict[str, float] = {
        "solver_seconds": out.seconds,
        "columns": f.n_cols,
        "rows_before_cuts": f.n_rows,
        "nonzeros": float(f.matrix.nnz),
    }
    if out.outcome is Outcome.INFEASIBLE:
        return Plan(
            np.zeros(p.n_candidates),
            _empty_on(p),
            method,
            Status.INFEASIBLE,
            seconds=time.perf_counter() - t0,
            info=info,
            reason="no plan meets every constraint (see `slimplace.optim.diagnose`)",
        )
    if out.values is None:
        reason = f"HiGHS ended with {out.model_status} and no solution"
        if fallback is not None:
            return Plan(
                fallback.x,
                fallback.servers_on,
                method,
                Status.TIME_LIMIT,
                objective=fallback.objective,
                bound=out.bound,
                seconds=time.perf_counter() - t0,
                reason=reason + "; warm start returned",
                info=info,
            )
        status = Status.TIME_LIMIT if out.outcome is Outcome.TIME_LIMIT else Status.INFEASIBLE
        return Plan(
            np.zeros(p.n_candidates),
            _empty_on(p),
            method,
            status,
            bound=out.bound,
            seconds=time.perf_counter() - t0,
            reason=reason,
            info=info,
        )
    x, on = extract_plan(p, f, out.values, relaxed=relaxed)
    assert out.objective is not None
    info["solver_objective"] = out.objective
    if out.gap is not None:
        info["mip_gap"] = out.gap
    if relaxed:
        status = Status.OPTIMAL if out.outcome is Outcome.OPTIMAL else Status.TIME_LIMIT
        bound = out.objective if status is Status.OPTIMAL else None
        return Plan(
            x,
            on,
            method,
            status,
            objective=out.objective,
            bound=bound,
            seconds=time.perf_counter() - t0,
            info=info,
            reason="" if bound is not None else "LP not solved to optimality: no bound",
        )
    status = Status.OPTIMAL if out.outcome is Outcome.OPTIMAL else Status.TIME_LIMIT
    value = plan_value(p, model, x, on)
    if abs(value - out.objective) > 1e-6 * max(1.0, abs(value)):
        log.warning(
            "%s: plan value %.9g differs from the solver's %.9g", method, value, out.objective
        )
    bound = out.bound if out.bound is not None else None
    if bound is not None:
        bound = min(bound, value)
    return Plan(
        x,
        on,
        method,
        status,
        objective=value,
        bound=bound,
        seconds=time.perf_counter() - t0,
        info=info,
    )


def _empty_on(p: CompiledProblem) -> IntArray:
    return np.where(p.node_always_on, p.node_count, 0).astype(np.int64)


def extract_plan(
    problem: CompiledProblem, f: Formulation, values: FloatArray, *, relaxed: bool = False
) -> tuple[FloatArray, IntArray]:
    """Shares and servers from a column vector: tiny shares dropped, each demand's
    shares renormalised to 1, integers rounded, servers at least what the load needs."""
    p = problem
    x = np.clip(values[f.cols["x"]], 0.0, 1.0)
    integer = f.integrality[f.cols["x"]] > 0
    x = np.where(integer, np.rint(x), x)
    x[x < SHARE_EPS] = 0.0
    cover = weighted_sum(p.cand_demand, x, p.n_demands)
    x = x / np.where(cover > 0, cover, 1.0)[p.cand_demand]
    on = _empty_on(p)
    nodes = f.col_index["n"][0]
    n = values[f.cols["n"]]
    on[nodes] = np.ceil(n - 1e-6) if relaxed else np.rint(n)
    need = servers_for_load(p, node_busy_s_per_s(p, x))
    on = np.where(p.node_always_on, p.node_count, np.maximum(on, need))
    return x, np.minimum(on, np.maximum(p.node_count, need)).astype(np.int64)


def servers_for_load(p: CompiledProblem, busy: FloatArray) -> IntArray:
    """Fewest servers keeping each node at rho_max, forgiving solver tolerances (1e-6 relative)."""
    need = np.ceil(busy / p.max_utilisation * (1 - 1e-6) - 1e-9)
    return np.maximum(need, 0).astype(np.int64)


def start_vector(
    problem: CompiledProblem, f: Formulation, model: CostModel, x: FloatArray, servers_on: IntArray
) -> FloatArray:
    """A full column vector for plan (``x``, ``servers_on``) to warm-start the MILP."""
    p = problem
    v = np.zeros(f.n_cols)
    v[f.cols["x"]] = x
    v[f.cols["n"]] = servers_on[f.col_index["n"][0]]
    if "y" in f.cols:
        node, mdl = f.col_index["y"]
        used = x > SHARE_EPS
        loaded = np.unique(p.cand_node[used] * p.n_models + p.variant_model[p.cand_variant[used]])
        v[f.cols["y"]] = np.isin(node * p.n_models + mdl, loaded)
    if "lam" in f.cols:
        _start_curves(p, f, model, x, servers_on, v)
    return v


def start_columns(f: Formulation, *, complete: bool) -> IntArray | None:
    """Columns a warm start sets: all (``complete``), else shares, servers and loaded
    models, leaving HiGHS to complete the curve columns (HiGHS 1.16 with presolve
    can misread a complete start that includes them)."""
    if complete:
        return None
    parts = [np.arange(f.cols[k].start, f.cols[k].stop) for k in ("x", "n", "y") if k in f.cols]
    return np.concatenate(parts).astype(np.int64)


def _start_curves(
    p: CompiledProblem,
    f: Formulation,
    model: CostModel,
    x: FloatArray,
    servers_on: IntArray,
    v: FloatArray,
) -> None:
    """Lambda and segment values of each curve node: its utilisation as a convex
    combination of the two breakpoints around it."""
    busy = node_busy_s_per_s(p, x)
    on = np.where(p.node_always_on, p.node_count, servers_on).astype(np.float64)
    lam_node, lam_bp = f.col_index["lam"]
    lam = np.zeros(len(lam_node))
    seg = np.zeros(f.cols["seg"].stop - f.cols["seg"].start) if "seg" in f.cols else np.zeros(0)
    seg_node, seg_j = f.col_index["seg"] if "seg" in f.cols else (np.zeros(0, np.int64),) * 2
    for node in np.unique(lam_node):
        mine = np.nonzero(lam_node == node)[0]
        u = model.curve_u[np.searchsorted(model.curve_nodes, node), lam_bp[mine]]
        j = 0
        if on[node] > 0:
            util = min(busy[node] / on[node], u[-1])
            j = int(min(np.searchsorted(u, util, side="right") - 1, len(u) - 2))
            w = (util - u[j]) / (u[j + 1] - u[j])
            lam[mine[j]] = on[node] * (1 - w)
            lam[mine[j + 1]] = on[node] * w
        seg[(seg_node == node) & (seg_j == j)] = 1.0
    v[f.cols["lam"]] = lam
    if "seg" in f.cols:
        v[f.cols["seg"]] = seg
