"""The simulation state: the only mutable object of a simulation.

The current plan is held as its *support*: one entry per (demand, candidate)
with a positive share, so per-step work is proportional to the traffic actually
placed (about one entry per demand), not to the number of candidates. Each
entry caches what the step needs about its candidate (one fancy index into
:class:`~slimplace.sim.model.StepModel`), and node loads are updated from the
changed entries only while rates stay the same.

Per step (:meth:`SimState.measure`) the quantities are those of
:func:`slimplace.evaluate.evaluate`, by the same formulas on the same arrays:
busy server-seconds per node, utilisation over the servers available, static
power of servers on (idle) and off (sleep), dynamic power ``PUE (P_peak -
P_idle) min(busy, on)`` or the measured power curve, network energy per request,
M/G/1 latency at the node's utilisation, the share of requests served under
overload (``1 / max(util, 1)``) and the SLO test ``latency <= SLO``. The test
``tests/test_sim_engine.py`` checks them against the evaluator to 1e-9.

Transitions (:meth:`SimState.advance_servers`, :meth:`SimState.reroute`,
:meth:`SimState.set_plan`):

- a server switched on is unavailable for its ``wake_time_s`` and costs
  ``wake_energy_j`` (x PUE) once; while waking it draws no idle power (the wake
  energy stands for it). Servers switched on while others of the node are still
  waking become ready with them at the later time (conservative).
- a request whose candidate changes variant within a loaded weight-sharing model
  waits ``switch_time_s``; one that needs a model not loaded on its node waits
  the model's ``load_time_s``, and the weights cost their size x the per-bit energy
  of the path from the nearest cloud node. The share of the step's requests of that
  entry that arrive during the wait, ``min(1, wait / step)``, is counted late.
  A model stays loaded while some entry uses it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.plan import Plan
from slimplace.problem.modes import mode_power_w
from slimplace.sim.batch_step import batch_step, batch_table, mode_switch
from slimplace.sim.links import LinkSleep
from slimplace.sim.model import (
    F_ACC,
    F_BUDGET,
    F_COMPUTE,
    F_FIXED,
    F_NEG,
    F_NET_E,
    F_NET_LAT,
    F_RADIO,
    F_SERVICE,
    F_SLO,
    F_SLO_TOL,
    F_SVC_K,
    I_DEMAND,
    I_KEY,
    I_MIX,
    I_NODE,
    I_SRC_REGION,
    I_VARIANT,
    MIX_BINS,
    StepModel,
)
from slimplace.sim.records import COL, COLUMNS

#: Shares below this are not part of a plan's support.
SHARE_EPS = 1e-12
#: Latency histogram: 32 bins per decade from 0.1 ms to 10,000 s, plus under- and overflow.
HIST_PER_DECADE = 32
HIST_LOW_LOG10 = -4.0
HIST_BINS = 8 * HIST_PER_DECADE + 2
#: Steps between full recomputations of node loads kept incrementally.
REFRESH_STEPS = 4096
J_PER_KWH = 3.6e6
#: Columns of the support block after the candidates' constants (``cand_f``): this step's
#: latency, SLO met (0/1), late share of a transition and probability of missing the SLO;
#: one product with the flows sums them all.
N_F = F_RADIO + 1
N_STEP_COLS = 4
C_LAT, C_MET, C_LATE, C_PLATE = range(N_F, N_F + N_STEP_COLS)
#: Tail exponents below this are raised to it: ``exp(-700)`` is 1e-304, nothing next to
#: the request counts it is added to, and numpy's vectorized ``exp`` takes a slow path for
#: results near underflow (about 10x slower from -708 down).
EXP_FLOOR = -700.0


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


class SimState:
    """Plan support, loads, servers, loaded models, transition counters and totals."""

    def __init__(self, model: StepModel, step_s: float) -> None:
        m = model
        p = m.problem
        self.model = m
        # static (idle) and dynamic power per node: the model's, or the plan's power modes
        self._static_on_w, self._dyn_w = m.node_static_on_w, m.node_dyn_w
        self.step_s = float(step_s)
        self.step = 0
        self.time_s = 0.0
        self.memory: Any = None
        n = m.n_nodes
        always = ~m.node_switchable
        self.target = np.where(always, m.node_count, 0.0)
        self.ready = self.target.copy()
        self.waking = np.zeros(n)
        self.ready_at = np.zeros(n)
        self.cap = self.ready.copy()
        self.powered = self.ready.copy()
        self.busy = np.zeros(n)
        # phase powers of generation candidates (slimplace.llm.power): busy power scaled
        self._power_factor = p.cand_power_factor if (p.cand_power_factor != 1.0).any() else None
        self.rate = p.demand_rate_per_s.copy()
        self.offered = float(self.rate.sum())
        # device radio energy per offloaded request of every demand, at the current rates
        self._radio_j = p.demand_radio_j(self.rate) if m.any_radio else np.zeros(0)
        self._fixed_radio_w = self._unavoidable_radio_w()
        # network carbon under the power model with several regions: per-link carbon per bit
        # over the routes, for the node intensities it was computed with
        self._net_g_key: FloatArray | None = None
        self._net_g_values = np.zeros(0)
        self._net_g_table = np.zeros((0, 0))
        self._baseload_g = 0.0
        self._into: IntArray | None = None
        # per support entry: marginal network carbon per request and the source's g/J, for
        # the support version and intensities they were computed with
        self._support_version = 0
        self._net_g_count = 0
        self._entry_g_key: tuple[int, int] = (-1, -1)
        self._entry_net_g = np.zeros(0)
        self._entry_g_src = np.zeros(0)
        self.refcount = np.zeros(m.n_nodes * m.n_models, dtype=np.int64)
        self.one_per_demand = False
        self._servers_dirty = True
        self._since_refresh = 0
        self._alloc(0)
        # batched candidates and node power modes (slimplace.sim.batch_step)
        self._batches = batch_table(p)
        self._modes: IntArray | None = None
        self.mode_switches = 0
        self.mode_j = 0.0
        self._mode_nodes = np.zeros(0, dtype=np.int64)
        self._mode_node_j = np.zeros(0)
        self._unfilled_flow = 0.0
        # per-step transition counters
        self.wake_ups = 0
        self.wake_j = 0.0
        self.wake_g = 0.0
        self.loads = 0
        self.load_j = 0.0
        self.load_g = 0.0
        self.switches = 0
        self.moves = 0
        self.replanned = 0
        self._late: list[tuple[IntArray, FloatArray]] = []
        self._load_nodes: list[IntArray] = []
        self._load_node_j: list[FloatArray] = []
        # cached power pieces
        self._static = np.zeros(n)
        self._static_tier = np.zeros(4)
        self._static_w = 0.0
        self._zero_cap = np.zeros(0, dtype=np.int64)
        self._cap_safe = np.ones(n)
        self._util = np.zeros(n)
        self._dyn = np.zeros(n)
        # static power x intensity, for the node intensities it was computed with
        self._g_node: FloatArray | None = None
        self._static_g = 0.0
        # rows 0-3: one-hot node tier; row 4: the node intensities last seen (g_node): one
        # product with the dynamic power gives it per tier and its carbon
        self._node_mat = np.zeros((5, n))
        self._node_mat[:4] = m.node_tier[None, :] == np.arange(4)[:, None]
        # every source in one region: network carbon is network power x that intensity
        self._one_region = len(p.region_carbon_g_per_kwh) == 1
        # links on and asleep over the plan's routes (routing as a decision, sim/links.py)
        self.links = LinkSleep.for_problem(p)
        self._link_w = 0.0
        self._g_link = np.zeros(0)
        self.last_util = np.zeros(n)
        self.last_latency = np.zeros(0)
        self._servers_on = 0.0
        self._servers_ready = 0.0
        self.totals = Totals()
        self.view_busy = _readonly(self.busy)
        self.view_cap = _readonly(self.cap)
        self.view_target = _readonly(self.target)

    # ------------------------------------------------------------------ plan support
    def _alloc(self, n_entries: int) -> None:
        self._support_version = getattr(self, "_support_version", 0) + 1
        n = n_entries
        nf = self.model.cand_f.shape[1]
        self.e_cand = np.zeros(n, dtype=np.int64)
        self.e_share = np.zeros(n)
        # one Fortran-ordered block: the candidates' constants (cand_f's columns), then the
        # per-step columns, so that one matrix-vector product gives every weighted sum
        if nf != N_F:
            raise ValueError(f"the step model has {nf} float columns, the state expects {N_F}")
        self._eg = np.zeros((n, N_F + N_STEP_COLS), order="F")
        self.ef = self._eg[:, :N_F]
        self.ei = np.zeros((n, self.model.cand_i.shape[1]), dtype=np.int64, order="F")
        self.e_flow = np.zeros(n)
        self.e_load = np.zeros(n)
        self.e_late = self._eg[:, C_LATE]
        ef, ei = self.ef, self.ei
        self.e_svc, self.e_comp, self.e_netlat = (
            ef[:, F_SERVICE],
            ef[:, F_COMPUTE],
            ef[:, F_NET_LAT],
        )
        self.e_nete, self.e_acc, self.e_slo = ef[:, F_NET_E], ef[:, F_ACC], ef[:, F_SLO]
        self.e_budget, self.e_fixed, self.e_slotol = (
            ef[:, F_BUDGET],
            ef[:, F_FIXED],
            ef[:, F_SLO_TOL],
        )
        self.e_svck, self.e_neg, self.e_offload = ef[:, F_SVC_K], ef[:, F_NEG], ef[:, F_RADIO]
        self.e_node, self.e_key, self.e_variant = ei[:, I_NODE], ei[:, I_KEY], ei[:, I_VARIANT]
        self.e_srcreg, self.e_mix, self.e_demand = (
            ei[:, I_SRC_REGION],
            ei[:, I_MIX],
            ei[:, I_DEMAND],
        )
        # per-step scratch over the support
        self._rho = np.zeros(n)
        self._wait = np.zeros(n)
        self._tmp = np.zeros(n)
        self._hpos = np.zeros(n)
        self.view_cand = _readonly(self.e_cand)
        self.view_share = _readonly(self.e_share)
        self.view_demand = _readonly(self.e_demand)

    @property
    def n_entries(self) -> int:
        """Entries in the plan's support."""
        return len(self.e_cand)

    def plan_x(self) -> FloatArray:
        """The current plan as shares over all candidates (an O(C) array)."""
        x = np.zeros(self.model.problem.n_candidates)
        np.add.at(x, self.e_cand, self.e_share)
        return x

    def set_plan(self, plan: Plan) -> None:
        """Replace the whole plan (support rebuilt, transitions from the model sets)."""
        m = self.model
        support = np.nonzero(plan.x > SHARE_EPS)[0]
        old_key, old_demand, old_var = (
            self.e_key.copy(),
            self.e_demand.copy(),
            self.e_variant.copy(),
        )
        self._alloc(len(support))
        self.e_cand[:] = support
        self.e_share[:] = plan.x[support]
        self.ef[:] = m.cand_f.take(support, axis=0)
        self.ei[:] = m.cand_i.take(support, axis=0)
        d = self.e_demand
        self.one_per_demand = len(d) == m.problem.n_demands and bool((d == np.arange(len(d))).all())
        self._plan_transitions(old_key, old_demand, old_var)
        self.refcount = np.bincount(self.e_key, minlength=len(self.refcount)).astype(np.int64)
        self.refresh_loads()
        if len(m.problem.mode_node):  # nodes draw their power in the plan's modes
            self._static_on_w, self._dyn_w = mode_power_w(m.problem, plan.x)
            self._servers_dirty = True  # static power is recomputed in the new modes
            self._switch_modes(plan.x)
        self.set_servers(plan.servers_on)
        if self.links is not None:
            self.links.set_routes(plan.routes)
        self.replanned = 1

    def _switch_modes(self, x: FloatArray) -> None:
        """Charge the power-mode switches of a new plan (:func:`mode_switch`)."""
        self._modes, nodes, energy_j, time_s = mode_switch(self.model.problem, self._modes, x)
        if len(nodes):
            self.mode_switches += len(nodes)
            self.mode_j += float(energy_j.sum())
            self._mode_nodes, self._mode_node_j = nodes, energy_j
            at = np.flatnonzero(np.isin(self.e_node, nodes))
            wait = time_s[np.searchsorted(nodes, self.e_node[at])]
            self._add_late(at, wait)

    def _run_batches(self) -> None:
        """Batched entries at the batch their stream fills this step (:func:`batch_step`):
        service, compute, fill wait, queueing unit and busy time."""
        assert self._batches is not None
        b = batch_step(self._batches, self.e_cand, self.e_node, self.e_variant, self.e_flow)
        at = b.at
        self._unfilled_flow = float(self.e_flow[at] @ b.unfilled)
        if len(at) == 0:
            return
        ef = self.ef
        ef[at, F_SERVICE] = b.service_s
        ef[at, F_COMPUTE] = b.compute_s
        fixed = ef[at, F_NET_LAT] + b.compute_s + b.fill_s
        ef[at, F_FIXED] = fixed
        unit = np.where(b.compute_s > b.service_s, b.compute_s, b.service_s)
        ef[at, F_SVC_K] = unit * (1.0 + self.model.service_cv2) / 2.0
        # a negative budget (SLO missed before queueing) is taken as 0: P(late) = rho
        ef[at, F_BUDGET] = np.clip(ef[at, F_SLO] - fixed, 0.0, 1e12)
        load = self.e_flow[at] * b.service_s
        np.add.at(self.busy, self.e_node[at], load - self.e_load[at])
        self.e_load[at] = load

    def _plan_transitions(self, old_key: IntArray, old_demand: IntArray, old_var: IntArray) -> None:
        if len(old_key) == 0:  # the initial plan is deployed before the horizon starts
            return
        m = self.model
        new_keys = np.unique(self.e_key)
        loaded = np.setdiff1d(new_keys, np.unique(old_key), assume_unique=True)
        self._charge_loads(loaded, np.isin(self.e_key, loaded))
        span = m.n_nodes * m.n_models
        old_t = old_demand * span + old_key
        new_t = self.e_demand * span + self.e_key
        _, io, inew = np.intersect1d(old_t, new_t, return_indices=True)
        switched = old_var[io] != self.e_variant[inew]
        self.switches += int(switched.sum())
        self._add_late(inew[switched], m.variant_switch_time_s[self.e_variant[inew[switched]]])
        self.moves += len(np.setdiff1d(new_t, old_t))

    def reroute(
        self, entries: IntArray, candidates: IntArray, *, charge_loads: bool = True
    ) -> None:
        """Send entries to other candidates of their demand, keeping their shares.

        ``charge_loads=False``: models new to a node are not charged a fetch from the cloud
        (the caller charges the transfer itself, :meth:`charge_transfer`)."""
        m = self.model
        if len(entries) == 0:
            return
        self._support_version += 1
        new_i = m.cand_i.take(candidates, axis=0)
        new_f = m.cand_f.take(candidates, axis=0)
        k_old = self.e_key[entries]
        k_new = new_i[:, I_KEY]
        same = k_old == k_new
        n_moved = len(entries) - int(np.count_nonzero(same))
        var_change = same & (self.e_variant[entries] != new_i[:, I_VARIANT])
        n_var = int(np.count_nonzero(var_change))
        if n_var:
            self.switches += n_var
            if m.any_switch_time:
                self._add_late(
                    entries[var_change], m.variant_switch_time_s[new_i[var_change, I_VARIANT]]
                )
        if n_moved:
            self.moves += n_moved
            # an entry that keeps its key holds a reference to it: only moved entries are fresh
            fresh = self.refcount[k_new] == 0
            np.subtract.at(self.refcount, k_old, 1)  # entries that keep their key cancel out
            np.add.at(self.refcount, k_new, 1)
            if charge_loads and np.count_nonzero(fresh):
                kn = k_new[fresh]
                self._charge_loads(np.unique(kn), None)
                self._add_late(entries[fresh], m.model_load_time_s[kn % m.n_models])
        old_load = self.e_load[entries]
        old_node = self.e_node[entries]
        self.e_cand[entries] = candidates
        self.ef[entries] = new_f
        self.ei[entries] = new_i
        new_load = self.e_flow[entries]
        new_load *= new_f[:, F_SERVICE]
        self.e_load[entries] = new_load
        np.subtract.at(self.busy, old_node, old_load)
        np.add.at(self.busy, new_i[:, I_NODE], new_load)

    def _charge_loads(self, keys: IntArray, late_mask: npt.NDArray[np.bool_] | None) -> None:
        m = self.model
        if len(keys) == 0:
            return
        node, model = keys // m.n_models, keys % m.n_models
        self.loads += len(keys)
        j = m.model_memory_bytes[model] * m.node_fetch_j_per_byte[node]
        self.load_j += float(j.sum())
        self._load_nodes.append(node)
        self._load_node_j.append(j)
        if late_mask is not None and late_mask.any():
            e = np.nonzero(late_mask)[0]
            self._add_late(e, m.model_load_time_s[self.e_key[e] % m.n_models])

    def charge_transfer(
        self, entries: IntArray, nodes: IntArray, energy_j: FloatArray, wait_s: FloatArray
    ) -> None:
        """A transfer the state does not model itself (a service migration's weights and
        state, :mod:`slimplace.sim.mobility`): ``energy_j`` counted with this step's model
        loads (at ``nodes``' grid), the requests of ``entries`` late for ``wait_s``."""
        if len(entries) == 0:
            return
        j = np.asarray(energy_j, dtype=np.float64)
        self.load_j += float(j.sum())
        self._load_nodes.append(np.asarray(nodes, dtype=np.int64))
        self._load_node_j.append(j)
        self._add_late(entries, np.asarray(wait_s, dtype=np.float64))

    def _add_late(self, entries: IntArray, wait_s: FloatArray) -> None:
        if len(entries) and np.any(wait_s > 0):
            frac = np.minimum(1.0, np.asarray(wait_s) / self.step_s)
            self.e_late[entries] = np.maximum(self.e_late[entries], frac)
            self._late.append((entries, frac))

    # ------------------------------------------------------------------ rates and loads
    def set_rates(self, rate: FloatArray, changed: bool) -> None:
        """This step's request rates; loads are recomputed when they changed."""
        self.rate = rate
        self._since_refresh += 1
        if changed:
            self.offered = float(rate.sum())
            if self.model.any_radio:
                self._radio_j = self.model.problem.demand_radio_j(rate)
                self._fixed_radio_w = self._unavoidable_radio_w()
        if changed or self._since_refresh >= REFRESH_STEPS:
            self.refresh_loads()

    def _unavoidable_radio_w(self) -> float:
        """Device radio power no plan avoids at the current rates (part of ``fixed_w``)."""
        m = self.model
        if not m.any_radio or not m.radio_floor_j.any():
            return 0.0
        per_request = accounting.unavoidable_radio_at(
            m.problem, self.rate, floor_j=m.radio_floor_j, radio_j=self._radio_j
        )
        return float(self.rate @ per_request)

    def refresh_loads(self) -> None:
        """Recompute flows, loads and node busy time from scratch."""
        np.multiply(self.rate[self.e_demand], self.e_share, out=self.e_flow)
        np.multiply(self.e_flow, self.e_svc, out=self.e_load)
        self.busy[:] = np.bincount(self.e_node, weights=self.e_load, minlength=self.model.n_nodes)
        self._since_refresh = 0

    # ------------------------------------------------------------------ servers
    def set_servers(self, servers_on: IntArray | FloatArray) -> None:
        """Target number of servers on per node (always-on nodes keep all; clipped to count)."""
        m = self.model
        target = np.clip(np.asarray(servers_on, dtype=np.float64), 0.0, m.node_count)
        target = np.where(m.node_switchable, target, m.node_count)
        if not np.array_equal(target, self.target):
            self.target[:] = target
            self._servers_dirty = True

    def start_servers(self) -> None:
        """Make the initial plan's servers ready at t = 0 (deployed before the horizon)."""
        self.ready[:] = self.target
        self.waking[:] = 0.0
        self._servers_dirty = True

    def advance_servers(self, carbon_g_per_j_node: FloatArray) -> None:
        """Apply the target: wake or put to sleep; set the capacity available this step."""
        if not self._servers_dirty:
            return
        m = self.model
        t0, step = self.time_s, self.step_s
        powered = self.ready + self.waking
        delta = self.target - powered
        up = np.maximum(delta, 0.0)
        if up.any():
            nodes = np.nonzero(up)[0]
            j = up[nodes] * m.node_wake_energy_j[nodes]
            self.wake_ups += int(up.sum())
            self.wake_j += float(j.sum())
            self.wake_g += float(j @ carbon_g_per_j_node[nodes])
            self.waking[nodes] += up[nodes]
            self.ready_at[nodes] = t0 + m.node_wake_time_s[nodes]
        down = np.maximum(-delta, 0.0)
        if down.any():
            cut = np.minimum(down, self.waking)
            self.waking -= cut
            self.ready -= down - cut
        self.powered = self.ready + self.waking
        waking = self.waking > 0
        if waking.any():
            frac = np.clip((t0 + step - self.ready_at) / step, 0.0, 1.0)
            self.cap[:] = self.ready + np.where(waking, self.waking * frac, 0.0)
        else:
            self.cap[:] = self.ready
        self._static = self._static_on_w * self.cap + m.node_sleep_w * (m.node_count - self.powered)
        self._g_node = None  # static power changed: its carbon is recomputed
        self._static_tier = np.bincount(m.node_tier, weights=self._static, minlength=4).astype(
            np.float64
        )
        self._static_w = float(self._static.sum())
        self._zero_cap = np.flatnonzero(self.cap <= 0)
        self._cap_safe = np.where(self.cap > 0, self.cap, 1.0)
        sw = m.node_switchable
        self._servers_on = float(self.powered[sw].sum())
        self._servers_ready = float(self.cap[sw].sum())
        self._servers_dirty = bool(waking.any())

    def finish_wakes(self) -> None:
        """Servers whose wake-up ends within this step are ready from the next one."""
        if np.count_nonzero(self.waking):
            done = (self.waking > 0) & (self.ready_at <= self.time_s + self.step_s)
            if done.any():
                self.ready[done] += self.waking[done]
                self.waking[done] = 0.0
                self._servers_dirty = True

    # ------------------------------------------------------------------ one step
    def measure(
        self,
        row: FloatArray,
        carbon_g_per_kwh: FloatArray,
        g_node: FloatArray,
        decide_s: float = 0.0,
    ) -> None:
        """Evaluate this step into ``row`` (see :data:`slimplace.sim.records.COLUMNS`) and
        add it to the totals; ``g_node`` is each node's intensity in gCO2e/J.

        Call with floating-point warnings off (``np.errstate(all="ignore")``): infinities
        (overloaded nodes) are part of the model. The formulas are those of
        :func:`slimplace.evaluate.evaluate`, inlined: the M/G/1 wait of
        :func:`slimplace.problem.latency.mg1_response_time_s`, the power of
        :mod:`slimplace.problem.energy`. The work is a fixed number of numpy operations
        into preallocated arrays; the flow-weighted sums over the support come from one
        matrix-vector product with the support block (:data:`C_LAT` ...)."""
        m = self.model
        step = self.step_s
        if self._batches is not None:
            self._run_batches()
        if self.links is not None:  # before the late marks are read
            self._step_links()
        cap, busy = self.cap, self.busy
        # ---- nodes: utilisation and dynamic power
        util = np.divide(busy, self._cap_safe, out=self._util)
        z = self._zero_cap
        if len(z):
            util[z] = np.where(busy[z] > 0, np.inf, 0.0)
        dyn = np.minimum(busy, cap, out=self._dyn)
        dyn *= self._dyn_w
        if self._power_factor is not None:  # as the evaluator's _busy_power_scale
            pf = self._power_factor.take(self.e_cand)
            weighted = np.bincount(self.e_node, weights=self.e_load * pf, minlength=len(busy))
            dyn *= np.where(busy > 0, weighted / np.where(busy > 0, busy, 1.0), 1.0)
        for nodes, u, pw in m.curve_groups:
            per = np.interp(np.clip(util[nodes], 0.0, 1.0), u, pw)
            dyn[nodes] = m.node_pue[nodes] * cap[nodes] * (per - m.node_idle_w[nodes])
        util_max = float(np.maximum.reduce(util)) if len(util) else 0.0
        overload = util_max >= 1.0
        # ---- support: M/G/1 wait at the node's utilisation, W = rho s (1 + cv2) / (2 (1 - rho))
        eg = self._eg
        rho = util.take(self.e_node, out=self._rho, mode="clip")  # indices are valid nodes
        wait, tmp = self._wait, self._tmp
        np.multiply(rho, self.e_svck, out=wait)
        np.subtract(1.0, rho, out=tmp)
        np.divide(wait, tmp, out=wait)
        above: npt.NDArray[np.bool_] | None = None
        if overload:
            above = ~(rho < 1.0)
            np.copyto(wait, np.inf, where=above)
            if m.any_zero_service:
                np.copyto(wait, 0.0, where=~(self.e_svc > 0))
        lat = np.add(self.e_fixed, wait, out=eg[:, C_LAT])
        if m.slo_quantile is None:  # the SLO bounds the mean, as the planner checks it
            np.less_equal(lat, self.e_slotol, out=eg[:, C_MET])
        else:  # ... or the quantile (mg1_response_time_s)
            q_lat = self.e_fixed + wait / rho * np.maximum(np.log(rho / (1 - m.slo_quantile)), 0)
            np.less_equal(np.where(rho > 0, q_lat, self.e_fixed), self.e_slotol, out=eg[:, C_MET])
        # per-request SLO: P(W > budget) ~= rho exp(-rho budget / E[W]) (see late_probability)
        np.maximum(wait, 1e-200, out=tmp)
        np.divide(self.e_budget, tmp, out=tmp)
        tmp *= rho
        np.negative(tmp, out=tmp)
        np.maximum(tmp, EXP_FLOOR, out=tmp)
        p_late = np.exp(tmp, out=eg[:, C_PLATE])
        p_late *= rho  # <= rho
        if above is not None:
            np.copyto(p_late, 1.0, where=above)
        if m.any_negative_budget:  # a negative budget makes the exponent positive: cap at 1
            np.minimum(p_late, 1.0, out=p_late)
            np.maximum(p_late, self.e_neg, out=p_late)
        if self._late:  # requests delayed by a model switch or load are late too
            np.subtract(1.0, p_late, out=tmp)
            tmp *= 1.0 - self.e_late
            np.subtract(1.0, tmp, out=p_late)
        flow = self.e_flow
        # ---- flow-weighted sums: accuracy, network energy, latency, SLO, late
        sums = (flow @ eg).tolist()
        total_flow = float(np.add.reduce(flow))  # summed as the offered rates: equal if all placed
        acc_sum = sums[F_ACC]
        net_w = sums[F_NET_E]
        if above is None:
            fs = flow
            served_flow = fin_flow = total_flow
            lat_sum, met_sum = sums[C_LAT], sums[C_MET]
            late_sum, plate_sum = sums[C_LATE], sums[C_PLATE]
        else:  # the share served: 1 / max(util, 1); infinite latencies left out of the mean
            fs = flow / np.maximum(rho, 1.0)
            finite = lat < np.inf
            served_flow = float(fs.sum())
            fin_flow = float(fs @ finite)
            lat_sum = float(fs @ np.where(finite, lat, 0.0))
            met_sum = float(fs @ eg[:, C_MET])
            late_sum = float(fs @ self.e_late)
            plate_sum = float(fs @ p_late)
        # subsets of the served flow, summed in another order: bounded by it despite rounding
        met_sum = min(met_sum, served_flow)
        plate_sum = min(plate_sum, served_flow)
        hist = latency_histogram(lat, fs, self._hpos)
        # ---- power and carbon
        static_w = self._static_w
        if g_node is not self._g_node:
            self._g_node = g_node
            self._node_mat[4] = g_node
            self._static_g = float(self._static @ g_node)
        *dyn_tier, dyn_g = (self._node_mat @ dyn).tolist()
        dyn_w = dyn_tier[0] + dyn_tier[1] + dyn_tier[2] + dyn_tier[3]
        radio_w, radio_j = 0.0, None
        if m.any_radio:
            radio_j = self.e_offload * self._radio_j.take(self.e_demand)
            radio_w = float(flow @ radio_j)
        if self.links is not None:
            base_w = self._link_w
        else:
            base_w = float(m.link_baseload_w.sum()) if len(m.link_baseload_w) else 0.0
        net_w += radio_w + base_w
        power = static_w + dyn_w + net_w
        p = m.problem
        if not p.power_model:
            if self._one_region:
                net_g = net_w * float(carbon_g_per_kwh[0])
            else:
                net_g = float((flow * self.e_nete) @ carbon_g_per_kwh[self.e_srcreg])
            net_g /= J_PER_KWH
        elif self._one_region:
            net_g = net_w * float(carbon_g_per_kwh[0]) / J_PER_KWH
        else:
            net_g = self._power_model_net_g(flow, radio_j, carbon_g_per_kwh, g_node)
        carbon_g = (self._static_g + dyn_g + net_g) * step
        carbon_g += self.wake_g + self._load_carbon(g_node)
        if self.mode_j:
            carbon_g += float(self._mode_node_j @ g_node[self._mode_nodes])
        mix = np.bincount(self.e_mix, weights=flow, minlength=MIX_BINS).tolist()
        st = self._static_tier
        energy = power * step + self.wake_j + self.load_j + self.mode_j
        offered = self.offered  # demands a plan leaves unplaced count as dropped
        inv = 1.0 / total_flow if total_flow > 0 else 0.0
        row[:] = (
            self.step,
            self.time_s,
            power,
            static_w,
            dyn_w,
            net_w,
            st[0],
            dyn_tier[0],
            st[1],
            dyn_tier[1],
            st[2],
            dyn_tier[2],
            st[3],
            dyn_tier[3],
            self.wake_j,
            self.load_j,
            energy,
            carbon_g,
            carbon_g / energy * J_PER_KWH if energy > 0 else 0.0,
            offered * step,
            served_flow * step,
            met_sum * step,
            (served_flow - plate_sum) * step,
            max(offered - served_flow, 0.0) * step,
            late_sum * step if self._late else 0.0,
            lat_sum / fin_flow if fin_flow > 0 else math.nan,
            histogram_quantile(hist, 0.95),
            acc_sum * inv,
            util_max,
            self._servers_on,
            self._servers_ready,
            self.wake_ups,
            self.loads,
            self.switches,
            self.moves,
            self.replanned,
            decide_s,
            mix[0] * inv,
            mix[1] * inv,
            mix[2] * inv,
            mix[3] * inv,
            m.fixed_w + self._fixed_radio_w,
            self.mode_switches,
            self.mode_j,
            self._unfilled_flow * step,
        )
        self.totals.add(
            row, hist, lat_sum * step, fin_flow * step, acc_sum * step, total_flow * step
        )
        self.last_util = util
        self.last_latency = lat

    def _step_links(self) -> None:
        """Links on and asleep this step over the plan's routes; the latency the routes
        add to the entries on longer paths; entries late for a waking link
        (:mod:`slimplace.sim.links`)."""
        links = self.links
        if links is None:
            return
        if links.version != self._support_version:
            links.version = self._support_version
            if links.rebuild(self.e_demand, self.e_node):
                cf = self.model.cand_f.take(self.e_cand, axis=0)
                extra = links.extra_latency_s
                self.ef[:, F_FIXED] = cf[:, F_FIXED] + extra
                self.ef[:, F_NET_LAT] = cf[:, F_NET_LAT] + extra
                self.ef[:, F_BUDGET] = cf[:, F_BUDGET] - extra
        self._link_w, late_e, late_s = links.step(self.e_flow, self.step_s)
        self._add_late(late_e, late_s)

    def _power_model_net_g(
        self,
        flow: FloatArray,
        radio_j: FloatArray | None,
        carbon_g_per_kwh: FloatArray,
        g_node: FloatArray,
    ) -> float:
        """Network carbon (gCO2e/s) under the power model with several regions: each link's
        marginal energy and baseload at its equipment's grid, radios at the source's
        (the evaluator's rule, :func:`slimplace.evaluate.evaluate`)."""
        from slimplace.energy.routesum import cand_route_sum, into_links, route_table

        p = self.model.problem
        if g_node is not self._net_g_key:
            self._net_g_key = g_node
            g_link = p.link_carbon_g_per_j(carbon_g_per_kwh)
            self._net_g_values = p.link_marginal_j_per_bit * g_link
            if self._into is None:
                self._into = into_links(p.routes)
            self._net_g_table = route_table(p.routes, self._into, self._net_g_values)
            self._baseload_g = float(self.model.link_baseload_w @ g_link)
            self._g_link = g_link
            self._net_g_count += 1
        key = (self._net_g_count, self._support_version)
        if key != self._entry_g_key:
            self._entry_g_key = key
            demand = self.e_demand
            src = p.demand_source.take(demand)
            per_bit = cand_route_sum(
                p.routes, self._net_g_table, self._net_g_values, src, self.e_node
            )
            bits = p.cand_request_bits.take(self.e_cand) + p.demand_response_bits.take(demand)
            self._entry_g_src = g_node.take(src)
            extra = p.cand_extra_j.take(self.e_cand)
            self._entry_net_g = bits * per_bit + extra * self._entry_g_src
        base_g = self._baseload_g
        if self.links is not None:  # links asleep draw their sleep power (sim/links.py)
            base_g = float(self.links.link_power_w() @ self._g_link)
        net_g = float(flow @ self._entry_net_g) + base_g
        if radio_j is not None:
            net_g += float((flow * radio_j) @ self._entry_g_src)
        return net_g

    def _load_carbon(self, g_node: FloatArray) -> float:
        if not self._load_nodes:
            return 0.0
        node, j = np.concatenate(self._load_nodes), np.concatenate(self._load_node_j)
        self.load_g = float(j @ g_node[node])
        return self.load_g

    def end_step(self) -> None:
        """Clear this step's transition counters and late marks; advance the clock."""
        for entries, _ in self._late:
            self.e_late[entries] = 0.0
        self._late.clear()
        self._load_nodes.clear()
        self._load_node_j.clear()
        self.wake_ups = self.loads = self.switches = self.moves = self.replanned = 0
        self.wake_j = self.wake_g = self.load_j = self.load_g = 0.0
        self.mode_switches, self.mode_j = 0, 0.0
        self.finish_wakes()
        self.step += 1
        self.time_s = self.step * self.step_s


def late_probability(rho: FloatArray, wait_s: FloatArray, budget_s: FloatArray) -> FloatArray:
    """Probability that a request waits longer than ``budget_s`` (its SLO less network and
    compute time) in an M/G/1 queue at utilisation ``rho`` with mean wait ``wait_s``.

    ``P(W > w) ~= rho exp(-rho w / E[W])``: the queue is non-empty with probability rho
    (PASTA) and the conditional wait is taken as exponential with mean E[W] / rho; exact for
    M/M/1 (Kleinrock, *Queueing Systems* vol. 1, 1975, eq. 3.28), the usual exponential tail
    approximation otherwise (Kingman, "On queues in heavy traffic", JRSS B 24, 1962; Tijms,
    *A First Course in Stochastic Models*, 2003, sec. 2.5). 1 when rho >= 1 or the budget is
    negative.
    """
    rho = np.asarray(rho, dtype=np.float64)
    ratio = np.minimum(budget_s, 1e12) / np.maximum(wait_s, 1e-200)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.where(rho < 1.0, np.minimum(1.0, rho * np.exp(-rho * ratio)), 1.0)
    return np.where(np.asarray(budget_s) < 0, 1.0, q)


def latency_histogram(
    latency_s: FloatArray, weight: FloatArray, work: FloatArray | None = None
) -> FloatArray:
    """Weights binned by latency: :data:`HIST_PER_DECADE` log bins from 0.1 ms, bin 0 below,
    the last bin above 10,000 s (and infinite latencies). ``work``: scratch of the same
    length (it is overwritten)."""
    pos = np.log10(latency_s, out=work)  # -inf at 0, inf at inf: both clipped into the end bins
    pos *= HIST_PER_DECADE
    pos += 1.0 - HIST_LOW_LOG10 * HIST_PER_DECADE
    np.maximum(pos, 0.0, out=pos)
    np.minimum(pos, HIST_BINS - 1.0, out=pos)
    hist = np.bincount(pos.astype(np.int64), weights=weight, minlength=HIST_BINS)
    return hist.astype(np.float64, copy=False)  # float already (weighted): no copy


def histogram_quantile(hist: FloatArray, q: float) -> float:
    """Latency quantile from a :func:`latency_histogram` (log-interpolated within the bin)."""
    cum = hist.cumsum()
    total = float(cum[-1])
    if total <= 0:
        return math.nan
    b = int(cum.searchsorted(q * total))
    if b >= HIST_BINS - 1:
        return math.inf
    lo = float(cum[b - 1]) if b > 0 else 0.0
    hb = float(hist[b])
    frac = (q * total - lo) / hb if hb > 0 else 1.0
    return float(10.0 ** (HIST_LOW_LOG10 + (b - 1 + frac) / HIST_PER_DECADE))


class Totals:
    """Sums over the steps so far (what the summary reports)."""

    def __init__(self) -> None:
        self.sums = np.zeros(len(COLUMNS))
        self.hist = np.zeros(HIST_BINS)
        self.latency_weighted = 0.0
        self.latency_weight = 0.0
        self.accuracy_weighted = 0.0
        self.placed = 0.0
        self.steps = 0
        self.max_servers_on = 0.0

    def add(
        self,
        row: FloatArray,
        hist: FloatArray,
        lat_w: float,
        lat_n: float,
        acc_w: float,
        placed: float,
    ) -> None:
        """Accumulate one step (``placed``: requests the plan places, served or not)."""
        self.placed += placed
        self.sums += row
        self.hist += hist
        self.latency_weighted += lat_w
        self.latency_weight += lat_n
        self.accuracy_weighted += acc_w
        self.steps += 1
        self.max_servers_on = max(self.max_servers_on, row[COL["servers_on"]])
