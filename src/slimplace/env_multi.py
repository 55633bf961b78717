"""A PettingZoo parallel environment over the simulator: one agent per edge site.

``make_parallel_env(scenario_path, **options)`` wraps the Gymnasium environment of
:func:`slimplace.env.make_env` (same options, same simulator, same ``static-peak``
placement) and splits its action, observation and reward among the *edge sites*: the
nodes of tier ``edge`` with servers that serve other nodes' requests, named by their node
id (:attr:`SlimplaceParallelEnv.possible_agents`).

**Action** of an agent (``MultiDiscrete``): the servers switched on at its site,
``0 .. count`` (ignored for always-on sites), then for each application (scenario order)
a *width level* ``0 .. L - 1``: every entry of the application served at the site takes
column ``level`` of its ladder of variants (:func:`slimplace.sim.policies.reactive.variant_ladders`,
heaviest first). Nodes that are no agent keep the plan's servers and variants. At step 0
the levels are ignored (the plan's variants are served), as in :mod:`slimplace.env`.

**Observation** of an agent (``Box``, float32): per application the rate of the
application's requests the plan sends to the site over the application's peak rate
(local load); the site's utilisation, its mean number of requests in the M/G/1 system
``L = rho + rho^2 (1 + cv^2) / (2 (1 - rho))`` (Pollaczek-Khinchine; the queue, clipped
when ``rho >= 1``), its servers available and its target over its count; its region's
grid intensity (g/kWh over 1,000); the time of day as ``sin`` and ``cos``.

**Reward** of an agent: minus its share of the step's cost (plan-dependent energy in kWh,
or carbon in kg with ``reward="carbon"``) minus ``slo_penalty`` times the step's share of
late requests over the number of agents. An agent's share is its site's plan-dependent
server power over the step (static power of the servers on and asleep less the part drawn
whatever the plan, plus dynamic power) plus an equal part of the rest (other nodes,
network, wake-ups and model loads), over the step's plan-dependent energy. The rewards of
all agents sum to the Gymnasium environment's reward: a cooperative split in which each
site answers for its own servers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from pettingzoo import ParallelEnv

from slimplace.arrays import FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.env import DAY_S, FEATURE_MAX, SlimplaceEnv, make_env
from slimplace.plan import Plan
from slimplace.scenario.model import TIERS
from slimplace.sim.policy import Change, Observation

ObsType = npt.NDArray[np.float32]
ActType = npt.NDArray[np.int64]


def edge_sites(env: SlimplaceEnv) -> IntArray:
    """Nodes of tier ``edge`` with servers that may serve other nodes' requests."""
    p = env.problem
    return np.flatnonzero(
        (p.node_tier == TIERS.index("edge"))
        & (p.node_profile >= 0)
        & (p.node_count > 0)
        & ~p.node_local_only
    ).astype(np.int64)


class SlimplaceParallelEnv(ParallelEnv[str, ObsType, ActType]):
    """See the module docstring; build it with :func:`make_parallel_env`."""

    metadata: ClassVar[dict[str, Any]] = {"name": "slimplace_parallel_v0", "render_modes": []}

    def __init__(self, env: SlimplaceEnv) -> None:
        self.env = env
        p = env.problem
        self.sites = edge_sites(env)
        if len(self.sites) == 0:
            raise ValueError(
                f"scenario {p.scenario.name!r} has no edge site (a node of tier edge with "
                "servers that serves other nodes): a parallel environment needs one agent "
                "per edge site"
            )
        self.possible_agents = [p.node_ids[i] for i in self.sites]
        self.agents: list[str] = []
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self.n_apps = len(p.scenario.applications)
        counts = p.node_count[self.sites].astype(np.int64)
        self._nvec = [
            np.concatenate([[c + 1], np.full(self.n_apps, env.levels)]).astype(np.int64)
            for c in counts
        ]
        box = gym.spaces.Box(-1.0, FEATURE_MAX, shape=(self.n_apps + 7,), dtype=np.float32)
        self._observation_spaces = dict.fromkeys(self.possible_agents, box)
        self._action_spaces = {
            a: gym.spaces.MultiDiscrete(self._nvec[i]) for i, a in enumerate(self.possible_agents)
        }
        self._fixed_w = accounting.server_fixed_w(p)
        self._site_of_node = np.full(p.n_nodes, -1, dtype=np.int64)
        self._site_of_node[self.sites] = np.arange(len(self.sites))

    def observation_space(self, agent: str) -> gym.spaces.Box:
        """Local features of ``agent`` (module docstring)."""
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gym.spaces.MultiDiscrete:
        """Servers on at ``agent``'s site, then a width level per application."""
        return self._action_spaces[agent]

    # ------------------------------------------------------------------ episode
    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, ObsType], dict[str, dict[str, Any]]]:
        """A new episode (the Gymnasium environment's, with ``seed``); every agent's
        first observation."""
        self.env.reset(seed=seed, options=options)
        self.agents = list(self.possible_agents)
        obs = self.env.last_observation
        assert obs is not None
        return self._observations(obs), {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[
        dict[str, ObsType],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:  # fmt: skip
        """Apply every agent's action for this step and measure it."""
        obs = self.env.last_observation
        if not self.agents or obs is None:
            raise RuntimeError("call reset() before step() (and after the episode ended)")
        decision = self._decision(actions, obs)
        _, reward, done, _, info = self.env.step(decision)
        record: dict[str, float] = info["record"]
        rewards = self._rewards(record, reward)
        agents = self.agents
        nxt = self.env.last_observation
        assert nxt is not None
        observations = self._observations(nxt)
        terminations = dict.fromkeys(agents, done)
        truncations = dict.fromkeys(agents, False)
        infos = {a: {"record": record} for a in agents}
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    # ------------------------------------------------------------------ action
    def _checked(self, actions: dict[str, Any]) -> IntArray:
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"no action for agent(s) {', '.join(missing)}")
        rows = []
        for agent in self.agents:
            nvec = self._nvec[self._index[agent]]
            a = np.asarray(actions[agent])
            if a.shape != nvec.shape or not np.issubdtype(a.dtype, np.integer):
                raise ValueError(
                    f"action of {agent} must be {len(nvec)} integers (servers on, then a width "
                    f"level per application), got shape {a.shape} and dtype {a.dtype}"
                )
            bad = np.flatnonzero((a < 0) | (a >= nvec))
            if len(bad):
                i = int(bad[0])
                raise ValueError(
                    f"action of {agent}: [{i}] = {int(a[i])} is outside 0 .. {int(nvec[i]) - 1}"
                )
            rows.append(a.astype(np.int64))
        return np.stack(rows)

    def _decision(self, actions: dict[str, Any], obs: Observation) -> Plan | Change:
        a = self._checked(actions)
        env = self.env
        base = env.plan.servers_on if obs.step == 0 else obs.servers_target
        servers = np.asarray(base, dtype=np.int64).copy()
        servers[self.sites] = a[:, 0]
        if obs.step == 0:
            return Plan(env.plan.x, np.maximum(servers, 0), "env-multi")
        ep = env.episode
        assert ep is not None
        cand = np.asarray(obs.entry_candidate)
        site = self._site_of_node[env.problem.cand_node[cand]]
        app = ep.entry_app
        level = np.where(site >= 0, a[np.maximum(site, 0), 1 + app], 0)
        level = np.minimum(level, ep.ladder.shape[1] - 1)
        target = ep.ladder[np.arange(len(ep.ladder)), level]
        moved = np.flatnonzero(target != cand)
        return Change(moved, target[moved], servers)

    # ------------------------------------------------------------------ observation
    def _observations(self, obs: Observation) -> dict[str, ObsType]:
        env, p, sites = self.env, self.env.problem, self.sites
        n_sites = len(sites)
        demand = np.asarray(obs.entry_demand)
        node = p.cand_node[np.asarray(obs.entry_candidate)]
        site = self._site_of_node[node]
        at = site >= 0
        flow = np.asarray(obs.rate_per_s)[demand] * np.asarray(obs.entry_share)
        local = np.zeros((n_sites, self.n_apps))
        np.add.at(local, (site[at], p.demand_app[demand[at]]), flow[at])
        local /= env.app_peak[None, :]
        avail = np.asarray(obs.servers_available)[sites]
        busy = np.asarray(obs.node_busy_s_per_s)[sites]
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(avail > 0, busy / avail, np.where(busy > 0, np.inf, 0.0))
            queue = np.where(
                rho < 1.0, rho + rho**2 * (1.0 + p.service_cv2) / (2.0 * (1.0 - rho)), np.inf
            )
        count = np.maximum(p.node_count[sites], 1)
        carbon = np.asarray(obs.carbon_g_per_kwh)[p.node_region[sites]] / 1000.0
        hour = 2 * np.pi * (obs.time_s % DAY_S) / DAY_S
        feats = np.column_stack(
            [
                local,
                rho,
                queue,
                avail / count,
                np.asarray(obs.servers_target)[sites] / count,
                carbon,
                np.full(n_sites, np.sin(hour)),
                np.full(n_sites, np.cos(hour)),
            ]
        )
        feats = np.clip(np.nan_to_num(feats, posinf=FEATURE_MAX), -1.0, FEATURE_MAX)
        out = feats.astype(np.float32)
        return {a: out[self._index[a]] for a in self.agents}

    # ------------------------------------------------------------------ reward
    def site_plan_power_w(self) -> FloatArray:
        """Plan-dependent server power of every site over the last measured step (W):
        static power of the servers on and asleep less the fixed part, plus dynamic power
        (the formulas of :meth:`slimplace.sim.state.SimState.measure`)."""
        ep = self.env.episode
        assert ep is not None
        s, m, sites = ep.state, self.env.model, self.sites
        cap, busy = s.cap[sites], s.busy[sites]
        static = m.node_static_on_w[sites] * cap + m.node_sleep_w[sites] * (
            m.node_count[sites] - s.powered[sites]
        )
        dyn = np.minimum(busy, cap) * m.node_dyn_w[sites]
        for nodes, u, pw in m.curve_groups:
            hit = self._site_of_node[nodes]
            ok = hit >= 0
            if ok.any():
                n_ok, h = nodes[ok], hit[ok]
                util = np.where(cap[h] > 0, busy[h] / np.where(cap[h] > 0, cap[h], 1.0), 0.0)
                per = np.interp(np.clip(util, 0.0, 1.0), u, pw)
                dyn[h] = m.node_pue[n_ok] * cap[h] * (per - m.node_idle_w[n_ok])
        return np.maximum(static - self._fixed_w[sites], 0.0) + dyn

    def _rewards(self, record: dict[str, float], team_reward: float) -> dict[str, float]:
        step_s, n = self.env.step_s, len(self.sites)
        late = 1.0 - record["slo_ok"] / record["requests"] if record["requests"] > 0 else 0.0
        penalty = self.env.options.slo_penalty * late
        cost = -team_reward - penalty
        plan_j = record["energy_j"] - record["fixed_w"] * step_s
        own_j = self.site_plan_power_w() * step_s
        if plan_j > 0:
            own_j = own_j * min(1.0, plan_j / max(float(own_j.sum()), 1e-300))
            weight = (own_j + (plan_j - own_j.sum()) / n) / plan_j
        else:
            weight = np.full(n, 1.0 / n)
        reward = -cost * weight - penalty / n
        return {a: float(reward[self._index[a]]) for a in self.agents}


def make_parallel_env(scenario_path: str | Path, **options: Any) -> SlimplaceParallelEnv:
    """The parallel environment of the scenario file (options: those of
    :func:`slimplace.env.make_env`)."""
    return SlimplaceParallelEnv(make_env(scenario_path, **options))


__all__ = ["SlimplaceParallelEnv", "edge_sites", "make_parallel_env"]
