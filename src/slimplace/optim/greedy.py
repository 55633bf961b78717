"""``greedy``: energy-marginal construction, consolidation and local search, vectorized.

1. *Construction.* Every candidate is priced at its cost per inference plus the
   idle power of the servers it occupies, amortised over a server at its most
   efficient utilisation (rho_max for linear power; the best point of a
   measured curve), so opening a server is paid for. Demands are placed by
   regret-ordered deferred acceptance (:mod:`slimplace.optim.regret`) with node
   capacity; memory and bandwidth are then repaired (:mod:`slimplace.optim.repair`).
   Average-floor applications start on variants that meet the floor.
2. *Dynamic slope scaling* (Kim & Pardalos, "A solution approach to the fixed
   charge network flow problem using a dynamic slope scaling procedure",
   Oper. Res. Letters 24, 1999): each node is re-priced at the idle cost it
   actually incurred per unit of load, so lightly used nodes lose their
   demands to well used ones; the best of a few rounds is kept.
3. *Local search* in vectorized rounds: moves of demands into spare capacity of
   servers already on (or to a cheaper variant on the same node); consolidation,
   which empties the last server of lightly used nodes into spare capacity
   elsewhere when the idle power saved exceeds the extra cost; and, for
   average-floor applications, downgrades to cheaper variants in order of
   saving per accuracy point while the average holds (the last one partial
   when the application is splittable). When these rounds stop improving, the
   *close* move (:mod:`slimplace.optim.close_nodes`, the drop move of
   facility-location local search) tries to switch off the last server of each
   switchable node, sending its demands through any of their candidates to
   nodes that stay on (waking servers at nodes already on), in a fixed order;
   after a close that pays, the rounds run again (at most three times). With link
   sleep a close must also pay for the on-power of the links it keeps awake
   (``docs/routing.md``).

Heuristics work on the best ``keep_per_demand`` candidates of each demand (by
the construction price) and fall back to all candidates for demands that do
not fit there. Given a start plan (a warm start: the plan in force when a policy
re-plans), it joins the constructions as a start of its own and slope scaling is
skipped.

The state is :class:`~slimplace.optim.search_state.SearchState`; phases 1-2 are in
:mod:`slimplace.optim.construction`, phase 3 in :mod:`slimplace.optim.local_search`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from slimplace.optim.construction import construct, multipliers
from slimplace.optim.costs import FloatArray, IntArray, ObjectiveOptions
from slimplace.optim.empty import empty_problem_plan
from slimplace.optim.local_search import improve
from slimplace.optim.mode_search import ModeSearch
from slimplace.optim.search_state import SearchState
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import needs_mode_search

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class GreedySolver(ObjectiveOptions):
    """Energy-marginal greedy with slope scaling, consolidation and local search.

    Options: ``time_limit_s`` (checked between phases), ``objective`` /
    ``carbon_weight`` (as for ``milp``), ``scaling_rounds``, ``local_search``,
    ``keep_per_demand`` (candidates per demand the search works on).
    """

    scaling_rounds: int = 6
    price_rounds: int = 60
    local_search: bool = True
    keep_per_demand: int = 24

    def solve(self, problem: CompiledProblem, *, seed: int = 0, start: Plan | None = None) -> Plan:
        """A feasible plan, or status infeasible when some demand could not be placed;
        ``start``: a plan to start from (used when it places every demand whole)."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        if problem.n_demands == 0:
            return empty_problem_plan(problem, self.cost_model(problem), "greedy")
        if needs_mode_search(problem):  # power modes / shared batches: one mode per node
            search = ModeSearch(
                inner=self, time_limit_s=self.time_limit_s, model=self.cost_model(problem)
            )
            return search.solve(problem, seed=seed)
        state = SearchState(problem, self.cost_model(problem), self.keep_per_demand)
        warm = _whole_assignment(problem, start)
        starts, values = self._constructions(state, t0, deadline, scaling=warm is None)
        if warm is not None:
            starts.append(warm)
            values.append(state.value(warm))
        # local search from the two best starts: a worse start can end better
        best = starts[int(np.argmin(values))]
        x = state.shares(best)
        if self.local_search and (best >= 0).all():
            finals: list[tuple[float, IntArray, FloatArray]] = []
            for i in np.argsort(values, kind="stable")[:2]:
                if not np.isfinite(values[i]) or (finals and time.perf_counter() > deadline):
                    continue
                left = deadline - time.perf_counter()
                chosen, shares = improve(
                    state, starts[i], time.perf_counter() + left / (2 - len(finals))
                )
                finals.append((state.value_of_shares(shares), chosen, shares))
            _, best, x = min(finals, key=lambda f: f[0])
        return state.plan(best, x, "greedy", time.perf_counter() - t0, deadline=deadline)

    def _constructions(
        self, state: SearchState, t0: float, deadline: float, *, scaling: bool = True
    ) -> tuple[list[IntArray], list[float]]:
        """Starts: constructions under prices after the usual and four times as many
        subgradient rounds (which is better depends on the instance), a plain one, and
        slope-scaling rounds from the best so far; with their values. The plain one is
        built first: when it takes half the time limit, it is the only start."""
        rate = state.base_rate
        plain = construct(state, rate)
        if time.perf_counter() > t0 + 0.5 * (deadline - t0):  # no time for prices
            return [plain], [state.value(plain)]
        prices = multipliers(state, rate, (self.price_rounds, 4 * self.price_rounds))
        starts = [construct(state, rate, mu, lam) for mu, lam in prices]
        values = [state.value(c) for c in starts]
        mu, lam = prices[int(np.argmin(values))]
        starts.append(plain)
        values.append(state.value(plain))
        for _ in range(self.scaling_rounds if scaling else 0):
            if time.perf_counter() > deadline * 0.5 + t0 * 0.5:
                break
            rate = state.scaled_rate(starts[int(np.argmin(values))], rate)
            starts.append(construct(state, rate, mu, lam))
            values.append(state.value(starts[-1]))
        return starts, values


def _whole_assignment(problem: CompiledProblem, plan: Plan | None) -> IntArray | None:
    """The candidate of each demand in ``plan`` when it sends every demand wholly to one
    candidate of ``problem``, else None."""
    if plan is None or len(plan.x) != problem.n_candidates:
        return None
    whole = plan.x > 1 - 1e-9
    chosen = np.full(problem.n_demands, -1, dtype=np.int64)
    idx = np.flatnonzero(whole)
    chosen[problem.cand_demand[idx]] = idx
    if (chosen < 0).any() or int(np.count_nonzero(plan.x > 1e-9)) != problem.n_demands:
        return None
    return chosen
