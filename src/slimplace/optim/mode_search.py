"""Power modes for heuristics: a local search over each node's mode around any solver.

A node has few modes (two to four), so the search enumerates them node by node: with
every node's mode fixed, the problem is a plain one (:func:`~slimplace.problem.modes.
with_fixed_modes`: candidates of the fixed modes, batches that fill on their own
demand's traffic), which the inner solver places; a node's mode changes when the plan of
the changed problem is worth less (first improvement, in node order, until a full pass
improves nothing or time runs out; a change is tried only where some demand the node serves
can stay in the new mode). It starts from the better of every node at full
speed and every node in its most frugal mode. Batches that fill only with other
demands' traffic are then tried stream by stream: every demand the stream can take moves
there at once, kept when the evaluator accepts the plan and it is worth less.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import IntArray
from slimplace.evaluate import evaluate
from slimplace.optim.costs import CostModel, plan_value
from slimplace.optim.mode_rows import stream_keys
from slimplace.placement.registry import Solver, reconfigured
from slimplace.plan import Plan, Status, node_busy_s_per_s, servers_needed
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import (
    fastest_modes,
    mode_choice_nodes,
    resting_modes,
    self_filling,
    with_fixed_modes,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ModeSearch:
    """Mode-by-mode local search around ``inner`` (a solver of plain problems)."""

    inner: Solver
    time_limit_s: float = 60.0
    model: CostModel | None = None

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """The best plan found; status infeasible when no mode choice gave a plan."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        p = problem
        assert self.model is not None
        nodes = mode_choice_nodes(p)
        trials = max(2, 2 + len(nodes) * 2)
        budget = max(0.05, self.time_limit_s / trials)
        inner = reconfigured(self.inner, time_limit_s=budget)
        best: tuple[float, IntArray, Plan | None] = (np.inf, fastest_modes(p), None)
        for start in (fastest_modes(p), resting_modes(p)):
            best = min(best, self._try(p, inner, start, seed), key=lambda t: t[0])
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            for v in nodes:
                for row in np.flatnonzero(p.mode_node == v):
                    if row == best[1][v] or time.perf_counter() > deadline:
                        continue
                    if not _keeps_some(p, best[2], int(v), int(row)):
                        continue
                    mode = best[1].copy()
                    mode[v] = row
                    trial = self._try(p, inner, mode, seed)
                    if trial[0] < best[0] - 1e-9 * max(1.0, abs(best[0])):
                        best, improved = trial, True
        if best[2] is not None:
            best = self._shared_batches(p, best, deadline)
        return self._plan(p, best, time.perf_counter() - t0)

    def _shared_batches(
        self, p: CompiledProblem, best: tuple[float, IntArray, Plan | None], deadline: float
    ) -> tuple[float, IntArray, Plan | None]:
        """Batches that fill only on several demands' traffic: for each stream (node,
        variant, batch size, mode), move every demand it can take there at once, keeping
        those whose batch then fills in time; kept when the evaluator accepts the plan
        and it is worth less (one pass, best stream first)."""
        assert self.model is not None and best[2] is not None
        at, stream, _ = stream_keys(p)
        if len(at) == 0:
            return best
        group = stream * (len(p.mode_node) + 1) + (p.cand_mode[at] + 1)
        for g in np.unique(group[~self_filling(p)[at]]):
            if time.perf_counter() > deadline:
                break
            members = at[group == g]
            keep = np.ones(len(members), dtype=bool)
            rate = p.demand_rate_per_s[p.cand_demand[members]]
            while keep.any():  # drop members whose batch the others' traffic cannot fill
                fits = p.cand_fill_rate_per_s[members] <= rate[keep].sum() * (1 + 1e-12)
                if (fits | ~keep).all():
                    break
                keep &= fits
            if not keep.any():
                continue
            plan = best[2]
            assert plan is not None
            x = plan.x.copy()
            for c in members[keep]:
                d = p.cand_demand[c]
                x[p.demand_ptr[d] : p.demand_ptr[d + 1]] = 0.0
                x[c] = 1.0
            on = np.minimum(servers_needed(p, node_busy_s_per_s(p, x)), p.node_count)
            trial = replace(plan, x=x, servers_on=on.astype(np.int64))
            value = plan_value(p, self.model, x, on)
            if value < best[0] and evaluate(p, trial).feasible:
                best = (value, best[1], replace(trial, objective=value))
        return best

    def _try(
        self, p: CompiledProblem, inner: Solver, mode: IntArray, seed: int
    ) -> tuple[float, IntArray, Plan | None]:
        """(value on ``p``, modes, plan over ``p``'s candidates) of ``inner`` with
        ``mode`` fixed."""
        assert self.model is not None
        sub, kept = with_fixed_modes(p, mode)
        plan = inner.solve(sub, seed=seed)
        if plan.status is Status.INFEASIBLE or plan.objective is None:
            return np.inf, mode, None
        x = np.zeros(p.n_candidates)
        x[kept] = plan.x
        on = np.minimum(servers_needed(p, node_busy_s_per_s(p, x)), p.node_count)
        value = plan_value(p, self.model, x, on)
        return value, mode, replace(plan, x=x, servers_on=on.astype(np.int64), objective=value)

    def _plan(
        self, p: CompiledProblem, best: tuple[float, IntArray, Plan | None], seconds: float
    ) -> Plan:
        value, _, plan = best
        if plan is None:
            return Plan(
                np.zeros(p.n_candidates),
                np.where(p.node_always_on, p.node_count, 0).astype(np.int64),
                "greedy",
                Status.INFEASIBLE,
                seconds=seconds,
                reason="no choice of power modes gave a plan",
            )
        log.info("mode search: value %.6g in %.2fs", value, seconds)
        return replace(plan, seconds=seconds)


def _keeps_some(p: CompiledProblem, plan: Plan | None, v: int, row: int) -> bool:
    """Whether moving node ``v`` to mode row ``row`` is worth a solve: some demand ``plan``
    serves at ``v`` can stay there in that mode (a move that evicts all of them, or one at
    a node serving nothing, which the all-fast and all-frugal starts cover, is skipped)."""
    if plan is None:
        return True
    served = np.unique(p.cand_demand[(plan.x > 0) & (p.cand_node == v)])
    if len(served) == 0:
        return False
    there = (p.cand_node == v) & (p.cand_mode == row)
    return bool(np.isin(p.cand_demand[there], served).any())
