"""Mobility in the simulation loop: handovers change the access link, services migrate.

:class:`Mobility` is the optional ``mobility`` argument of :func:`slimplace.sim.simulate`.
Per step, before the policy decides (:meth:`Mobility.observe`), the movement
(:mod:`slimplace.sim.mobility.movement`) says which antenna every mobile source is
attached to; each source whose antenna changed is a *handover*, and the network latency
and energy of its demands' candidates become those of the new access
(:class:`slimplace.sim.mobility.network.AccessNetwork`), in the step model the engine
measures with (its own copy: the compiled problem is not touched) and in the current
plan's entries. Requests whose latency now exceeds their SLO count as late, as any.

After the policy's decision (:meth:`Mobility.after_decision`) services *migrate*:

- ``migrate="slo"`` (default): an entry of a mobile demand whose candidate no longer
  meets the SLO at the planning utilisation (network + compute + M/G/1 wait at
  ``rho_max``, the admissibility test of :mod:`slimplace.problem.candidates`) moves to
  the demand's candidate that meets it, preferring the same variant, then a node with
  servers on, then the lowest latency; with none, it stays (and is late);
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
new load at ``rho_max``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import IntArray
from slimplace.sim.mobility.movement import Movement
from slimplace.sim.mobility.network import AccessNetwork, MobilityError, build_access_network
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
)
from slimplace.sim.state import SimState

log = logging.getLogger(__name__)

MIGRATE = ("slo", "follow", "never")


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


class Mobility:
    """The engine hook (module docstring)."""

    def __init__(
        self, movement: Movement, *, migrate: str = "slo", state_bytes: float = 0.0
    ) -> None:
        if migrate not in MIGRATE:
            raise MobilityError(f"migrate must be one of {', '.join(MIGRATE)}, not {migrate!r}")
        if not (state_bytes >= 0 and math.isfinite(state_bytes)):
            raise MobilityError(f"state_bytes must be >= 0, not {state_bytes}")
        self.movement, self.migrate, self.state_bytes = movement, migrate, float(state_bytes)
        self.counters = MobilityCounters()

    # ------------------------------------------------------------------ set-up
    def bind(self, model: StepModel, seed: int = 0) -> StepModel:
        """The step model the engine should measure with (a copy this hook updates), the
        movement started with ``seed``."""
        p = model.problem
        self.net: AccessNetwork = build_access_network(p)
        if self.net.n_sources == 0:
            raise MobilityError(
                f"scenario {p.scenario.name!r} has no mobile source (a traffic source "
                "attached by exactly one link): nothing can move"
            )
        # a handover may leave a candidate's budget negative: the engine must check it
        self.model = replace(model, cand_f=model.cand_f.copy(), any_negative_budget=True)
        self.home_f = model.cand_f[self.net.mc_cand].copy()
        self.movement.start(self.net, seed)
        self.access = self.net.home.copy()
        self.at_rho_rest = p.cand_latency_s - p.cand_net_latency_s
        self.net_now = p.cand_net_latency_s.copy()
        self.moved = np.zeros(0, dtype=np.int64)
        self.counters = MobilityCounters(mobile_sources=self.net.n_sources)
        return self.model

    # ------------------------------------------------------------------ handover
    def observe(self, state: SimState, time_s: float) -> None:
        """Attach every source where the movement puts it at ``time_s``; update the
        candidates of those that handed over, in the model and in the plan's entries."""
        new = np.asarray(self.movement.access(time_s), dtype=np.int64)
        moved = np.flatnonzero(new != self.access)
        self.moved = moved
        if len(moved) == 0:
            return
        self.counters.handovers += len(moved)
        self.access = new.copy()
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
        self.net_now[c] = lat
        changed = np.zeros(len(f), dtype=bool)
        changed[c] = True
        entries = np.flatnonzero(changed[state.e_cand])
        state.ef[entries] = f[state.e_cand[entries]]

    # ------------------------------------------------------------------ migration
    def after_decision(self, state: SimState) -> None:
        """Migrate the services the rule (``migrate``) moves; charge their transfers."""
        if self.migrate == "never":
            return
        p = self.model.problem
        ent = np.flatnonzero(self.net.demand_mobile[state.e_demand])
        if len(ent) == 0:
            return
        cand = state.e_cand[ent]
        slo = p.demand_slo_s[p.cand_demand[cand]] * (1 + SLO_TOL)
        broken = self.at_rho_rest[cand] + self.net_now[cand] > slo
        if self.migrate == "slo":
            need = broken
        else:
            moved = np.zeros(self.net.n_sources, dtype=bool)
            moved[self.moved] = True
            src = self.net.source_of_node[p.demand_source[state.e_demand[ent]]]
            need = moved[src]
        if not need.any():
            return
        entries, target, ok = self._best(state, ent[need])
        self.counters.stranded += int(np.count_nonzero(~ok & broken[need]))
        go = ok & (target != state.e_cand[entries])
        if go.any():
            self._move(state, entries[go], target[go])

    def _best(self, state: SimState, entries: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Each entry's best candidate of its demand (module docstring) and whether it
        meets the SLO."""
        p = self.model.problem
        demand = state.e_demand[entries]
        lo, hi = p.demand_ptr[demand], p.demand_ptr[demand + 1]
        count = hi - lo
        seg = np.repeat(np.arange(len(entries)), count)
        start = np.cumsum(count) - count
        cand = lo[seg] + np.arange(int(count.sum())) - start[seg]
        lat = self.at_rho_rest[cand] + self.net_now[cand]
        ok = lat <= p.demand_slo_s[demand[seg]] * (1 + SLO_TOL)
        same = p.cand_variant[cand] == p.cand_variant[state.e_cand[entries]][seg]
        on = state.target[p.cand_node[cand]] > 0
        order = np.lexsort((lat, ~on, ~same, ~ok, seg))
        first = order[np.searchsorted(seg[order], np.arange(len(entries)))]
        return entries, cand[first], ok[first]

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
        }
