"""Model-predictive control: plan for the forecast load, wake servers ahead of it.

Every step the policy forecasts the next ``lookahead_s`` of load per demand
(:class:`~slimplace.sim.forecast.Forecaster`: seasonal naive or damped-trend exponential
smoothing, whichever erred less lately). Two loops act on the forecast:

- **servers and widths, every step**: the load-following layer of the reactive policy
  (:class:`~slimplace.sim.policies.reactive.ReactivePolicy`) runs on the *forecast peak
  over the next wake time* (at least the current rates) instead of the current rates, so
  servers are switched on one wake time before the load arrives, and each node serves
  its entries at the heaviest variant of their ladder that fits the servers available,
  up to the plan's own (``ceiling="plan"``; ``"best"`` spends spare capacity on accuracy)
  (a width switch within a loaded weight-sharing model, charged by the engine with the
  family's ``switch_time_s``);
- **placement, every ``period_s``**: the problem is re-solved at the forecast peak over
  the next period plus wake time (x ``1 + headroom``), each demand's rate rounded *up* to
  a grid of ``levels`` steps of its peak (safe: a plan for more load fits less), warm-
  started from the plan in force; nothing is solved while the rounded load is the one
  last planned for, and a plan solved once for a rounded load is reused when that load
  comes back (a daily cycle needs a few dozen solves a week, not one per period); the
  plan solved for a load level is compared there with the peak placement (the context's
  reference plan when the harness solved one) and the cheaper kept, so the policy never
  plans worse than holding the peak placement; the
  new placement replaces the one in force only when the old one no longer fits that load or
  the new one is better by more than ``hysteresis`` in the part of the objective a plan
  controls (``Evaluation.plan_objective``: plan-dependent power for energy) once the cost of
  the move is spread over the period: waking the servers it adds, and the ``idle_s`` the
  servers it frees stay on before they sleep. Its extra servers wake first and traffic
  moves once they are up (make before break);
- **rescue** (``rescue``): when the placement in force overloads a node at this step
  (its load above the servers available now), the placement is re-solved at once and the
  new one moves at once instead of after its wake-up: the overloaded node's requests fail
  whatever happens, and the new servers' part of the step is better. With ``window_s``
  > 0 the placement is planned for at least the largest rate of the last ``window_s``
  (off by default: the forecast peak over the period already holds the margin, and on
  abilene / AWS ELB a 1-hour window cost 20 % more plan-dependent energy for no SLO gain).

This is receding-horizon control in the sense of Mayne et al., "Constrained model
predictive control: stability and optimality", Automatica 36 (2000): decide for a
horizon on a forecast, apply the first part, re-decide as the forecast is revised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.rates import at_rates
from slimplace.sim.forecast import Forecaster
from slimplace.sim.policies.common import (
    RateWindow,
    cheapest,
    overloaded,
    resized,
    solve_at,
    switch_w,
    switchable_nodes,
    wake_steps,
)
from slimplace.sim.policies.reactive import ReactiveMemory, ReactivePolicy
from slimplace.sim.policy import Context, Decision, Observation


@dataclass
class PredictiveMemory:
    """The load-following layer's memory, the forecaster and the latest forecast."""

    context: Context
    seed: int
    layer: ReactivePolicy
    inner: ReactiveMemory
    forecaster: Forecaster
    wake: int
    period: int
    forecast: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    last_plan_step: int = 0
    planned_key: bytes = b""
    cache: dict[bytes, Plan] = field(default_factory=dict)
    solves: int = 0
    adopted: int = 0
    window: RateWindow | None = None
    rescues: int = 0
    #: the peak placement (the load-following layer's first base plan): every plan solved
    #: for a load level is compared with it there, and the cheaper kept
    peak: Plan | None = None


@dataclass(frozen=True, kw_only=True)
class PredictivePolicy:
    """See the module docstring. ``solver`` plans the placement (default: ``greedy`` with a
    30 s limit; warm-started from the plan in force when it takes a start plan);
    ``window_s`` and ``rescue`` as in :class:`~slimplace.sim.policies.periodic.PeriodicPolicy`;
    ``idle_s``, ``ceiling``, ``slo_target`` and ``scale_to_zero`` are the load-following
    layer's (:class:`~slimplace.sim.policies.reactive.ReactivePolicy`)."""

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=30.0))
    period_s: float = 3600.0
    lookahead_s: float = 3600.0
    headroom: float = 0.1
    hysteresis: float = 0.05
    levels: int = 20
    idle_s: float = 900.0
    ceiling: str = "plan"
    slo_target: float | None = 0.995
    window_s: float = 0.0
    rescue: bool = True
    scale_to_zero: bool = True
    name: str = "predictive"

    def start(self, context: Context, *, seed: int) -> PredictiveMemory:
        """The peak placement (the capacity the scenario states) and an empty forecaster."""
        layer = ReactivePolicy(
            solver=self.solver,
            headroom=self.headroom,
            idle_s=self.idle_s,
            ceiling=self.ceiling,
            slo_target=self.slo_target,
            scale_to_zero=self.scale_to_zero,
            name=self.name,
        )
        step = context.step_s
        horizon = max(1, math.ceil(self.lookahead_s / step - 1e-9))
        p = context.problem
        switchable = switchable_nodes(p)
        wake_s = float(p.node_wake_time_s[switchable].max()) if switchable.any() else 0.0
        inner = layer.start(context, seed=seed)
        return PredictiveMemory(
            context,
            seed,
            layer,
            inner,
            Forecaster(p.n_demands, step, horizon),
            wake=math.ceil(wake_s / step - 1e-9),
            period=max(1, round(self.period_s / step)),
            window=RateWindow.over(p.n_demands, self.window_s, step),
            peak=context.reference_plan if context.reference_plan is not None else inner.base,
        )

    def decide(self, obs: Observation, memory: PredictiveMemory) -> Decision:
        """Forecast, re-plan when due, then follow the forecast load (module docstring)."""
        memory.forecaster.observe(obs.rate_per_s)
        memory.forecast = memory.forecaster.forecast()
        assert memory.window is not None
        memory.window.push(obs.rate_per_s)
        if obs.step == 0:
            return memory.layer.decide(obs, memory.inner)
        if memory.inner.pending is None:
            hot = self.rescue and overloaded(obs.node_busy_s_per_s, obs.servers_available, 1.0)
            if hot or obs.step - memory.last_plan_step >= memory.period:
                self._replan(obs, memory, now=hot)
        ahead = self._peak_ahead(obs, memory, memory.wake)
        return memory.layer.decide(replace(obs, rate_per_s=ahead), memory.inner)

    def report(self, memory: PredictiveMemory) -> dict[str, float]:
        """Forecast error (MAPE, WAPE), method shares, placement solves and adoptions."""
        out = memory.forecaster.report()
        out["placement_solves"] = float(memory.solves)
        out["placements_adopted"] = float(memory.adopted)
        out["rescues"] = float(memory.rescues)
        return out

    @staticmethod
    def _peak_ahead(obs: Observation, memory: PredictiveMemory, steps: int) -> FloatArray:
        """Per demand, the largest of the current rate and the forecast of the next
        ``steps`` steps (read-only, as observations are)."""
        now = np.asarray(obs.rate_per_s)
        if steps <= 0 or memory.forecast.size == 0:
            return now
        ahead = np.maximum(now, memory.forecast[: min(steps, len(memory.forecast))].max(axis=0))
        ahead.flags.writeable = False
        return ahead

    def _replan(self, obs: Observation, memory: PredictiveMemory, *, now: bool = False) -> None:
        """Solve at the forecast peak of the coming period (at least the largest rate of
        the last ``window_s``); hand a better plan to the load-following layer as its
        pending placement, due once its servers are up, or at once with ``now`` (the
        plan in force overloads a node at this step)."""
        memory.last_plan_step = obs.step
        peak = memory.context.peak_rate_per_s
        assert memory.window is not None
        ahead = np.maximum(
            self._peak_ahead(obs, memory, memory.period + memory.wake), memory.window.peak()
        )
        target = ahead * (1 + self.headroom)
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(peak > 0, np.ceil(target / peak * self.levels - 1e-9), 0.0)
        level = np.clip(level, 0, self.levels)  # never plan beyond the stated peak
        key = level.astype(np.int64).tobytes() + obs.access_key  # plans hold for one attachment
        if key == memory.planned_key:
            return
        memory.planned_key = key
        inner = memory.inner
        rate = level / self.levels * peak
        problem = at_rates(memory.context.problem, rate)
        plan = memory.cache.get(key)
        if plan is None:
            plan, problem = solve_at(
                memory.context,
                rate,
                solver=self.solver,
                seed=memory.seed + 1 + memory.solves,
                start=inner.base,
            )
            plan = _cheaper(problem, plan, memory.peak)
            memory.cache[key] = plan
            memory.solves += 1
        if not self._better(problem, plan, inner.base, obs, memory):
            return
        inner.pending = plan
        inner.switch_step = obs.step + wake_steps(
            problem, obs.servers_target, plan.servers_on, obs.step_s
        )
        if now and inner.switch_step > obs.step:
            inner.switch_step = obs.step  # requests fail now: the new servers' partial step
            memory.rescues += 1
        memory.adopted += 1

    def _better(
        self,
        problem: CompiledProblem,
        new: Plan,
        old: Plan,
        obs: Observation,
        memory: PredictiveMemory,
    ) -> bool:
        # both with the servers their placement needs at these rates: the load-following
        # layer sizes servers to the load whichever placement is in force
        e_new = evaluate(problem, resized(problem, new))
        if not e_new.feasible:
            return False
        e_old = evaluate(problem, resized(problem, old))
        if not e_old.feasible:
            return True
        return e_new.plan_objective(problem.objective) + self._switch_w(
            new, old, obs, memory
        ) < e_old.plan_objective(problem.objective) * (1 - self.hysteresis)

    def _switch_w(self, new: Plan, old: Plan, obs: Observation, memory: PredictiveMemory) -> float:
        """What moving to ``new`` costs, spread over the period (W): waking the servers it
        adds, and keeping those it frees on for ``idle_s`` before they sleep
        (:func:`~slimplace.sim.policies.common.switch_w`)."""
        return switch_w(
            memory.context.problem,
            new.servers_on,
            old.servers_on,
            np.asarray(obs.servers_target),
            idle_s=self.idle_s,
            period_s=self.period_s,
        )


def _cheaper(problem: CompiledProblem, new: Plan, peak: Plan | None) -> Plan:
    """The cheaper at ``problem``'s rates of ``new`` and the ``peak`` placement (feasible
    at any load up to the peak), both run with the servers their placement needs there
    (:func:`~slimplace.sim.policies.common.cheapest`; ``new`` on a tie): a
    heuristic's plan for less load can cost more than the peak plan (``greedy`` on the
    imported GEANT network, against ``milp``'s peak plan), and then the policy keeps the
    peak placement instead."""
    if peak is None or peak is new:
        return new
    return cheapest(problem, [new, peak], resize=True)
