"""The offline reference: the least-cost sequence of load-level plans with perfect
knowledge of the whole load.

``hindsight`` reads the future (``Context.workload``), which no online policy may do,
solves a plan per load level, chooses which of them each step plays with every switch
priced against what it saves (below), and wakes every server one wake time before a step
needs it. Its measured energy (transitions included) is the yardstick of regret: an
online policy's energy as a percentage above it.

Solving once per step would cost a solve per step; instead each demand's rate is rounded
*up* to a grid of ``levels`` steps of its peak, ``ceil(levels r_d(t) / peak_d) / levels
x peak_d``, and one plan is solved per distinct rounded rate vector (warm-started from
the previous one). A plan for higher rates is feasible at lower ones (loads, utilisations
and queueing delays only fall), so every step is served; when every demand follows one
trace in step (issue 15's benchmark) there are at most ``levels + 1`` distinct vectors.
When the demands do not move in step (per-source phases, noise) and there are more than
``max_plans`` distinct vectors, every demand of a step is rounded up to the step's
highest level instead (``max_d ceil(levels r_d(t) / peak_d)``), which again leaves at
most ``levels + 1`` plans: still feasible at every step, at the price of some headroom.
Levels are solved from the heaviest down, and a level keeps the plan of the level solved
before it when that one was made for rates at least as high for every demand (so it is
feasible here) and is cheaper at this level's rates: with a heuristic solver the plan
energy then never rises as an in-step load falls. The rounding costs at most the energy
difference between two neighbouring levels; with a heuristic solver (``greedy``, the
default) the per-step plans are the best the solver found, not proven optima.

Which level plan each step plays (``rule``):

``"switch-cost"`` (the default): the least-cost sequence of the level plans, with
perfect knowledge of the load. A step may play any plan made for at least its rounded
rates (feasible there). Playing plan k at step t costs its plan-dependent energy at the
step's rates, ``step_s P_k(r_t)`` (the independent evaluator's ``plan_w``, linearly
interpolated between the grid vectors just below and just above ``r_t``: exact when the
power is linear in the load, as it is between two levels for linear power models);
switching from plan j to plan k costs the wake-up energy (PUE included) of every server k
has beyond j, plus the idle power such a server draws between being ready and the
switch (it is woken a whole number of steps ahead: make before break, so no request
waits for a server), plus the energy of fetching every model k loads on a node where j
has none (:func:`slimplace.sim.model.fetch_j_per_byte`, the engine's charge). The
cheapest sequence is a shortest path through the (step, plan) trellis, solved exactly by
dynamic programming (Bellman, *Dynamic Programming*, 1957; the Viterbi recursion,
Forney, Proc. IEEE 61(3), 1973) in ``O(steps x plans^2)``, each step one vectorized
``plans x plans`` minimum. A dip is thus ridden out exactly when what it saves is less
than the switches it costs, whatever its length. ``"hold"``: the earlier rule, every dip
of a demand's level shorter than ``hold_s`` filled (:func:`fill_dips`), each step playing
the plan of its filled level.

Either way the servers then follow the optimal on/off schedule for the plans chosen
(:mod:`slimplace.sim.switching`), which keeps a server on through an idle gap when that
is cheaper than waking it again: the path's cost counts a wake-up at every switch that
adds servers, so the engine's energy is at most the path's, up to the interpolation of
``P_k``.
:mod:`slimplace.sim.bounds` gives a lower bound that holds for any policy.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy.accounting import server_on_w
from slimplace.errors import SlimplaceError
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.rates import at_rates
from slimplace.sim.model import fetch_j_per_byte
from slimplace.sim.policies.common import cheapest, solve_at, switchable_nodes
from slimplace.sim.policy import Change, Context, Decision, Observation
from slimplace.sim.state import SHARE_EPS
from slimplace.sim.switching import fill_short_gaps, schedule_cost_j, wake_ahead

log = logging.getLogger(__name__)


#: Rows of rates generated at once while reading the future.
BLOCK = 1024
#: The rules that choose each step's plan (module docstring).
RULES = ("switch-cost", "hold")


class HindsightError(SlimplaceError):
    """The hindsight policy was run without the future load."""


@dataclass
class HindsightMemory:
    """The plans, which one each step uses, and the servers each step asks for."""

    plans: list[Plan]
    step_plan: IntArray
    servers_ahead: IntArray
    current: int = -1
    solve_s: float = 0.0
    schedule_j: float = 0.0
    naive_schedule_j: float = 0.0
    coarse: bool = False


@dataclass(frozen=True)
class Levels:
    """Every step's rates on the grid of ``levels`` steps of each peak: ``ceil`` the
    levels rounded up (what the step's plan must be made for), ``floor`` one level below
    (never below 0) and ``theta`` where the step's rates lie between the two (0: at
    ``floor``, 1: at ``ceil``; rate-weighted over the demands, exact when they move in
    step); ``coarse`` whether every demand was rounded to the step's highest level."""

    ceil: IntArray
    floor: IntArray
    theta: FloatArray
    coarse: bool


@dataclass(frozen=True, kw_only=True)
class HindsightPolicy:
    """See the module docstring."""

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=30.0))
    levels: int = 20
    max_plans: int = 64
    rule: Literal["switch-cost", "hold"] = "switch-cost"
    hold_s: float = 3600.0
    name: str = "hindsight"

    def start(self, context: Context, *, seed: int) -> HindsightMemory:
        """Read the whole load, solve one plan per rounded rate vector, choose each
        step's plan by ``rule``, schedule wake-ups."""
        if context.workload is None:
            raise HindsightError("hindsight needs the whole load (run it through simulate())")
        if self.levels < 1:
            raise HindsightError(f"levels must be >= 1, not {self.levels}")
        if self.rule not in RULES:
            raise HindsightError(f"rule must be one of {', '.join(RULES)}, not {self.rule!r}")
        grid = self._levels(context)
        keys, step_key = np.unique(grid.ceil, axis=0, return_inverse=True)
        step_key = np.asarray(step_key, dtype=np.int64).reshape(-1)
        peak = context.peak_rate_per_s
        rates = keys / self.levels * peak
        order = np.argsort(-keys.sum(axis=1))  # heaviest first; each warm-starts the next
        plans: list[Plan | None] = [None] * len(keys)
        t0 = time.perf_counter()
        best: tuple[Plan, FloatArray] | None = None
        for k in order:
            plan, problem = solve_at(
                context,
                rates[k],
                solver=self.solver,
                seed=seed + int(k),
                start=None if best is None else best[0],
            )
            if best is not None and (best[1] >= rates[k] - 1e-12).all():
                # a plan for rates at least as high fits here too, and the solver is a
                # heuristic: it can beat the new one (the held one wins a tie)
                plan = cheapest(problem, [best[0], plan])
            plans[k] = plan
            best = (plan, rates[k])
        spent = time.perf_counter() - t0
        solved = [p for p in plans if p is not None]
        if self.rule == "switch-cost":
            t1 = time.perf_counter()
            step_plan, path_j = cheapest_sequence(context, solved, keys, grid, self.levels)
            path_s = time.perf_counter() - t1
            log.info(
                "hindsight: %d plans for %d steps (%.1f s); cheapest sequence: %d switches, "
                "%.3f kWh plan-dependent (%.1f s)",
                len(keys),
                context.n_steps,
                spent,
                int(np.count_nonzero(np.diff(step_plan))),
                path_j / 3.6e6,
                path_s,
            )
            spent += path_s
        else:
            step_plan = step_key
            log.info("hindsight: %d plans for %d steps (%.1f s)", len(keys), context.n_steps, spent)
        servers = np.stack([p.servers_on for p in solved]).astype(np.int64)[step_plan]
        ahead, schedule_j, naive_j = _schedule(context, servers)
        return HindsightMemory(
            solved,
            step_plan,
            ahead,
            solve_s=spent,
            coarse=grid.coarse,
            schedule_j=schedule_j,
            naive_schedule_j=naive_j,
        )

    def decide(self, obs: Observation, memory: HindsightMemory) -> Decision:
        """This step's plan when it changes; else the servers the next wake time needs."""
        t = min(obs.step, len(memory.step_plan) - 1)
        k = int(memory.step_plan[t])
        on = memory.servers_ahead[t]
        if k != memory.current:
            memory.current = k
            return Plan(memory.plans[k].x, on, self.name)
        if np.array_equal(on, obs.servers_target):
            return None
        return Change(servers_on=on)

    def report(self, memory: HindsightMemory) -> dict[str, float]:
        """How many plans were solved and the time spent solving them."""
        return {
            "plans_solved": float(len(memory.plans)),
            "solve_s": memory.solve_s,
            "coarse_levels": float(memory.coarse),
            "server_schedule_kwh": memory.schedule_j / 3.6e6,
            "naive_server_schedule_kwh": memory.naive_schedule_j / 3.6e6,
        }

    def _levels(self, context: Context) -> Levels:
        """Every step's rates on the grid of ``levels`` steps of each peak (per demand,
        or at the step's highest level when that gives more than ``max_plans`` distinct
        vectors); with the ``hold`` rule, dips shorter than ``hold_s`` filled first."""
        wl = context.workload
        assert wl is not None
        n, peak, lv = context.n_steps, context.peak_rate_per_s, self.levels
        level = np.empty((n, len(peak)), dtype=np.int64)
        units = np.empty((n, len(peak)), dtype=np.float64)
        for s in range(0, n, BLOCK):
            size = min(BLOCK, n - s)
            r = wl.rates(s, size, context.step_s)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = np.where(peak > 0, r / peak * lv, 0.0)
            units[s : s + size] = u
            level[s : s + size] = np.clip(np.ceil(u - 1e-9), 0, lv).astype(np.int64)
        if self.rule == "hold":
            level = fill_dips(level, round(self.hold_s / context.step_s))
        coarse = len(np.unique(level, axis=0)) > self.max_plans
        if coarse:
            level = np.repeat(level.max(axis=1, keepdims=True), len(peak), axis=1)
            level[:, peak <= 0] = 0
        floor = np.maximum(level - 1, 0)
        weight = np.where(peak > 0, peak, 0.0)  # level units to rates
        above = np.clip(units - floor, 0.0, (level - floor).astype(np.float64)) @ weight
        span = (level - floor).astype(np.float64) @ weight
        theta = np.where(span > 0, above / np.where(span > 0, span, 1.0), 1.0)
        return Levels(level, floor, np.clip(theta, 0.0, 1.0), coarse)


def cheapest_sequence(
    context: Context, plans: list[Plan], keys: IntArray, grid: Levels, levels: int
) -> tuple[IntArray, float]:
    """The least-cost sequence of ``plans`` (made for the level vectors ``keys``) over
    the steps of ``grid`` and its cost (J): :func:`shortest_path` of the step costs
    (:func:`_step_cost_j`) and the switch costs (:func:`switch_cost_j`)."""
    step_cost = _step_cost_j(context, plans, keys, grid, levels)
    path, cost = shortest_path(step_cost, switch_cost_j(context.problem, plans, context.step_s))
    if not math.isfinite(cost):  # cannot happen: each step's own level plan is feasible
        raise HindsightError("no sequence of the level plans serves every step")
    return path, cost


def shortest_path(step_cost: FloatArray, switch: FloatArray) -> tuple[IntArray, float]:
    """The sequence of states (one per row of ``step_cost``, steps x states) that
    minimises ``sum_t step_cost[t, k_t] + sum_t switch[k_{t-1}, k_t]``, and that minimum:
    the recursion ``V_t(k) = step_cost[t, k] + min_j (V_{t-1}(j) + switch[j, k])``,
    ``V_0 = step_cost[0]`` (Bellman 1957; Viterbi/Forney 1973), one vectorized
    ``states x states`` minimum per step, then the back-pointers from the cheapest end.
    An infinite ``step_cost`` forbids the state at that step; where staying is as cheap
    as the best switch, the state is kept (fewer switches at equal cost)."""
    n, k = step_cost.shape
    back = np.empty((n, k), dtype=np.int64)
    stay = np.arange(k)
    value = np.asarray(step_cost[0], dtype=np.float64).copy()
    back[0] = stay
    for t in range(1, n):
        total = value[:, None] + switch  # total[j, k]: in state j at t-1, state k at t
        came = np.argmin(total, axis=0)
        low = total[came, stay]
        keep = value + np.diagonal(switch) <= low
        back[t] = np.where(keep, stay, came)
        value = np.where(keep, value + np.diagonal(switch), low) + step_cost[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(np.argmin(value))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path, float(value[path[-1]])


def _step_cost_j(
    context: Context, plans: list[Plan], keys: IntArray, grid: Levels, levels: int
) -> FloatArray:
    """``c[t, k]``: plan k's plan-dependent energy (J) over step t, interpolated between
    its power at the step's floor and ceil level vectors (:class:`Levels`); infinite
    where plan k is made for less than the step's ceil vector."""
    vectors, inverse = np.unique(
        np.concatenate([grid.ceil, grid.floor]), axis=0, return_inverse=True
    )
    inverse = np.asarray(inverse, dtype=np.int64).reshape(-1)
    at_ceil, at_floor = inverse[: len(grid.ceil)], inverse[len(grid.ceil) :]
    covers: BoolArray = np.asarray((keys[:, None, :] >= vectors[None, :, :]).all(axis=2))
    power = np.full(covers.shape, np.inf)
    peak = context.peak_rate_per_s
    for g in np.flatnonzero(covers.any(axis=0)):
        problem = at_rates(context.problem, vectors[g] / levels * peak)
        for k in np.flatnonzero(covers[:, g]):
            power[k, g] = evaluate(problem, plans[k]).plan_w
    theta = grid.theta[:, None]
    hi, lo = power[:, at_ceil].T, power[:, at_floor].T  # lo is finite wherever hi is
    with np.errstate(invalid="ignore"):
        cost = context.step_s * ((1.0 - theta) * lo + theta * hi)
    return np.asarray(np.where(np.isfinite(hi), cost, np.inf), dtype=np.float64)


def switch_cost_j(problem: CompiledProblem, plans: list[Plan], step_s: float) -> FloatArray:
    """``S[j, k]`` (J), the cost of going from plan j to plan k (module docstring): the
    wake-up energy (PUE included) of every server k has beyond j at a node that can
    switch, the idle power it draws from being ready to the step it is needed (woken
    ``ceil(wake / step)`` steps ahead), and the energy of fetching every model k runs
    on a node where j runs none (model weights from the nearest cloud node)."""
    p = problem
    can = switchable_nodes(p)
    ahead_s = np.ceil(p.node_wake_time_s / step_s - 1e-9) * step_s - p.node_wake_time_s
    per_server = np.where(
        can, p.node_wake_energy_j * p.node_pue + server_on_w(p) * np.maximum(ahead_s, 0.0), 0.0
    )
    on = np.stack([np.asarray(q.servers_on, dtype=np.float64) for q in plans])
    wake = np.maximum(on[None, :, :] - on[:, None, :], 0.0) @ per_server
    n_models = max(p.n_models, 1)
    keyset = [
        np.unique(p.cand_node[used] * n_models + p.cand_model[used])
        for used in (np.flatnonzero(q.x > SHARE_EPS) for q in plans)
    ]
    union = np.unique(np.concatenate(keyset)) if keyset else np.zeros(0, dtype=np.int64)
    has = np.zeros((len(plans), len(union)))
    for i, ks in enumerate(keyset):
        has[i, np.searchsorted(union, ks)] = 1.0
    fetch = p.model_memory_bytes[union % n_models] * fetch_j_per_byte(p)[union // n_models]
    # loads[j, k] = sum over models k runs and j does not of their fetch energy
    loads = (has @ fetch)[None, :] - (has * fetch) @ has.T
    return np.asarray(wake + np.maximum(loads, 0.0), dtype=np.float64)


def fill_dips(level: IntArray, width: int) -> IntArray:
    """Per column, ``level`` with every dip shorter than ``width`` steps filled: the
    morphological closing (a running maximum over ``width`` steps, then a running minimum
    over the same window; Serra, *Image Analysis and Mathematical Morphology*, 1982),
    never below ``level``, so each step's plan is still made for at least its load."""
    if width <= 1 or len(level) == 0:
        return level
    from numpy.lib.stride_tricks import sliding_window_view

    n = len(level)
    lo = np.iinfo(np.int64).min
    pad = np.concatenate([np.full((width - 1, level.shape[1]), lo), level])
    grown = sliding_window_view(pad, width, axis=0).max(axis=-1)[:n]  # max over [t-w+1, t]
    # past the horizon the load stays where it ends (no dip is filled at the end)
    pad = np.concatenate([grown, np.repeat(level[-1:], width - 1, axis=0)])
    closed = sliding_window_view(pad, width, axis=0).min(axis=-1)[:n]  # min over [t, t+w-1]
    return np.asarray(np.maximum(closed, level), dtype=np.int64)


def _schedule(context: Context, servers: IntArray) -> tuple[IntArray, float, float]:
    """The servers each step asks for: the optimal on/off schedule of the servers the
    plans need (:mod:`slimplace.sim.switching`), woken one wake time ahead; nodes that
    cannot switch keep the plan's. Also the schedule's cost and that of switching every
    server off as soon as it is not needed (both J, server static power and wake-ups)."""
    p = context.problem
    can = switchable_nodes(p)
    wake = np.where(can, p.node_wake_time_s, 0.0)
    steps = np.ceil(wake / context.step_s - 1e-9).astype(np.int64)
    on_w = server_on_w(p)
    wake_j = np.where(can, p.node_wake_energy_j * p.node_pue, 0.0)
    filled = fill_short_gaps(
        servers, on_w=on_w, wake_j=wake_j, wake_steps=steps, step_s=context.step_s
    )
    filled[:, ~can] = servers[:, ~can]
    ahead = wake_ahead(filled, steps)
    naive = wake_ahead(servers, steps)
    cost_j = schedule_cost_j(ahead, on_w=on_w, wake_j=wake_j, step_s=context.step_s)
    naive_j = schedule_cost_j(naive, on_w=on_w, wake_j=wake_j, step_s=context.step_s)
    return ahead, cost_j, naive_j


def regret_pct(energy_j: float, hindsight_j: float) -> float:
    """Energy above the hindsight reference, in percent (NaN when the reference is 0)."""
    return 100.0 * (energy_j - hindsight_j) / hindsight_j if hindsight_j > 0 else math.nan
