r"""Placement, routes and sleeping links in one MILP on HiGHS (``docs/routing.md``).

The placement model of :mod:`slimplace.optim.formulation` (without its fixed-route
bandwidth rows; each candidate's network cost less its shortest path's marginal energy)
plus, for flows f = (demand d, serving node v != source) and links l:

Variables::

    g_fp  in [0, 1]   share of d's requests on admissible path p of flow f
                      (binary when d's application is unsplittable: one path per flow)
    o_l   in {0, 1}   link l on (sleepable links some admissible path crosses; the others
                      never carry traffic and sleep, or cannot sleep and are always on)

Objective: the placement's plus ``sum_fp cost_fp g_fp + sum_l on_l o_l`` (marginal
network energy of the chosen paths, ``kappa_l (baseload_l - sleep_l)`` per link on;
:mod:`slimplace.optim.routing_model`).

Rows::

    route[f]     sum_p g_fp - sum_{c in C(d) at v} x_c = 0             the flow takes paths
    bw[e]        sum_fp load_fpe g_fp - M_e o_l(e) <= 0                  capacity tied to on
                 (M_e = min(bandwidth, largest traffic the arc could see); links that
                 cannot sleep: <= bandwidth, only where it can bind)
    cut[d, l]    sum_{f of d, p crossing l} g_fp - o_l <= 0              strong linking

``cut`` rows are the strong (disaggregated) linking inequalities of fixed-charge
network design, one per commodity and link (Gendron, Crainic & Frangioni, "Multicommodity
capacitated network design", 1999; Magnanti & Wong, "Network design and
transportation planning", Transp. Sci. 18(1), 1984): redundant for binary o, they lift
the LP bound from fractions of a link to whole links. A demand is one commodity: its
paths together carry at most its whole traffic. Up to :data:`CUTS_ALL_MAX` of them go
into the model at once; above that, only those the LP solution violates, round after
round, the most violated first (as the ``link`` rows of
:func:`slimplace.optim.lp.strengthened_lp`).

The number of paths per flow is at most ``k`` (``settings.k_paths``), so every path
column of a flow in the model is there: for the k of the docs (3 to 5) there is nothing
to price. Below :data:`COLGEN_FIRST_MIN_CANDIDATES` candidates (or with
``columns="all"``) the model holds them all and its MIP bound is the bound. From there on
(or with ``columns="generated"``), **column generation over the candidates**
(as :mod:`slimplace.optim.colgen` does for the placement): the LP is solved over a
restricted set R (the cheapest few per demand and the warm start's) with every
``link`` row and every ``cut`` row of R's flows, and the big-M of the ``bw`` rows and
the ``o`` columns of the whole problem, so that it is the whole LP with columns left
out. Its duals, extended to the rows R lacks, price every candidate:

    rc_c = rc_c(placement rows, :func:`slimplace.optim.colgen.reduced_costs` and
           :func:`~slimplace.optim.link_pricing.missing_link_duals`) + y_route[f(c)]

(``x_c`` has -1 in its flow's ``route`` row). A flow with no candidate in R has no
``route`` row: its dual is taken as the least reduced cost of its path columns without
it, ``min_p (cost_fp - sum_e load_fpe y_bw[e] / M_e - sum_l y_cut[d, l])``, the largest
value that keeps every path column's reduced cost non-negative; missing ``cut`` rows
get dual 0 (the LP's solution meets them: their flows carry nothing). The extended
duals are then feasible for every column but the candidates left out, and

    LB = LP(R) + sum_d min(0, min_{c of d not in R} rc_c)

bounds the whole LP, hence every plan (Lübbecke & Desrosiers, "Selected topics in
column generation", Oper. Res. 53(6), 2005, sec. 2.1; each demand's shares sum to 1).
Candidates that price out join R, round after round (the next LP starts from the last
one's basis), for :data:`COLGEN_TIME_SHARE` of the time at most; then the MIP runs over
the candidates the last LP uses, the warm start's and the :data:`MIP_PER_DEMAND`
cheapest per demand by reduced cost. That MIP's own bound holds for its candidates
only: the plan's bound is LB. A restricted LP that is infeasible (too few candidates)
is solved again with the placement's artificial column per demand (phase one); the
problem is reported infeasible only when the converged LP still uses one. Below
:data:`COLGEN_MIN_CANDIDATES` (``columns="auto"``), a plan that column generation does
not prove optimal is then the warm start of the model with every candidate, for the
time left; the better plan and the better bound are kept.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Literal, overload

import numpy as np
from scipy import sparse

from slimplace.arrays import FloatArray, IntArray
from slimplace.optim.arcs import arc_capacity_bps
from slimplace.optim.colgen import (
    RC_TOL,
    Restricted,
    artificial_cost,
    artificial_share,
    carry_statuses,
    initial_columns,
    reduced_costs,
    restrict,
)
from slimplace.optim.costs import CostModel, controllable_gap
from slimplace.optim.extract import extract_plan, start_columns, start_vector, with_bound
from slimplace.optim.formulation import (
    CONTINUOUS,
    INTEGER,
    Formulation,
    build_formulation,
    link_pairs,
    link_rows,
)
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.highs import AT_LOWER, BASIC, HighsResult, HighsSession, Termination
from slimplace.optim.link_pricing import missing_link_duals
from slimplace.optim.lp import HighsOptions, strengthened_lp
from slimplace.optim.routing_heuristic import route_plan
from slimplace.optim.routing_model import RoutingModel, routing_model, routing_value
from slimplace.optim.segments import top_per_demand
from slimplace.placement.registry import Solver, reconfigured
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes
from slimplace.problem.routing import flow_slack_s, plan_arc_loads_bps, shortest_routes

log = logging.getLogger(__name__)

#: Up to this many cut[d, l] rows go into the model at once; above, they are separated
#: lazily. (At 1k demands neither finishes in a minute: docs/routing.md, Scale.)
CUTS_ALL_MAX = 150_000
#: Rounds of cut separation at most.
CUT_ROUNDS = 20
#: The most violated cut rows added per round at most.
CUTS_PER_ROUND = 20_000
#: Share of the time left after the first LP that cut rounds may take (the rest is the
#: MIP's, which keeps the rows).
CUT_TIME_SHARE = 0.6
#: From this many candidates on, the LP goes by column generation over the candidates and
#: the MIP searches the generated ones (the bound is column generation's); below, every
#: candidate is in the model and its MIP bound counts (as before; the placement MILP's
#: threshold, :data:`slimplace.optim.colgen.COLGEN_MIN_CANDIDATES`).
COLGEN_MIN_CANDIDATES = 50_000
#: From this many candidates up to :data:`COLGEN_MIN_CANDIDATES`, ``columns="auto"`` runs
#: column generation first (a plan and a bound in about a second), then, unless that plan
#: is proven optimal, the model with every candidate, warm-started from it, for the time
#: left: its MIP bound holds for the whole problem. On default imports of 37,650-42,465
#: candidates (Topology Zoo Nordu, Hibernia; k = 3) the whole model alone solved no root
#: LP in 10 s and returned the warm start without a bound, where column generation proves
#: the optimum in under a second; on the routing benchmark's backbones (5,807-12,158)
#: the whole model alone gives the better plans and bounds (docs/routing.md).
COLGEN_FIRST_MIN_CANDIDATES = 15_000
#: Cheapest candidates per demand that column generation starts from (with the warm
#: start's).
COLGEN_START_PER_DEMAND = 4
#: Candidates of each demand added per round at most (the most negative reduced costs).
COLGEN_ADD_PER_DEMAND = 8
#: Share of the time limit that column generation may take (the rest is the MIP's).
COLGEN_TIME_SHARE = 0.5
#: Candidates per demand of least reduced cost that the MIP after column generation
#: searches (with those the last LP uses and the warm start's).
MIP_PER_DEMAND = 2


@dataclass(frozen=True, eq=False)
class RoutingFormulation:
    """The extended formulation with its routing model (flows of every offloaded
    candidate) and the column and row families it added."""

    f: Formulation
    rm: RoutingModel
    flow_key: IntArray
    on_links: IntArray
    cuts: sparse.csr_array
    cut_links: IntArray
    #: each cut row's ``demand * n_links + link``
    cut_keys: IntArray


@dataclass(frozen=True, eq=False)
class Flows:
    """The flows of a problem's candidates: ``key`` (sorted ``demand * N + node``), the
    candidates served away from their source (``away``) and each one's flow
    (``cand_flow``), with their routing model."""

    key: IntArray
    away: IntArray
    cand_flow: IntArray
    rm: RoutingModel
    #: each flow's SLO slack (:func:`~slimplace.problem.routing.flow_slack_s`)
    slack_s: FloatArray

    @property
    def worst_bps(self) -> FloatArray:
        """The most traffic every arc could see (every flow's every path at once)."""
        return np.asarray(self.rm.load.sum(axis=0), dtype=np.float64).ravel()

    @property
    def on_links(self) -> IntArray:
        """Sleepable links some admissible path crosses (the ``o`` columns)."""
        crossed = np.unique(self.rm.links.indices)
        return np.asarray(crossed[self.rm.sleepable[crossed]], dtype=np.int64)


def problem_flows(problem: CompiledProblem, model: CostModel, scope: Flows | None = None) -> Flows:
    """The flows of ``problem``'s candidates and their routing model (``scope``: the
    flows of the whole problem when ``problem`` holds some of its candidates: a path's
    admissibility is then the whole problem's, every variant of the flow counted)."""
    p = problem
    n = p.n_nodes
    src = p.demand_source[p.cand_demand]
    away = np.flatnonzero(p.cand_node != src)
    key = p.cand_demand[away] * n + p.cand_node[away]
    flow_key, cand_flow = np.unique(key, return_inverse=True)
    d, v = flow_key // n, flow_key % n
    if scope is None:
        slack = flow_slack_s(p, d, v)
    else:
        slack = scope.slack_s[np.searchsorted(scope.key, flow_key)]
    rm = routing_model(p, model, d, v, slack_s=slack)
    return Flows(flow_key.astype(np.int64), away.astype(np.int64), cand_flow, rm, slack)


def routed_costs(model: CostModel, flows: Flows) -> CostModel:
    """``model`` with each away candidate's network cost less its flow's shortest path's
    (the path columns carry it)."""
    cand_cost = model.cand_cost.copy()
    cand_cost[flows.away] -= flows.rm.cost[flows.rm.flow_ptr[:-1]][flows.cand_flow]
    return replace(model, cand_cost=cand_cost)


def routing_formulation(
    problem: CompiledProblem,
    model: CostModel,
    scope: Flows | None = None,
    artificial: float | None = None,
) -> RoutingFormulation:
    """The MILP of the module docstring (without cut rows; see :func:`cut_rows`).

    ``scope``: the flows of the whole problem when ``problem`` is restricted to some of
    its candidates (column generation): the big-M of the bandwidth rows and the link
    columns are then the whole problem's, so that the restricted model is the whole
    one with columns left out (and its duals price the others). ``artificial``: the cost
    of the placement's artificial column per demand (phase one of column generation,
    :func:`slimplace.optim.colgen.artificial_cost`)."""
    p = problem
    fl = problem_flows(p, model, scope)
    flow_key, away, cand_flow, rm = fl.key, fl.away, fl.cand_flow, fl.rm
    f = build_formulation(
        p, routed_costs(model, fl), fixed_routes=False, artificial_cost=artificial
    )
    scope = fl if scope is None else scope

    n_routes = len(rm.rows)
    on_links = scope.on_links
    unsplit = ~p.app_splittable[p.demand_app[rm.fp.demand[rm.row_flow]]]
    route0 = f.n_cols
    on0 = route0 + n_routes
    n_new = n_routes + len(on_links)
    col_cost = np.concatenate([f.col_cost, rm.cost, rm.link_on_cost[on_links]])
    col_lower = np.concatenate([f.col_lower, np.zeros(n_new)])
    col_upper = np.concatenate([f.col_upper, np.ones(n_new)])
    integ = np.concatenate(
        [
            f.integrality,
            np.where(unsplit, INTEGER, CONTINUOUS),
            np.full(len(on_links), INTEGER),
        ]
    ).astype(np.int32)
    n_total = f.n_cols + n_new
    on_col = np.full(len(p.link_a), -1, dtype=np.int64)
    on_col[on_links] = on0 + np.arange(len(on_links))

    ent_r, ent_c, ent_v = [], [], []
    r0 = 0
    # route[f]
    ent_r += [r0 + rm.row_flow, r0 + cand_flow]
    ent_c += [route0 + np.arange(n_routes), f.cols["x"].start + away]
    ent_v += [np.ones(n_routes), -np.ones(len(away))]
    route_lo = np.zeros(len(flow_key))
    r0 += len(flow_key)
    # bw[e]
    bw_rows, bw_arcs, bw_up, bw_scale = _bandwidth_block(p, scope.worst_bps, on_col)
    load_t = rm.load.T.tocsr()[bw_arcs].tocoo()
    ent_r += [r0 + load_t.row, r0 + np.flatnonzero(on_col[bw_arcs // 2] >= 0)]
    ent_c += [route0 + load_t.col, on_col[bw_arcs // 2][on_col[bw_arcs // 2] >= 0]]
    ent_v += [load_t.data / bw_scale[load_t.row], -np.ones(int((on_col[bw_arcs // 2] >= 0).sum()))]
    r0 += bw_rows
    new = sparse.coo_array(
        (np.concatenate(ent_v), (np.concatenate(ent_r), np.concatenate(ent_c))),
        shape=(r0, n_total),
    ).tocsr()
    top = sparse.hstack([f.matrix, sparse.csc_array((f.n_rows, n_new))], format="csr")
    matrix = sparse.vstack([top, new], format="csc")
    matrix.sum_duplicates()
    cols = {**f.cols, "route": slice(route0, on0), "link_on": slice(on0, n_total)}
    rows = {
        **f.rows,
        "route": slice(f.n_rows, f.n_rows + len(flow_key)),
        "bw_route": slice(f.n_rows + len(flow_key), f.n_rows + r0),
    }
    ext = Formulation(
        matrix=matrix,
        col_cost=col_cost,
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integ,
        row_lower=np.concatenate([f.row_lower, route_lo, np.full(bw_rows, -np.inf)]),
        row_upper=np.concatenate([f.row_upper, route_lo, bw_up]),
        offset=f.offset,
        cols=cols,
        rows=rows,
        col_index={**f.col_index, "route": (rm.rows,), "link_on": (on_links,)},
        row_index={**f.row_index, "route": (flow_key,), "bw_route": (bw_arcs,)},
        row_scale=np.concatenate([f.row_scale, np.ones(len(flow_key)), bw_scale]),
    )
    cuts, cut_keys = _cut_matrix(p, rm, on_col)
    cut_links = (cut_keys % len(p.link_a)).astype(np.int64)
    return RoutingFormulation(ext, rm, flow_key, on_links, cuts, cut_links, cut_keys)


def _bandwidth_block(
    p: CompiledProblem, worst: FloatArray, on_col: IntArray
) -> tuple[int, IntArray, FloatArray, FloatArray]:
    """Arcs that get a bw row: every arc of a link with an on column, and the arcs of
    other links whose bandwidth all the traffic that could cross them (``worst``)
    exceeds. Returns (number of rows, arcs, row upper bounds, row scales M_e)."""
    cap = arc_capacity_bps(p)
    has_on = on_col[np.arange(len(cap)) // 2] >= 0
    arcs = np.flatnonzero((worst > 0) & (has_on | (worst > cap * (1 + 1e-9))))
    scale = np.where(has_on[arcs], np.minimum(cap[arcs], worst[arcs]), cap[arcs])
    upper = np.where(has_on[arcs], 0.0, 1.0)
    return len(arcs), arcs.astype(np.int64), upper, scale


def _cut_matrix(
    p: CompiledProblem, rm: RoutingModel, on_col: IntArray
) -> tuple[sparse.csr_array, IntArray]:
    """One row per (demand, link with an on column) that some path of the demand crosses:
    the route columns (relative) on it; returns the matrix and each row's
    ``demand * n_links + link``."""
    links = rm.links.tocoo()
    keep = on_col[links.col] >= 0
    row, link = links.row[keep], links.col[keep]
    demand = rm.fp.demand[rm.row_flow[row]]
    key = demand * len(p.link_a) + link
    uniq, inv = np.unique(key, return_inverse=True)
    m = sparse.csr_array((np.ones(len(inv)), (inv, row)), shape=(len(uniq), len(rm.rows)))
    m.sum_duplicates()
    return m, uniq.astype(np.int64)


def cut_rows(rf: RoutingFormulation, which: IntArray) -> sparse.csr_array:
    """cut rows ``which`` over every column of the formulation."""
    f = rf.f
    sub = rf.cuts[which].tocoo()
    on_col = np.full(int(rf.on_links.max(initial=-1)) + 1, -1, dtype=np.int64)
    on_col[rf.on_links] = f.cols["link_on"].start + np.arange(len(rf.on_links))
    r = np.concatenate([sub.row, np.arange(len(which))])
    c = np.concatenate([f.cols["route"].start + sub.col, on_col[rf.cut_links[which]]])
    v = np.concatenate([sub.data, -np.ones(len(which))])
    return sparse.csr_array((v, (r, c)), shape=(len(which), f.n_cols))


@overload
def violated_cuts(
    rf: RoutingFormulation,
    values: FloatArray,
    tol: float = ...,
    *,
    with_excess: Literal[False] = ...,
) -> IntArray: ...
@overload
def violated_cuts(
    rf: RoutingFormulation, values: FloatArray, tol: float = ..., *, with_excess: Literal[True]
) -> tuple[IntArray, FloatArray]: ...
def violated_cuts(
    rf: RoutingFormulation, values: FloatArray, tol: float = 1e-6, *, with_excess: bool = False
) -> IntArray | tuple[IntArray, FloatArray]:
    """cut rows the column values violate by more than ``tol`` (and by how much)."""
    f = rf.f
    g = values[f.cols["route"]]
    on = np.zeros(int(rf.on_links.max(initial=-1)) + 1)
    on[rf.on_links] = values[f.cols["link_on"]]
    excess = np.asarray(rf.cuts @ g, dtype=np.float64) - on[rf.cut_links]
    rows = np.flatnonzero(excess > tol).astype(np.int64)
    return (rows, excess[rows]) if with_excess else rows


@dataclass(frozen=True, kw_only=True)
class RoutingMilpSolver(HighsOptions):
    """Exact placement with routes and sleeping links (module docstring), warm-started
    from ``warm_start``'s plan routed by :func:`~slimplace.optim.routing_heuristic.route_plan`."""

    mip_gap: float = 1e-4
    warm_start: Solver | None = field(default_factory=GreedySolver)

    def solve(self, problem: CompiledProblem, *, seed: int = 0, start: Plan | None = None) -> Plan:
        """Optimal plan with routes (or the incumbent at the time limit)."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        warm = self._warm(problem, seed, deadline, start)
        if self._whole(problem):
            plan = self._solve(problem, model, warm, seed, t0, deadline)
        else:
            plan = self._solve_by_columns(problem, model, warm, seed, t0, deadline)
            if self._then_whole(problem, plan, deadline):
                first = plan if plan.objective is not None else warm
                whole = self._solve(problem, model, first, seed, t0, deadline)
                plan = _best_of(plan, whole, model, self.mip_gap)
        return replace(plan, seconds=time.perf_counter() - t0)

    def _whole(self, problem: CompiledProblem) -> bool:
        """Whether every candidate goes in the model (``columns="all"``, or ``"auto"``
        below :data:`COLGEN_MIN_CANDIDATES`): its MIP bound then holds for the whole
        problem and tightens as the search branches, where column generation's bound is
        the LP's (on the 1k scale problem, 30 minutes of the whole model gave a bound
        106 W above the LP's and a better plan; docs/routing.md, Scale)."""
        if self.columns == "auto":
            return problem.n_candidates < min(COLGEN_FIRST_MIN_CANDIDATES, COLGEN_MIN_CANDIDATES)
        return self.columns == "all"

    def _then_whole(self, problem: CompiledProblem, plan: Plan, deadline: float) -> bool:
        """Whether the model with every candidate follows column generation
        (:data:`COLGEN_FIRST_MIN_CANDIDATES`): ``columns="auto"``, below
        :data:`COLGEN_MIN_CANDIDATES`, a plan not proven optimal, and a quarter of the
        time limit left."""
        return (
            self.columns == "auto"
            and problem.n_candidates < COLGEN_MIN_CANDIDATES
            and plan.status in (Status.FEASIBLE, Status.TIME_LIMIT)
            and deadline - time.perf_counter() >= 0.25 * self.time_limit_s
        )

    def _warm(
        self, problem: CompiledProblem, seed: int, deadline: float, given: Plan | None
    ) -> Plan | None:
        """The best of: the ``given`` plan (its routes, and rerouted by the heuristic) and
        the warm-start solver's plan rerouted by the heuristic."""
        plans: list[Plan] = []
        if given is not None and len(given.x) == problem.n_candidates:
            plans.append(replace(given, routes=None))
            if given.routes is not None:
                plans.append(given)
        if self.warm_start is not None:
            budget = max(0.1, 0.2 * (deadline - time.perf_counter()))
            solver = reconfigured(
                self.warm_start,
                time_limit_s=budget,
                objective=self.objective,
                carbon_weight=self.carbon_weight,
            )
            plans.append(solver.solve(problem, seed=seed))
        model = self.cost_model(problem)
        best: Plan | None = None
        for plan in plans:
            if plan.status is Status.INFEASIBLE or not (plan.x > 0).any():
                continue
            if plan.routes is None:
                plan = route_plan(
                    problem, plan, objective=self.objective, carbon_weight=self.carbon_weight
                )
            value = routing_value(problem, model, plan.x, plan.servers_on, plan.routes)
            plan = replace(plan, objective=value)
            if best is None or value < float(best.objective or np.inf):
                best = plan
        return best

    def _solve(
        self,
        p: CompiledProblem,
        model: CostModel,
        warm: Plan | None,
        seed: int,
        t0: float,
        deadline: float,
    ) -> Plan:
        """Every candidate in the model: its MIP bound holds for the whole problem."""
        rf = routing_formulation(p, model)
        strong = strengthened_lp(p, rf.f, deadline=deadline, threads=self.threads, seed=seed)
        session, lp = strong.session, strong.result
        # cuts only raise the LP bound: a round's stays valid if a later one runs out
        lp, bound = _separate_cuts(session, rf, lp, deadline)
        if lp.termination is Termination.INFEASIBLE:
            return _infeasible(p, t0)
        return self._mip(p, rf, model, session, bound, warm, t0, deadline, whole=True)

    def _solve_by_columns(
        self,
        problem: CompiledProblem,
        model: CostModel,
        warm: Plan | None,
        seed: int,
        t0: float,
        deadline: float,
    ) -> Plan:
        """Column generation over the candidates (module docstring), then the MIP over
        the generated ones; the bound is column generation's (valid for every candidate)."""
        stop = t0 + COLGEN_TIME_SHARE * max(0.0, deadline - t0)
        scope = problem_flows(problem, model)
        whole = routed_costs(model, scope)
        # phase one by artificial columns once a restricted LP is infeasible (too few
        # candidates): then it is feasible whatever its candidates (Lübbecke &
        # Desrosiers 2005, sec. 4), as in column generation
        big_m: float | None = None
        cands = initial_columns(problem, model, COLGEN_START_PER_DEMAND)
        if warm is not None:
            cands = np.union1d(cands, np.flatnonzero(warm.x))
        bound: float | None = None
        last: tuple[Restricted, RoutingFormulation, HighsSession] | None = None
        basis: _KeyedBasis | None = None
        last_rc: FloatArray | None = None
        last_x: FloatArray | None = None
        rounds = 0
        while True:
            rounds += 1
            began = time.perf_counter()
            r = restrict(problem, model, cands)
            rf = routing_formulation(r.problem, r.model, scope, big_m)
            session, link_keys = _restricted_session(r, rf, self.threads, seed)
            keys = _basis_keys(r, rf, scope, link_keys)
            if basis is not None:
                basis.apply(session, keys)
            lp = session.solve(time_limit_s=deadline - time.perf_counter())
            failed = (Termination.INFEASIBLE, Termination.FAILED)
            if lp.values is None and lp.termination in failed and big_m is None:
                big_m, basis = artificial_cost(problem, model), None
                continue
            if lp.values is None or lp.objective is None:
                break  # out of time: the last round solved keeps the bound
            last = (r, rf, session)
            basis = _KeyedBasis.of(session, keys)
            rc = pricing(problem, whole, scope, r, rf, session, lp, link_keys)
            last_rc, last_x = rc, lp.values[rf.f.cols["x"]]
            outside = np.ones(problem.n_candidates, dtype=bool)
            outside[r.cands] = False
            tol = RC_TOL * max(1.0, float(np.abs(whole.cand_cost).max(initial=1.0)))
            neg = outside & (rc < -tol)
            worst = np.minimum.reduceat(np.where(neg, rc, 0.0), problem.demand_ptr[:-1])
            worst = np.where(np.diff(problem.demand_ptr) > 0, worst, 0.0)
            round_bound = lp.objective + float(worst.sum())
            bound = round_bound if bound is None else max(bound, round_bound)
            log.info(
                "routing column generation round %d: %d candidates, LP %.6g, bound %.6g,"
                " %d priced out",
                rounds,
                len(r.cands),
                lp.objective,
                bound,
                int(neg.sum()),
            )
            if not neg.any():
                bound = lp.objective
                if artificial_share(rf.f, lp.values) > 1e-6:
                    # the whole LP needs artificial columns: no plan serves every demand
                    return _infeasible(problem, t0)
                break
            now = time.perf_counter()
            if now > stop or stop - now < now - began:
                break
            idx = np.flatnonzero(neg)
            cands = np.union1d(cands, top_per_demand(problem, idx, rc[idx], COLGEN_ADD_PER_DEMAND))
        if last is None:
            if warm is None:
                return _infeasible(problem, t0, "no LP solved in time")
            return replace(warm, method="milp", status=Status.TIME_LIMIT)
        r, rf, session = last
        # the MIP searches the candidates the last LP uses, the warm start's and the
        # cheapest few per demand by reduced cost (a smaller MIP finds better plans in
        # the time left than one over every generated column)
        assert last_rc is not None and last_x is not None
        keep = r.cands[last_x > 1e-9]
        keep = np.union1d(keep, top_per_demand(problem, r.cands, last_rc[r.cands], MIP_PER_DEMAND))
        if warm is not None:
            keep = np.union1d(keep, np.flatnonzero(warm.x))
        r = restrict(problem, model, keep)
        rf = routing_formulation(r.problem, r.model, scope)
        session, _ = _restricted_session(r, rf, self.threads, seed)
        warm_r = None if warm is None else replace(warm, x=warm.x[r.cands])
        plan = self._mip(r.problem, rf, r.model, session, bound, warm_r, t0, deadline, whole=False)
        x = np.zeros(problem.n_candidates)
        x[r.cands] = plan.x
        info = {
            **plan.info,
            "colgen_rounds": float(rounds),
            "candidates_in_model": float(len(r.cands)),
        }
        return replace(plan, x=x, info=info)

    def _mip(
        self,
        p: CompiledProblem,
        rf: RoutingFormulation,
        model: CostModel,
        session: HighsSession,
        bound: float | None,
        warm_p: Plan | None,
        t0: float,
        deadline: float,
        *,
        whole: bool,
    ) -> Plan:
        """The MIP from the LP ``session`` (with its cut rows), warm-started from ``warm_p``;
        its bound counts only when the model holds every candidate (``whole``)."""
        session.make_integer()
        start = _start_values(p, rf, model, warm_p) if warm_p is not None else None
        cols = start_columns(rf.f, complete=not session.presolve)
        if cols is not None:
            extra = np.arange(rf.f.cols["route"].start, rf.f.n_cols)
            cols = np.concatenate([cols, extra])
        out = session.solve(
            time_limit_s=deadline - time.perf_counter(),
            mip_gap=self.mip_gap,
            start=start,
            start_cols=cols,
        )
        return _plan(p, rf, model, out, bound, warm_p, self.mip_gap, t0, whole=whole)


def _best_of(first: Plan, second: Plan, model: CostModel, mip_gap: float) -> Plan:
    """The cheaper of two plans of the same problem, with the better of their bounds
    (each holds for every plan) and the status that bound gives: optimal within
    ``mip_gap``, else the status of the search that ran last (``second``)."""
    plans = [q for q in (first, second) if q.objective is not None]
    if not plans:
        return second
    best = min(plans, key=lambda q: float(q.objective or 0.0))
    bounds = [q.bound for q in (first, second) if q.bound is not None]
    best = replace(best, info={**first.info, **second.info, "whole_after_columns": 1.0})
    if not bounds:
        return best
    finished = second.status is not Status.TIME_LIMIT
    return with_bound(best, max(bounds), mip_gap, model, finished=finished)


def _restricted_session(
    r: Restricted, rf: RoutingFormulation, threads: int | None, seed: int
) -> tuple[HighsSession, IntArray]:
    """The LP of a column-generation round: ``rf`` with every ``link`` row of its
    candidates, then every cut row (the rows :func:`pricing` reads, in that order)."""
    session = HighsSession(rf.f, threads=threads, seed=seed, relax=True)
    keys = link_pairs(r.problem, rf.f) if "n" in rf.f.cols else np.zeros(0, dtype=np.int64)
    if len(keys):
        session.add_rows(link_rows(r.problem, rf.f, keys))
    if rf.cuts.shape[0]:
        _add(session, rf, np.arange(rf.cuts.shape[0]))
    return session, keys


#: Keys of the columns and rows of a restricted LP: per family, its slice and one
#: integer per member that names it the same way in every round.
_Keys = tuple[dict[str, tuple[slice, IntArray]], dict[str, tuple[slice, IntArray]]]


def _index_key(index: tuple[IntArray, ...]) -> IntArray:
    key = np.asarray(index[0], dtype=np.int64)
    for more in index[1:]:
        key = key * (1 << 24) + np.asarray(more, dtype=np.int64)
    return key


def _basis_keys(r: Restricted, rf: RoutingFormulation, scope: Flows, link_keys: IntArray) -> _Keys:
    """Keys of the round's columns (x: the candidate in the whole problem; route: the
    flow in the whole problem and the path rank) and rows (link: demand x node; cut:
    demand x link; route: the flow)."""
    f = rf.f
    flow = np.searchsorted(scope.key, rf.flow_key)
    cols: dict[str, tuple[slice, IntArray]] = {}
    for name, sl in f.cols.items():
        if name == "x":
            cols[name] = (sl, r.cands)
        elif name == "route":
            cols[name] = (sl, flow[rf.rm.row_flow] * (1 << 20) + rf.rm.row_rank)
        elif name in f.col_index:
            cols[name] = (sl, _index_key(f.col_index[name]))
    rows: dict[str, tuple[slice, IntArray]] = {}
    for name, sl in f.rows.items():
        if name == "route":
            rows[name] = (sl, flow)
        elif name in f.row_index:
            rows[name] = (sl, _index_key(f.row_index[name]))
    n0 = f.n_rows
    rows["link"] = (slice(n0, n0 + len(link_keys)), link_keys)
    n1 = n0 + len(link_keys)
    rows["cut"] = (slice(n1, n1 + len(rf.cut_keys)), rf.cut_keys)
    return cols, rows


@dataclass(frozen=True, eq=False)
class _KeyedBasis:
    """The final basis of a round, per family (sorted keys, statuses): the next round
    starts from it (its columns and rows are a superset: kept ones keep their status,
    new columns start at their lower bound, new rows with their slack basic)."""

    cols: dict[str, tuple[IntArray, IntArray]]
    rows: dict[str, tuple[IntArray, IntArray]]

    @classmethod
    def of(cls, session: HighsSession, keys: _Keys) -> _KeyedBasis | None:
        got = session.basis()
        if got is None:
            return None
        out = []
        for fams, status in zip(keys, got, strict=True):
            keyed = {}
            for name, (sl, key) in fams.items():
                order = np.argsort(key, kind="stable")
                keyed[name] = (key[order], status[sl][order])
            out.append(keyed)
        return cls(out[0], out[1])

    def apply(self, session: HighsSession, keys: _Keys) -> None:
        cols = carry_statuses(self.cols, keys[0], session.f.n_cols, AT_LOWER)
        rows = carry_statuses(self.rows, keys[1], session.n_rows, BASIC)
        if not session.set_basis(cols, rows):
            log.debug("routing column generation: previous basis not usable")


def _infeasible(p: CompiledProblem, t0: float, reason: str | None = None) -> Plan:
    return Plan(
        np.zeros(p.n_candidates),
        np.where(p.node_always_on, p.node_count, 0),
        "milp",
        Status.INFEASIBLE if reason is None else Status.TIME_LIMIT,
        seconds=time.perf_counter() - t0,
        reason=reason or "no plan meets every constraint with these routes",
    )


def pricing(
    problem: CompiledProblem,
    whole: CostModel,
    scope: Flows,
    r: Restricted,
    rf: RoutingFormulation,
    session: HighsSession,
    lp: HighsResult,
    link_keys: IntArray,
) -> FloatArray:
    """Reduced cost of every candidate of ``problem`` under the duals of the restricted
    LP ``session`` (rows: ``rf``'s, then the ``link`` rows ``link_keys``, then every cut
    row of ``rf``), extended to the whole model (module docstring): the placement's by
    :func:`slimplace.optim.colgen.reduced_costs` and
    :func:`~slimplace.optim.link_pricing.missing_link_duals` (``whole``: the cost model
    with path costs taken out, :func:`routed_costs`), plus the dual of the flow's
    ``route`` row. A flow without candidates in the model has no such row; its dual is
    the least reduced cost of its path columns without it (the largest that keeps them
    all non-negative), which keeps the extended duals feasible for every column but
    the candidates left out."""
    f = rf.f
    y = session.row_duals()
    n_link = len(link_keys)
    placement = np.concatenate([y[: f.n_rows], y[f.n_rows : f.n_rows + n_link]])
    rc = reduced_costs(problem, whole, r, f, placement, link_keys)
    assert lp.values is not None
    rc += missing_link_duals(problem, whole, f, r.cands, session.col_duals(), lp.values, rc)
    y_route = _route_duals(problem, scope, rf, y, f.n_rows + n_link)
    rc[scope.away] += y_route[scope.cand_flow]
    return rc


def _route_duals(
    p: CompiledProblem, scope: Flows, rf: RoutingFormulation, y: FloatArray, cut0: int
) -> FloatArray:
    """Dual of every flow's ``route`` row (the restricted LP's, else the least reduced
    cost of the flow's paths without it)."""
    f, rm = rf.f, scope.rm
    arc_dual = np.zeros(2 * len(p.link_a))
    bw = f.rows["bw_route"]
    arcs = f.row_index["bw_route"][0]
    arc_dual[arcs] = y[bw] / f.row_scale[bw]
    price = rm.cost - np.asarray(rm.load @ arc_dual, dtype=np.float64)
    n_cut = rf.cuts.shape[0]
    if n_cut:
        # each path's cut rows in the model (cut keys are sorted: np.unique)
        dual = y[cut0 : cut0 + n_cut]
        links = rm.links.tocoo()
        want = rm.fp.demand[rm.row_flow[links.row]] * len(p.link_a) + links.col
        pos = np.minimum(np.searchsorted(rf.cut_keys, want), n_cut - 1)
        hit = rf.cut_keys[pos] == want
        price -= np.bincount(links.row[hit], weights=dual[pos[hit]], minlength=len(price))
    y_route = np.minimum.reduceat(price, rm.flow_ptr[:-1]) if len(price) else np.zeros(0)
    present = np.searchsorted(scope.key, rf.flow_key)
    y_route[present] = y[f.rows["route"]]
    return y_route


def _separate_cuts(
    session: HighsSession, rf: RoutingFormulation, lp: HighsResult, deadline: float
) -> tuple[HighsResult, float | None]:
    """Add cut rows lazily: the ones the LP solution violates (the most violated first,
    up to :data:`CUTS_PER_ROUND`), round after round, until none is violated or
    :data:`CUT_TIME_SHARE` of the time left is spent (all at once when there are at most
    :data:`CUTS_ALL_MAX`). Returns the last LP result and the best bound of the rounds
    (each round's LP optimum bounds the MILP: cuts only add valid rows)."""
    n = rf.cuts.shape[0]
    best = lp.bound
    if n == 0:
        return lp, best
    if n <= CUTS_ALL_MAX:
        _add(session, rf, np.arange(n))
        lp = session.solve(time_limit_s=deadline - time.perf_counter())
        return lp, _max_bound(best, lp)
    stop = time.perf_counter() + CUT_TIME_SHARE * max(0.0, deadline - time.perf_counter())
    added = np.zeros(n, dtype=bool)
    rounds = 0
    for rounds in range(1, CUT_ROUNDS + 1):  # noqa: B007 (logged below)
        if lp.values is None or time.perf_counter() > stop:
            break
        new, excess = violated_cuts(rf, lp.values, with_excess=True)
        keep = ~added[new]
        new, excess = new[keep], excess[keep]
        if len(new) == 0:
            break
        if len(new) > CUTS_PER_ROUND:
            new = new[np.argsort(-excess, kind="stable")[:CUTS_PER_ROUND]]
        _add(session, rf, new)
        added[new] = True
        lp = session.solve(time_limit_s=max(0.0, stop - time.perf_counter()))
        best = _max_bound(best, lp)
    log.info(
        "routing LP bound %s with %d of %d cut rows (%d rounds)", best, int(added.sum()), n, rounds
    )
    return lp, best


def _max_bound(best: float | None, lp: HighsResult) -> float | None:
    """The larger of ``best`` and the bound of ``lp`` (None when neither has one)."""
    got = [b for b in (best, lp.bound) if b is not None]
    return max(got) if got else None


def _add(session: HighsSession, rf: RoutingFormulation, which: IntArray) -> None:
    from slimplace.optim.formulation import RowBlock

    m = cut_rows(rf, which)
    session.add_rows(
        RowBlock("cut", np.full(len(which), -np.inf), np.zeros(len(which)), m, (which,))
    )


def _start_values(
    p: CompiledProblem, rf: RoutingFormulation, model: CostModel, plan: Plan
) -> FloatArray:
    """A full column vector for ``plan`` (shares, servers, routes, links on)."""
    f, rm = rf.f, rf.rm
    v = np.zeros(f.n_cols)
    v[: f.cols["route"].start] = start_vector(p, f, model, plan.x, plan.servers_on)[
        : f.cols["route"].start
    ]
    routes = plan.routes if plan.routes is not None else shortest_routes(p, plan.x)
    away = routes.node != p.demand_source[routes.demand]
    key = routes.demand[away] * p.n_nodes + routes.node[away]
    flow = np.searchsorted(rf.flow_key, key)
    ptr = rm.flow_ptr
    g = np.zeros(len(rm.rows))
    ranks = rm.row_rank
    for fl, rank, share in zip(flow, routes.rank[away], routes.share[away], strict=True):
        rows = np.arange(ptr[fl], ptr[fl + 1])
        hit = rows[ranks[rows] == rank]
        g[hit[0] if len(hit) else rows[0]] += share
    v[f.cols["route"]] = g
    loads = np.asarray(rm.load.T @ g, dtype=np.float64)
    busy = (loads[0::2] + loads[1::2]) > 0
    v[f.cols["link_on"]] = busy[rf.on_links]
    return v


def _plan(
    p: CompiledProblem,
    rf: RoutingFormulation,
    model: CostModel,
    out: HighsResult,
    lp_bound: float | None,
    warm: Plan | None,
    mip_gap: float,
    t0: float,
    *,
    whole: bool = True,
) -> Plan:
    """Read the MIP result back (the warm start when HiGHS has no solution); the MIP's
    bound counts only when its model holds every candidate (``whole``)."""
    info = {
        "columns": float(rf.f.n_cols),
        "route_columns": float(len(rf.rm.rows)),
        "link_on_columns": float(len(rf.on_links)),
        "cut_rows": float(rf.cuts.shape[0]),
        "solver_seconds": out.seconds,
    }
    if out.bound is not None:
        info["model_mip_bound"] = out.bound
    if out.values is not None:
        x, on = extract_plan(p, rf.f, out.values)
        routes = _routes(p, rf, out.values, x)
        value = routing_value(p, model, x, on, routes)
        if out.objective is not None and value > out.objective + 1e-6 * max(1.0, abs(value)):
            # (below it is fine: a link the solver left on without traffic sleeps)
            log.warning(
                "routing milp: plan value %.9g above the solver's %.9g", value, out.objective
            )
        plan = Plan(x, on, "milp", Status.FEASIBLE, objective=value, info=info, routes=routes)
        if warm is not None and warm.objective is not None and warm.objective < value:
            plan = replace(warm, method="milp", info=info)
    elif warm is not None:
        plan = replace(
            warm, method="milp", info=info, reason="HiGHS found no plan in time; warm start"
        )
    else:
        return Plan(
            np.zeros(p.n_candidates),
            np.where(p.node_always_on, p.node_count, 0),
            "milp",
            Status.TIME_LIMIT,
            info=info,
            reason=(
                f"no integer plan among the {p.n_candidates} candidates the MIP searched"
                " (column generation's LP has a fractional one), and no warm start"
                if out.termination is Termination.INFEASIBLE and not whole
                else "no plan in time"
            ),
        )
    bounds = [b for b in (out.bound if whole else None, lp_bound) if b is not None]
    finished = out.termination is Termination.OPTIMAL
    value = float(plan.objective or 0.0)
    if not bounds:
        status = Status.FEASIBLE if finished else Status.TIME_LIMIT
        return replace(plan, status=status, seconds=time.perf_counter() - t0)
    bound = min(max(bounds), value)
    gap = controllable_gap(value, bound, model.constant)
    status = (
        Status.OPTIMAL
        if gap <= mip_gap * (1 + 1e-9) + 1e-12
        else (Status.FEASIBLE if finished else Status.TIME_LIMIT)
    )
    info = {**plan.info, "mip_gap": gap}
    return replace(plan, bound=bound, status=status, info=info, seconds=time.perf_counter() - t0)


def _routes(
    p: CompiledProblem, rf: RoutingFormulation, values: FloatArray, x: FloatArray
) -> FlowRoutes:
    """The path shares of the solution, scaled to each flow's share of ``x``."""
    rm = rf.rm
    g = np.clip(values[rf.f.cols["route"]], 0.0, 1.0)
    integer = rf.f.integrality[rf.f.cols["route"]] > 0
    g = np.where(integer, np.rint(g), g)
    g[g < 1e-9] = 0.0
    base = shortest_routes(p, x)
    away = base.node != p.demand_source[base.demand]
    key = base.demand[away] * p.n_nodes + base.node[away]
    want = np.zeros(len(rf.flow_key))
    want[np.searchsorted(rf.flow_key, key)] = base.share[away]
    flow = rm.row_flow
    got = np.bincount(flow, weights=g, minlength=len(rf.flow_key))
    # a used flow whose path shares vanished (rounding) takes its shortest path
    lost = (want > 0) & (got <= 0)
    g[rm.flow_ptr[:-1][lost]] = 1.0
    got = np.bincount(flow, weights=g, minlength=len(rf.flow_key))
    g = np.where(got[flow] > 0, g * want[flow] / np.where(got[flow] > 0, got[flow], 1.0), 0.0)
    keep = g > 0
    return FlowRoutes(
        demand=(rf.flow_key[flow[keep]] // p.n_nodes).astype(np.int64),
        node=(rf.flow_key[flow[keep]] % p.n_nodes).astype(np.int64),
        rank=rm.row_rank[keep],
        share=g[keep],
    )


def links_asleep(problem: CompiledProblem, plan: Plan) -> IntArray:
    """Sleepable links the plan's routes leave without traffic."""
    from slimplace.problem.routing import can_sleep

    loads = plan_arc_loads_bps(problem, plan.x, plan.routes)
    busy = (loads[0::2] + loads[1::2]) > 0
    return np.flatnonzero(can_sleep(problem) & ~busy).astype(np.int64)
