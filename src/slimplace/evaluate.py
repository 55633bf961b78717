"""Independent, vectorized evaluation of a plan: power, energy, carbon, latency,
accuracy and every violated constraint, named.

It shares no code with any optimizer beyond the compiled arrays, so it checks
them: power follows :mod:`slimplace.problem.energy`, latency
:mod:`slimplace.problem.latency` at each node's *actual* utilisation. Network
energy is recomputed from the traffic on every link (routes and link figures),
not read from the per-candidate energy the optimizers use; device radio energy
from the radio models at the evaluated rates (:mod:`slimplace.energy.radio`).
Power is split into what is drawn whatever the plan (``fixed_w``) and what the
plan controls (``plan_w``), by :mod:`slimplace.energy.accounting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.energy.routesum import cand_route_sum, into_links, route_table
from slimplace.plan import Plan
from slimplace.problem.batching import fill_wait_s, queue_unit_s, stream_rate_per_s
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.energy import server_power_w
from slimplace.problem.latency import LatencySource, mg1_response_time_s
from slimplace.problem.modes import in_modes, node_modes
from slimplace.problem.routes import Routes
from slimplace.problem.routing import (
    plan_arc_loads_bps,
    route_check,
    route_extra_latency_s,
    routing_active,
)
from slimplace.scenario.model import TIERS

TOL = 1e-6
S_PER_H = 3600.0
#: Kinds of plan-dependent power in :attr:`Evaluation.breakdown_w`.
BREAKDOWN_KINDS = (
    "servers_static",
    "compute",
    "device_radio",
    "network_baseload",
    "network_marginal",
)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken constraint: its kind, where, and by how much."""

    kind: str
    where: str
    message: str


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything a plan does, per the model. Power in W (averaged over the
    horizon), energy in J, carbon in gCO2e per hour.

    ``power_w = static_w + dynamic_w + network_w`` (servers' idle and sleep power,
    compute above idle, network: equipment baseload, marginal energy and device
    radios) ``= fixed_w + plan_w``; ``breakdown_w`` splits ``plan_w`` by kind.
    ``carbon_g_per_h`` is operational (``carbon_fixed_g_per_h +
    carbon_plan_g_per_h``); embodied carbon is apart: ``embodied_g_per_h`` (plan-
    dependent: elastic servers used) and ``embodied_fixed_g_per_h``. The carbon
    objective counts both (:attr:`carbon_total_g_per_h`). ``slo_met_fraction`` and
    ``served_fraction`` are shares of the offered requests (unplaced ones are missed).
    """

    feasible: bool
    violations: tuple[Violation, ...]
    power_w: float
    static_w: float
    dynamic_w: float
    network_w: float
    power_by_tier: dict[str, dict[str, float]]
    energy_j: float
    carbon_g_per_h: float
    fixed_w: float
    plan_w: float
    breakdown_w: dict[str, float]
    fixed_breakdown_w: dict[str, float]
    carbon_fixed_g_per_h: float
    carbon_plan_g_per_h: float
    embodied_g_per_h: float
    embodied_fixed_g_per_h: float
    servers_on: int
    slo_met_fraction: float
    served_fraction: float
    mean_accuracy: float
    app_accuracy: FloatArray
    demand_latency_s: FloatArray
    demand_accuracy: FloatArray
    node_utilisation: FloatArray
    node_power_w: FloatArray
    latency_source_share: dict[str, float]

    @property
    def carbon_total_g_per_h(self) -> float:
        """Operational and embodied carbon together (what the carbon objective counts)."""
        return self.carbon_g_per_h + self.embodied_g_per_h + self.embodied_fixed_g_per_h

    def objective(self, objective: str) -> float:
        """The value optimizers minimise: average W (energy) or gCO2e/h (carbon,
        operational + embodied)."""
        return self.power_w if objective == "energy" else self.carbon_total_g_per_h

    def plan_objective(self, objective: str) -> float:
        """The part of :meth:`objective` the plan controls (what is drawn whatever the plan
        left out): plan-dependent power (energy), or operational plus embodied carbon less
        their fixed parts (carbon). Comparisons between plans (hysteresis) use this."""
        if objective == "energy":
            return self.plan_w
        return self.carbon_plan_g_per_h + self.embodied_g_per_h


@dataclass(frozen=True, slots=True)
class _Support:
    """The candidates a plan uses (x > 0): every per-candidate check runs on these only,
    so evaluation costs O(nodes + demands + used candidates), not O(all candidates)."""

    idx: IntArray
    demand: IntArray
    node: IntArray
    x: FloatArray
    flow: FloatArray

    @classmethod
    def of(cls, p: CompiledProblem, x: FloatArray, rate: FloatArray) -> _Support:
        idx = np.flatnonzero(x)
        demand = p.cand_demand[idx]
        return cls(idx, demand, p.cand_node[idx], x[idx], rate[demand] * x[idx])


def evaluate(
    problem: CompiledProblem,
    plan: Plan,
    *,
    rate_per_s: FloatArray | None = None,
    region_g_per_kwh: FloatArray | None = None,
    horizon_s: float | None = None,
) -> Evaluation:
    """Evaluate ``plan`` on ``problem`` (optionally at other request rates or grid
    intensities, as the simulator does at each step)."""
    base = problem
    mode, mixed = node_modes(base, plan.x)
    p = in_modes(base, mode)  # each node's idle and peak power in the mode it runs
    rate = p.demand_rate_per_s if rate_per_s is None else rate_per_s
    u = _Support.of(p, plan.x, rate)
    busy = np.bincount(
        u.node, weights=u.flow * p.cand_service_s[u.idx], minlength=p.n_nodes
    ).astype(np.float64, copy=False)
    on = np.where(p.node_always_on, p.node_count, plan.servers_on).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(on > 0, busy / on, np.where(busy > 0, np.inf, 0.0))
    node_static, node_dynamic = _node_power(p, on, util, busy)
    node_dynamic *= _busy_power_scale(p, u, busy)
    g_per_j = p.node_carbon_g_per_j(region_g_per_kwh)
    loads = _plan_link_loads(p, u, plan, rate_per_s)
    net = _network(p, u, loads, rate, g_per_j, region_g_per_kwh)
    network_w = net.marginal_w + net.radio_w + net.baseload_w
    carbon_g_per_s = float(((node_static + node_dynamic) * g_per_j).sum()) + net.carbon_g_per_s
    lat = _candidate_latency(p, u.idx, util, u.flow)
    if routing_active(p):  # routes chosen by the plan (docs/routing.md)
        lat = lat + route_extra_latency_s(p, plan.routes, u.demand, u.node)
    served = np.where(util > 1.0, 1.0 / np.maximum(util, 1.0), 1.0)[u.node]
    placed_flow = float(u.flow.sum())
    total_flow = max(placed_flow, 1e-300)
    offered = max(float(np.sum(rate)), placed_flow, 1e-300)
    met = lat <= p.demand_slo_s[u.demand] * (1 + TOL)
    accuracy = p.cand_accuracy[u.idx]
    d_flow = np.bincount(u.demand, weights=u.flow, minlength=p.n_demands)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_acc = np.bincount(u.demand, weights=u.flow * accuracy, minlength=p.n_demands) / d_flow
        finite_lat = np.where(np.isfinite(lat), lat, 0.0)
        d_lat = np.bincount(u.demand, weights=u.flow * finite_lat, minlength=p.n_demands) / d_flow
    late_inf = np.bincount(u.demand, weights=u.flow * ~np.isfinite(lat), minlength=p.n_demands)
    d_lat = np.where(late_inf > 0, np.inf, d_lat)
    a_flow = np.bincount(p.demand_app, weights=d_flow, minlength=len(p.app_ids))
    with np.errstate(divide="ignore", invalid="ignore"):
        a_acc = (
            np.bincount(
                p.demand_app, weights=np.nan_to_num(d_acc * d_flow), minlength=len(p.app_ids)
            )
            / a_flow
        )
    head_busy = np.bincount(  # split heads load their source devices (slimplace.split)
        p.demand_source[u.demand],
        weights=u.flow * p.cand_head_compute_s[u.idx],
        minlength=p.n_nodes,
    )
    violations = _violations(p, plan, u, on, busy + head_busy, lat, a_acc, loads)
    violations += [
        Violation("mode", p.node_ids[v], "serves candidates in more than one power mode")
        for v in np.flatnonzero(mixed)[:20]
    ]
    static_w, dynamic_w = float(node_static.sum()), float(node_dynamic.sum())
    power_w = static_w + dynamic_w + network_w
    radio_fixed_w = accounting.unavoidable_radio_w(base, rate_per_s)
    split = _split(base, on, g_per_j, static_w, dynamic_w, net, radio_fixed_w)
    horizon = p.horizon_s if horizon_s is None else horizon_s
    source = p.cand_latency_source[u.idx]
    carbon_g_per_h = carbon_g_per_s * S_PER_H
    return Evaluation(
        feasible=not violations,
        violations=tuple(violations),
        power_w=power_w,
        static_w=static_w,
        dynamic_w=dynamic_w,
        network_w=network_w,
        power_by_tier=_by_tier(p, node_static, node_dynamic, net),
        energy_j=power_w * horizon,
        carbon_g_per_h=carbon_g_per_h,
        fixed_w=split.fixed_w,
        plan_w=power_w - split.fixed_w,
        breakdown_w=split.breakdown_w,
        fixed_breakdown_w=split.fixed_breakdown_w,
        carbon_fixed_g_per_h=split.carbon_fixed_g_per_h,
        carbon_plan_g_per_h=carbon_g_per_h - split.carbon_fixed_g_per_h,
        embodied_g_per_h=split.embodied_g_per_h,
        embodied_fixed_g_per_h=split.embodied_fixed_g_per_h,
        servers_on=int(on[(p.node_profile >= 0) & ~p.node_always_on].sum()),
        slo_met_fraction=float((u.flow * met * served).sum()) / offered,
        served_fraction=float((u.flow * served).sum()) / offered,
        mean_accuracy=float((u.flow * accuracy).sum()) / total_flow,
        app_accuracy=a_acc,
        demand_latency_s=d_lat,
        demand_accuracy=d_acc,
        node_utilisation=util,
        node_power_w=node_static + node_dynamic,
        latency_source_share={
            s.name.lower(): float(u.flow[source == s].sum()) / total_flow for s in LatencySource
        },
    )


@dataclass(frozen=True, slots=True)
class _Network:
    """Network power of a plan (W) and its operational carbon (gCO2e/s)."""

    marginal_w: float
    radio_w: float
    baseload_w: float
    carbon_g_per_s: float
    baseload_carbon_g_per_s: float
    #: carbon of the links' fixed part (:func:`slimplace.energy.accounting.link_fixed_w`)
    link_fixed_carbon_g_per_s: float = 0.0


def _plan_link_loads(
    p: CompiledProblem, u: _Support, plan: Plan, rate_per_s: FloatArray | None
) -> FloatArray:
    """Traffic on every directed link under the plan (see :func:`link_loads_bps`; when
    routing is a decision, over the plan's routes, :mod:`slimplace.problem.routing`)."""
    if routing_active(p) and len(p.link_a) and len(u.idx):
        return plan_arc_loads_bps(p, plan.x, plan.routes, rate_per_s)
    if len(p.link_a) and len(u.idx) and (u.flow > 0).any():
        return _link_loads(p, u.idx, u.flow)
    return np.zeros(2 * len(p.link_a))


def _network(
    p: CompiledProblem,
    u: _Support,
    loads: FloatArray,
    rate: FloatArray,
    g_per_j: FloatArray,
    region_g_per_kwh: FloatArray | None,
) -> _Network:
    """Network power from the traffic on every link x its energy per bit (marginal under
    the power model, average under the attributional one), the device radios at the
    evaluated rates, and the baseload of links that are on; carbon where it is drawn
    (links: their equipment's grid; radios and attributional network: the source's)."""
    n_links = len(p.link_a)
    link_bps = loads[0::2] + loads[1::2]
    per_bit = p.link_per_bit_j
    link_w = link_bps * per_bit
    g_src = g_per_j[p.demand_source[u.demand]]
    # a split candidate's radio for its cut tensor's bits (``cand_radio_delta_j``, part of
    # ``cand_extra_j``) is counted as device radio, like the radio no plan avoids
    delta = u.flow * p.cand_radio_delta_j[u.idx]
    extra = u.flow * p.cand_extra_j[u.idx] - delta
    radio = delta
    if p.power_model:
        offloaded = u.node != p.demand_source[u.demand]
        radio = np.where(offloaded, u.flow * p.demand_radio_j(rate)[u.demand], 0.0) + delta
    baseload = accounting.link_baseload_w(p, loads if routing_active(p) else None)
    g_link = p.link_carbon_g_per_j(region_g_per_kwh) if n_links else np.zeros(0)
    baseload_g = float(baseload @ g_link) if n_links else 0.0
    if p.power_model:
        link_g = float(link_w @ g_link) if n_links else 0.0
    else:  # attributional: the whole route at the source's grid (the per-GB convention)
        link_g = float((_route_j(p, u, per_bit) * g_src).sum())
    return _Network(
        marginal_w=float(link_w.sum()) + float(extra.sum()),
        radio_w=float(radio.sum()),
        baseload_w=float(baseload.sum()),
        carbon_g_per_s=link_g + float(((radio + extra) * g_src).sum()) + baseload_g,
        baseload_carbon_g_per_s=baseload_g,
        link_fixed_carbon_g_per_s=float(accounting.link_fixed_w(p) @ g_link) if n_links else 0.0,
    )


def _route_j(p: CompiledProblem, u: _Support, per_bit: FloatArray) -> FloatArray:
    """Network energy per second of every used candidate: flow x bits x the energy per
    bit summed over its route (recomputed from the routes and the link figures)."""
    if len(p.link_a) == 0 or len(u.idx) == 0:
        return np.zeros(len(u.idx))
    table = route_table(p.routes, into_links(p.routes), per_bit)
    src = p.demand_source[u.demand]
    route = cand_route_sum(p.routes, table, per_bit, src, u.node)
    bits = p.cand_request_bits[u.idx] + p.demand_response_bits[u.demand]
    return u.flow * bits * route


@dataclass(frozen=True, slots=True)
class _Split:
    fixed_w: float
    breakdown_w: dict[str, float]
    fixed_breakdown_w: dict[str, float]
    carbon_fixed_g_per_h: float
    embodied_g_per_h: float
    embodied_fixed_g_per_h: float


def _split(
    p: CompiledProblem,
    on: FloatArray,
    g_per_j: FloatArray,
    static_w: float,
    dynamic_w: float,
    net: _Network,
    radio_fixed_w: FloatArray,
) -> _Split:
    """Fixed and plan-dependent parts of power and carbon (:mod:`slimplace.energy.accounting`):
    ``radio_fixed_w`` is every demand's device radio power no plan avoids, at its source's grid."""
    server_fixed = accounting.server_fixed_w(p)
    fixed_servers_w = float(server_fixed.sum())
    link_fixed = accounting.link_fixed_w(p)
    fixed_links_w = float(link_fixed.sum())
    fixed_radio_w = float(radio_fixed_w.sum())
    fixed_w = fixed_servers_w + fixed_links_w + fixed_radio_w
    link_fixed_g = net.link_fixed_carbon_g_per_s
    radio_g = float(radio_fixed_w @ g_per_j[p.demand_source]) if fixed_radio_w else 0.0
    carbon_fixed = (float(server_fixed @ g_per_j) + link_fixed_g + radio_g) * S_PER_H
    return _Split(
        fixed_w=fixed_w,
        breakdown_w={
            "servers_static": static_w - fixed_servers_w,
            "compute": dynamic_w,
            "device_radio": net.radio_w - fixed_radio_w,
            # links switched on by the plan's routes (0 with fixed routes: accounting.links_on)
            "network_baseload": net.baseload_w - fixed_links_w,
            "network_marginal": net.marginal_w,
        },
        fixed_breakdown_w={
            "servers_static": fixed_servers_w,
            "network_baseload": fixed_links_w,
            "device_radio": fixed_radio_w,
        },
        carbon_fixed_g_per_h=carbon_fixed,
        embodied_g_per_h=float(accounting.embodied_on_g_per_h(p) @ on),
        embodied_fixed_g_per_h=float(accounting.embodied_fixed_g_per_h(p).sum()),
    )


def _node_power(
    p: CompiledProblem, on: FloatArray, util: FloatArray, busy: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Static (idle of servers on, sleep of owned servers off) and dynamic power per node,
    with PUE."""
    static = accounting.server_static_w(p, on)
    dynamic = p.node_pue * (p.node_peak_w - p.node_idle_w) * np.minimum(busy, on)
    for i, profile in enumerate(p.profiles):
        if profile.power_curve is None:
            continue
        nodes = np.nonzero(p.node_profile == i)[0]
        per_server = server_power_w(
            util[nodes], p.node_idle_w[nodes], p.node_peak_w[nodes], profile.power_curve
        )
        dynamic[nodes] = p.node_pue[nodes] * on[nodes] * (per_server - p.node_idle_w[nodes])
    return static, dynamic


def _busy_power_scale(p: CompiledProblem, u: _Support, busy: FloatArray) -> FloatArray:
    """Per node, the flow-weighted mean of ``cand_power_factor`` over its busy time (1
    where every candidate draws the peak: the linear power of Fan et al. 2007)."""
    factor = p.cand_power_factor[u.idx]
    if not (factor != 1.0).any():
        return np.ones(p.n_nodes)
    weighted = np.bincount(
        u.node, weights=u.flow * p.cand_service_s[u.idx] * factor, minlength=p.n_nodes
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(busy > 0, weighted / busy, 1.0), dtype=np.float64)


def _candidate_latency(
    p: CompiledProblem, idx: IntArray, util: FloatArray, flow: FloatArray
) -> FloatArray:
    """End-to-end latency of candidates ``idx`` at each node's actual utilisation: the
    mean, or the quantile the scenario's SLOs bound (``slo_quantile``). Batched candidates
    queue as batches and wait for their batch to fill at the rate of their stream
    (:mod:`slimplace.problem.batching`)."""
    service = p.cand_service_s[idx]
    rho = util[p.cand_node[idx]]
    # continuous-batching decode (slimplace.llm.batching) queues as batch 1, no fill wait
    batch = np.where(p.cand_decode_batch[idx] > 1, 1, p.cand_batch[idx])
    unit = queue_unit_s(service, p.cand_compute_s[idx], batch)
    wait = mg1_response_time_s(unit, rho, p.service_cv2, p.slo_quantile) - unit
    lat = p.cand_net_latency_s[idx] + p.cand_compute_s[idx] + wait
    if (batch > 1).any():
        stream = stream_rate_per_s(
            p.cand_node[idx], p.cand_variant[idx], batch, flow, len(p.variant_names)
        )
        lat = lat + fill_wait_s(batch, stream, p.slo_quantile)
    return lat


def _by_tier(
    p: CompiledProblem, static: FloatArray, dynamic: FloatArray, net: _Network
) -> dict[str, dict[str, float]]:
    """Servers' static and dynamic power per tier; the network's baseload ("static") and
    traffic-driven power (marginal + device radios, "dynamic")."""
    out: dict[str, dict[str, float]] = {}
    for t, tier in enumerate(TIERS):
        mask = p.node_tier == t
        out[tier] = {"static": float(static[mask].sum()), "dynamic": float(dynamic[mask].sum())}
    out["network"] = {"static": net.baseload_w, "dynamic": net.marginal_w + net.radio_w}
    return out


def _violations(
    p: CompiledProblem,
    plan: Plan,
    u: _Support,
    on: FloatArray,
    busy: FloatArray,
    lat: FloatArray,
    app_acc: FloatArray,
    loads: FloatArray,
) -> list[Violation]:
    out: list[Violation] = []
    if (u.x < -TOL).any() or (u.x > 1 + TOL).any():
        out.append(Violation("share", "plan", "shares must lie in [0, 1]"))
    cover = np.bincount(u.demand, weights=u.x, minlength=p.n_demands)
    for d in np.nonzero(np.abs(cover - 1.0) > 1e-4)[0][:20]:
        out.append(
            Violation("coverage", p.demand_label(int(d)), f"shares sum to {cover[d]:.4f}, not 1")
        )
    used = u.x > TOL
    split = np.bincount(u.demand[used], minlength=p.n_demands) > 1
    for d in np.nonzero(split & ~p.app_splittable[p.demand_app])[0][:20]:
        out.append(
            Violation(
                "unsplittable", p.demand_label(int(d)), "traffic split over several placements"
            )
        )
    out += _capacity_violations(p, on, busy)
    out += _accuracy_violations(p, u, used, app_acc)
    out += _memory_violations(p, u, used)
    out += _slo_violations(p, u, lat)
    out += _bandwidth_violations(p, loads)
    out += _batch_fill_violations(p, u)
    if routing_active(p) and plan.routes is not None:
        out += [Violation("routing", "routes", m) for m in route_check(p, plan.x, plan.routes)]
    return out


def _batch_fill_violations(p: CompiledProblem, u: _Support) -> list[Violation]:
    """Generation candidates whose node's traffic to their variant keeps fewer sequences
    in flight than the decode batch their energy assumes: ``sum(flow x W) < b`` (Little's
    law; :mod:`slimplace.llm.batching`)."""
    b = p.cand_decode_batch[u.idx]
    if not (b > 1).any():
        return []
    key = u.node * len(p.variant_names) + p.cand_variant[u.idx]
    _uniq, inv = np.unique(key, return_inverse=True)
    inflight = np.bincount(inv, weights=u.flow * p.cand_decode_residence_s[u.idx])[inv]
    short = (b > 1) & (inflight < b * (1 - 1e-6))
    out = []
    for k in np.unique(inv[short])[:20]:
        c = int(np.flatnonzero(short & (inv == k))[0])
        out.append(
            Violation(
                "batch-fill",
                f"{p.node_ids[u.node[c]]}/{p.variant_names[p.cand_variant[u.idx[c]]]}",
                f"{inflight[c]:.2f} sequences in flight (rate x generation time) cannot keep "
                f"the assumed decode batch of {b[c]} full",
            )
        )
    return out


def _capacity_violations(p: CompiledProblem, on: FloatArray, busy: FloatArray) -> list[Violation]:
    over_count = on > p.node_count
    over_cap = busy > p.max_utilisation * on * (1 + TOL) + 1e-12
    out = []
    for v in np.nonzero(over_count | over_cap)[0][:20]:
        what = (
            f"{on[v]:.0f} servers on but only {p.node_count[v]} present"
            if over_count[v]
            else f"load {busy[v]:.3f} server-s/s exceeds "
            f"{p.max_utilisation:.2f} x {on[v]:.0f} servers on"
        )
        out.append(Violation("capacity", p.node_ids[v], what))
    return out


def _accuracy_violations(
    p: CompiledProblem, u: _Support, used: npt.NDArray[np.bool_], app_acc: FloatArray
) -> list[Violation]:
    app = p.demand_app[u.demand]
    accuracy = p.cand_accuracy[u.idx]
    hard_bad = used & ~p.app_average[app] & (accuracy < p.app_floor[app] - TOL)
    out = [
        Violation(
            "accuracy",
            p.demand_label(int(u.demand[i])),
            f"variant accuracy {accuracy[i]:.3f} below floor {p.app_floor[app[i]]:.3f}",
        )
        for i in np.nonzero(hard_bad)[0][:20]
    ]
    avg_bad = p.app_average & (app_acc < p.app_floor - TOL)
    out += [
        Violation(
            "accuracy",
            p.app_ids[a],
            f"average accuracy {app_acc[a]:.4f} below floor {p.app_floor[a]:.4f}",
        )
        for a in np.nonzero(avg_bad)[0]
    ]
    return out


def _memory_violations(
    p: CompiledProblem, u: _Support, used: npt.NDArray[np.bool_]
) -> list[Violation]:
    model = p.variant_model[p.cand_variant[u.idx[used]]]
    pairs = np.unique(u.node[used] * p.n_models + model)
    node, model = pairs // p.n_models, pairs % p.n_models
    loaded = np.bincount(node, weights=p.model_memory_bytes[model], minlength=p.n_nodes)
    bad = loaded > p.node_memory_bytes * (1 + TOL)
    return [
        Violation(
            "memory",
            p.node_ids[v],
            f"models loaded need {loaded[v] / 1e9:.2f} GB, "
            f"a server has {p.node_memory_bytes[v] / 1e9:.2f} GB",
        )
        for v in np.nonzero(bad)[0][:20]
    ]


def _slo_violations(p: CompiledProblem, u: _Support, lat: FloatArray) -> list[Violation]:
    late = (u.flow > 0) & (lat > p.demand_slo_s[u.demand] * (1 + TOL))
    out = []
    for i in np.nonzero(late)[0][:20]:
        d = int(u.demand[i])
        out.append(
            Violation(
                "slo",
                p.demand_label(d),
                f"latency {lat[i] * 1e3:.1f} ms at {p.node_ids[u.node[i]]} "
                f"exceeds SLO {p.demand_slo_s[d] * 1e3:.1f} ms",
            )
        )
    return out


def link_loads_bps(p: CompiledProblem, flow: FloatArray) -> FloatArray:
    """Traffic on every directed link (2L: index 2l for a->b, 2l+1 for b->a) in bit/s.

    Requests travel source -> server, responses back. Core paths are summed by
    accumulating each root's shortest-path tree from the leaves up, so the cost
    is O(depth x roots x nodes) whatever the number of candidates.
    """
    idx = np.flatnonzero(flow)
    return _link_loads(p, idx, flow[idx])


def _link_loads(p: CompiledProblem, idx: IntArray, flow: FloatArray) -> FloatArray:
    r = p.routes
    n_links = len(p.link_a)
    loads = np.zeros(2 * n_links)
    demand, node = p.cand_demand[idx], p.cand_node[idx]
    req = flow * p.cand_request_bits[idx]
    resp = flow * p.demand_response_bits[demand]
    src = p.demand_source[demand]
    away = node != src
    leaf = r.source_leaf_link[src]
    on_leaf = away & (leaf >= 0)
    lf = leaf[on_leaf]
    up = np.where(p.link_a[lf] == src[on_leaf], 0, 1)
    np.add.at(loads, 2 * lf + up, req[on_leaf])
    np.add.at(loads, 2 * lf + (1 - up), resp[on_leaf])
    row = r.source_root_row[src]
    core = away & (node != r.roots[row])
    if not core.any():
        return loads
    n = len(r.cols)
    cell = row[core] * n + r.col(node[core])
    levels = _tree_levels(r, p.link_a)
    for bits, forward in ((req, True), (resp, False)):
        agg = np.bincount(cell, weights=bits[core], minlength=len(r.roots) * n)
        for flat, parent_flat, link, parent_is_a in levels:
            carried = agg[flat]
            agg += np.bincount(parent_flat, weights=carried, minlength=len(agg))
            direction = np.where(parent_is_a == forward, 0, 1)
            loads += np.bincount(2 * link + direction, weights=carried, minlength=len(loads))
    return loads


def _tree_levels(
    r: Routes, link_a: IntArray
) -> list[tuple[IntArray, IntArray, IntArray, BoolArray]]:
    """Entries of the shortest-path trees by depth, deepest first: (flat cell, flat
    cell of the parent, link to the parent, whether the parent is the link's ``a``)."""
    n = len(r.cols)
    out = []
    max_depth = int(r.hops.max()) if r.hops.size else 0
    for level in range(max_depth, 0, -1):
        rr, vv = np.nonzero(r.hops == level)
        if len(rr) == 0:
            continue
        parent = r.pred[rr, vv]
        link = r.link_between(r.cols[parent], r.cols[vv])
        out.append((rr * n + vv, rr * n + parent, link, link_a[link] == r.cols[parent]))
    return out


def _bandwidth_violations(p: CompiledProblem, loads: FloatArray) -> list[Violation]:
    if not np.isfinite(p.link_bandwidth_bps).any():
        return []
    cap = np.repeat(p.link_bandwidth_bps, 2)
    bad = loads > cap * (1 + TOL)
    out = []
    for arc in np.nonzero(bad)[0][:20]:
        link = arc // 2
        a, b = p.node_ids[p.link_a[link]], p.node_ids[p.link_b[link]]
        ends = f"{a}->{b}" if arc % 2 == 0 else f"{b}->{a}"
        out.append(
            Violation(
                "bandwidth", ends, f"{loads[arc] / 1e6:.1f} Mbit/s over {cap[arc] / 1e6:.1f} Mbit/s"
            )
        )
    return out
