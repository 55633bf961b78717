"""Energy-aware routing of a placement: consolidate flows onto links already on, switch
off the links that empty, and move flows off links whose bandwidth binds
(``docs/routing.md``).

Greedy link switch-off in the manner of Chiaraviglio, Mellia & Neri ("Minimizing ISP
network energy cost: formulation and solutions", IEEE/ACM ToN 20(2), 2012) and
Giroire et al. (energy-aware routing in backbone networks): starting from every flow on
its shortest path, the sleepable links that carry traffic are tried least-loaded
first; a link is switched off for good when every flow crossing it can move to one of
its admissible paths that avoids it and every link already switched off, within every
arc's bandwidth, and the move lowers the objective: the on-cost of the links that empty,
less that of idle links the moved flows wake and the extra marginal energy of longer
paths (each flow takes its cheapest such path, counting the links it would wake).
Each try is vectorized over the link's flows (one sparse product per try), so a pass
costs O(links x nonzeros). Before that, flows leave
arcs over their bandwidth for the cheapest admissible path with room (waking links
if needed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.optim.arcs import arc_capacity_bps
from slimplace.optim.costs import CostModel, cost_model, objective_weights
from slimplace.optim.routing_model import RoutingModel, routing_model, routing_value
from slimplace.optim.segments import concat_ranges
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes
from slimplace.problem.routing import routing_active, shortest_routes

log = logging.getLogger(__name__)

#: Relative bandwidth slack of the capacity test (the evaluator's tolerance is 1e-6).
CAP_RTOL = 1e-9
#: Passes over the links at most (a pass that switches nothing off ends the search).
MAX_PASSES = 4
#: Traffic below which a link counts as empty (bit/s).
EMPTY_BPS = 1e-9


def energy_aware_routes(
    problem: CompiledProblem,
    model: CostModel,
    x: FloatArray,
    *,
    deadline: float | None = None,
) -> FlowRoutes:
    """Routes for the flows of shares ``x`` (see the module docstring)."""
    p = problem
    base = shortest_routes(p, x)
    away = base.node != p.demand_source[base.demand]
    if not away.any():
        return base
    flows = FlowRoutes(base.demand[away], base.node[away], base.rank[away], base.share[away])
    rm = routing_model(p, model, flows.demand, flows.node, flows.share)
    state = _State(rm, arc_capacity_bps(p))
    state.repair()
    for _ in range(MAX_PASSES):
        if not state.switch_off_pass(deadline):
            break
    return FlowRoutes(flows.demand, flows.node, rm.row_rank[state.choice], flows.share)


class _State:
    """The current path of every flow, arc loads and links on (local to one search)."""

    def __init__(self, rm: RoutingModel, cap: FloatArray) -> None:
        self.rm = rm
        self.cap = cap * (1 + CAP_RTOL)
        self.ptr = rm.flow_ptr
        self.flow = rm.row_flow
        self.choice = self.ptr[:-1].copy()  # rank 0 is each flow's first admissible row
        self.loads_t = rm.load.T.tocsr()
        self.links_csc = rm.links.tocsc()
        self.loads = self._sum_loads(self.choice)
        self.on = self._links_on()
        #: sleepable links the search switched off for good
        self.removed = np.zeros(len(rm.sleepable), dtype=bool)

    def _sum_loads(self, rows: IntArray) -> FloatArray:
        pick = np.zeros(self.rm.load.shape[0])
        np.add.at(pick, rows, 1.0)
        return np.asarray(self.loads_t @ pick, dtype=np.float64)

    def _links_on(self, loads: FloatArray | None = None) -> BoolArray:
        arc = self.loads if loads is None else loads
        busy = (arc[0::2] + arc[1::2]) > EMPTY_BPS
        return np.asarray(~self.rm.sleepable | busy, dtype=bool)

    def _rows_crossing(self, link: int) -> IntArray:
        c = self.links_csc
        return np.asarray(c.indices[c.indptr[link] : c.indptr[link + 1]], dtype=np.int64)

    def switch_off_pass(self, deadline: float | None) -> bool:
        """Try every sleepable link that carries traffic and is not switched off yet,
        least loaded first; whether any went off."""
        link_bps = self.loads[0::2] + self.loads[1::2]
        tries = np.flatnonzero(self.rm.sleepable & ~self.removed & (link_bps > EMPTY_BPS))
        tries = tries[np.argsort(link_bps[tries], kind="stable")]
        changed = False
        for link in tries:
            if deadline is not None and time.perf_counter() > deadline:
                return False
            changed |= self._try_off(int(link))
        return changed

    def _try_off(self, link: int) -> bool:
        """Move every flow off ``link`` onto its cheapest path avoiding it and every link
        already switched off (waking idle links where that pays), if the objective falls
        and every arc keeps within its bandwidth."""
        rm = self.rm
        chosen = np.zeros(len(self.flow), dtype=bool)
        chosen[self.choice] = True
        crossing = self._rows_crossing(link)
        old_rows = crossing[chosen[crossing]]
        if len(old_rows) == 0:
            return False
        flows = self.flow[old_rows]
        cand = concat_ranges(self.ptr[flows], self.ptr[flows + 1] - self.ptr[flows])
        bad = np.zeros(len(self.flow), dtype=bool)
        bad[crossing] = True
        removed = self.removed.astype(np.float64)
        blocked = np.asarray(rm.links @ removed, dtype=np.float64) > 0
        ok = cand[~bad[cand] & ~blocked[cand]]
        if len(ok) == 0:
            return False
        idle = (~self.on).astype(np.float64) * rm.link_on_cost
        wake = np.asarray(rm.links[ok] @ idle, dtype=np.float64)
        new_rows = _cheapest_per_flow(self.flow[ok], rm.cost[ok] + wake, ok)
        if len(new_rows) != len(flows):
            return False  # some flow has no path around the link
        delta = self._sum_loads(new_rows) - self._sum_loads(old_rows)
        after = self.loads + delta
        if (after > self.cap)[delta > 0].any():
            return False
        on_after = self._links_on(after)
        gain = float(rm.link_on_cost[self.on & ~on_after].sum())
        gain -= float(rm.link_on_cost[on_after & ~self.on].sum())
        gain -= float(rm.cost[new_rows].sum() - rm.cost[old_rows].sum())
        if gain <= 1e-12:
            return False
        self.choice[self.flow[new_rows]] = new_rows
        self.loads = after
        self.on = on_after
        self.removed[link] = True
        return True

    def repair(self) -> None:
        """Move flows off arcs over their bandwidth (largest first) onto the cheapest
        admissible path with room, waking links where needed."""
        for arc in np.flatnonzero(self.loads > self.cap):
            column = np.asarray(self.loads_t[[arc]].toarray(), dtype=np.float64).ravel()
            rows = np.flatnonzero(column > 0)
            chosen = np.zeros(len(self.flow), dtype=bool)
            chosen[self.choice] = True
            on_arc = rows[chosen[rows]]
            on_arc = on_arc[np.argsort(-column[on_arc], kind="stable")]
            crossing = np.zeros(len(self.flow), dtype=bool)
            crossing[rows] = True
            for row in on_arc:
                if self.loads[arc] <= self.cap[arc]:
                    break
                self._move_off(int(row), crossing)
        self.on = self._links_on()

    def _move_off(self, row: int, crossing: BoolArray) -> None:
        rm = self.rm
        f = self.flow[row]
        cand = np.arange(self.ptr[f], self.ptr[f + 1])
        cand = cand[~crossing[cand]]
        old = self._sum_loads(np.array([row]))
        off = (~self.on).astype(np.float64)
        best, best_cost = -1, np.inf
        for c in cand:
            new = self._sum_loads(np.array([c]))
            after = self.loads - old + new
            if (after > self.cap)[new > 0].any():
                continue
            woken = float(rm.links[[c]].toarray().ravel() @ (off * rm.link_on_cost))
            if rm.cost[c] + woken < best_cost:
                best, best_cost = int(c), float(rm.cost[c] + woken)
        if best >= 0:
            self.choice[f] = best
            self.loads = self.loads - old + self._sum_loads(np.array([best]))
            self.on = self._links_on()


def _cheapest_per_flow(flow: IntArray, cost: FloatArray, rows: IntArray) -> IntArray:
    """The row of least cost of each flow present (ties: the lower row, i.e. lower rank)."""
    order = np.lexsort((rows, cost, flow))
    first = np.ones(len(order), dtype=bool)
    first[1:] = flow[order][1:] != flow[order][:-1]
    return np.asarray(rows[order[first]], dtype=np.int64)


def route_plan(
    problem: CompiledProblem,
    plan: Plan,
    *,
    objective: str | None = None,
    carbon_weight: float = 1.0,
    time_limit_s: float = 60.0,
) -> Plan:
    """``plan`` with energy-aware routes for its flows (routing as a decision; a plan of
    a problem with fixed routes, or one already routed, is returned as is)."""
    p = problem
    if not routing_active(p) or plan.routes is not None or not (plan.x > 0).any():
        return plan
    t0 = time.perf_counter()
    model = cost_model(p, objective_weights(p, objective, carbon_weight))
    routes = energy_aware_routes(p, model, plan.x, deadline=t0 + time_limit_s)
    value = routing_value(p, model, plan.x, plan.servers_on, routes)
    seconds = time.perf_counter() - t0
    moved = float((routes.rank > 0).sum())
    log.info(
        "routing: %d flows, %d off their shortest path, %.2fs", len(routes.rank), moved, seconds
    )
    info = {**plan.info, "routing_seconds": seconds, "flows_rerouted": moved}
    objective_value = value if plan.status is not Status.INFEASIBLE else plan.objective
    return replace(
        plan,
        routes=routes,
        objective=objective_value,
        bound=None,  # a bound of the placement with fixed routes bounds nothing here
        seconds=plan.seconds + seconds,
        info=info,
    )
