"""The objective every optimizer minimises, split into the parts a linear model needs.

The value of a plan (DESIGN.md, "Objective"; power per Fan, Weber & Barroso,
ISCA 2007, with PUE per The Green Grid WP#49) is, with ``on_v`` the servers
switched on at node v, ``busy_v`` its server-seconds of work per second and
``kappa_v`` the objective units one watt at v is worth::

    value = constant                                                  drawn whatever the plan
          + sum_v (kappa_v * S_v + w_carbon * emb_v) * on_v           servers switched on
          + sum_v kappa_v * PUE_v * on_v * f_v(busy_v / on_v)         compute (dynamic)
          + sum_c rate_d * x_c * network_c                            network and device radio

with the split of :mod:`slimplace.energy.accounting`: ``S_v`` = PUE (idle - sleep)
for owned servers, PUE idle for elastic ones (0 always-on), ``emb_v`` an elastic
server's embodied gCO2e/h; ``constant`` = sleep power of owned servers, idle power of
always-on ones and their embodied carbon, plus the baseload of every link that cannot
sleep and the sleep power of those that can (routing as a decision: a link switched
on adds ``baseload - sleep``, :mod:`slimplace.optim.routing_milp`), and the
device radio energy no candidate of a demand avoids, ``rate_d x min_c radio_c``
(power model), which ``network_c`` then leaves out. ``f_v(u) = P_v(u) - idle_v`` is
the server's power above idle at utilisation u: linear, ``(peak_v - idle_v) * u``,
unless the hardware has a measured piecewise-linear curve.
``kappa_v = w_energy + w_carbon * 3600 * g_v`` with ``g_v`` the grid intensity at v in
gCO2e/J, so the value is average power in W (energy), gCO2e/h (carbon, operational +
embodied) or ``power_w + carbon_weight * carbon_g_per_h`` (mix). ``network_c`` is the
energy per request of the route's marginal energy per bit and the source's radio, each
at its own grid (power model), or the per-GB energy at the source's grid
(attributional). This is
exactly what :func:`slimplace.evaluate.evaluate` computes for a feasible plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.evaluate import Evaluation
from slimplace.optim.mode_rows import plan_mode_cost
from slimplace.plan import node_busy_s_per_s
from slimplace.problem.compiled import CompiledProblem

ObjectiveName = Literal["energy", "carbon", "mix"]

#: Seconds per hour: carbon is reported in gCO2e per hour.
S_PER_H = 3600.0


@dataclass(frozen=True, slots=True)
class ObjectiveWeights:
    """``value = energy * power_w + carbon * carbon_g_per_h``."""

    name: str
    energy: float
    carbon: float

    def value(self, evaluation: Evaluation) -> float:
        """This objective's value of an evaluated plan (carbon: operational + embodied)."""
        return self.energy * evaluation.power_w + self.carbon * evaluation.carbon_total_g_per_h


@dataclass(frozen=True, kw_only=True)
class ObjectiveOptions:
    """Options every optimizer takes: a time limit for the whole call, and the objective
    ("energy", "carbon", "mix" with ``carbon_weight``, or None for the scenario's)."""

    time_limit_s: float = 60.0
    objective: str | None = None
    carbon_weight: float = 1.0

    def cost_model(self, problem: CompiledProblem) -> CostModel:
        """The objective of these options as arrays over ``problem``."""
        return cost_model(problem, objective_weights(problem, self.objective, self.carbon_weight))


def objective_weights(
    problem: CompiledProblem, objective: str | None = None, carbon_weight: float = 1.0
) -> ObjectiveWeights:
    """Weights of ``objective`` ("energy", "carbon", "mix" or None for the scenario's).

    "mix" minimises ``power_w + carbon_weight * carbon_g_per_h`` (``carbon_weight``
    in W per gCO2e/h: an internal carbon price expressed in watts).
    """
    name = objective or problem.objective
    if name == "energy":
        return ObjectiveWeights("energy", 1.0, 0.0)
    if name == "carbon":
        return ObjectiveWeights("carbon", 0.0, 1.0)
    if name == "mix":
        return ObjectiveWeights("mix", 1.0, float(carbon_weight))
    raise ValueError(f"unknown objective {name!r}; expected energy, carbon or mix")


@dataclass(frozen=True, eq=False)
class CostModel:
    """The objective of one problem as arrays (all in objective units per second).

    ``cand_cost``: cost of sending all of a demand's traffic to candidate c
    (rate x per-inference cost; compute energy only where the node is linear).
    ``server_cost``: cost of one more server on (0 for always-on nodes; elastic servers
    add their embodied carbon under a carbon weight).
    ``constant``: what no decision changes (sleeping owned servers, always-on idle power,
    fixed embodied carbon, network baseload, device radio no candidate avoids;
    :mod:`slimplace.energy.accounting`).
    ``curve_nodes`` with ``curve_u``/``curve_f`` (one row per curve node,
    breakpoints up to rho_max, padded with NaN) describe measured power curves;
    ``dyn_per_busy``: linear dynamic cost per server-second of work per node
    (NaN at curve nodes).
    """

    weights: ObjectiveWeights
    kappa: FloatArray
    cand_cost: FloatArray
    cand_load: FloatArray
    server_cost: FloatArray
    dyn_per_busy: FloatArray
    constant: float
    switchable: BoolArray
    curve_nodes: IntArray
    curve_u: FloatArray
    curve_f: FloatArray


def cost_model(problem: CompiledProblem, weights: ObjectiveWeights) -> CostModel:
    """Split the objective of ``problem`` into linear parts and power curves."""
    p = problem
    g_node = p.node_carbon_g_per_j()
    kappa = weights.energy + weights.carbon * S_PER_H * g_node
    rate = p.demand_rate_per_s[p.cand_demand]
    src = p.demand_source[p.cand_demand]
    has_curve = _curve_mask(p)
    dyn_per_busy = kappa * p.node_pue * (p.node_peak_w - p.node_idle_w)
    dyn_per_busy = np.where(has_curve, np.nan, dyn_per_busy)
    compute = np.where(
        has_curve[p.cand_node],
        0.0,
        kappa[p.cand_node] * p.node_pue[p.cand_node] * p.cand_dyn_energy_j,
    )
    # the device radio every candidate of a demand pays is in ``constant``, not here
    radio_fixed = accounting.unavoidable_radio_j(p)[p.cand_demand] * kappa[src]
    cand_cost = rate * (_network_cost(p, weights, kappa[src]) - radio_fixed + compute)
    switchable = accounting.switchable(p)
    server_cost = kappa * accounting.server_on_w(p)
    server_cost += weights.carbon * accounting.embodied_on_g_per_h(p)
    const = objective_constant(p, weights)
    nodes, u, f = _curves(p, has_curve, kappa)
    return CostModel(
        weights=weights,
        kappa=kappa,
        cand_cost=cand_cost,
        cand_load=rate * p.cand_service_s,
        server_cost=server_cost,
        dyn_per_busy=dyn_per_busy,
        constant=const,
        switchable=switchable,
        curve_nodes=nodes,
        curve_u=u,
        curve_f=f,
    )


def objective_constant(problem: CompiledProblem, weights: ObjectiveWeights) -> float:
    """The part of the objective no decision changes (``CostModel.constant``): sleeping
    owned servers, always-on idle power and fixed embodied carbon, network baseload, the
    device radio energy every candidate of a demand pays (:mod:`slimplace.energy.accounting`)."""
    p = problem
    kappa = weights.energy + weights.carbon * S_PER_H * p.node_carbon_g_per_j()
    const = float((kappa * accounting.server_fixed_w(p)).sum())
    const += weights.carbon * float(accounting.embodied_fixed_g_per_h(p).sum())
    if len(p.link_a):
        kappa_link = weights.energy + weights.carbon * S_PER_H * p.link_carbon_g_per_j()
        const += float(kappa_link @ accounting.link_fixed_w(p))
    radio_w = accounting.unavoidable_radio_w(p)
    if radio_w.any():
        const += float(kappa[p.demand_source] @ radio_w)
    return const


def controllable_gap(value: float, bound: float, constant: float) -> float:
    """Relative gap of ``value`` above ``bound`` measured on the part of the objective
    the plan controls: ``(value - bound) / |value - constant|`` (0 when both are the
    constant). Energy model v2 makes ``constant`` most of the value, so a gap relative to
    the total would hide a gap many times larger on what the plan decides."""
    scale = abs(value - constant)
    diff = value - bound
    if scale == 0.0:
        return 0.0 if diff <= 0.0 else float("inf")
    return diff / scale


def _network_cost(
    p: CompiledProblem, weights: ObjectiveWeights, kappa_src: FloatArray
) -> FloatArray:
    """Objective per request of each candidate's network traffic and device radio:
    energy per request, and carbon where each part is drawn (:meth:`CompiledProblem.cand_net_g`);
    attributional: all at the source's grid."""
    energy = p.cand_net_energy_j + p.cand_extra_j
    if not p.power_model:
        return kappa_src * energy
    cost = weights.energy * energy
    if weights.carbon:
        cost = cost + weights.carbon * S_PER_H * p.cand_net_g()
    return cost


def _curve_mask(p: CompiledProblem) -> BoolArray:
    with_curve = np.array([prof.power_curve is not None for prof in p.profiles] + [False])
    return np.asarray(with_curve[p.node_profile], dtype=bool)


def _curves(
    p: CompiledProblem, has_curve: BoolArray, kappa: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Breakpoints (u, objective cost above idle per server) of each curve node, cut at rho_max."""
    nodes = np.nonzero(has_curve)[0]
    rho = p.max_utilisation
    rows_u, rows_f = [], []
    for v in nodes:
        curve = p.profiles[p.node_profile[v]].power_curve
        assert curve is not None
        cu, cp = np.asarray(curve.utilisation), np.asarray(curve.power_w)
        u = np.unique(np.concatenate([cu[cu < rho], [0.0, rho]]))
        f = (np.interp(u, cu, cp) - p.node_idle_w[v]) * kappa[v] * p.node_pue[v]
        rows_u.append(u)
        rows_f.append(f)
    width = max((len(u) for u in rows_u), default=0)
    U = np.full((len(nodes), width), np.nan)
    F = np.full((len(nodes), width), np.nan)
    for i, (u, f) in enumerate(zip(rows_u, rows_f, strict=True)):
        U[i, : len(u)] = u
        F[i, : len(f)] = f
    return nodes.astype(np.int64), U, F


def node_dynamic_cost(
    problem: CompiledProblem, model: CostModel, busy: FloatArray, on: FloatArray
) -> FloatArray:
    """Dynamic cost per node at load ``busy`` with ``on`` servers, for curve nodes
    (linear nodes are charged per candidate in ``cand_cost``): ``on * f(busy / on)``."""
    p = problem
    out = np.zeros(p.n_nodes)
    for i, profile in enumerate(p.profiles):
        curve = profile.power_curve
        if curve is None:
            continue
        nodes = np.nonzero((p.node_profile == i) & (on > 0))[0]
        util = np.clip(busy[nodes] / on[nodes], 0.0, 1.0)
        per_server = np.interp(util, curve.utilisation, curve.power_w) - p.node_idle_w[nodes]
        out[nodes] = model.kappa[nodes] * p.node_pue[nodes] * on[nodes] * per_server
    return out


def plan_value(
    problem: CompiledProblem, model: CostModel, x: FloatArray, servers_on: IntArray
) -> float:
    """Objective value of shares ``x`` with ``servers_on`` (the evaluator's formula
    for a plan within capacity)."""
    p = problem
    on = np.where(p.node_always_on, p.node_count, servers_on).astype(np.float64)
    busy = node_busy_s_per_s(p, x)
    value = model.constant + float(model.cand_cost @ x) + float(model.server_cost @ on)
    value += plan_mode_cost(p, model.kappa, x, on)  # idle power of modes above resting
    return value + float(node_dynamic_cost(p, model, busy, on).sum())
