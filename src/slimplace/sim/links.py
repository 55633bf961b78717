"""Links that wake and sleep over the simulated day, over the plan's routes
(``docs/routing.md``, "Simulator").

When routing is a decision or links sleep (``settings.k_paths`` > 1 or
``settings.link_sleep``), each step of the simulation:

* loads every directed arc from the current support's flows over the plan's routes
  (:attr:`Plan.routes`; a flow without a route takes its shortest path, as in
  :func:`slimplace.evaluate.evaluate`): entry e of the support sends its flow
  ``rate x share`` over its flow's paths in the routes' proportions;
* keeps on every link that carries traffic or cannot sleep
  (:func:`slimplace.problem.routing.can_sleep`), and charges the baseload of the links on
  and the sleep power of the others (:func:`slimplace.energy.accounting.link_baseload_w`),
  and the marginal energy of the chosen paths instead of the shortest ones;
* counts a wake-up for every link that was asleep the step before and carries traffic
  now. Its traffic waits for the link's ``wake_time_s`` (the longest of the woken links
  an entry crosses): the share ``min(1, wake / step)`` of that entry's requests of the
  step counts late (missing its SLO), as the engine counts requests that wait for a
  model load (:mod:`slimplace.sim.state`). The mean latency is not raised by it (a
  conservative rule for the SLO; the wake times of the curated figures are microseconds).

The network round trip a longer path adds (:func:`route_extra_latency_s`) is part of the
latency of the entries on it. The initial plan's links are on at t = 0 (deployed before
the horizon starts), as its servers are.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes
from slimplace.problem.routing import (
    can_sleep,
    flow_path_arcs,
    flow_paths,
    route_extra_latency_s,
    routing_active,
)


class LinkSleep:
    """Links on and asleep over the simulation, and their power (module docstring)."""

    def __init__(self, problem: CompiledProblem) -> None:
        p = problem
        self.problem = p
        self.sleepable = can_sleep(p)
        asleep_w = accounting.link_fixed_w(p)
        on_w = p.link_baseload_w if p.power_model else np.zeros(len(p.link_a))
        self._asleep_total_w = float(asleep_w.sum())
        self._on_extra_w = np.where(self.sleepable, on_w - asleep_w, 0.0)
        self._always_w = 0.0  # a link that cannot sleep has its baseload in link_fixed_w
        self.routes: FlowRoutes | None = None
        #: the support version (``SimState``) the entry arrays were built for
        self.version = -1
        self._arc_entry = sparse.csr_array((2 * len(p.link_a), 0))
        self._entry_link = sparse.csr_array((0, len(p.link_a)))
        self._delta_j = np.zeros(0)
        self.extra_latency_s = np.zeros(0)
        self.on: BoolArray | None = None
        #: running totals: wake-ups, links falling asleep, link-steps on and asleep
        self.wake_ups = 0
        self.sleeps = 0
        self.on_steps = 0.0
        self.asleep_steps = 0.0
        self.steps = 0
        self.baseload_j = 0.0

    @staticmethod
    def for_problem(problem: CompiledProblem) -> LinkSleep | None:
        """The link state of ``problem``, None when routes are fixed and every link is on."""
        return LinkSleep(problem) if routing_active(problem) and len(problem.link_a) else None

    def set_routes(self, routes: FlowRoutes | None) -> None:
        """The routes of the plan just deployed (None: every flow on its shortest path)."""
        self.routes = routes
        self.version = -1

    def rebuild(self, demand: IntArray, node: IntArray) -> bool:
        """Arcs, links and marginal energy of every support entry (``demand`` served at
        ``node``) over the routes; whether any entry's latency changed."""
        p = self.problem
        n_e = len(demand)
        away = np.flatnonzero(node != p.demand_source[demand])
        entry, rank, frac = _entry_paths(p, self.routes, demand, node, away)
        n_l = len(p.link_a)
        per_bit = p.link_per_bit_j
        arcs_r, e_r, w_r = _arcs(p, demand[entry], node[entry], rank, entry, frac)
        self._arc_entry = sparse.csr_array((w_r, (arcs_r, e_r)), shape=(2 * n_l, n_e))
        self._entry_link = sparse.csr_array(
            (np.ones(len(e_r)), (e_r, arcs_r // 2)), shape=(n_e, n_l)
        )
        self._entry_link.sum_duplicates()
        self._entry_link.data[:] = 1.0  # each path crosses a link in both directions
        routed_j = np.bincount(e_r, weights=w_r * per_bit[arcs_r // 2], minlength=n_e)
        zero = np.zeros(len(away), dtype=np.int64)
        arcs_0, e_0, w_0 = _arcs(p, demand[away], node[away], zero, away, np.ones(len(away)))
        short_j = np.bincount(e_0, weights=w_0 * per_bit[arcs_0 // 2], minlength=n_e)
        self._delta_j = np.asarray(routed_j - short_j, dtype=np.float64)
        old = self.extra_latency_s
        self.extra_latency_s = route_extra_latency_s(p, self.routes, demand, node)
        return bool(self.extra_latency_s.any() or (len(old) and old.any()))

    def step(self, flow: FloatArray, step_s: float) -> tuple[float, IntArray, FloatArray]:
        """One step at entry flows ``flow`` (requests/s): the links' power (W: baseload of
        links on, sleep power of the others, plus the marginal power the routes add against
        shortest paths), and the entries that wait for a link to wake, with the wait (s)."""
        p = self.problem
        loads = np.asarray(self._arc_entry @ flow, dtype=np.float64)
        busy = (loads[0::2] + loads[1::2]) > accounting.IDLE_LINK_BPS
        on = np.asarray(~self.sleepable | busy, dtype=bool)
        late_e, late_s = np.zeros(0, dtype=np.int64), np.zeros(0)
        if self.on is not None:
            woken = on & ~self.on & self.sleepable
            self.wake_ups += int(woken.sum())
            self.sleeps += int((self.on & ~on & self.sleepable).sum())
            if woken.any():
                wake = np.where(woken, p.link_wake_time_s, 0.0)
                per_entry = self._entry_link.multiply(wake[None, :]).tocsr().max(axis=1)
                wait = np.asarray(per_entry.toarray(), dtype=np.float64).ravel()
                late_e = np.flatnonzero(wait > 0).astype(np.int64)
                late_s = wait[late_e]
        self.on = on
        sleepable_on = on & self.sleepable
        power = self._asleep_total_w + self._always_w + float(self._on_extra_w[sleepable_on].sum())
        self.steps += 1
        self.on_steps += float(on.sum())
        self.asleep_steps += float((~on).sum())
        self.baseload_j += power * step_s
        power += float(self._delta_j @ flow)
        return power, late_e, late_s

    def link_power_w(self) -> FloatArray:
        """Baseload of every link this step: its baseload while on, sleep power asleep."""
        p = self.problem
        on = self.on if self.on is not None else np.ones(len(p.link_a), dtype=bool)
        return accounting.link_fixed_w(p) + np.where(on, self._on_extra_w, 0.0)

    def report(self) -> dict[str, float]:
        """Totals of the run: link wake-ups and sleeps, mean links on and asleep, the
        links' baseload and sleep energy (J)."""
        n = max(self.steps, 1)
        return {
            "link_wake_ups": float(self.wake_ups),
            "link_sleeps": float(self.sleeps),
            "mean_links_on": self.on_steps / n,
            "mean_links_asleep": self.asleep_steps / n,
            "link_baseload_energy_j": self.baseload_j,
        }


def _entry_paths(
    p: CompiledProblem,
    routes: FlowRoutes | None,
    demand: IntArray,
    node: IntArray,
    away: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """(entry, path rank, fraction of the entry's flow) for the offloaded entries
    ``away``: their flow's routes in proportion, rank 0 where the routes have none."""
    n = p.n_nodes
    if routes is None or len(routes.demand) == 0 or len(away) == 0:
        return away, np.zeros(len(away), dtype=np.int64), np.ones(len(away))
    rkey = routes.demand * n + routes.node
    order = np.argsort(rkey, kind="stable")
    rkey, rank_s, share_s = rkey[order], routes.rank[order], routes.share[order]
    uniq, inv = np.unique(rkey, return_inverse=True)
    total = np.bincount(inv, weights=share_s, minlength=len(uniq))
    ekey = demand[away] * n + node[away]
    lo = np.searchsorted(rkey, ekey, "left")
    hi = np.searchsorted(rkey, ekey, "right")
    count = np.maximum(hi - lo, 1)
    entry = np.repeat(away, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    has = np.repeat(hi > lo, count)
    pos = np.minimum(np.repeat(lo, count) + offset, len(rkey) - 1)
    rank = np.where(has, rank_s[pos], 0).astype(np.int64)
    tot = total[inv[pos]]
    frac = np.where(has, share_s[pos] / np.where(tot > 0, tot, 1.0), 1.0)
    return entry.astype(np.int64), rank, np.asarray(frac, dtype=np.float64)


def _arcs(
    p: CompiledProblem,
    demand: IntArray,
    node: IntArray,
    rank: IntArray,
    entry: IntArray,
    frac: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """(arc, entry, bits per request on the arc x fraction) of paths ``rank`` of flows
    (``demand``, ``node``) (a rank the flow lacks is skipped: the evaluator flags it)."""
    fp = flow_paths(p, demand, node, slack_s=np.full(len(demand), np.inf))
    pick = np.flatnonzero(fp.rank == rank[fp.flow])
    row, arc, bits = flow_path_arcs(p, fp, pick)
    who = fp.flow[row]
    return arc, entry[who], bits * frac[who]
