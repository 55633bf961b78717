"""A Gymnasium environment over the simulator: ``make_env(scenario_path, **options)``.

One episode is one simulation (:func:`slimplace.sim.simulate`'s engine, stepped by
:class:`slimplace.sim.engine.Stepper`) of ``horizon`` in steps of ``step``. The placement
is the ``static-peak`` plan (greedy for every demand's peak rate); the agent runs it:

**Action** (``MultiDiscrete``): for each *controlled node* (a node whose servers can be
switched and that the placement uses, in :attr:`SlimplaceEnv.nodes` order) the servers
switched on, ``0 .. count``; then for each application (scenario order) a *width level*
``0 .. L - 1``: every entry of the application is served by column ``level`` of its ladder
of variants on its node (:func:`slimplace.sim.policies.reactive.variant_ladders`: heaviest
first, the plan's variant and lighter ones of the same loaded model, padded with the
lightest). Servers switched on wait their wake time; width switches cost the family's
switch time, as in any simulation. At step 0 the levels are ignored (the plan's variants
are served). An action outside the space raises ``ValueError`` naming the offending entry.
``step`` also accepts a slimplace :class:`~slimplace.sim.policy.Decision` (a ``Plan``, a
``Change`` or ``None``), so any slimplace policy runs through the same interface
(``env.unwrapped.context`` and ``env.unwrapped.last_observation`` are what it needs).

**Observation** (``Box``, float32): per application the offered rate over its peak; per
controlled node the utilisation (busy server-seconds per second over servers available;
the M/G/1 queue grows with it), the servers available and the target, both over the
node's count; per region the grid intensity (g/kWh over 1,000); the time of day as
``sin`` and ``cos``; every feature clipped to ``[-1, 1e6]``.

**Reward**: minus the step's plan-dependent energy in kWh (``reward="energy"``; what the
plan controls, the fixed power excluded) or minus its carbon in kg (``"carbon"``), minus
``slo_penalty`` times the share of the step's requests estimated to miss their SLO
(dropped ones included). ``info`` carries the step's record (energy, SLO counts, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.sim.carbon import build_carbon
from slimplace.sim.engine import Stepper, n_steps_for
from slimplace.sim.model import build_step_model
from slimplace.sim.policies.common import solve_at
from slimplace.sim.policies.reactive import variant_ladders
from slimplace.sim.policy import Change, Context, Observation
from slimplace.sim.records import COL, NullSink, RecordBuffer
from slimplace.sim.state import J_PER_KWH, SimState
from slimplace.sim.workload import build_workload
from slimplace.units import parse

DAY_S = 86400.0
#: Observation features are clipped to this (an overloaded node's utilisation is large).
FEATURE_MAX = 1e6


@dataclass(frozen=True, kw_only=True)
class EnvOptions:
    """What :func:`make_env` takes besides the scenario (see the module docstring)."""

    horizon: str | float = "24h"
    step: str | float = "5min"
    trace: str | None = None
    carbon: str = "constant"
    reward: str = "energy"
    slo_penalty: float = 1.0
    method: str = "greedy"
    variants: str = "all"
    aligned: bool = False


@dataclass
class _Episode:
    state: SimState
    stepper: Stepper
    ladder: IntArray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.int64))
    entry_app: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


class SlimplaceEnv(gym.Env[npt.NDArray[np.float32], npt.NDArray[np.int64]]):
    """See the module docstring; build it with :func:`make_env`."""

    def __init__(self, problem: CompiledProblem, options: EnvOptions, *, base_dir: Path) -> None:
        if options.reward not in ("energy", "carbon"):
            raise ValueError(f"reward must be 'energy' or 'carbon', not {options.reward!r}")
        from slimplace.methods import default_registry

        self.metadata = {"render_modes": []}
        self.problem, self.options, self.base_dir = problem, options, base_dir
        self.step_s = parse(options.step, "time")
        self.n_steps = n_steps_for(parse(options.horizon, "time"), self.step_s)
        self.model = build_step_model(problem)
        self.solver = default_registry().create(options.method)
        self.context = self._context(seed=0)
        self.plan, _ = solve_at(
            self.context, self.context.peak_rate_per_s, solver=self.solver, seed=0
        )
        used = np.zeros(problem.n_nodes, dtype=bool)
        used[problem.cand_node[np.flatnonzero(self.plan.x > 0)]] = True
        self.nodes = np.flatnonzero(self.model.node_switchable & used)
        ladder, _ = variant_ladders(problem, np.flatnonzero(self.plan.x > 0), ceiling="plan")
        self.levels = int(ladder.shape[1])
        n_apps = len(problem.scenario.applications)
        counts = problem.node_count[self.nodes].astype(np.int64)
        self.nvec = np.concatenate([counts + 1, np.full(n_apps, self.levels)]).astype(np.int64)
        self.action_space = gym.spaces.MultiDiscrete(self.nvec)
        size = n_apps + 3 * len(self.nodes) + len(problem.region_carbon_g_per_kwh) + 2
        self.observation_space = gym.spaces.Box(-1.0, FEATURE_MAX, shape=(size,), dtype=np.float32)
        self.app_peak = np.maximum(
            np.bincount(problem.demand_app, weights=self.context.peak_rate_per_s, minlength=n_apps),
            1e-12,
        )
        self.episode: _Episode | None = None
        self.last_observation: Observation | None = None

    def _context(self, seed: int) -> Context:
        o = self.options
        wl = build_workload(
            self.problem, override=o.trace, seed=seed, base_dir=self.base_dir, aligned=o.aligned
        )
        peak, mean = wl.peak_and_mean(self.n_steps, self.step_s)
        return Context(self.problem, self.step_s, self.n_steps, peak, mean, wl)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[npt.NDArray[np.float32], dict[str, Any]]:
        """A new episode (workload phases and noise from ``seed``); the first observation."""
        super().reset(seed=seed)
        self.context = self._context(seed=seed or 0)
        assert self.context.workload is not None
        state = SimState(self.model, self.step_s)
        carbon = build_carbon(self.problem, self.options.carbon, base_dir=self.base_dir)
        buffer = RecordBuffer(NullSink())
        stepper = Stepper(state, self.context.workload, carbon, self.n_steps, buffer)
        self.episode = _Episode(state, stepper)
        self.last_observation = stepper.observe()
        return self._features(self.last_observation), {}

    def step(
        self, action: Any
    ) -> tuple[npt.NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        """Apply ``action`` (or a slimplace Decision) for this step and measure it."""
        ep, obs = self.episode, self.last_observation
        if ep is None or obs is None or ep.stepper.done:
            raise RuntimeError("call reset() before step() (and after the episode ended)")
        decision = (
            action
            if action is None or isinstance(action, (Plan, Change))
            else self._decision(action, obs)
        )
        with np.errstate(all="ignore"):  # overloaded nodes have infinite latency by the model
            row = ep.stepper.advance(decision).copy()
        if obs.step == 0 or isinstance(decision, Plan):
            self._ladders(ep)
        record = dict(zip(COL, row.tolist(), strict=True))
        reward = self._reward(record)
        done = ep.stepper.done
        if not done:
            self.last_observation = ep.stepper.observe()
        return self._features(self.last_observation), reward, done, False, {"record": record}

    def _decision(self, action: Any, obs: Observation) -> Plan | Change:
        a = np.asarray(action)
        if a.shape != self.nvec.shape or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(
                f"action must be {len(self.nvec)} integers "
                f"(servers per controlled node, then a width level per application), "
                f"got shape {a.shape} and dtype {a.dtype}"
            )
        bad = np.flatnonzero((a < 0) | (a >= self.nvec))
        if len(bad):
            i = int(bad[0])
            raise ValueError(f"action[{i}] = {int(a[i])} is outside 0 .. {int(self.nvec[i]) - 1}")
        k = len(self.nodes)
        servers = np.asarray(obs.servers_target, dtype=np.int64).copy()
        servers[self.nodes] = a[:k]
        if obs.step == 0:
            return Plan(self.plan.x, np.maximum(servers, 0), "env")
        ep = self.episode
        assert ep is not None
        level = np.minimum(a[k:], self.levels - 1)[ep.entry_app]
        target = ep.ladder[np.arange(len(ep.ladder)), np.minimum(level, ep.ladder.shape[1] - 1)]
        moved = np.flatnonzero(target != np.asarray(obs.entry_candidate))
        return Change(moved, target[moved], servers)

    def _ladders(self, ep: _Episode) -> None:
        cand = np.asarray(ep.state.view_cand)
        ep.ladder, _ = variant_ladders(self.problem, cand, ceiling="plan")
        ep.entry_app = self.problem.demand_app[np.asarray(ep.state.view_demand)]

    def _reward(self, r: dict[str, float]) -> float:
        if self.options.reward == "carbon":
            cost = r["carbon_g"] / 1000.0
        else:
            cost = (r["energy_j"] - r["fixed_w"] * self.step_s) / J_PER_KWH
        late = 1.0 - r["slo_ok"] / r["requests"] if r["requests"] > 0 else 0.0
        return float(-cost - self.options.slo_penalty * late)

    def _features(self, obs: Observation) -> npt.NDArray[np.float32]:
        p, nodes = self.problem, self.nodes
        n_apps = len(self.app_peak)
        rate = np.bincount(p.demand_app, weights=obs.rate_per_s, minlength=n_apps) / self.app_peak
        avail = np.asarray(obs.servers_available)[nodes]
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(avail > 0, np.asarray(obs.node_busy_s_per_s)[nodes] / avail, 0.0)
        count = np.maximum(p.node_count[nodes], 1)
        hour = 2 * np.pi * (obs.time_s % DAY_S) / DAY_S
        parts: list[FloatArray] = [
            rate,
            util,
            avail / count,
            np.asarray(obs.servers_target)[nodes] / count,
            np.asarray(obs.carbon_g_per_kwh) / 1000.0,
            np.array([np.sin(hour), np.cos(hour)]),
        ]
        return np.clip(np.concatenate(parts), -1.0, FEATURE_MAX).astype(np.float32)


def make_env(scenario_path: str | Path, **options: Any) -> SlimplaceEnv:
    """The environment of the scenario file (options: :class:`EnvOptions` fields)."""
    path = Path(scenario_path)
    scenario = load_scenario(path)
    problem = compile_problem(scenario, variants=options.get("variants", "all"))
    return SlimplaceEnv(problem, EnvOptions(**options), base_dir=path.parent)
