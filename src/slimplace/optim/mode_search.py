"""Power modes and shared batches for heuristics: one solve of a plain problem, then
moves evaluated in place on the plan's support.

With every node's mode fixed and every batch filling on its own demand's traffic, the
problem is a plain one (:func:`~slimplace.problem.modes.with_fixed_modes`) that the inner
solver places. Every other step changes that plan in place and values it with
:func:`support_value` (O(support + nodes), not O(candidates)); the evaluator checks each
plan kept. The search:

1. places the plain problem with every node at full speed (in its most frugal mode if
   that gives no plan);
2. *modes in place*: for each serving node and each other mode, moves the node's
   demands to their own candidates in that mode (same demand, node, variant and batch
   size, :class:`_Twins`); kept when worth less and within the node's capacity (first
   improvement, until a pass improves nothing); the inner solver then places the plain
   problem of the modes found, from that plan;
3. *light nodes closed* (:func:`_close_nodes`): a node's demands move to their cheapest
   candidate at another node with a server on and room, nodes in order of what closing
   each alone saves;
4. *shared batches* (batches that fill only on several demands' traffic), in rounds: for
   every batching node at once (:func:`_batch_moves`, vectorized over nodes, streams and
   demands) each demand takes its cheapest batched option there, among those cheaper
   than what it pays now (its candidate's cost, and, in a second variant, with its share
   of the idle power of the servers it keeps on), and options whose stream (node,
   variant, batch size) then gets less than the rate it needs are dropped, to a fixed
   point; capacity and bandwidth trim the best-valued node moves, and the best of
   those are completed in place: light nodes closed (which is where consolidation pays: the edge
   servers the moved traffic leaves half-empty are switched off) and streams that do
   not pay released (:func:`_release`). The best is kept while a round improves; its
   demands stay pinned to their batches;
5. modes in place again (nodes holding pinned batches keep theirs).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.evaluate import evaluate
from slimplace.optim.arcs import arc_capacity_bps, arc_loads_bps, candidate_arcs
from slimplace.optim.costs import CostModel, node_dynamic_cost
from slimplace.optim.mode_rows import BATCH_KEY, mode_cost_per_server
from slimplace.optim.segments import concat_ranges
from slimplace.placement.registry import Solver, reconfigured, takes_start
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

#: Relative improvement below which a move is not taken (rounding noise).
IMPROVE_RTOL = 1e-9


@dataclass(frozen=True)
class _Point:
    """A plan of the full problem with its value, node modes and pinned batches."""

    value: float
    mode: IntArray
    plan: Plan | None
    pinned: IntArray  # one candidate per demand pinned to a shared batch (-1: none)

    def better(self, other: _Point) -> bool:
        if not np.isfinite(self.value):
            return bool(np.isfinite(other.value))
        return other.value < self.value - IMPROVE_RTOL * max(1.0, abs(self.value))


@dataclass(frozen=True, kw_only=True)
class ModeSearch:
    """Modes and shared batches around ``inner`` (a solver of plain problems);
    ``batch_trials``: batching nodes whose move is completed per round of step 4 (for
    each of its two ways of choosing members)."""

    inner: Solver
    time_limit_s: float = 60.0
    model: CostModel | None = None
    batch_trials: int = 2

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """The best plan found; status infeasible when no mode choice gave a plan."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        p = problem
        assert self.model is not None
        inner = reconfigured(self.inner, time_limit_s=max(0.05, self.time_limit_s / 3))
        best = self._solve_fixed(p, inner, fastest_modes(p), seed)
        if best.plan is None:  # the frugal modes give the other start
            best = self._solve_fixed(p, inner, resting_modes(p), seed)
        if best.plan is None:
            return self._plan(p, best, time.perf_counter() - t0)
        moved = self._modes_in_place(p, best)
        log.debug("modes in place: %.6g (from %.6g)", moved.value, best.value)
        if (moved.mode != best.mode).any() and time.perf_counter() < deadline:
            again = self._solve_fixed(p, inner, moved.mode, seed, start=moved.plan)
            log.debug("solved in the modes found: %.6g", again.value)
            moved = again if moved.better(again) else moved
        best = moved if best.better(moved) else best
        closed = _close_nodes(p, self.model, best, _usable(p, best.mode))
        log.debug("light nodes closed: %.6g (from %.6g)", closed.value, best.value)
        if best.better(closed) and closed.plan is not None and evaluate(p, closed.plan).feasible:
            best = self._modes_in_place(p, closed)
        if time.perf_counter() < deadline:
            best = self._shared_batches(p, best, deadline)
            best = self._modes_in_place(p, best)
        return self._plan(p, best, time.perf_counter() - t0)

    def _solve_fixed(
        self,
        p: CompiledProblem,
        inner: Solver,
        mode: IntArray,
        seed: int,
        start: Plan | None = None,
    ) -> _Point:
        """The inner solver's plan of the plain problem with ``mode`` fixed (from
        ``start`` where the solver takes one)."""
        assert self.model is not None
        sub, kept = with_fixed_modes(p, mode)
        pinned = np.full(p.n_demands, -1, dtype=np.int64)
        extra = {}
        if start is not None and takes_start(inner):
            pos = np.searchsorted(kept, np.flatnonzero(start.x > 0))
            pos = np.minimum(pos, len(kept) - 1)
            if len(kept) and (kept[pos] == np.flatnonzero(start.x > 0)).all():
                extra["start"] = replace(start, x=start.x[kept])
        plan = inner.solve(sub, seed=seed, **extra)
        if plan.status is Status.INFEASIBLE or plan.objective is None:
            log.debug("inner solve: no plan (%s)", plan.reason)
            return _Point(np.inf, mode, None, pinned)
        x = np.zeros(p.n_candidates)
        x[kept] = plan.x
        idx = np.flatnonzero(x > 0)
        value, on = support_value(p, self.model, idx, x[idx])
        return _Point(value, mode, replace(plan, x=x, servers_on=on, objective=value), pinned)

    def _modes_in_place(self, p: CompiledProblem, point: _Point) -> _Point:
        """Steps 2 and 5 of the module docstring: each serving node's demands moved to
        their own candidates in another mode, kept when worth less (nodes holding pinned
        batches keep their mode)."""
        assert self.model is not None and point.plan is not None
        nodes = mode_choice_nodes(p)
        if len(nodes) == 0:
            return point
        idx = np.flatnonzero(point.plan.x > 0)
        share = point.plan.x[idx]
        twin = _Twins(p)
        pinned_nodes = p.cand_node[point.pinned[point.pinned >= 0]]
        nodes = np.setdiff1d(np.intersect1d(nodes, p.cand_node[idx]), pinned_nodes)
        mode, value = point.mode.copy(), point.value
        limit = p.max_utilisation * p.node_count
        fills = self_filling(p)
        improved = True
        while improved:
            improved = False
            for v in nodes.tolist():
                at = np.flatnonzero(p.cand_node[idx] == v)
                for row in np.flatnonzero(p.mode_node == v).tolist():
                    if row == mode[v]:
                        continue
                    other = twin.of(idx[at], row)
                    if (other < 0).any() or not fills[other].all():
                        continue
                    t_idx = idx.copy()
                    t_idx[at] = other
                    busy = float(
                        p.demand_rate_per_s[p.cand_demand[other]]
                        @ (share[at] * p.cand_service_s[other])
                    )
                    if busy > limit[v] * (1 + 1e-9):
                        continue
                    t_value, _ = support_value(p, self.model, t_idx, share)
                    if t_value < value - IMPROVE_RTOL * max(1.0, abs(value)):
                        idx, value, improved = t_idx, t_value, True
                        mode[v] = row
                        break
        if value >= point.value:
            return point
        return self._checked(p, point, idx, share, mode, point.pinned) or point

    def _checked(
        self,
        p: CompiledProblem,
        point: _Point,
        idx: IntArray,
        share: FloatArray,
        mode: IntArray,
        pinned: IntArray,
    ) -> _Point | None:
        """The point of the plan with ``share`` on ``idx`` when the evaluator accepts it."""
        assert self.model is not None and point.plan is not None
        value, on = support_value(p, self.model, idx, share)
        x = np.zeros(p.n_candidates)
        x[idx] = share
        plan = replace(point.plan, x=x, servers_on=on, objective=value)
        if not evaluate(p, plan).feasible:
            return None
        return _Point(value, mode, plan, pinned)

    def _shared_batches(self, p: CompiledProblem, best: _Point, deadline: float) -> _Point:
        """Step 4 of the module docstring: rounds of moves completed in place (light
        nodes closed, streams that do not pay released), the best kept when the
        evaluator accepts it."""
        assert self.model is not None
        usable = _usable(p, best.mode)
        while time.perf_counter() < deadline and best.plan is not None:
            moves = [
                m
                for idle_share in (False, True)
                for m in sorted(
                    _batch_moves(
                        p, self.model, best, idle_share=idle_share, keep=2 * self.batch_trials
                    ),
                    key=lambda m: m[0],
                )[: self.batch_trials]
            ]
            found = best
            for quick, v, pins, t_idx, t_share in moves:
                x = np.zeros(p.n_candidates)
                x[t_idx] = t_share
                moved = _Point(quick, best.mode, replace(best.plan, x=x), pins)
                trial = _release(p, self.model, _close_nodes(p, self.model, moved, usable), usable)
                log.debug(
                    "shared batches at node %d: %d pinned, moved %.6g, closed %.6g (best %.6g)",
                    v,
                    int((pins >= 0).sum()),
                    quick,
                    trial.value,
                    best.value,
                )
                found = trial if found.better(trial) else found
            if found is best or found.plan is None:
                break
            checked = self._checked(
                p,
                found,
                np.flatnonzero(found.plan.x > 0),
                found.plan.x[found.plan.x > 0],
                found.mode,
                found.pinned,
            )
            if checked is None:
                break
            best = checked
        return best

    def _plan(self, p: CompiledProblem, best: _Point, seconds: float) -> Plan:
        if best.plan is None:
            return Plan(
                np.zeros(p.n_candidates),
                np.where(p.node_always_on, p.node_count, 0).astype(np.int64),
                "greedy",
                Status.INFEASIBLE,
                seconds=seconds,
                reason="no choice of power modes gave a plan",
            )
        log.info("mode search: value %.6g in %.2fs", best.value, seconds)
        return replace(best.plan, seconds=seconds)


class _Twins:
    """Each moded candidate's own candidate in another mode of its node: same demand,
    node, variant and batch size (the cheapest, where several split points share them)."""

    def __init__(self, p: CompiledProblem) -> None:
        self.p = p
        at = np.flatnonzero(p.cand_mode >= 0)
        key = self._key(at) + p.cand_mode[at]
        order = np.lexsort((p.cand_dyn_energy_j[at], key))
        self.key, self.cand = key[order], at[order]

    def _key(self, c: IntArray) -> IntArray:
        p = self.p
        base = (p.cand_demand[c] * p.n_nodes + p.cand_node[c]) * len(p.variant_names)
        width = int(p.cand_batch.max(initial=1)) + 1
        base = (base + p.cand_variant[c]) * width + p.cand_batch[c]
        return np.asarray(base * max(len(p.mode_node), 1), dtype=np.int64)

    def of(self, c: IntArray, row: int) -> IntArray:
        """Twin of each candidate ``c`` in mode row ``row`` (-1: none admissible)."""
        if len(self.key) == 0:
            return np.full(len(c), -1, dtype=np.int64)
        want = np.where(self.p.cand_mode[c] >= 0, self._key(c) + row, -1)
        pos = np.minimum(np.searchsorted(self.key, want), len(self.key) - 1)
        return np.where(self.key[pos] == want, self.cand[pos], -1)


def _batch_moves(
    p: CompiledProblem,
    model: CostModel,
    point: _Point,
    *,
    idle_share: bool,
    keep: int | None = None,
) -> list[tuple[float, int, IntArray, IntArray, FloatArray]]:
    """Per batching node v with a shared batch to join (step 4 of the module docstring;
    ``idle_share``: members chosen by what they pay with their share of idle power):
    (value on the support of the plan with the demands moved to v's shared batches, v,
    the pins of the plan's pinned demands plus those moved, and that plan's support and
    shares). Every free demand takes its cheapest batched option at v; options whose
    stream (node, variant, batch size) then gets less than the rate they need are
    dropped, to a fixed point (vectorized over every node at once); then, per node, the
    smallest streams go while the node is over capacity and the members with the most
    traffic on an arc over its bandwidth (:func:`_trim`). ``keep``: only the nodes
    whose move is worth least before trimming are trimmed, at most that many."""
    assert point.plan is not None
    x = point.plan.x
    idx = np.flatnonzero(x > 0)
    share = x[idx]
    opt = np.flatnonzero(
        (p.cand_batch > 1)
        & ~self_filling(p)
        & ((p.cand_mode < 0) | (p.cand_mode == point.mode[p.cand_node]))
    )
    # what each demand pays now: its candidates' cost and its share of the idle power
    # of the servers it keeps on (the load it puts on them over their load)
    busy = _busy(p, idx, share)
    _, on = support_value(p, model, idx, share)
    load = p.demand_rate_per_s[p.cand_demand[idx]] * share * p.cand_service_s[idx]
    node = p.cand_node[idx]
    idle = model.server_cost[node] * on[node] * load / np.maximum(busy[node], 1e-300)
    idle = idle if idle_share else np.zeros(len(idx))
    pays = np.bincount(
        p.cand_demand[idx], weights=model.cand_cost[idx] * share + idle, minlength=p.n_demands
    )
    opt = opt[point.pinned[p.cand_demand[opt]] < 0]
    opt = opt[model.cand_cost[opt] < pays[p.cand_demand[opt]]]
    if len(opt) == 0:
        return []
    pair = p.cand_demand[opt] * p.n_nodes + p.cand_node[opt]
    order = np.lexsort((model.cand_cost[opt], pair))
    opt, pair = opt[order], pair[order]
    cost = model.cand_cost[opt]
    s_of = np.unique(_stream_key(p, opt), return_inverse=True)[1]
    alive = _fill_fixed_point(p, opt, pair, cost, s_of, np.ones(len(opt), dtype=bool))
    chosen = _cheapest_per_pair(pair, cost, alive)
    node_of = p.cand_node[opt]
    nodes = np.unique(node_of[chosen])
    if keep is not None and len(nodes) > keep:  # the best untrimmed moves are trimmed
        rough = [
            _moved(p, model, point, idx, share, opt[chosen & (node_of == v)])[0] for v in nodes
        ]
        nodes = nodes[np.argsort(rough, kind="stable")[:keep]]
    out: list[tuple[float, int, IntArray, IntArray, FloatArray]] = []
    for v in nodes.tolist():
        at = np.flatnonzero(node_of == v)
        cands = _trim(p, opt[at], pair[at], cost[at], s_of[at], alive[at], idx, share, v)
        if len(cands):
            out.append(_moved(p, model, point, idx, share, cands))
    return out


def _moved(
    p: CompiledProblem,
    model: CostModel,
    point: _Point,
    idx: IntArray,
    share: FloatArray,
    cands: IntArray,
) -> tuple[float, int, IntArray, IntArray, FloatArray]:
    """(value, node, pins, support, shares) of the plan with shares ``share`` on ``idx``
    and the demands of ``cands`` (batched candidates at one node) moved to them."""
    moved = np.zeros(p.n_demands, dtype=bool)
    moved[p.cand_demand[cands]] = True
    stay = ~moved[p.cand_demand[idx]]
    t_idx = np.concatenate([idx[stay], cands])
    t_share = np.concatenate([share[stay], np.ones(len(cands))])
    value, _ = support_value(p, model, t_idx, t_share)
    pins = point.pinned.copy()
    pins[p.cand_demand[cands]] = cands
    return value, int(p.cand_node[cands[0]]), pins, t_idx, t_share


def _stream_key(p: CompiledProblem, c: IntArray) -> IntArray:
    """Stream (node, variant, batch size) key of candidates ``c``."""
    key = (p.cand_node[c] * len(p.variant_names) + p.cand_variant[c]) * BATCH_KEY
    return np.asarray(key + p.cand_batch[c], dtype=np.int64)


def _fill_fixed_point(
    p: CompiledProblem,
    opt: IntArray,
    pair: IntArray,
    cost: FloatArray,
    s_of: IntArray,
    alive: BoolArray,
) -> BoolArray:
    """Options ``opt`` left alive when each (demand, node) ``pair`` takes its cheapest
    alive option and the chosen options whose stream ``s_of`` gets less than they need
    are dropped, until none is (each round drops at least one)."""
    alive = alive.copy()
    rate = p.demand_rate_per_s[p.cand_demand[opt]]
    need = p.cand_fill_rate_per_s[opt]
    n_s = int(s_of.max(initial=-1)) + 1
    while alive.any():
        chosen = _cheapest_per_pair(pair, cost, alive)
        lam = np.bincount(s_of[chosen], weights=rate[chosen], minlength=n_s)
        short = chosen & (need > lam[s_of] * (1 + 1e-12))
        if not short.any():
            break
        alive &= ~short
    return alive


def _trim(
    p: CompiledProblem,
    opt: IntArray,
    pair: IntArray,
    cost: FloatArray,
    s_of: IntArray,
    alive: BoolArray,
    idx: IntArray,
    share: FloatArray,
    v: int,
) -> IntArray:
    """The candidates (one per demand) that node ``v``'s options ``opt`` move to shared
    batches: the cheapest alive option per demand, without the smallest streams while
    ``v`` is over capacity and without the members with the most traffic on an arc over
    its bandwidth (with the rest of the plan, shares ``share`` on ``idx``), the fill fixed
    point redone after each cut."""
    rate = p.demand_rate_per_s[p.cand_demand[opt]]
    limit = p.max_utilisation * p.node_count[v] * (1 + 1e-9)
    cap_bps = arc_capacity_bps(p)
    for _ in range(len(opt)):
        alive = _fill_fixed_point(p, opt, pair, cost, s_of, alive)
        pick = np.flatnonzero(_cheapest_per_pair(pair, cost, alive))
        if len(pick) == 0:
            return opt[pick]
        cands = opt[pick]
        load = rate[pick] * p.cand_service_s[cands]
        other = (p.cand_node[idx] == v) & ~np.isin(p.cand_demand[idx], p.cand_demand[cands])
        base = float(_busy(p, idx[other], share[other])[v])
        if base + load.sum() > limit:  # drop the stream carrying the least traffic
            lam = np.bincount(s_of[pick], weights=rate[pick])
            alive &= s_of != s_of[pick][np.argmin(lam[s_of[pick]])]
            continue
        stay = ~np.isin(p.cand_demand[idx], p.cand_demand[cands])
        t_idx = np.concatenate([idx[stay], cands])
        t_share = np.concatenate([share[stay], np.ones(len(cands))])
        pos, arc, bits = candidate_arcs(p, t_idx)
        flow = p.demand_rate_per_s[p.cand_demand[t_idx[pos]]] * t_share[pos] * bits
        over = np.bincount(arc, weights=flow, minlength=len(cap_bps)) > cap_bps * (1 + 1e-9)
        mine = (pos >= int(stay.sum())) & over[arc]
        if not mine.any():
            return cands
        # the member with the most traffic on overloaded arcs leaves
        heavy = np.bincount(pos[mine] - int(stay.sum()), weights=flow[mine], minlength=len(pick))
        alive[pick[int(np.argmax(heavy))]] = False
    return opt[:0]


def _close_nodes(p: CompiledProblem, model: CostModel, point: _Point, usable: BoolArray) -> _Point:
    """Switch off lightly loaded nodes one at a time, least loaded first: the node's
    demands move to their cheapest ``usable`` candidate at another node with a server
    on and room for them (no new server, :func:`_reassign`); kept when worth less. The
    greedy's consolidation empties light nodes only into well-used ones, which after a
    batch takes most of the traffic away leaves every edge node on; here any node on
    receives. Nodes holding pinned batches keep their demands."""
    assert point.plan is not None
    idx = np.flatnonzero(point.plan.x > 0)
    share = point.plan.x[idx]
    value, on = support_value(p, model, idx, share)
    held = np.zeros(p.n_nodes, dtype=bool)
    held[p.cand_node[point.pinned[point.pinned >= 0]]] = True
    busy = _busy(p, idx, share)
    donors = np.flatnonzero(model.switchable & (on > 0) & (model.server_cost > 0) & ~held)
    changed = False
    pool = _pool(p, model, usable & (on[p.cand_node] > 0))  # receivers only get fewer
    gain = np.zeros(len(donors))
    for i, u in enumerate(donors.tolist()):  # each node's closing on its own, to order them
        at = np.flatnonzero(p.cand_node[idx] == u)
        trial = _reassign(p, model, idx, share, at, usable, on, u, pool=pool)
        gain[i] = np.inf if trial is None else support_value(p, model, *trial)[0] - value
    for u in donors[np.lexsort((busy[donors], gain))].tolist():
        at = np.flatnonzero(p.cand_node[idx] == u)
        trial = _reassign(p, model, idx, share, at, usable, on, u, pool=pool)
        if trial is None:
            continue
        t_idx, t_share = trial
        t_value, t_on = support_value(p, model, t_idx, t_share)
        if t_value < value - IMPROVE_RTOL * max(1.0, abs(value)) and _support_fits(
            p, t_idx, t_share
        ):
            idx, share, value, on, changed = t_idx, t_share, t_value, t_on, True
    if not changed:
        return point
    return _with_support(point, p, idx, share, value, on, point.pinned)


def _release(p: CompiledProblem, model: CostModel, point: _Point, usable: BoolArray) -> _Point:
    """Undo pinned batches that do not pay: each stream's pinned members (all of them,
    so no other stream loses traffic) move to their cheapest ``usable`` candidate at a
    node with a server on and room (:func:`_reassign`); kept when worth less."""
    assert point.plan is not None
    pins = point.pinned.copy()
    if not (pins >= 0).any():
        return point
    idx = np.flatnonzero(point.plan.x > 0)
    share = point.plan.x[idx]
    value, on = support_value(p, model, idx, share)
    pinned = pins[pins >= 0]
    keys = _stream_key(p, pinned)
    changed = False
    for key in np.unique(keys).tolist():
        members = pinned[keys == key]
        at = np.flatnonzero(np.isin(idx, members))
        if len(at) == 0:
            continue
        trial = _reassign(p, model, idx, share, at, usable, on, -1)
        opened = trial is None
        if opened:  # no room on the servers on: open servers, then close light nodes
            trial = _reassign(p, model, idx, share, at, usable, on, -1, open_new=True)
        if trial is None:
            continue
        t_idx, t_share = trial
        t_pins = pins.copy()
        t_pins[p.cand_demand[members]] = -1
        if opened:
            t_point = _with_support(point, p, t_idx, t_share, 0.0, on, t_pins)
            t_point = _close_nodes(p, model, t_point, usable)
            assert t_point.plan is not None
            t_idx = np.flatnonzero(t_point.plan.x > 0)
            t_share = t_point.plan.x[t_idx]
        t_value, t_on = support_value(p, model, t_idx, t_share)
        if t_value < value - IMPROVE_RTOL * max(1.0, abs(value)) and _support_fits(
            p, t_idx, t_share
        ):
            idx, share, value, on, changed = t_idx, t_share, t_value, t_on, True
            pins = t_pins
    if not changed:
        return point
    return _with_support(point, p, idx, share, value, on, pins)


def _with_support(
    point: _Point,
    p: CompiledProblem,
    idx: IntArray,
    share: FloatArray,
    value: float,
    on: IntArray,
    pins: IntArray,
) -> _Point:
    assert point.plan is not None
    x = np.zeros(p.n_candidates)
    x[idx] = share
    plan = replace(point.plan, x=x, servers_on=on, objective=value)
    return _Point(value, point.mode, plan, pins)


def _reassign(
    p: CompiledProblem,
    model: CostModel,
    idx: IntArray,
    share: FloatArray,
    at: IntArray,
    usable: BoolArray,
    on: IntArray,
    avoid: int,
    *,
    open_new: bool = False,
    pool: tuple[IntArray, IntArray] | None = None,
) -> tuple[IntArray, FloatArray] | None:
    """The support with entries ``at`` of ``idx`` moved to their demand's cheapest
    ``usable`` candidate at a node other than ``avoid`` with a server on, when each has
    one and no node then needs more servers than it has on (None otherwise). With
    ``open_new``, any node may receive, a candidate at a node with no server on priced
    with the idle cost of the server share its load takes at rho_max (the greedy's
    construction price), and nodes may need more servers (within their count).
    ``pool`` (:func:`_pool`, ``usable`` candidates by demand and cost, a superset of
    those at nodes on) spares the search over every candidate of the demands."""
    if len(at) == 0:
        return None
    d = p.cand_demand[idx[at]]
    if pool is not None and not open_new:
        cands, ptr = pool
        counts = ptr[d + 1] - ptr[d]
        alt = cands[concat_ranges(ptr[d], counts)]
    else:
        counts = p.demand_ptr[d + 1] - p.demand_ptr[d]
        alt = concat_ranges(p.demand_ptr[d], counts)
    owner = np.repeat(np.arange(len(at)), counts)
    ok = usable[alt] & (p.cand_node[alt] != avoid)
    if not open_new:
        ok &= on[p.cand_node[alt]] > 0
    alt, owner = alt[ok], owner[ok]
    price = model.cand_cost[alt]
    if open_new:
        node = p.cand_node[alt]
        price = price + np.where(
            on[node] > 0, 0.0, model.cand_load[alt] * model.server_cost[node] / p.max_utilisation
        )
    best = np.full(len(at), -1, dtype=np.int64)
    order = np.lexsort((price, owner))
    if len(order):
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        best[owner[first]] = alt[first]
    if (best < 0).any():
        return None
    t_idx = idx.copy()
    t_idx[at] = best
    t_idx, inv = np.unique(t_idx, return_inverse=True)
    t_share = np.asarray(np.bincount(inv, weights=share, minlength=len(t_idx)), dtype=np.float64)
    room = p.max_utilisation * (p.node_count if open_new else np.minimum(on, p.node_count))
    room = room * (1 + 1e-9)
    if (_busy(p, t_idx, t_share) > room).any():
        return None
    return t_idx, t_share


def _pool(p: CompiledProblem, model: CostModel, keep: BoolArray) -> tuple[IntArray, IntArray]:
    """The candidates where ``keep`` holds, by demand then cost, and each demand's start
    among them (for :func:`_reassign`)."""
    at = np.flatnonzero(keep)
    at = at[np.lexsort((model.cand_cost[at], p.cand_demand[at]))]
    ptr = np.searchsorted(p.cand_demand[at], np.arange(p.n_demands + 1))
    return at.astype(np.int64), ptr.astype(np.int64)


def _usable(p: CompiledProblem, mode: IntArray) -> BoolArray:
    """Candidates a plan may use with nodes in modes ``mode``, without batches that need
    other demands' traffic to fill."""
    return np.asarray(
        self_filling(p) & ((p.cand_mode < 0) | (p.cand_mode == mode[p.cand_node])), dtype=bool
    )


def _busy(p: CompiledProblem, idx: IntArray, share: FloatArray) -> FloatArray:
    """Server-seconds per second at every node under shares ``share`` on ``idx``."""
    flow = p.demand_rate_per_s[p.cand_demand[idx]] * share * p.cand_service_s[idx]
    return np.asarray(np.bincount(p.cand_node[idx], weights=flow, minlength=p.n_nodes))


def _support_fits(p: CompiledProblem, idx: IntArray, share: FloatArray) -> bool:
    """Whether the plan with shares ``share`` on ``idx`` keeps within every node's memory
    and every arc's bandwidth (capacity is checked by the callers)."""
    pairs = np.unique(p.cand_node[idx] * p.n_models + p.variant_model[p.cand_variant[idx]])
    mem = np.bincount(
        pairs // p.n_models, weights=p.model_memory_bytes[pairs % p.n_models], minlength=p.n_nodes
    )
    if (mem > p.node_memory_bytes * (1 + 1e-9)).any():
        return False
    cap = arc_capacity_bps(p)
    return bool((arc_loads_bps(p, idx, share) <= cap * (1 + 1e-9)).all())


def _cheapest_per_pair(pair: IntArray, cost: FloatArray, alive: BoolArray) -> BoolArray:
    """Mask of the cheapest alive entry of each ``pair`` value; entries come sorted by
    (pair, cost) (:func:`_batch_moves` sorts them once), so this is O(entries)."""
    at = np.flatnonzero(alive)
    out = np.zeros(len(pair), dtype=bool)
    if len(at):
        out[at[np.r_[True, pair[at][1:] != pair[at][:-1]]]] = True
    return out


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
