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
from slimplace.problem.rates import at_rates
from slimplace.scenario.model import Objective
from slimplace.sim.policies.common import (
    RateWindow,
    cheapest,
    follow_load,
    overloaded,
    peak_plan,
    servers_for,
    solve_at,
    switchable_nodes,
    wake_steps,
)
from slimplace.sim.policies.hindsight import switch_cost_j
from slimplace.sim.policy import Change, Context, Decision, Observation


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
    peak_plans: dict[bytes, Plan] = field(default_factory=dict)
    window: RateWindow | None = None
    surplus_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    rescues: int = 0
    adopted: int = 0


@dataclass(frozen=True, kw_only=True)
class PeriodicPolicy:
    """Re-solve every ``period_s`` for the largest rate of each demand over the last
    ``window_s`` (30 min; the current rate included) x ``1 + headroom`` (0 by default: the
    window's peak is the margin) with ``solver`` (default: ``greedy`` with a 10 s limit),
    warm-started from the plan in force when the solver takes a start plan (``greedy`` and
    ``milp`` do). A consolidated plan (the ``milp`` planner's: two edge boxes at 40 %
    on polska) has no room for a spike within the period; a spiky trace returns to its
    recent peaks (AWS ELB exceeds its last hour's maximum one 10-minute sample in seven,
    its current rate nearly one in two), so the placement is made for the recent peak and
    kept until the load has stayed lower for a window (``window_s=0``: the current rate).

    Hysteresis: the new plan replaces the old one only when the old one is infeasible at
    the rates planned for (capacity, SLO) or the new one is better by more than
    ``hysteresis`` (relative, in the plan-dependent objective) once the cost of the move
    (waking the servers it adds and fetching the models it loads, spread over the period;
    :func:`~slimplace.sim.policies.hindsight.switch_cost_j`, the cost ``hindsight``'s plan
    sequence uses) is added to it. A re-solve also
    happens early when some node's load exceeds ``trigger_utilisation`` x the servers it
    has switched on (waking ones included) or, with ``carbon_change``, when a region's
    intensity moved by more than that fraction since the last solve.
    ``objective="carbon"`` solves for carbon at the current intensities: that is the
    carbon-aware policy, which moves flexible load (every admissible candidate meets the
    SLO) to low-carbon regions. A new plan that needs more servers on some node first
    wakes them and moves the traffic once they are up ("make before break"), except with
    ``rescue`` when the plan in force overloads a node at this step (load above the
    servers available now): its requests fail whatever happens, and the new servers' part
    of the step is better, so the traffic moves at once. Between re-plans, with
    ``follow``, servers follow the load on the placement in force as the reactive
    policy's do: a node whose load needs more servers gets them at once (wake on rise),
    and surplus ones sleep after ``idle_s`` (300 s; ``None`` keeps the plan's servers until
    the next plan). A node the plan places load on keeps one server whatever its load at a
    step: the placement is the plan's (before, a node without requests for a step slept
    and dropped them when they came back: on demo / Alibaba ``idle_s=600`` dropped 0.18 %
    of the requests, on Aarnet / Alibaba ``idle_s=300`` 0.21 %). Following pays where a
    node holds several servers sized for the window's peak (Aarnet's datacenters: on
    Aarnet / Alibaba 155.94 kWh a week without, 147.34 with 300 s, 149.75 with 600 s and
    151.55 with each node's ski-rental break-even time, wake energy / (idle - sleep
    power), 667-942 s there; the same SLO attainment; docs/simulation.md).

    With ``levels`` > 0 (energy objective only) the rates solved for are each demand's
    rounded *up* to a grid of ``levels`` steps of its peak (the scenario's rate; a plan
    for more load fits less): nothing is solved while the rounded load is the one in
    force, and a plan solved once for a rounded load is reused when it comes back, so a
    week of 15-minute periods needs a few dozen solves instead of 672. A plan solved for a
    rounded load is compared there with the plan for the stated peak (solved once) and the
    plan in force, and the cheapest feasible of the three is kept: a heuristic's plan for
    less load can cost more than one made for more (``greedy`` on the imported GEANT
    network kept 4.7 kWh a week more of servers than the peak plan).

    For the carbon objective the grid key also holds the regions' *carbon level*: their
    order by intensity and each intensity on a geometric grid of ratio ``1 +
    carbon_change`` (``carbon_grid`` when given), and plans are solved at the current
    rates x ``1 + headroom`` (not rounded up: the plans are the ones solved without the
    grid). While load level and carbon level stay and the plan in force is feasible at the
    current rates, nothing is solved (a constant grid and load re-solved every period
    before, 0.47 s a step on a 72-demand network for one new plan in 24 steps); a key that
    comes back reuses its plan when that is feasible at the current rates, and must be
    better by ``hysteresis`` at the current intensities to replace the plan in force.
    """

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=10.0))
    period_s: float = 900.0
    headroom: float = 0.0
    hysteresis: float = 0.05
    trigger_utilisation: float = 1.0
    objective: Objective | None = None
    carbon_change: float | None = None
    levels: int = 20
    carbon_grid: float | None = None
    window_s: float = 1800.0
    rescue: bool = True
    follow: bool = True
    idle_s: float | None = 300.0
    name: str = "periodic"

    def start(self, context: Context, *, seed: int) -> PeriodicMemory:
        """Empty memory (and the window of recent rates)."""
        window = RateWindow.over(context.problem.n_demands, self.window_s, context.step_s)
        return PeriodicMemory(context, seed, window=window)

    def decide(self, obs: Observation, memory: PeriodicMemory) -> Decision:
        """A new plan when due and better (its extra servers woken first, unless the plan
        in force overloads a node now), else the servers the load needs, else None."""
        assert memory.window is not None
        memory.window.push(obs.rate_per_s)
        if memory.pending is not None:
            if obs.step < memory.switch_step:
                return None
            plan, memory.pending = memory.pending, None
            memory.plan = plan
            return plan
        if not self._due(obs, memory):
            return self._follow(obs, memory)
        ctx = memory.context
        carbon = np.array(obs.carbon_g_per_kwh) if self.objective == "carbon" else None
        rate, key = self._rates(obs, memory)
        memory.last_step = obs.step
        memory.carbon = np.array(obs.carbon_g_per_kwh)
        exact = self.objective == "carbon"  # solved at the rates, not the grid's (docstring)
        changes: dict[str, object] = {}
        if self.objective is not None:
            changes["objective"] = self.objective
        if carbon is not None:
            changes["region_carbon_g_per_kwh"] = carbon.astype(np.float64)
        here = at_rates(ctx.problem, rate, **changes)
        if (
            key is not None
            and key == memory.planned_key
            and (not exact or _fits(here, memory.plan))
        ):
            return None
        cached = None if key is None else memory.cache.get(key)
        if cached is not None and exact and not _fits(here, cached):
            cached = None
        if cached is not None:
            plan, problem = cached, here
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
                plan = cheapest(
                    problem, [plan, self._peak_plan(memory, obs.access_key), memory.plan]
                )
                memory.cache[key] = plan
        if key is not None:
            memory.planned_key = key
        if memory.plan is not None and not self._better(problem, plan, memory.plan, obs):
            return self._follow(obs, memory)
        wait = (
            0
            if memory.plan is None
            else wake_steps(ctx.problem, obs.servers_target, plan.servers_on, obs.step_s)
        )
        if (
            wait > 0
            and self.rescue
            and overloaded(obs.node_busy_s_per_s, obs.servers_available, 1.0)
        ):
            wait = 0  # requests fail now: the new servers' partial step is better
            memory.rescues += 1
        memory.adopted += 1
        if wait == 0:
            memory.plan = plan
            return plan
        memory.pending, memory.switch_step = plan, obs.step + wait
        target = np.maximum(np.asarray(obs.servers_target), plan.servers_on)
        return Change(servers_on=target)

    def _rates(self, obs: Observation, memory: PeriodicMemory) -> tuple[FloatArray, bytes | None]:
        """The rates to solve for (the largest over the last ``window_s`` x ``1 +
        headroom``, rounded up to the grid of ``levels`` when that is on) and the grid key
        (None when off)."""
        assert memory.window is not None
        recent = np.maximum(np.asarray(obs.rate_per_s), memory.window.peak())
        rate = recent * (1.0 + self.headroom)
        if self.levels <= 0:
            return rate, None
        peak = memory.context.peak_rate_per_s
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(peak > 0, np.ceil(rate / peak * self.levels - 1e-9), 0.0)
        level = np.maximum(level, 0.0)
        key = level.astype(np.int64).tobytes() + obs.access_key
        if self.objective == "carbon":
            key += self._carbon_key(np.asarray(obs.carbon_g_per_kwh, dtype=np.float64))
            return rate, key
        return level / self.levels * peak, key

    def _carbon_key(self, carbon: FloatArray) -> bytes:
        """The regions' carbon level: their order by intensity (stable) and each intensity's
        bin on a geometric grid of ratio ``1 + carbon_grid`` (default ``carbon_change``,
        else 0.1); non-positive intensities share one bin."""
        ratio = 1.0 + (self.carbon_grid or self.carbon_change or 0.1)
        with np.errstate(divide="ignore", invalid="ignore"):
            bins = np.where(carbon > 0, np.floor(np.log(carbon) / np.log(ratio)), -(2**40))
        order = np.argsort(carbon, kind="stable")
        return b"|c" + order.astype(np.int64).tobytes() + bins.astype(np.int64).tobytes()

    def report(self, memory: PeriodicMemory) -> dict[str, float]:
        """Solves made (a cached plan reused is no solve), the peak plans apart."""
        out = {
            "placement_solves": float(memory.solves),
            "placements_adopted": float(memory.adopted),
            "rescues": float(memory.rescues),
        }
        if memory.peak_plans:
            out["peak_plan_solves"] = float(len(memory.peak_plans))
        return out

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

    def _peak_plan(self, memory: PeriodicMemory, access: bytes) -> Plan:
        """The plan for every demand's stated peak (solved once per attachment of the
        mobile sources): feasible at any load."""
        plan = memory.peak_plans.get(access)
        if plan is None:  # the context's reference plan when the harness solved one
            plan = peak_plan(memory.context, solver=self.solver, seed=memory.seed)
            memory.peak_plans[access] = plan
        return plan

    def _follow(self, obs: Observation, memory: PeriodicMemory) -> Decision:
        """Between re-plans (``follow``): servers follow the load on the placement in force,
        as the reactive policy's do (:func:`~slimplace.sim.policies.common.follow_load`): a
        node gets the servers its load at this step needs (at ``max_utilisation / (1 +
        headroom)``, at most the servers present) at once, and surplus ones sleep after
        ``idle_s`` (never with ``idle_s=None``: the plan's servers stay until the next),
        never below one server on a node the plan uses."""
        if not self.follow or memory.plan is None:
            return None
        p = memory.context.problem
        if len(memory.surplus_s) != p.n_nodes:
            memory.surplus_s = np.zeros(p.n_nodes)
        current = np.asarray(obs.servers_target, dtype=np.float64)
        need = np.minimum(
            servers_for(np.asarray(obs.node_busy_s_per_s), p.max_utilisation, self.headroom),
            p.node_count,
        )
        target = follow_load(
            current,
            need,
            switchable_nodes(p),
            memory.surplus_s,
            obs.step_s,
            self.idle_s,
            keep=np.asarray(memory.plan.servers_on) > 0,  # the plan's nodes keep one server
        )
        if np.array_equal(target, current):
            return None
        return Change(servers_on=target)

    def _better(self, problem: CompiledProblem, new: Plan, old: Plan, obs: Observation) -> bool:
        """Whether ``new`` replaces ``old``: ``old`` no longer fits, or ``new`` saves more
        than ``hysteresis`` of ``old``'s plan-dependent objective once the cost of the move
        (waking its extra servers ahead of need and fetching the models it loads,
        :func:`~slimplace.sim.policies.hindsight.switch_cost_j`) is spread over the period
        (energy objective; for carbon the relative test alone)."""
        e_old = evaluate(problem, old)
        if not e_old.feasible:
            return True
        e_new = evaluate(problem, new)
        objective = problem.objective
        move = 0.0
        if objective == "energy":
            step_s = float(obs.step_s)
            move = float(switch_cost_j(problem, [old, new], step_s)[0, 1]) / max(
                self.period_s, step_s
            )
        return e_new.feasible and e_new.plan_objective(objective) + move < e_old.plan_objective(
            objective
        ) * (1 - self.hysteresis)


def _fits(problem: CompiledProblem, plan: Plan | None) -> bool:
    """Whether ``plan`` is feasible on ``problem`` (capacity, SLO; the evaluator's rule)."""
    return plan is not None and evaluate(problem, plan).feasible
