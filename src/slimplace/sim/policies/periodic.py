"""Periodic re-optimisation (and its carbon-aware form) with hysteresis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import Objective
from slimplace.sim.policies.common import solve_at, wake_steps
from slimplace.sim.policy import Change, Context, Decision, Observation, at_rates


@dataclass
class PeriodicMemory:
    """The plan in force, when it was made, and the intensities it was made for."""

    context: Context
    seed: int
    plan: Plan | None = None
    last_step: int = -1
    carbon: FloatArray | None = None
    solves: int = 0
    pending: Plan | None = None
    switch_step: int = 0
    planned_key: bytes = b""
    cache: dict[bytes, Plan] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PeriodicPolicy:
    """Re-solve every ``period_s`` at the current rates x ``1 + headroom`` with ``solver``
    (default: ``greedy`` with a 10 s limit), warm-started from the plan in force when the
    solver takes a start plan (``greedy`` and ``milp`` do).

    Hysteresis: the new plan replaces the old one only when the old one is infeasible at
    the current rates (capacity, SLO) or the new one is better by more than ``hysteresis``
    (relative, in the objective). A re-solve also happens early when some node's load
    exceeds ``trigger_utilisation`` x the servers it has switched on (waking ones
    included) or, with ``carbon_change``, when a
    region's intensity moved by more than that fraction since the last solve.
    ``objective="carbon"`` solves for carbon at the current intensities: that is the
    carbon-aware policy, which moves flexible load (every admissible candidate meets the
    SLO) to low-carbon regions. A new plan that needs more servers on some node first
    wakes them and moves the traffic once they are up ("make before break").

    With ``levels`` > 0 (energy objective only) the rates solved for are each demand's
    rounded *up* to a grid of ``levels`` steps of its peak (the scenario's rate; a plan
    for more load fits less): nothing is solved while the rounded load is the one in
    force, and a plan solved once for a rounded load is reused when it comes back, so a
    week of 15-minute periods needs a few dozen solves instead of 672.
    """

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=10.0))
    period_s: float = 900.0
    headroom: float = 0.15
    hysteresis: float = 0.05
    trigger_utilisation: float = 1.0
    objective: Objective | None = None
    carbon_change: float | None = None
    levels: int = 20
    name: str = "periodic"

    def start(self, context: Context, *, seed: int) -> PeriodicMemory:
        """Empty memory."""
        return PeriodicMemory(context, seed)

    def decide(self, obs: Observation, memory: PeriodicMemory) -> Decision:
        """A new plan when due and better (its extra servers woken first), else None."""
        if memory.pending is not None:
            if obs.step < memory.switch_step:
                return None
            plan, memory.pending = memory.pending, None
            memory.plan = plan
            return plan
        if not self._due(obs, memory):
            return None
        ctx = memory.context
        carbon = np.array(obs.carbon_g_per_kwh) if self.objective == "carbon" else None
        rate, key = self._rates(obs, memory)
        memory.last_step = obs.step
        memory.carbon = np.array(obs.carbon_g_per_kwh)
        if key is not None and key == memory.planned_key:
            return None
        cached = None if key is None else memory.cache.get(key)
        if cached is not None:
            plan, problem = cached, at_rates(ctx.problem, rate)
        else:
            plan, problem = solve_at(
                ctx,
                rate,
                solver=self.solver,
                seed=memory.seed + memory.solves,
                start=memory.plan,
                objective=self.objective,
                carbon_g_per_kwh=carbon,
            )
            memory.solves += 1
            if key is not None:
                memory.cache[key] = plan
        if key is not None:
            memory.planned_key = key
        if memory.plan is not None and not self._better(problem, plan, memory.plan):
            return None
        wait = (
            0
            if memory.plan is None
            else wake_steps(ctx.problem, obs.servers_target, plan.servers_on, obs.step_s)
        )
        if wait == 0:
            memory.plan = plan
            return plan
        memory.pending, memory.switch_step = plan, obs.step + wait
        target = np.maximum(np.asarray(obs.servers_target), plan.servers_on)
        return Change(servers_on=target)

    def _rates(self, obs: Observation, memory: PeriodicMemory) -> tuple[FloatArray, bytes | None]:
        """The rates to solve for (current x ``1 + headroom``, rounded up to the grid of
        ``levels`` when that is on) and the grid key (None when off)."""
        rate = np.asarray(obs.rate_per_s) * (1.0 + self.headroom)
        if self.levels <= 0 or self.objective == "carbon":
            return rate, None
        peak = memory.context.peak_rate_per_s
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(peak > 0, np.ceil(rate / peak * self.levels - 1e-9), 0.0)
        level = np.maximum(level, 0.0)
        return level / self.levels * peak, level.astype(np.int64).tobytes() + obs.access_key

    def report(self, memory: PeriodicMemory) -> dict[str, float]:
        """Solves made (a cached plan reused is no solve)."""
        return {"placement_solves": float(memory.solves)}

    def _due(self, obs: Observation, memory: PeriodicMemory) -> bool:
        if memory.plan is None:
            return True
        if (obs.step - memory.last_step) * obs.step_s >= self.period_s - 1e-9:
            return True
        cap = np.asarray(obs.servers_target)  # servers still waking will come: not a trigger
        busy = np.asarray(obs.node_busy_s_per_s)
        hot = busy > cap * self.trigger_utilisation + 1e-12
        if hot.any():
            return True
        if self.carbon_change is not None and memory.carbon is not None:
            rel = np.abs(obs.carbon_g_per_kwh - memory.carbon) / np.maximum(memory.carbon, 1e-9)
            return bool((rel > self.carbon_change).any())
        return False

    def _better(self, problem: CompiledProblem, new: Plan, old: Plan) -> bool:
        e_old = evaluate(problem, old)
        if not e_old.feasible:
            return True
        e_new = evaluate(problem, new)
        objective = problem.objective
        return e_new.feasible and e_new.plan_objective(objective) < e_old.plan_objective(
            objective
        ) * (1 - self.hysteresis)
