"""A proven lower bound on the plan-dependent energy of any policy over a workload.

What the engine charges as plan-dependent energy over a step (:mod:`slimplace.sim.state`,
split as in :mod:`slimplace.energy.accounting`) is a sum of non-negative terms:

1. servers switched on beyond what is drawn anyway (``PUE (idle - sleep)`` per server);
2. compute: ``PUE n_v f_v(b_v / n_v)`` at node v with ``b_v`` busy server-seconds per
   second, ``f_v(u) = P_v(u) - idle_v``; linear ``(peak - idle) u`` or a measured
   piecewise-linear curve with ``f_v(0) = 0``;
3. network: ``sum_c r_d x_c e_c`` with ``e_c`` the marginal network energy per request of
   candidate c (route, plus any extra charge), linear in the flow;
4. device radio, wake-ups and model loads.

Claim: for any policy that serves every request (the engine's served fraction is 1),
over steps t of length ``dt`` with rates ``r_d(t)``::

    plan energy >= dt sum_t sum_d r_d(t) min_{c of d} (PUE_v s_c m_v + e_c)

and, counting the radio (:func:`plan_energy_lower_bound`), with ``o_c`` = 1 when c serves
away from the source, ``R_d(r)`` the radio energy per offloaded request at rate r and
``U_d(r)`` the part of it no plan avoids (fixed when the accounting says so, else 0)::

    plan energy >= dt sum_t sum_d r_d(t) (min_{c of d} (PUE_v s_c m_v + e_c + o_c R_d(r_d(t)))
                                           - U_d(r_d(t)))

where ``s_c`` is the candidate's service time (server-seconds per request) and ``m_v``
the smallest slope of ``f_v`` (``peak - idle`` when linear). Proof: terms 1 and 4 are
>= 0; ``f_v(u) = integral_0^u f_v' >= m_v u``, so term 2 is ``>= PUE_v m_v b_v`` with
``b_v = sum_c r_d x_c s_c`` when everything is served; terms 2 + 3 are then linear in the
flows ``r_d x_c``, whose shares sum to 1 per demand, so they are at least the cheapest
candidate's cost per request times the rate; the radio of demand d is ``sum_c r_d x_c o_c
R_d(r_d)`` (the evaluator's rule), linear in the same flows. The bound relaxes every capacity, SLO,
accuracy floor and integrality constraint, so it is valid for any policy and any plan,
and weak where servers' static power matters (term 1 is bounded by 0 only).
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.workload import DemandWorkload


def min_dynamic_slope_w(problem: CompiledProblem) -> FloatArray:
    """Per node, the smallest slope of power above idle per unit utilisation (W, >= 0)."""
    p = problem
    slope = np.maximum(p.node_peak_w - p.node_idle_w, 0.0).astype(np.float64)
    for i, profile in enumerate(p.profiles):
        curve = profile.power_curve
        if curve is None:
            continue
        u = np.asarray(curve.utilisation, dtype=np.float64)
        w = np.asarray(curve.power_w, dtype=np.float64)
        du = np.diff(u)
        m = float(np.min(np.diff(w)[du > 0] / du[du > 0])) if (du > 0).any() else 0.0
        slope[p.node_profile == i] = max(m, 0.0)
    return slope


def energy_per_request_floor_j(problem: CompiledProblem) -> FloatArray:
    """Per demand, the least plan-dependent energy one of its requests can cost (J):
    the minimum over its candidates of compute at the smallest slope plus network."""
    p = problem
    node = p.cand_node
    cost = (
        p.node_pue[node] * p.cand_service_s * min_dynamic_slope_w(p)[node]
        + p.cand_net_energy_j
        - p.cand_radio_j
        + p.cand_extra_j
    )
    floor = np.full(p.n_demands, np.inf)
    np.minimum.at(floor, p.cand_demand, np.maximum(cost, 0.0))
    return np.where(np.isfinite(floor), floor, 0.0)


def _floor_by_route_j(problem: CompiledProblem) -> tuple[FloatArray, FloatArray]:
    """Per demand, the least compute + network energy per request (J, radio excluded)
    over its candidates served at the source and over those served elsewhere (which pay
    the radio on top; inf where a demand has none of the kind)."""
    p = problem
    node = p.cand_node
    cost = np.maximum(
        p.node_pue[node] * p.cand_service_s * min_dynamic_slope_w(p)[node]
        + p.cand_net_energy_j
        - p.cand_radio_j
        + p.cand_extra_j,
        0.0,
    )
    off = p.cand_offloaded
    local = np.full(p.n_demands, np.inf)
    away = np.full(p.n_demands, np.inf)
    np.minimum.at(local, p.cand_demand[~off], cost[~off])
    np.minimum.at(away, p.cand_demand[off], cost[off])
    return local, away


def plan_energy_lower_bound(
    problem: CompiledProblem, workload: DemandWorkload, *, n_steps: int, step_s: float
) -> float:
    """The module's bound (J) over the first ``n_steps`` steps of ``workload``, with the
    device radio counted: every step, each demand's requests times the least energy one
    can cost, ``min(local_d, away_d + radio_d(r_d(t)))`` (a request served away from its
    source pays the radio at the demand's rate, the evaluator's rule), less the radio no
    plan avoids when that is counted as fixed (``accounting.unavoidable_radio_at``).
    Demands without candidates count 0."""
    from slimplace.energy import accounting

    p = problem
    local, away = _floor_by_route_j(p)
    unavoidable = getattr(accounting, "unavoidable_radio_at", None)
    total = 0.0
    block = 256
    for s in range(0, n_steps, block):
        rates = workload.rates(s, min(block, n_steps - s), step_s)
        for r in rates:
            radio = p.demand_radio_j(r)
            floor = np.minimum(local, away + radio)
            if unavoidable is not None:
                floor = floor - unavoidable(p, r, radio_j=radio)
            floor = np.where(np.isfinite(floor), np.maximum(floor, 0.0), 0.0)
            total += float(r @ floor) * step_s
    return total
