"""``decomposed``: split a large problem by region, solve the parts (in parallel if
asked), merge, and repair what the parts share.

Parts: by grid region when the demands' sources span several, else by network
proximity: ``parts`` seed roots are chosen by farthest-point sampling on route
latency (Gonzalez, "Clustering to minimize the maximum intercluster distance",
Theor. Comp. Sci. 38, 1985) and every demand and compute node joins the part
of the nearest seed. Cloud nodes are shared: each part gets a quota of their
servers in proportion to its load. A part is a problem of its own (its demands,
candidates at its nodes and shared nodes) solved by ``inner`` (a solver object,
``lp-round`` by default); demands a part cannot place and conflicts between parts (memory of a
shared node, shared links) are settled afterwards by the greedy's repair and
local search on the whole problem.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from slimplace.optim.construction import restore_floors
from slimplace.optim.costs import FloatArray, IntArray, ObjectiveOptions
from slimplace.optim.empty import empty_problem_plan
from slimplace.optim.local_search import improve
from slimplace.optim.regret import assign_by_regret
from slimplace.optim.relax_round import LpRoundSolver
from slimplace.optim.repair import node_busy, repair
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import concat_ranges, weighted_sum
from slimplace.placement.registry import Solver, reconfigured
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS

log = logging.getLogger(__name__)

CLOUD = TIERS.index("cloud")


@dataclass(frozen=True, eq=False)
class Part:
    """One part: its sub-problem and the maps back to the whole problem."""

    problem: CompiledProblem
    demands: IntArray
    cands: IntArray


@dataclass(frozen=True, kw_only=True)
class DecomposedSolver(ObjectiveOptions):
    """Solve regions separately with ``inner`` (a solver object; its time limit and
    objective are set per part) and merge.

    ``parts``: number of parts (0: one per ``demands_per_part`` demands);
    ``workers``: parts solved at once (threads; 1 = one after another). The
    merge is in part order, so the plan does not depend on ``workers``.
    """

    inner: Solver = field(default_factory=LpRoundSolver)
    parts: int = 0
    demands_per_part: int = 5000
    workers: int = 1

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Merged plan of the parts, repaired; status infeasible if some demand is left."""
        t0 = time.perf_counter()
        model = self.cost_model(problem)
        if problem.n_demands == 0:
            return empty_problem_plan(problem, model, "decomposed")
        k = self.parts or max(1, int(np.ceil(problem.n_demands / self.demands_per_part)))
        parts = split(problem, k)
        rounds = int(np.ceil(len(parts) / max(1, self.workers)))
        budget = 0.75 * self.time_limit_s / max(1, rounds)
        inner = reconfigured(
            self.inner,
            time_limit_s=budget,
            objective=self.objective,
            carbon_weight=self.carbon_weight,
        )

        def run(part: Part) -> Plan:
            return inner.solve(part.problem, seed=seed)

        if self.workers > 1 and len(parts) > 1:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                plans = list(pool.map(run, parts))
        else:
            plans = [run(part) for part in parts]
        x = np.zeros(problem.n_candidates)
        for part, plan in zip(parts, plans, strict=True):
            if plan.status is not Status.INFEASIBLE:
                x[part.cands] = plan.x
        search = SearchState(problem, model, 24)
        x = _settle(problem, search, x, t0 + self.time_limit_s)
        chosen = _chosen(problem, x)
        plan = search.plan(
            chosen, x, "decomposed", time.perf_counter() - t0, deadline=t0 + self.time_limit_s
        )
        info = {"parts": float(len(parts))}
        return dataclasses.replace(plan, info=info)


def split(problem: CompiledProblem, k: int) -> list[Part]:
    """``k`` parts (fewer when there are fewer regions or roots) of ``problem``."""
    p = problem
    if k <= 1:
        return [Part(p, np.arange(p.n_demands), np.arange(p.n_candidates))]
    demand_part, node_part = _assign_parts(p, k)
    shared = p.node_tier == CLOUD
    load_part = weighted_sum(demand_part, p.demand_rate_per_s, k)
    share = load_part / max(float(load_part.sum()), 1e-300)
    parts = []
    for i in range(k):
        demands = np.nonzero(demand_part == i)[0]
        if len(demands) == 0:
            continue
        count = np.where(node_part == i, p.node_count, 0)
        count = np.where(shared, np.floor(p.node_count * share[i]).astype(np.int64), count)
        # a device serves only its own demands, which all fall in the same part
        count = np.where(p.node_always_on, p.node_count, count)
        parts.append(_sub(p, demands, count))
    return parts


def _assign_parts(p: CompiledProblem, k: int) -> tuple[IntArray, IntArray]:
    """Part of every demand and node: by region if sources span several, else by latency."""
    src_region = p.node_region[p.demand_source]
    regions = np.unique(src_region)
    if len(regions) >= 2:
        demand_part = np.searchsorted(regions, src_region)
        node_part = np.searchsorted(regions, p.node_region)
        node_part = np.where(np.isin(p.node_region, regions), node_part, -1)
        return demand_part.astype(np.int64), node_part.astype(np.int64)
    r = p.routes
    lat = np.where(np.isfinite(r.latency_s), r.latency_s, 1e9)
    rows = np.unique(r.source_root_row[p.demand_source])
    root_cols = r.col(r.roots[rows])
    seeds = [int(rows[0])]
    dist = lat[rows[0], root_cols]
    for _ in range(1, min(k, len(rows))):
        nxt = int(rows[int(np.argmax(dist))])
        seeds.append(nxt)
        dist = np.minimum(dist, lat[nxt, root_cols])
    seeds_a = np.asarray(seeds)
    col_part = np.argmin(lat[seeds_a], axis=0).astype(np.int64)
    # a folded leaf (user device) goes with its root
    node_col = np.where(r.col_of_node >= 0, r.col_of_node, 0)
    node_part = col_part[node_col]
    leaf = r.col_of_node < 0
    node_part[leaf] = col_part[r.col(r.roots[r.source_root_row[leaf]])]
    root_part = col_part[r.col(r.roots)]
    demand_part = root_part[r.source_root_row[p.demand_source]]
    return demand_part.astype(np.int64), node_part


def _sub(p: CompiledProblem, demands: IntArray, count: IntArray) -> Part:
    """The problem of ``demands`` with node counts ``count`` (candidates where count > 0
    or at the demand's own always-on device)."""
    counts = p.demand_ptr[demands + 1] - p.demand_ptr[demands]
    cands = concat_ranges(p.demand_ptr[demands], counts)
    ok = count[p.cand_node[cands]] > 0
    cands = cands[ok]
    new_index = np.full(p.n_demands, -1, dtype=np.int64)
    new_index[demands] = np.arange(len(demands))
    cand_fields = {
        f.name: getattr(p, f.name)[cands]
        for f in dataclasses.fields(p)
        if f.name.startswith("cand_")
    }
    cand_fields["cand_demand"] = new_index[p.cand_demand[cands]]
    demand_fields = {
        f.name: getattr(p, f.name)[demands]
        for f in dataclasses.fields(p)
        if f.name.startswith("demand_") and f.name != "demand_ptr"
    }
    ptr = np.searchsorted(cand_fields["cand_demand"], np.arange(len(demands) + 1)).astype(np.int64)
    sub = dataclasses.replace(
        p, node_count=count, demand_ptr=ptr, unservable=(), **cand_fields, **demand_fields
    )
    return Part(sub, demands, cands)


def _chosen(p: CompiledProblem, x: FloatArray) -> IntArray:
    """Largest share of each demand (-1 where a demand has none)."""
    chosen = np.full(p.n_demands, -1, dtype=np.int64)
    used = np.nonzero(x > 0)[0]
    order = used[np.lexsort((-x[used], p.cand_demand[used]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = p.cand_demand[order][1:] != p.cand_demand[order][:-1]
    chosen[p.cand_demand[order[first]]] = order[first]
    return chosen


def _settle(p: CompiledProblem, search: SearchState, x: FloatArray, deadline: float) -> FloatArray:
    """Place the demands the parts left, and repair conflicts between parts; if the
    merged shares break a shared limit, fall back to whole assignments, repaired."""
    cover = weighted_sum(p.cand_demand, x, p.n_demands)
    missing = cover < 1 - 1e-6
    if not missing.any() and search.within_limits(x):
        return x
    chosen = _chosen(p, x)
    chosen[missing] = -1
    x_keep = np.where(missing[p.cand_demand], 0.0, x)
    if missing.any():
        residual = p.max_utilisation * p.node_count - node_busy(p, chosen, search.load)
        price = search.price(search.base_rate)
        rest = search.candidates_of(missing)
        placed, _ = assign_by_regret(p, rest, price[rest], search.load[rest], residual)
        chosen = np.where(placed >= 0, placed, chosen)
        chosen = repair(p, chosen, price, search.load, search.shortlisted)
    x_whole = search.shares(chosen)
    x_merged = x_keep.copy()
    x_merged[chosen[missing & (chosen >= 0)]] = 1.0
    if (chosen >= 0).all() and search.within_limits(x_merged):
        return x_merged
    if (chosen >= 0).all():
        if p.app_average.any():
            chosen = restore_floors(search, chosen)
        chosen, x_whole = improve(search, chosen, deadline)
    return x_whole
