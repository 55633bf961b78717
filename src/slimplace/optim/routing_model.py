"""What routing decisions cost, as sparse arrays shared by the routing heuristic and the
routing MILP (``docs/routing.md``).

For flows F (demand, serving node) and their admissible paths (rows FP of
:class:`~slimplace.problem.routing.FlowPaths`):

* ``load``: a CSR matrix FP x arcs, the bit/s a row puts on each directed arc when the
  flow sends its whole share over it (``rate x share x bits``);
* ``links``: a CSR matrix FP x links, 1 where the row's path crosses the link;
* ``cost``: the objective per second of the row's marginal network energy (per-bit
  figures of :attr:`CompiledProblem.link_per_bit_j` summed over the path, each at its
  link's grid under the power model, at the source's grid under the attributional one);
* ``link_on_cost``: what switching each link on adds to the objective (``kappa_l x
  (baseload - sleep)``, :func:`slimplace.energy.accounting.link_on_w`).

The value of a plan with routes is :func:`routing_value`: the placement objective of
:func:`~slimplace.optim.costs.plan_value` (whose network part is the shortest path's),
less the shortest paths' marginal cost, plus the chosen paths' and the on-cost of every
link the routes keep on: exactly what :func:`slimplace.evaluate.evaluate` measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.optim.costs import S_PER_H, CostModel, ObjectiveWeights, plan_value
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes
from slimplace.problem.routing import (
    FlowPaths,
    can_sleep,
    flow_path_arcs,
    flow_paths,
    plan_arc_loads_bps,
    shortest_routes,
)


@dataclass(frozen=True, eq=False)
class RoutingModel:
    """The admissible paths of flows ``fp`` (rows: only admissible ones, sorted by flow
    then rank) with their loads, links and costs (see the module docstring)."""

    fp: FlowPaths
    rows: IntArray
    share: FloatArray
    load: sparse.csr_array
    links: sparse.csr_array
    cost: FloatArray
    link_on_cost: FloatArray
    sleepable: BoolArray

    @property
    def flow_ptr(self) -> IntArray:
        """Rows of flow f: ``flow_ptr[f]:flow_ptr[f + 1]``."""
        flow = self.fp.flow[self.rows]
        return np.searchsorted(flow, np.arange(self.fp.n_flows + 1)).astype(np.int64)

    @property
    def row_flow(self) -> IntArray:
        """The flow of every row."""
        return np.asarray(self.fp.flow[self.rows], dtype=np.int64)

    @property
    def row_rank(self) -> IntArray:
        """The path rank of every row."""
        return np.asarray(self.fp.rank[self.rows], dtype=np.int64)


def link_kappa(problem: CompiledProblem, weights: ObjectiveWeights) -> FloatArray:
    """Objective units per watt drawn by each link's equipment."""
    p = problem
    if not len(p.link_a):
        return np.zeros(0)
    return weights.energy + weights.carbon * S_PER_H * p.link_carbon_g_per_j()


def routing_model(
    problem: CompiledProblem,
    model: CostModel,
    demand: IntArray,
    node: IntArray,
    share: FloatArray | None = None,
    slack_s: FloatArray | None = None,
) -> RoutingModel:
    """The routing model of flows (``demand``, ``node``), each carrying ``share`` of its
    demand (default 1: the cost and load of sending the whole demand); ``slack_s``: the
    flows' SLO slack (default: from ``problem``'s candidates, see
    :func:`~slimplace.problem.routing.flow_paths`)."""
    p = problem
    fp = flow_paths(p, demand, node, slack_s)
    rows = np.flatnonzero(fp.admissible)
    share = np.ones(len(demand)) if share is None else np.asarray(share, dtype=np.float64)
    row, arc, bits = flow_path_arcs(p, fp, rows)
    pos = np.searchsorted(rows, row)
    d = fp.demand[fp.flow[row]]
    bps = p.demand_rate_per_s[d] * share[fp.flow[row]] * bits
    n_arcs = 2 * len(p.link_a)
    load = sparse.csr_array((bps, (pos, arc)), shape=(len(rows), n_arcs))
    load.sum_duplicates()
    link = arc // 2
    ones = np.ones(len(link))
    links = sparse.csr_array((ones, (pos, link)), shape=(len(rows), len(p.link_a)))
    links.sum_duplicates()
    links.data[:] = 1.0
    per_bit = p.link_per_bit_j
    if p.power_model:
        value = per_bit[link] * link_kappa(p, model.weights)[link]
    else:
        value = per_bit[link] * model.kappa[p.demand_source[d]]
    cost = np.bincount(pos, weights=bps * value, minlength=len(rows)).astype(np.float64)
    return RoutingModel(
        fp=fp,
        rows=rows,
        share=share,
        load=load,
        links=links,
        cost=cost,
        link_on_cost=link_kappa(p, model.weights) * accounting.link_on_w(p),
        sleepable=can_sleep(p),
    )


def routes_cost(problem: CompiledProblem, model: CostModel, routes: FlowRoutes) -> float:
    """Objective per second of the marginal network energy of ``routes`` (a route on a
    path the SLO rule excludes is costed too: the evaluator flags it)."""
    p = problem
    away = routes.node != p.demand_source[routes.demand]
    if not away.any():
        return 0.0
    d, v = routes.demand[away], routes.node[away]
    fp = flow_paths(p, d, v, slack_s=np.full(len(d), np.inf))
    pick = np.flatnonzero(fp.rank == routes.rank[away][fp.flow])
    coo = flow_path_arcs(p, fp, pick)
    return float(_cost_of_rows(p, model, fp, pick, coo, routes.share[away]).sum())


def _cost_of_rows(
    p: CompiledProblem,
    model: CostModel,
    fp: FlowPaths,
    rows: IntArray,
    coo: tuple[IntArray, IntArray, FloatArray],
    share: FloatArray,
) -> FloatArray:
    row, arc, bits = coo
    d = fp.demand[fp.flow[row]]
    bps = p.demand_rate_per_s[d] * share[fp.flow[row]] * bits
    link = arc // 2
    if p.power_model:
        value = p.link_per_bit_j[link] * link_kappa(p, model.weights)[link]
    else:
        value = p.link_per_bit_j[link] * model.kappa[p.demand_source[d]]
    pos = np.searchsorted(rows, row)
    return np.bincount(pos, weights=bps * value, minlength=len(rows)).astype(np.float64)


def links_on_cost(problem: CompiledProblem, model: CostModel, arc_loads_bps: FloatArray) -> float:
    """On-cost of the sleepable links that traffic ``arc_loads_bps`` keeps on."""
    p = problem
    on = accounting.links_on(p, arc_loads_bps) & can_sleep(p)
    return float((link_kappa(p, model.weights) * accounting.link_on_w(p))[on].sum())


def routing_value(
    problem: CompiledProblem,
    model: CostModel,
    x: FloatArray,
    servers_on: IntArray,
    routes: FlowRoutes | None,
) -> float:
    """Objective value of shares ``x``, ``servers_on`` and ``routes`` (None: shortest
    paths) when routing is a decision (the evaluator's formula for a feasible plan)."""
    p = problem
    value = plan_value(p, model, x, servers_on)
    base = shortest_routes(p, x)
    chosen = base if routes is None else routes
    value += routes_cost(p, model, chosen) - routes_cost(p, model, base)
    return value + links_on_cost(p, model, plan_arc_loads_bps(p, x, chosen))
