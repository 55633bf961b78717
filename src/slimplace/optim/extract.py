"""Reading HiGHS results back as plans, and plans forward as MILP warm starts."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np

from slimplace.optim.costs import CostModel, FloatArray, IntArray, controllable_gap, plan_value
from slimplace.optim.formulation import Formulation
from slimplace.optim.highs import HighsResult, Termination
from slimplace.optim.mode_rows import start_modes
from slimplace.optim.segments import weighted_sum
from slimplace.plan import Plan, Status, node_busy_s_per_s, servers_for_load
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)

#: Relative difference between the plan's recomputed value and the solver's objective
#: above which a warning is logged (below it, an info line: solver tolerances).
VALUE_RTOL_WARN = 1e-3

#: Shares below this are treated as zero when a solution is read back.
SHARE_EPS = 1e-9


def plan_from_result(
    problem: CompiledProblem,
    f: Formulation,
    model: CostModel,
    out: HighsResult,
    method: str,
    t0: float,
    *,
    relaxed: bool = False,
    fallback: Plan | None = None,
) -> Plan:
    """Read a HiGHS result back as a :class:`Plan` (objective recomputed from the plan)."""
    p = problem
    info: dict[str, float] = {
        "solver_seconds": out.seconds,
        "columns": f.n_cols,
        "rows_before_cuts": f.n_rows,
        "nonzeros": float(f.matrix.nnz),
    }
    if out.termination is Termination.INFEASIBLE:
        return Plan(
            np.zeros(p.n_candidates),
            empty_on(p),
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
        status = (
            Status.TIME_LIMIT if out.termination is Termination.TIME_LIMIT else Status.INFEASIBLE
        )
        return Plan(
            np.zeros(p.n_candidates),
            empty_on(p),
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
        status = Status.OPTIMAL if out.termination is Termination.OPTIMAL else Status.TIME_LIMIT
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
    status = Status.OPTIMAL if out.termination is Termination.OPTIMAL else Status.TIME_LIMIT
    value = plan_value(p, model, x, on)
    note_value_drift(method, value, out.objective)
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


def empty_on(p: CompiledProblem) -> IntArray:
    """Servers on with nothing placed: always-on nodes keep all of theirs."""
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
    on = empty_on(p)
    nodes = f.col_index["n"][0]
    n = values[f.cols["n"]]
    on[nodes] = np.ceil(n - 1e-6) if relaxed else np.rint(n)
    need = servers_for_load(node_busy_s_per_s(p, x), p.max_utilisation)
    on = np.where(p.node_always_on, p.node_count, np.maximum(on, need))
    return x, np.minimum(on, np.maximum(p.node_count, need)).astype(np.int64)


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
    start_modes(p, f.cols, f.col_index, x, servers_on, v)
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


def note_value_drift(method: str, value: float, solver_value: float) -> None:
    """Log where the plan's recomputed ``value`` differs from the solver's objective by
    more than 1e-6 relative: a warning above :data:`VALUE_RTOL_WARN`, else an info line.
    Within the solver's feasibility tolerances a MIP's objective drifts from the plan's
    value by about 1e-5 (0.0013 % on a 30-node line): a note, not something a user must
    act on; the plan's own value is the one reported either way."""
    diff, scale = abs(value - solver_value), max(1.0, abs(value))
    if diff <= 1e-6 * scale:
        return
    level = logging.WARNING if diff > VALUE_RTOL_WARN * scale else logging.INFO
    log.log(
        level, "%s: plan value %.9g differs from the solver's %.9g", method, value, solver_value
    )


def with_bound(
    plan: Plan, lp_bound: float | None, mip_gap: float, model: CostModel, *, finished: bool
) -> Plan:
    """Take the better of the MIP's and the LP's bound; re-derive the status from the gap
    on the plan-dependent part of the objective (optimal within ``mip_gap``; else
    feasible when the search ``finished``, time-limit if not)."""
    if plan.objective is None or plan.status is Status.INFEASIBLE:
        return plan
    bounds = [b for b in (plan.bound, lp_bound) if b is not None]
    if not bounds:  # nothing proves optimality (the LP did not finish in time)
        if plan.status is not Status.OPTIMAL:
            return plan
        status = Status.FEASIBLE if finished else Status.TIME_LIMIT
        reason = plan.reason or "no lower bound in time: the plan is not proven optimal"
        return replace(plan, status=status, reason=reason)
    bound = min(max(bounds), plan.objective)
    gap = controllable_gap(plan.objective, bound, model.constant)
    if gap <= mip_gap * (1 + 1e-9) + 1e-12:
        status = Status.OPTIMAL
    else:
        status = Status.FEASIBLE if finished else Status.TIME_LIMIT
    return replace(plan, bound=bound, status=status, info={**plan.info, "mip_gap": gap})
