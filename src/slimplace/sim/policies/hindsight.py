"""The offline reference: per-step optimal plans with perfect knowledge of the whole load.

``hindsight`` reads the future (``Context.workload``), which no online policy may do, and
plays, at every step, the plan its solver finds for that step's rates, with every server
woken exactly one wake time before a step needs it and switched off as soon as no step
within the next wake time needs it. Its measured energy (transitions included) is the
yardstick of regret: an online policy's energy as a percentage above it.

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
:mod:`slimplace.sim.bounds` gives a lower bound that holds for any policy.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.energy.accounting import server_on_w, switchable
from slimplace.errors import SlimplaceError
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.policies.common import solve_at
from slimplace.sim.policy import Change, Context, Decision, Observation
from slimplace.sim.switching import fill_short_gaps, schedule_cost_j, wake_ahead

log = logging.getLogger(__name__)


#: Rows of rates generated at once while reading the future.
BLOCK = 1024


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


@dataclass(frozen=True, kw_only=True)
class HindsightPolicy:
    """See the module docstring."""

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=30.0))
    levels: int = 20
    max_plans: int = 64
    hold_s: float = 3600.0
    name: str = "hindsight"

    def start(self, context: Context, *, seed: int) -> HindsightMemory:
        """Read the whole load, solve one plan per rounded rate vector, schedule wake-ups."""
        import time

        if context.workload is None:
            raise HindsightError("hindsight needs the whole load (run it through simulate())")
        if self.levels < 1:
            raise HindsightError(f"levels must be >= 1, not {self.levels}")
        rounded, coarse = self._rounded_rates(context)
        keys, step_plan = np.unique(rounded, axis=0, return_inverse=True)
        step_plan = np.asarray(step_plan, dtype=np.int64).reshape(-1)
        order = np.argsort(-keys.sum(axis=1))  # heaviest first; each warm-starts the next
        plans: list[Plan | None] = [None] * len(keys)
        t0 = time.perf_counter()
        best: tuple[Plan, FloatArray] | None = None
        for k in order:
            plan, problem = solve_at(
                context,
                keys[k],
                solver=self.solver,
                seed=seed + int(k),
                start=None if best is None else best[0],
            )
            if best is not None and (best[1] >= keys[k] - 1e-12).all():
                plan = _cheaper(problem, plan, best[0])
            plans[k] = plan
            best = (plan, keys[k])
        spent = time.perf_counter() - t0
        log.info("hindsight: %d plans for %d steps (%.1f s)", len(keys), context.n_steps, spent)
        solved = [p for p in plans if p is not None]
        servers = np.stack([p.servers_on for p in solved]).astype(np.int64)[step_plan]
        ahead, schedule_j, naive_j = _schedule(context, servers)
        return HindsightMemory(
            solved,
            step_plan,
            ahead,
            solve_s=spent,
            coarse=coarse,
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

    def _rounded_rates(self, context: Context) -> tuple[FloatArray, bool]:
        """Every step's rates rounded up to the grid of ``levels`` steps of each peak
        (per demand, or at the step's highest level when that gives more than
        ``max_plans`` distinct vectors); and whether the coarse rule was used."""
        wl = context.workload
        assert wl is not None
        n, peak = context.n_steps, context.peak_rate_per_s
        level = np.empty((n, len(peak)), dtype=np.int64)
        for s in range(0, n, BLOCK):
            size = min(BLOCK, n - s)
            r = wl.rates(s, size, context.step_s)
            with np.errstate(divide="ignore", invalid="ignore"):
                raw = np.where(peak > 0, np.ceil(r / peak * self.levels - 1e-9), 0.0)
            level[s : s + size] = np.clip(raw, 0, self.levels).astype(np.int64)
        level = fill_dips(level, round(self.hold_s / context.step_s))
        coarse = len(np.unique(level, axis=0)) > self.max_plans
        if coarse:
            level = np.repeat(level.max(axis=1, keepdims=True), len(peak), axis=1)
            level[:, peak <= 0] = 0
        return level / self.levels * peak, coarse


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


def _cheaper(problem: CompiledProblem, new: Plan, held: Plan) -> Plan:
    """The cheaper at these rates of a new plan and one made for rates at least as high
    (feasible here too): the solver is a heuristic, so a plan for more load can beat it."""
    e_new, e_held = evaluate(problem, new), evaluate(problem, held)
    if not e_new.feasible:
        return held
    objective = problem.objective
    return held if e_held.objective(objective) <= e_new.objective(objective) else new


def _schedule(context: Context, servers: IntArray) -> tuple[IntArray, float, float]:
    """The servers each step asks for: the optimal on/off schedule of the servers the
    plans need (:mod:`slimplace.sim.switching`), woken one wake time ahead; nodes that
    cannot switch keep the plan's. Also the schedule's cost and that of switching every
    server off as soon as it is not needed (both J, server static power and wake-ups)."""
    p = context.problem
    can = switchable(p) & (p.node_profile >= 0)
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
