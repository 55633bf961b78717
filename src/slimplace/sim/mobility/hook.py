"""Mobility in the simulation loop: handovers change the access link, services migrate.

:class:`Mobility` is the optional ``mobility`` argument of :func:`slimplace.sim.simulate`.
At the start (:meth:`Mobility.bind`) it gives the run its own problem: the compiled one
with the roaming candidates added (:mod:`slimplace.sim.mobility.roaming`), whose network
figures (latency, latency at ``rho_max``, energy per request) it keeps at the sources'
current antennas, and wraps the policy's placement solver so that it plans over the
candidates admissible now (:class:`RoamingSolver`, :meth:`Mobility.wrap`).

Per step, before the policy decides (:meth:`Mobility.observe`), the movement
(:mod:`slimplace.sim.mobility.movement`) says which antenna every mobile source is
attached to; each source whose antenna changed is a *handover*, and the network latency
and energy of its demands' candidates become those of the new access
(:class:`slimplace.sim.mobility.network.AccessNetwork`), in the run's problem, in the step
model the engine measures with and in the current plan's entries. Requests whose latency
now exceeds their SLO count as late, as any.

After the policy's decision (:meth:`Mobility.after_decision`) services *migrate*:

- ``migrate="slo"`` (default): an entry of a mobile demand whose candidate no longer
  meets the SLO at the planning utilisation (network + compute + M/G/1 wait at
  ``rho_max``, the admissibility test of :mod:`slimplace.problem.candidates`) moves to
  the demand's candidate that meets it, preferring a node with room for its load (busy
  time within ``rho_max`` x the node's servers), then the same variant, then a node with
  servers on, then the lowest latency; with none, it stays (and is late). Movers whose
  targets do not hold them all retry on the new loads (:data:`MOVE_ROUNDS` rounds);
- ``"follow"``: every entry of a source that handed over moves to that best candidate
  (the service follows its user);
- ``"never"``: nothing moves (the policy alone may move services).

A migration from node ``u`` to ``v`` sends the model's weights (``model_memory_bytes``;
nothing when the model is already loaded at ``v``) and ``state_bytes`` of service state
along the route ``u -> v``: energy ``bytes x 8 x`` the route's energy per bit (the same
per-bit link energy as request traffic), time the route's one-way latency plus store and
forward (plus the model's ``load_time_s`` when the weights were sent). The requests of
the migrated entry arriving during that time, ``min(1, time / step)`` of them, count as
late (:meth:`slimplace.sim.state.SimState.charge_transfer`); the energy is counted with
the step's model loads. A switchable destination node is given enough servers for its
new load at ``rho_max``. A policy that moves a mobile demand's service to another node (a
new plan, a change) migrates its state too: ``state_bytes`` over the route, charged the
same way (the engine charges the weights the new node loads, as for any plan).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.optim.segments import concat_ranges
from slimplace.placement.registry import Solver, takes_start
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.mobility.movement import Movement
from slimplace.sim.mobility.network import AccessNetwork, MobilityError, build_access_network
from slimplace.sim.mobility.roaming import ROAM, build_roaming
from slimplace.sim.model import (
    F_BUDGET,
    F_COMPUTE,
    F_FIXED,
    F_NEG,
    F_NET_E,
    F_NET_LAT,
    F_SLO,
    I_KEY,
    SLO_TOL,
    StepModel,
    build_step_model,
)
from slimplace.sim.policy import Policy
from slimplace.sim.state import SimState

log = logging.getLogger(__name__)

MIGRATE = ("slo", "follow", "never")
#: Rounds of migration per step: movers whose targets fill up retry on the new loads.
MOVE_ROUNDS = 4


@dataclass
class MobilityCounters:
    """What mobility did over a run."""

    mobile_sources: int = 0
    handovers: int = 0
    migrations: int = 0
    migration_energy_j: float = 0.0
    migration_bytes: float = 0.0
    #: entry-steps of mobile demands with no candidate meeting the SLO from their antenna
    stranded: int = 0
    #: candidates the roaming compile added (0 with ``roam="home"``)
    roaming_candidates: int = 0
    #: mobile demands whose service the policy (a new plan or change) moved to another node
    #: (their state is charged like a migration's; the engine charges the weights it loads)
    policy_migrations: int = 0


class Mobility:
    """The engine hook (module docstring)."""

    def __init__(
        self,
        movement: Movement,
        *,
        migrate: str = "slo",
        state_bytes: float = 0.0,
        roam: str = "all",
    ) -> None:
        if roam not in ROAM:
            raise MobilityError(f"roam must be one of {', '.join(ROAM)}, not {roam!r}")
        if migrate not in MIGRATE:
            raise MobilityError(f"migrate must be one of {', '.join(MIGRATE)}, not {migrate!r}")
        if not (state_bytes >= 0 and math.isfinite(state_bytes)):
            raise MobilityError(f"state_bytes must be >= 0, not {state_bytes}")
        self.movement, self.migrate, self.state_bytes = movement, migrate, float(state_bytes)
        self.roam = roam
        self.counters = MobilityCounters()

    # ------------------------------------------------------------------ set-up
    def bind(self, problem: CompiledProblem, seed: int = 0) -> tuple[CompiledProblem, StepModel]:
        """The problem and step model the run should use, the movement started with
        ``seed``: ``problem`` with the roaming candidates added (``roam="all"``,
        :mod:`slimplace.sim.mobility.roaming`), whose network figures this hook keeps at
        the sources' current antennas (in the problem the policies plan on, which is the
        run's own copy, and in the step model the engine measures with)."""
        base = build_access_network(problem)
        if base.n_sources == 0:
            raise MobilityError(
                f"scenario {problem.scenario.name!r} has no mobile source (a traffic source "
                "attached by exactly one link): nothing can move"
            )
        self.roaming = build_roaming(problem, base, self.roam)
        p = self.roaming.problem
        self.net: AccessNetwork = base.for_candidates(p, self.roaming.tag)
        model = build_step_model(p)
        # a handover may leave a candidate's budget negative: the engine must check it
        self.model = replace(model, cand_f=model.cand_f.copy(), any_negative_budget=True)
        self.home_f = model.cand_f[self.net.mc_cand].copy()
        self.net_e0 = np.array(p.cand_net_energy_j[self.net.mc_cand], dtype=np.float64)
        self.at_rho_rest = p.cand_latency_s - p.cand_net_latency_s
        self.slo_tol = p.demand_slo_s[p.cand_demand] * (1 + SLO_TOL)
        self.net_now = p.cand_net_latency_s  # the problem's own (live) array
        self.movement.start(self.net, seed)
        self.access = self.net.home.copy()
        self.moved = np.zeros(0, dtype=np.int64)
        self.counters = MobilityCounters(
            mobile_sources=self.net.n_sources, roaming_candidates=self.roaming.added
        )
        self._retarget(None, np.arange(self.net.n_sources))  # roaming ones: from their tag
        return p, self.model

    def wrap(self, policy: Policy) -> Policy:
        """``policy`` with its placement solver planning over the candidates admissible at
        the sources' current antennas (:class:`RoamingSolver`); unchanged when it has no
        ``solver`` field."""
        if dataclasses.is_dataclass(policy) and any(
            f.name == "solver" for f in dataclasses.fields(policy)
        ):
            solver = policy.solver
            if not isinstance(solver, RoamingSolver):
                return dataclasses.replace(policy, solver=RoamingSolver(solver, self))
        return policy

    def adapt(self, decision: object) -> object:
        """A :class:`~slimplace.plan.Plan` made for the problem before the roaming
        candidates were added, over the run's problem (other decisions as they are)."""
        orig = self.roaming.original
        if (
            isinstance(decision, Plan)
            and decision.x.shape == (len(orig),)
            and len(orig) != len(self.net.problem.cand_demand)
        ):
            x = np.zeros(self.net.problem.n_candidates)
            x[orig] = decision.x
            return replace(decision, x=x)
        return decision

    @property
    def access_key(self) -> bytes:
        """The current antenna of every mobile source, as bytes (a plan's cache key)."""
        return self.access.tobytes()

    def admissible_now(self) -> BoolArray:
        """Per candidate of the run's problem: whether it meets its SLO at ``rho_max`` from
        the current attachment (every demand keeps at least its fastest candidate)."""
        p = self.net.problem
        ok = self.at_rho_rest + self.net_now <= self.slo_tol
        if ok.all():
            return ok
        per = np.add.reduceat(ok.astype(np.int64), p.demand_ptr[:-1]) if len(ok) else ok
        empty = np.flatnonzero((per == 0) & (np.diff(p.demand_ptr) > 0))
        if len(empty):
            lat = self.at_rho_rest + self.net_now
            count = np.diff(p.demand_ptr)[empty]
            cand = concat_ranges(p.demand_ptr[empty], count)
            seg = np.repeat(np.arange(len(empty)), count)
            order = np.lexsort((lat[cand], seg))
            first = order[np.searchsorted(seg[order], np.arange(len(empty)))]
            ok = ok.copy()
            ok[cand[first]] = True
        return ok

    # ------------------------------------------------------------------ handover
    def observe(self, state: SimState, time_s: float) -> None:
        """Attach every source where the movement puts it at ``time_s``; update the
        candidates of those that handed over, in the model, the run's problem and the
        plan's entries. Also notes where each mobile demand is served before the policy
        decides (a policy's move of it is a migration too, :meth:`after_decision`)."""
        self._note_serving(state)
        new = np.asarray(self.movement.access(time_s), dtype=np.int64)
        moved = np.flatnonzero(new != self.access)
        self.moved = moved
        if len(moved) == 0:
            return
        self.counters.handovers += len(moved)
        self.access = new.copy()
        self._retarget(state, moved)

    def _retarget(self, state: SimState | None, moved: IntArray) -> None:
        net = self.net
        flag = np.zeros(net.n_sources, dtype=bool)
        flag[moved] = True
        sel = np.flatnonzero(flag[net.mc_source])
        if len(sel) == 0:
            return
        lat, d_energy = net.candidate_network(self.access, sel)
        c = net.mc_cand[sel]
        f = self.model.cand_f
        home = self.home_f[sel]
        fixed = lat + home[:, F_COMPUTE]
        budget = home[:, F_SLO] - fixed
        f[c, F_NET_LAT] = lat
        f[c, F_NET_E] = home[:, F_NET_E] + d_energy
        f[c, F_FIXED] = fixed
        f[c, F_BUDGET] = np.minimum(budget, 1e12)
        f[c, F_NEG] = (budget < 0).astype(np.float64)
        p = net.problem  # the run's own copy (roaming.LIVE_FIELDS)
        p.cand_net_latency_s[c] = lat
        p.cand_latency_s[c] = self.at_rho_rest[c] + lat
        p.cand_net_energy_j[c] = self.net_e0[sel] + d_energy
        if state is None:
            return
        changed = np.zeros(len(f), dtype=bool)
        changed[c] = True
        entries = np.flatnonzero(changed[state.e_cand])
        state.ef[entries] = f[state.e_cand[entries]]

    # ------------------------------------------------------------------ migration
    def _note_serving(self, state: SimState) -> None:
        """Per demand, the node of its largest-share entry (-1: none, or not mobile)."""
        p = self.model.problem
        self.serving = np.full(p.n_demands, -1, dtype=np.int64)
        ent = np.flatnonzero(self.net.demand_mobile[state.e_demand])
        if len(ent):
            order = ent[np.lexsort((-state.e_share[ent], state.e_demand[ent]))]
            demand = state.e_demand[order]
            head = np.ones(len(order), dtype=bool)
            head[1:] = demand[1:] != demand[:-1]
            self.serving[demand[head]] = p.cand_node[state.e_cand[order[head]]]

    def _charge_policy_moves(self, state: SimState) -> None:
        """The service state of mobile demands the policy moved to another node (the
        engine charges the weights it loads): ``state_bytes`` over the route, as
        :meth:`_move` charges."""
        serving = getattr(self, "serving", None)
        if serving is None:
            return
        p = self.model.problem
        ent = np.flatnonzero(self.net.demand_mobile[state.e_demand])
        demand = state.e_demand[ent]
        before, now = serving[demand], p.cand_node[state.e_cand[ent]]
        src = p.demand_source[demand]
        moved = (before >= 0) & (before != now) & (before != src) & (now != src)
        if not moved.any():
            return
        ent, before, now = ent[moved], before[moved], now[moved]
        bits = np.full(len(ent), 8.0 * self.state_bytes)
        time_s, energy_j = self.net.transfer(before, now, bits)
        state.charge_transfer(ent, now, energy_j, time_s)
        _, first = np.unique(state.e_demand[ent], return_index=True)
        c = self.counters
        c.policy_migrations += len(first)
        c.migration_energy_j += float(energy_j.sum())
        c.migration_bytes += self.state_bytes * len(ent)

    def after_decision(self, state: SimState) -> None:
        """Charge the state of the mobile services the policy moved; migrate the services
        the rule (``migrate``) moves and charge their transfers."""
        self._charge_policy_moves(state)
        if self.migrate == "never":
            return
        p = self.model.problem
        ent = np.flatnonzero(self.net.demand_mobile[state.e_demand])
        if len(ent) == 0:
            return
        cand = state.e_cand[ent]
        broken = self.at_rho_rest[cand] + self.net_now[cand] > self.slo_tol[cand]
        if self.migrate == "slo":
            need = broken
        else:
            moved = np.zeros(self.net.n_sources, dtype=bool)
            moved[self.moved] = True
            src = self.net.source_of_node[p.demand_source[state.e_demand[ent]]]
            need = moved[src]
        if not need.any():
            return
        todo, first = ent[need], True
        for _ in range(MOVE_ROUNDS):  # movers that do not fit together retry on the new loads
            entries, target, ok, fits = self._best(state, todo)
            if first:
                self.counters.stranded += int(np.count_nonzero(~ok & broken[need]))
                first = False
            go = ok & (target != state.e_cand[entries])
            if not go.any():
                return
            entries, target, fits = entries[go], target[go], fits[go]
            accept = ~fits | self._room_for(state, entries, target)
            self._move(state, entries[accept], target[accept])
            todo = entries[~accept]
            if len(todo) == 0:
                return

    def _extra_load(self, state: SimState, entries: IntArray, cand: IntArray) -> FloatArray:
        """Busy server-seconds per second each entry would add at ``cand``'s node."""
        p = self.model.problem
        load = state.e_flow[entries] * p.cand_service_s[cand]
        here = p.cand_node[cand] == p.cand_node[state.e_cand[entries]]
        return load - np.where(here, state.e_load[entries], 0.0)

    def _capacity(self) -> FloatArray:
        """Busy server-seconds per second each node carries at ``rho_max`` with every
        server on (the hook wakes the servers a migration needs)."""
        m = self.model
        return m.node_count * m.max_utilisation

    def _room_for(self, state: SimState, entries: IntArray, target: IntArray) -> BoolArray:
        """Which of these moves fit together: per node, in entry order, while the added
        load stays within the node's room."""
        node = self.model.problem.cand_node[target]
        extra = self._extra_load(state, entries, target)
        order = np.argsort(node, kind="stable")
        cum = np.cumsum(extra[order])
        head = np.ones(len(order), dtype=bool)
        head[1:] = node[order][1:] != node[order][:-1]
        start = np.maximum.accumulate(np.where(head, np.arange(len(order)), 0))
        before = np.where(start > 0, cum[start - 1], 0.0)
        room = self._capacity()[node[order]] - state.busy[node[order]]
        ok = np.empty(len(order), dtype=bool)
        ok[order] = cum - before <= room + 1e-12
        return ok

    def _best(
        self, state: SimState, entries: IntArray
    ) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
        """Each entry's best candidate of its demand (module docstring), whether it meets
        the SLO and whether its node has room for the entry's load."""
        p = self.model.problem
        demand = state.e_demand[entries]
        lo, hi = p.demand_ptr[demand], p.demand_ptr[demand + 1]
        seg = np.repeat(np.arange(len(entries)), hi - lo)
        cand = concat_ranges(lo, hi - lo)
        lat = self.at_rho_rest[cand] + self.net_now[cand]
        ok = lat <= self.slo_tol[cand]
        node = p.cand_node[cand]
        fits = (
            state.busy[node] + self._extra_load(state, entries[seg], cand)
            <= self._capacity()[node] + 1e-12
        )
        same = p.cand_variant[cand] == p.cand_variant[state.e_cand[entries]][seg]
        on = state.target[node] > 0
        order = np.lexsort((lat, ~on, ~same, ~fits, ~ok, seg))
        first = order[np.searchsorted(seg[order], np.arange(len(entries)))]
        return entries, cand[first], ok[first], fits[first]

    def _move(self, state: SimState, entries: IntArray, target: IntArray) -> None:
        m, p, net = self.model, self.model.problem, self.net
        old_node = p.cand_node[state.e_cand[entries]]
        new_node = p.cand_node[target]
        key = m.cand_i[target, I_KEY]
        model = key % m.n_models
        _, first = np.unique(key, return_index=True)
        fresh = np.zeros(len(key), dtype=bool)
        fresh[first] = state.refcount[key[first]] == 0
        weights = np.where(fresh, m.model_memory_bytes[model], 0.0)
        moved = old_node != new_node
        size = np.where(moved, weights + self.state_bytes, 0.0)
        time_s, energy_j = net.transfer(old_node, new_node, 8.0 * size)
        time_s = time_s + np.where(fresh, m.model_load_time_s[model], 0.0)
        state.reroute(entries, target, charge_loads=False)
        state.charge_transfer(entries, new_node, energy_j, time_s)
        self._servers(state, np.unique(new_node))
        c = self.counters
        c.migrations += int(np.count_nonzero(moved))
        c.migration_energy_j += float(energy_j.sum())
        c.migration_bytes += float(size.sum())

    def _servers(self, state: SimState, nodes: IntArray) -> None:
        m = self.model
        need = np.ceil(state.busy[nodes] / m.max_utilisation - 1e-9)
        target = state.target.copy()
        target[nodes] = np.maximum(target[nodes], np.minimum(need, m.node_count[nodes]))
        if not np.array_equal(target, state.target):
            state.set_servers(target)

    @property
    def access_nodes(self) -> IntArray:
        """Node index of every mobile source's current antenna."""
        return self.net.antenna_node[self.access]

    def report(self) -> dict[str, float]:
        """The counters, for the run's summary."""
        c = self.counters
        return {
            "mobile_sources": float(c.mobile_sources),
            "handovers": float(c.handovers),
            "migrations": float(c.migrations),
            "migration_energy_j": c.migration_energy_j,
            "migration_bytes": c.migration_bytes,
            "stranded_entry_steps": float(c.stranded),
            "roaming_candidates": float(c.roaming_candidates),
            "policy_migrations": float(c.policy_migrations),
        }


class RoamingSolver:
    """A policy's placement solver, planning with the sources' current antennas.

    Given the run's problem (any copy of it at other rates, objective or intensities:
    the same candidate arrays), it solves the problem restricted to the candidates
    admissible now (:meth:`Mobility.admissible_now`), whose network figures are those of
    the current attachment, and returns the plan over all candidates. A warm-start plan
    is passed on when it lies within the restriction (after a handover it may not).
    Other problems go to the solver unchanged.
    """

    def __init__(self, inner: Solver, mobility: Mobility) -> None:
        self.inner, self.mobility = inner, mobility

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def solve(self, problem: CompiledProblem, *, seed: int = 0, start: Plan | None = None) -> Plan:
        """The inner solver's plan for the candidates admissible now (class docstring)."""
        from slimplace.explain import restrict_candidates

        warm = takes_start(self.inner)
        own = self.mobility.net.problem
        if problem.cand_demand is not own.cand_demand:
            if warm and start is not None:
                return self.inner.solve(problem, seed=seed, start=start)  # type: ignore[call-arg]
            return self.inner.solve(problem, seed=seed)
        keep = self.mobility.admissible_now()
        cands = np.flatnonzero(keep)
        sub = restrict_candidates(problem, keep)
        sub_start = None
        if warm and start is not None:
            x = start.x[cands]
            total = np.add.reduceat(x, sub.demand_ptr[:-1]) if len(x) else x
            if len(x) and np.allclose(total, 1.0, atol=1e-6):
                sub_start = dataclasses.replace(start, x=x)
        if sub_start is not None:
            plan = self.inner.solve(sub, seed=seed, start=sub_start)  # type: ignore[call-arg]
        else:
            plan = self.inner.solve(sub, seed=seed)
        x_full = np.zeros(problem.n_candidates)
        x_full[cands] = plan.x
        return dataclasses.replace(plan, x=x_full)
