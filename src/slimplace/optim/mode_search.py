"""Power modes for heuristics: a local search over each node's mode around any solver.

A node has few modes (two to four), so the search enumerates them node by node: with
every node's mode fixed, the problem is a plain one (:func:`~slimplace.problem.modes.
with_fixed_modes`: candidates of the fixed modes, batches that fill on their own
demand's traffic), which the inner solver places; a node's mode changes when the plan of
the changed problem is worth less (first improvement, in node order, until a full pass
improves nothing or time runs out; a change is tried only where some demand the node serves
can stay in the new mode, and it re-places only the demands with a candidate at the node,
the others keeping theirs). It starts from the better of every node at full
speed and every node in its most frugal mode. Batches that fill only with other
demands' traffic are then tried stream by stream: every demand the stream can take moves
there at once, kept when the evaluator accepts the plan and it is worth less.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.evaluate import evaluate
from slimplace.optim.costs import CostModel, node_dynamic_cost
from slimplace.optim.mode_rows import mode_cost_per_server, stream_keys
from slimplace.placement.registry import Solver, reconfigured
from slimplace.plan import Plan, Status, servers_needed
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
                    trial = self._try(p, inner, mode, seed, around=(int(v), best[2]))
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
        shared = ~self_filling(p)[at]
        at, group = at[shared], group[shared]
        order = np.argsort(group, kind="stable")
        at, group = at[order], group[order]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        ends = np.r_[starts[1:], len(group)]
        idx = np.flatnonzero(best[2].x > 0)
        share = best[2].x[idx]
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            if time.perf_counter() > deadline:
                break
            members = at[lo:hi]
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
            # the trial on the plan's support only (one entry per demand, not per candidate)
            stay = ~np.isin(p.cand_demand[idx], p.cand_demand[members[keep]])
            t_idx = np.concatenate([idx[stay], members[keep]])
            t_share = np.concatenate([share[stay], np.ones(int(keep.sum()))])
            value, on = support_value(p, self.model, t_idx, t_share)
            if value >= best[0]:
                continue
            x = np.zeros(p.n_candidates)
            x[t_idx] = t_share
            trial = replace(plan, x=x, servers_on=on)
            if evaluate(p, trial).feasible:
                best = (value, best[1], replace(trial, objective=value))
                idx, share = t_idx, t_share
        return best

    def _try(
        self,
        p: CompiledProblem,
        inner: Solver,
        mode: IntArray,
        seed: int,
        around: tuple[int, Plan | None] | None = None,
    ) -> tuple[float, IntArray, Plan | None]:
        """(value on ``p``, modes, plan over ``p``'s candidates) of ``inner`` with
        ``mode`` fixed. ``around = (v, plan)``: only the demands with a candidate at node
        ``v`` are placed anew, every other demand keeps its candidates of ``plan`` (the
        neighbourhood of a change of v's mode; the inner solve sees a few candidates per
        such demand instead of all of them)."""
        assert self.model is not None
        sub, kept = with_fixed_modes(p, mode)
        base = around[1] if around is not None else None
        if around is not None and base is not None:
            v = around[0]
            free = np.zeros(p.n_demands, dtype=bool)
            free[sub.cand_demand[sub.cand_node == v]] = True
            free[p.cand_demand[(base.x > 0) & (p.cand_node == v)]] = True
            keep = free[sub.cand_demand] | (base.x[kept] > 0)
            sub, kept = _restrict(sub, keep), kept[keep]
        plan = inner.solve(sub, seed=seed)
        if plan.status is Status.INFEASIBLE or plan.objective is None:
            return np.inf, mode, None
        x = np.zeros(p.n_candidates)
        x[kept] = plan.x
        idx = np.flatnonzero(x > 0)
        value, on = support_value(p, self.model, idx, x[idx])
        return value, mode, replace(plan, x=x, servers_on=on, objective=value)

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


def support_value(
    p: CompiledProblem, model: CostModel, idx: IntArray, share: FloatArray
) -> tuple[float, IntArray]:
    """:func:`~slimplace.optim.costs.plan_value` of the plan with shares ``share`` on
    candidates ``idx`` (and none elsewhere) with the servers it needs, computed on that
    support: O(support + nodes) instead of O(candidates). Returns (value, servers on)."""
    flow = p.demand_rate_per_s[p.cand_demand[idx]] * share
    busy = np.asarray(
        np.bincount(p.cand_node[idx], weights=flow * p.cand_service_s[idx], minlength=p.n_nodes),
        dtype=np.float64,
    )
    on = np.minimum(servers_needed(p, busy), p.node_count).astype(np.int64)
    on_f = np.where(p.node_always_on, p.node_count, on).astype(np.float64)
    value = model.constant + float(model.cand_cost[idx] @ share) + float(model.server_cost @ on_f)
    if len(p.mode_node):
        mode = resting_modes(p)
        moded = p.cand_mode[idx] >= 0
        load = np.bincount(
            p.cand_mode[idx[moded]], weights=flow[moded] + 1e-300, minlength=len(p.mode_node)
        )
        order = np.lexsort((-load, p.mode_node))
        top = order[np.r_[True, p.mode_node[order][1:] != p.mode_node[order][:-1]]]
        busy_rows = top[load[top] > 0]
        mode[p.mode_node[busy_rows]] = busy_rows
        nodes = np.flatnonzero(mode >= 0)
        value += float((mode_cost_per_server(p, model.kappa)[mode[nodes]] * on_f[nodes]).sum())
    return value + float(node_dynamic_cost(p, model, busy, on_f).sum()), on


def _restrict(p: CompiledProblem, keep: BoolArray) -> CompiledProblem:
    """``p`` with only the candidates where ``keep`` holds (``demand_ptr`` recomputed)."""
    fields = {
        f.name: getattr(p, f.name)[keep]
        for f in dataclasses.fields(p)
        if f.name.startswith("cand_")
    }
    ptr = np.searchsorted(fields["cand_demand"], np.arange(p.n_demands + 1)).astype(np.int64)
    return replace(p, demand_ptr=ptr, **fields)
