"""The exact method: a disjunctive (ordering-based, big-M) MILP solved by HiGHS.

Options o = (job j, machine m, variant k) with run time ``p_o`` and energy ``e_o``
(compute plus input transfer). For the energy objective only the cheapest
floor-meeting choice per (j, m) can be optimal (a lighter variant is faster and
cheaper on the same machine), so the options shrink to it; the accuracy
objective keeps every Pareto option (above the floor unless the job splits).
Formulation (Manne, *Oper. Res.* 8(2), 1960; Balas, *Oper. Res.* 33(4), 1985)::

    variables  y_o in {0,1} (in [0,1] for a splittable job), z_jm in {0,1},
               start s_j >= 0, order w_ij in {0,1} for pairs that can overlap
    assign[j]     sum_m z_jm = 1
    link[j,m]     sum_{o in (j,m)} y_o = z_jm
    floor[j]      sum_o y_o (acc_o - floor_j) >= 0                (splittable jobs)
    ready[j]      s_j >= sum_m (release_j + transfer_jm) z_jm
    deadline[j]   s_j + sum_o y_o p_o <= d_j
    before[i,j,m] s_i + P_im - s_j <= M_ij (3 - w_ij - z_im - z_jm)      (i first)
    after[i,j,m]  s_j + P_jm - s_i <= M_ji (2 + w_ij - z_im - z_jm)      (j first)
    window[m,a,b] sum_{j: ready_jm >= a, d_j <= b} P_jm <= b - a          (energetic cuts)
    budget        sum_o y_o e_o <= B - static                    (accuracy objective)
    objective     min sum_o y_o e_o   |   max sum_o y_o u_j acc_o

with ``P_jm = sum_{o in (j,m)} y_o p_o`` and ``M_ij = d_i - min_m ready_jm``
(the largest ``s_i + P_i - s_j`` can be). Pairs whose windows cannot overlap need
no order variable. The window rows are the energetic-reasoning cuts of
Baptiste, Le Pape & Nuijten (*Constraint-Based Scheduling*, 2001, ch. 3). Start
times are left-shifted afterwards in the solver's order, so they are exact.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from slimplace.optim.highs import quiet_highs
from slimplace.plan import Status
from slimplace.scheduling.choices import floor_choices, hull_mix
from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem
from slimplace.scheduling.schedule import Schedule, assemble, empty_schedule, sequence_times

log = logging.getLogger(__name__)

AnyArray = npt.NDArray[Any]


@dataclass(frozen=True, eq=False)
class _Options:
    job: IntArray
    machine: IntArray
    variant: IntArray
    run_s: FloatArray
    energy_j: FloatArray
    accuracy: FloatArray


def _options(problem: ScheduleProblem) -> _Options:
    p = problem
    rows: list[tuple[AnyArray, ...]] = []
    floor = floor_choices(p) if p.objective == "energy" else None
    for j in range(p.n_jobs):
        var, run, energy, acc = p.job_options(j)
        keep = var >= 0
        if floor is not None:
            prof = p.machine_profile[:, None]
            keep &= (var == floor.lo[j, prof]) | (
                (var == floor.hi[j, prof]) & (floor.alpha[j, prof] > 0)
            )
        elif not p.job_split[j]:
            keep &= acc >= p.job_floor[j] - 1e-12
        m, k = np.nonzero(keep)
        rows.append((np.full(len(m), j), m, var[m, k], run[m, k], energy[m, k], acc[m, k]))
    cols = [np.concatenate([r[i] for r in rows]) for i in range(6)]
    return _Options(
        cols[0].astype(np.int64),
        cols[1].astype(np.int64),
        cols[2].astype(np.int64),
        cols[3],
        cols[4],
        cols[5],
    )


@dataclass
class _Model:
    """Column bounds, costs, integrality and rows (COO) of the MILP."""

    n_y: int
    n_z: int
    n_jobs: int
    pairs: IntArray
    z_job: IntArray
    z_machine: IntArray
    cost: FloatArray
    lower: FloatArray
    upper: FloatArray
    integer: FloatArray
    rows: list[tuple[AnyArray, AnyArray, AnyArray, AnyArray, AnyArray]]
    n_rows: int = 0

    def add(self, r: AnyArray, c: AnyArray, v: AnyArray, lo: AnyArray, hi: AnyArray) -> None:
        """Add rows with local row indices ``r`` (0..n-1), columns ``c`` and values ``v``."""
        self.rows.append((r + self.n_rows, c, v, lo, hi))
        self.n_rows += len(lo)


def _build(p: ScheduleProblem, o: _Options, cuts: bool) -> _Model:
    n_y, n_j = len(o.job), p.n_jobs
    jm = o.job * p.n_machines + o.machine
    keys, o_z = np.unique(jm, return_inverse=True)
    z_job, z_mach = keys // p.n_machines, keys % p.n_machines
    n_z = len(keys)
    ready = p.ready_s
    r_min = np.where(p.admissible, ready, np.inf).min(axis=1)
    d = p.job_deadline_s
    iu, ju = np.triu_indices(n_j, k=1)
    overlap = (r_min[iu] < d[ju]) & (r_min[ju] < d[iu])
    pairs = np.stack([iu[overlap], ju[overlap]], axis=1)
    n_w = len(pairs)
    z0, s0, w0 = n_y, n_y + n_z, n_y + n_z + n_j
    n_col = w0 + n_w
    integer = np.zeros(n_col)
    integer[:n_y] = ~p.job_split[o.job]
    integer[z0:s0] = 1
    integer[w0:] = 1
    lower = np.zeros(n_col)
    upper = np.ones(n_col)
    lower[s0:w0], upper[s0:w0] = np.where(np.isfinite(r_min), r_min, 0.0), d
    cost = np.zeros(n_col)
    if p.objective == "energy":
        cost[:n_y] = o.energy_j
    else:
        cost[:n_y] = -p.job_utility[o.job] * o.accuracy  # HiGHS minimises
    model = _Model(n_y, n_z, n_j, pairs, z_job, z_mach, cost, lower, upper, integer, [])
    y = np.arange(n_y)
    zc = z0 + np.arange(n_z)
    jobs = np.arange(n_j)
    one = np.ones
    # assign[j], link[j,m]
    model.add(z_job, zc, one(n_z), one(n_j), one(n_j))
    model.add(
        np.concatenate([o_z, np.arange(n_z)]),
        np.concatenate([y, zc]),
        np.concatenate([one(n_y), -one(n_z)]),
        np.zeros(n_z),
        np.zeros(n_z),
    )
    split_jobs = np.nonzero(p.job_split)[0]
    if len(split_jobs):
        sel = np.nonzero(p.job_split[o.job])[0]
        local = np.searchsorted(split_jobs, o.job[sel])
        k = len(split_jobs)
        model.add(
            local, sel, o.accuracy[sel] - p.job_floor[o.job[sel]], np.zeros(k), np.full(k, np.inf)
        )
    # ready[j]: s_j - sum_m ready_jm z_jm >= 0 ; deadline[j]: s_j + sum p y <= d_j
    model.add(
        np.concatenate([jobs, z_job]),
        np.concatenate([s0 + jobs, zc]),
        np.concatenate([one(n_j), -ready[z_job, z_mach]]),
        np.zeros(n_j),
        np.full(n_j, np.inf),
    )
    model.add(
        np.concatenate([jobs, o.job]),
        np.concatenate([s0 + jobs, y]),
        np.concatenate([one(n_j), o.run_s]),
        np.full(n_j, -np.inf),
        d.copy(),
    )
    _disjunctions(p, o, model, o_z, s0, w0, r_min)
    if cuts:
        _windows(p, o, model, ready)
    if p.objective == "accuracy":
        budget = (p.budget_j if p.budget_j is not None else np.inf) - p.static_energy_j
        model.add(np.zeros(n_y, np.int64), y, o.energy_j, np.array([-np.inf]), np.array([budget]))
    return model


def _disjunctions(
    p: ScheduleProblem,
    o: _Options,
    model: _Model,
    o_z: IntArray,
    s0: int,
    w0: int,
    r_min: FloatArray,
) -> None:
    """before/after rows for every overlapping pair on every machine both can use."""
    if not len(model.pairs):
        return
    n_m = p.n_machines
    z_index = np.full((p.n_jobs, n_m), -1)
    z_index[model.z_job, model.z_machine] = np.arange(model.n_z)
    pi, pj = model.pairs[:, 0], model.pairs[:, 1]
    both = (z_index[pi] >= 0) & (z_index[pj] >= 0)
    pair, mach = np.nonzero(both)
    i, j = pi[pair], pj[pair]
    zi, zj = model.n_y + z_index[i, mach], model.n_y + z_index[j, mach]
    w = w0 + pair
    d = p.job_deadline_s
    big_ij = d[i] - r_min[j]
    big_ji = d[j] - r_min[i]
    n = len(pair)
    # P terms: y_o p_o for the options of i on the machine (before) and of j (after)
    o_key = o.job * n_m + o.machine
    order = np.argsort(o_key, kind="stable")
    terms = []
    for first, offset in ((i, 0), (j, 1)):
        key = first * n_m + mach
        lo = np.searchsorted(o_key[order], key, side="left")
        counts = np.searchsorted(o_key[order], key, side="right") - lo
        rows = np.repeat(np.arange(n), counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        cols = order[np.repeat(lo, counts) + within]
        terms.append((rows * 2 + offset, cols, o.run_s[cols]))
    r_base = np.arange(n) * 2
    ra, rb = r_base, r_base + 1
    rows = np.concatenate([ra, ra, ra, ra, ra, rb, rb, rb, rb, rb, terms[0][0], terms[1][0]])
    cols = np.concatenate(
        [s0 + i, s0 + j, w, zi, zj, s0 + j, s0 + i, w, zi, zj, terms[0][1], terms[1][1]]
    )
    vals = np.concatenate(
        [
            np.ones(n), -np.ones(n), big_ij, big_ij, big_ij,
            np.ones(n), -np.ones(n), -big_ji, big_ji, big_ji,
            terms[0][2], terms[1][2],
        ]
    )  # fmt: skip
    upper = np.empty(2 * n)
    upper[ra], upper[rb] = 3 * big_ij, 2 * big_ji
    model.add(rows, cols, vals, np.full(2 * n, -np.inf), upper)


def _windows(p: ScheduleProblem, o: _Options, model: _Model, ready: FloatArray) -> None:
    """Energetic cuts: work that must fit in each [a, b] window of each machine."""
    d = p.job_deadline_s
    rows_all, cols_all, vals_all, caps = [], [], [], []
    count = 0
    for m in range(p.n_machines):
        sel = np.nonzero(o.machine == m)[0]
        jobs = np.unique(o.job[sel])
        if len(jobs) < 2:
            continue
        a = np.unique(ready[jobs, m])
        b = np.unique(d[jobs])
        aa, bb = np.meshgrid(a, b, indexing="ij")
        aa, bb = aa.ravel(), bb.ravel()
        good = bb > aa
        aa, bb = aa[good], bb[good]
        inside = (ready[o.job[sel], m][None, :] >= aa[:, None]) & (
            d[o.job[sel]][None, :] <= bb[:, None]
        )
        jobs_in = (ready[jobs, m][None, :] >= aa[:, None]) & (d[jobs][None, :] <= bb[:, None])
        keep = jobs_in.sum(axis=1) >= 2  # a window with one job adds nothing
        inside, aa, bb = inside[keep], aa[keep], bb[keep]
        r, c = np.nonzero(inside)
        rows_all.append(r + count)
        cols_all.append(sel[c])
        vals_all.append(o.run_s[sel[c]])
        caps.append(bb - aa)
        count += len(aa)
    if count:
        model.add(
            np.concatenate(rows_all),
            np.concatenate(cols_all),
            np.concatenate(vals_all),
            np.full(count, -np.inf),
            np.concatenate(caps),
        )


def _highs(
    model: _Model, time_limit_s: float, gap: float, seed: int, threads: int | None
) -> highspy.Highs:
    rows = np.concatenate([r[0] for r in model.rows])
    cols = np.concatenate([r[1] for r in model.rows])
    vals = np.concatenate([r[2] for r in model.rows])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(model.n_rows, len(model.cost)))
    a.sum_duplicates()
    lp = highspy.HighsLp()
    lp.num_col_ = len(model.cost)
    lp.num_row_ = model.n_rows
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.lower
    lp.col_upper_ = model.upper
    lp.row_lower_ = np.concatenate([r[3] for r in model.rows])
    lp.row_upper_ = np.concatenate([r[4] for r in model.rows])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
        for v in model.integer
    ]
    h = quiet_highs()
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("random_seed", int(seed))
    if threads is not None:
        # HiGHS keeps one thread pool per process: changing its size after another model
        # started it makes the run fail, so only set it when asked to.
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    return h


def effective_deadlines_s(problem: ScheduleProblem, options: _Options) -> FloatArray:
    """Deadlines no later than the end of the longest schedule there can be (the latest
    release on any machine, then every job one after another at its slowest option): a
    later deadline never binds, and a huge one (``1e300 h``, ``inf``) would otherwise be
    a big-M that HiGHS cannot use."""
    ready = np.where(problem.admissible, problem.ready_s, -np.inf).max(axis=1)
    slowest = np.zeros(problem.n_jobs)
    np.maximum.at(slowest, options.job, options.run_s)
    finite = ready[np.isfinite(ready)]
    horizon = float(finite.max(initial=0.0) + slowest.sum()) * (1 + 1e-9) + 1.0
    return np.minimum(problem.job_deadline_s, horizon)


class ExactMilp:
    """The disjunctive MILP above on HiGHS, with a time limit and a relative gap."""

    def __init__(
        self,
        *,
        time_limit_s: float = 60.0,
        mip_gap: float = 1e-6,
        cuts: bool = True,
        threads: int | None = None,
    ) -> None:
        self.time_limit_s = time_limit_s
        self.mip_gap = mip_gap
        self.cuts = cuts
        self.threads = threads

    def solve(self, problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
        """Solve to the gap or the time limit; the incumbent, its bound and status."""
        t0 = time.perf_counter()
        opts = _options(problem)
        missing = np.setdiff1d(np.arange(problem.n_jobs), opts.job)
        if len(missing):
            reason = f"job {problem.job_ids[missing[0]]!r} fits no machine"
            return empty_schedule("milp", Status.INFEASIBLE, reason, time.perf_counter() - t0)
        bounded = replace(problem, job_deadline_s=effective_deadlines_s(problem, opts))
        model = _build(bounded, opts, self.cuts and problem.n_jobs <= 200)
        left = self.time_limit_s - (time.perf_counter() - t0)
        h = _highs(model, left, self.mip_gap, seed, self.threads)
        if h.run() == highspy.HighsStatus.kError:
            raise RuntimeError(f"HiGHS failed: {h.modelStatusToString(h.getModelStatus())}")
        status = h.getModelStatus()
        info = h.getInfo()
        seconds = time.perf_counter() - t0
        has_solution = info.primal_solution_status == 2
        log.info(
            "milp: %s after %.2f s (%d rows)", h.modelStatusToString(status), seconds, model.n_rows
        )
        if status == highspy.HighsModelStatus.kInfeasible:
            return empty_schedule("milp", Status.INFEASIBLE, "proved infeasible", seconds)
        if not has_solution:
            return empty_schedule(
                "milp", Status.TIME_LIMIT, "no solution within the time limit", seconds
            )
        x = np.asarray(h.getSolution().col_value)
        st = Status.OPTIMAL if status == highspy.HighsModelStatus.kOptimal else Status.TIME_LIMIT
        return _extract(problem, opts, model, x, info, st, seconds)


def _extract(
    p: ScheduleProblem,
    o: _Options,
    model: _Model,
    x: FloatArray,
    info: highspy.HighsInfo,
    status: Status,
    seconds: float,
) -> Schedule:
    y = x[: model.n_y]
    z = x[model.n_y : model.n_y + model.n_z]
    s = x[model.n_y + model.n_z : model.n_y + model.n_z + p.n_jobs]
    machine = np.full(p.n_jobs, -1, dtype=np.int64)
    for k in np.argsort(z):  # the largest z of each job is written last
        machine[model.z_job[k]] = model.z_machine[k]
    lo = np.zeros(p.n_jobs, dtype=np.int64)
    hi = np.zeros(p.n_jobs, dtype=np.int64)
    alpha = np.zeros(p.n_jobs)
    on = o.machine == machine[o.job]
    for j in range(p.n_jobs):
        sel = np.nonzero(on & (o.job == j))[0]
        share = np.clip(y[sel], 0.0, None)
        if not p.job_split[j]:
            lo[j] = hi[j] = o.variant[sel[np.argmax(share)]]
            continue
        acc = float(np.dot(share, o.accuracy[sel]) / max(share.sum(), 1e-12))
        lo[j], hi[j], alpha[j] = hull_mix(p, j, int(p.machine_profile[machine[j]]), acc)
    prof = p.machine_profile[machine]
    per = (1 - alpha) * p.service_s[prof, lo] + alpha * p.service_s[prof, hi]
    run = p.job_work * per
    start = np.zeros(p.n_jobs)
    for m in range(p.n_machines):
        jobs = np.nonzero(machine == m)[0]
        jobs = jobs[np.argsort(s[jobs], kind="stable")]
        start[jobs], _ = sequence_times(p.ready_s[jobs, m], run[jobs])
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    if p.objective == "energy":
        objective += p.static_energy_j
        bound += p.static_energy_j
    else:
        objective, bound = -objective, -bound
    return assemble(
        p,
        machine,
        lo,
        hi,
        alpha,
        start,
        method="milp",
        status=status,
        objective=objective,
        bound=bound,
        seconds=seconds,
        info={"mip_gap": float(info.mip_gap), "nodes": float(info.mip_node_count)},
    )
