"""A proven lower bound on the plan-dependent energy of any policy over a workload.

What the engine charges as plan-dependent energy over a step (:mod:`slimplace.sim.state`,
split as in :mod:`slimplace.energy.accounting`) is a sum of non-negative terms:

1. servers switched on beyond what is drawn anyway (``PUE (idle - sleep)`` per server);
2. compute: ``PUE n_v f_v(b_v / n_v)`` at node v with ``b_v`` busy server-seconds per
   second, ``f_v(u) = P_v(u) - idle_v``; linear ``(peak - idle) u`` or a measured
   piecewise-linear curve with ``f_v(0) = 0``;
3. network: ``sum_c r_d x_c e_c`` with ``e_c`` the marginal network energy per request of
   candidate c (route, plus any extra charge but a split candidate's radio delta
   ``delta_c``, which counts with the radio), linear in the flow;
4. device radio beyond what no plan avoids (``o_c R_d(r) + delta_c`` per request of
   candidate c, see below), wake-ups and model loads.

Claim: for any policy that serves every request (the engine's served fraction is 1),
over steps t of length ``dt`` with rates ``r_d(t)``::

    plan energy >= dt sum_t sum_d r_d(t) min_{c of d} (PUE_v s_c m_v + e_c)

and, counting the radio (:func:`plan_energy_lower_bound`), with ``o_c`` = 1 when c serves
away from the source, ``R_d(r)`` the radio energy per offloaded request at rate r and
``U_d(r)`` the part of it no plan avoids (fixed, :mod:`slimplace.energy.accounting`)::

    plan energy >= dt sum_t sum_d r_d(t) (min_{c of d} (PUE_v s_c m_v + e_c
                                                         + o_c R_d(r_d(t)) + delta_c)
                                           - U_d(r_d(t)))

where ``s_c`` is the candidate's service time (server-seconds per request) and ``m_v``
the smallest slope of ``f_v`` (``peak - idle`` when linear). Proof: term 4 is >= 0, and
so is term 1 over each wake-up with its wake energy (an owned server waking draws neither
idle nor sleep power, so term 1 dips by at most ``PUE sleep x wake_time`` per wake-up, less
than the ``PUE wake_energy`` charged for it: the catalog's ``wake_energy = wake_time x
peak``); ``f_v(u) = integral_0^u f_v' >= m_v u``, so term 2 is ``>= PUE_v m_v b_v`` with
``b_v = sum_c r_d x_c s_c`` when everything is served; terms 2 + 3 are then linear in the
flows ``r_d x_c``, whose shares sum to 1 per demand, so they are at least the cheapest
candidate's cost per request times the rate; the radio of demand d is ``sum_c r_d x_c (o_c
R_d(r_d) + delta_c)`` (the evaluator's rule), linear in the same flows, and at least ``r_d
U_d(r_d)`` (``U_d`` is the least of ``o_c R_d + delta_c``), so term 4 is >= 0. The bound
relaxes every capacity, SLO, accuracy floor and integrality constraint, so it is valid for
any policy and any plan, and weak where servers' static power matters (term 1 is bounded by 0 only).

Term 1 has its own bound (:func:`server_static_lower_bound_j`): in a step where demand d
has requests, every node that serves a share of them has capacity that step, i.e. a
server that is up for at least part of it, which costs either its static power for the
step or, waking, its wake energy (spread over the steps a wake-up takes), so at least
``c_v = min(step on_v, PUE (wake_v - sleep_v wake_time_v))`` (a waking server gives
capacity only in the step it becomes ready, and an owned one draws no sleep power while
waking, which the plan-dependent part counts as a saving; elastic nodes: no sleep term).
With ``y_v`` = 1 when node v has capacity and ``x_dv`` the share of d served there,
every such step satisfies ``sum_v x_dv = 1`` and ``x_dv <= y_v``, so its server cost is at
least the optimum of the linear relaxation ``min sum_v c_v y_v`` of that uncapacitated
facility location problem (Cornuejols, Nemhauser & Wolsey, "The uncapacitated facility
location problem", in *Discrete Location Theory*, 1990, the "strong" formulation), or
better, the dual bound HiGHS proves for the problem with ``y`` binary (valid whether or
not it ends optimal). Demands that can be served at an always-on node (their own device)
add no constraint. Terms 1 and 2-4 are different terms of the energy, so their bounds add.

**Capacity.** The two bounds above price each request at the cheapest candidate and each
step's servers at the cheapest cover, separately: a large server that is cheap per request
(an A100) and a small one that is cheap to keep on (a T4) each set one of them, while no
plan has both. :func:`capacity_lower_bound_w` couples them in one problem per step and
adds capacity. Serving every request needs ``u_v = b_v / N_v < 1`` at every node, with
``N_v`` the servers available in the step (a waking one by the share of the step it is
up; at most ``count_v``), and over the horizon the servers' plan-dependent static energy is
at least ``step on_v N_v`` summed over steps (a waking server draws idle power for the
share it is up, and its wake energy exceeds the sleep power it does not draw while it
wakes), and per step at least ``c_v y_v`` as above. So terms 1-3, every step, are at least
the optimum of::

    min  sum_v z_v + sum_(d,v) r_d a_dv x_dv
    s.t. sum_v x_dv = 1                       (each demand with requests, all served)
         x_dv <= y_v,  sum_d r_d s_dv x_dv <= N_v <= count_v y_v   (switchable v)
         sum_d r_d s_dv x_dv <= count_v                              (always-on v)
         z_v >= on_v N_v,  z_v >= c_v y_v / step,  y_v binary

a capacitated facility location problem (Cornuejols, Nemhauser & Wolsey 1990, section
3.7), with ``a_dv`` and ``s_dv`` the least compute + network energy per request (radio
excluded, as above) and the least service time over d's candidates at v (taking both
least is a relaxation). Term 4 (radio, >= 0) is left out. Its value does not fall when
rates rise (a plan for more load is feasible at less, at no more cost), so it is solved
once per *level*: each step's rates rounded down to a grid of ``levels`` steps of each
demand's peak (at most ``levels + 1`` problems when the demands move in step), and the
optimum of its linear relaxation is taken (deterministic; HiGHS's dual bound with ``y``
binary on request, valid whenever HiGHS stops). Each step counts the larger of
this and the sum of the two bounds above.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import BoolArray, FloatArray
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


def _compute_network_j(p: CompiledProblem) -> FloatArray:
    """Per candidate, compute at the smallest slope plus network energy per request (J):
    ``PUE_v s_c m_v + e_c``, the device radio (a split's delta included) left out."""
    node = p.cand_node
    return np.asarray(
        p.node_pue[node] * p.cand_service_s * min_dynamic_slope_w(p)[node]
        + p.cand_net_energy_j
        - p.cand_radio_j
        + p.cand_extra_j
        - p.cand_radio_delta_j,
        dtype=np.float64,
    )


def energy_per_request_floor_j(problem: CompiledProblem) -> FloatArray:
    """Per demand, the least plan-dependent energy one of its requests can cost (J):
    the minimum over its candidates of compute at the smallest slope plus network."""
    p = problem
    cost = _compute_network_j(p)
    floor = np.full(p.n_demands, np.inf)
    np.minimum.at(floor, p.cand_demand, np.maximum(cost, 0.0))
    return np.where(np.isfinite(floor), floor, 0.0)


def _floor_by_route_j(problem: CompiledProblem) -> tuple[FloatArray, FloatArray]:
    """Per demand, the least compute + network energy per request (J, radio excluded)
    over its candidates served at the source and over those served elsewhere (which pay
    the radio on top; inf where a demand has none of the kind), a split candidate's radio
    delta included (not clipped at 0: a saving, which the radio on top makes up for)."""
    p = problem
    cost = np.maximum(_compute_network_j(p), 0.0) + p.cand_radio_delta_j
    off = p.cand_offloaded
    local = np.full(p.n_demands, np.inf)
    away = np.full(p.n_demands, np.inf)
    np.minimum.at(local, p.cand_demand[~off], cost[~off])
    np.minimum.at(away, p.cand_demand[off], cost[off])
    return local, away


def plan_energy_lower_bound(
    problem: CompiledProblem,
    workload: DemandWorkload,
    *,
    n_steps: int,
    step_s: float,
    levels: int = 20,
    integer_s: float = 0.0,
) -> float:
    """The module's bound (J) over the first ``n_steps`` steps of ``workload``, with the
    device radio counted: every step, each demand's requests times the least energy one
    can cost, ``min(local_d, away_d + radio_d(r_d(t)))`` (a request served away from its
    source pays the radio at the demand's rate, the evaluator's rule), less the radio no
    plan avoids when that is counted as fixed (``accounting.unavoidable_radio_at``); plus
    the servers' static part, :func:`server_static_lower_bound_j`; or, where larger, the
    capacitated bound :func:`capacity_lower_bound_w` at the step's rates rounded down to
    ``levels`` (``levels=0``: not used; its linear relaxation, or with ``integer_s`` > 0 also
    HiGHS's dual bound with binary ``y`` within that many seconds). Demands without candidates
    count 0."""
    uncoupled_w, capacity_w = lower_bound_parts_w(
        problem, workload, n_steps=n_steps, step_s=step_s, levels=levels, integer_s=integer_s
    )
    return float(np.maximum(uncoupled_w, capacity_w).sum()) * step_s


def lower_bound_parts_w(
    problem: CompiledProblem,
    workload: DemandWorkload,
    *,
    n_steps: int,
    step_s: float,
    levels: int = 20,
    integer_s: float = 0.0,
    max_levels: int = 64,
) -> tuple[FloatArray, FloatArray]:
    """Per step (W): the per-request floor plus the servers' facility-location bound, and
    the capacitated bound at the step's rates rounded down to ``levels`` (zeros with
    ``levels=0`` or for generation candidates). When the rounded rates take more than
    ``max_levels`` distinct vectors, every demand of a step is rounded down to the step's
    lowest level instead (at most ``levels + 1`` problems)."""
    from slimplace.energy import accounting

    p = problem
    local, away = _floor_by_route_j(p)
    fixed_j = accounting.unavoidable_radio_j(p)
    per_step = np.zeros(n_steps)
    peak, _ = workload.peak_and_mean(n_steps, step_s)
    level = np.zeros((n_steps, p.n_demands), dtype=np.int64)
    block = 256
    for s in range(0, n_steps, block):
        rates = workload.rates(s, min(block, n_steps - s), step_s)
        for i, r in enumerate(rates):
            radio = p.demand_radio_j(r)
            floor = np.minimum(local, away + radio)
            floor = floor - accounting.unavoidable_radio_at(p, r, floor_j=fixed_j, radio_j=radio)
            floor = np.where(np.isfinite(floor), np.maximum(floor, 0.0), 0.0)
            per_step[s + i] = float(r @ floor)
        if levels > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.where(peak > 0, rates / peak, 0.0)
            level[s : s + len(rates)] = np.clip(np.floor(frac * levels + 1e-9), 0, levels)
    per_step += _server_steps_w(p, workload, n_steps=n_steps, step_s=step_s)
    if levels <= 0 or not _capacity_applies(p):
        return per_step, np.zeros(n_steps)
    keys, inverse = np.unique(level, axis=0, return_inverse=True)
    if len(keys) > max_levels:
        low = np.where(peak > 0, level, levels).min(axis=1, keepdims=True)
        level = np.where(peak > 0, np.repeat(low, p.n_demands, axis=1), 0)
        keys, inverse = np.unique(level, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    values = np.array(
        [
            capacity_lower_bound_w(p, key / levels * peak, step_s=step_s, integer_s=integer_s)
            if key.any()
            else 0.0
            for key in keys
        ]
    )
    return per_step, np.asarray(values[inverse], dtype=np.float64)


def _server_steps_w(
    p: CompiledProblem,
    workload: DemandWorkload,
    *,
    n_steps: int,
    step_s: float,
    integer_s: float = 20.0,
) -> FloatArray:
    """Per step, the facility-location bound of :func:`server_static_lower_bound_j` (W)."""
    from slimplace.energy.accounting import server_on_w, switchable

    out = np.zeros(n_steps)
    peak, _ = workload.peak_and_mean(n_steps, step_s)
    value_w = _facility_lp_w(
        p, step_s, server_on_w(p), switchable(p), active=peak > 0, integer_s=integer_s
    )
    if value_w <= 0:
        return out
    needy = _needs_server(p, switchable(p)) & (peak > 0)
    block = 512
    for s in range(0, n_steps, block):
        r = workload.rates(s, min(block, n_steps - s), step_s)
        out[s : s + len(r)] = np.where((r[:, needy] > 0).all(axis=1), value_w, 0.0)
    return out


def server_static_lower_bound_j(
    problem: CompiledProblem,
    workload: DemandWorkload,
    *,
    n_steps: int,
    step_s: float,
    integer_s: float = 20.0,
) -> float:
    """The module's bound on the servers' plan-dependent static energy (J) over the first
    ``n_steps`` steps: for every step in which every demand that needs a server has
    requests, the facility-location LP value (module docstring); 0 for the other steps
    (their value would need another LP, and 0 is a valid bound). The facility location
    problem is solved with binary ``y`` for at most ``integer_s`` seconds and its dual bound
    taken (at least the LP's); ``integer_s=0`` solves the LP relaxation only."""
    steps_w = _server_steps_w(
        problem, workload, n_steps=n_steps, step_s=step_s, integer_s=integer_s
    )
    return float(steps_w.sum() * step_s)


def _capacity_applies(p: CompiledProblem) -> bool:
    """Whether the capacitated bound's prices hold: a node's load is ``sum r x s`` with
    ``s`` the candidate's service time and its power the node's profile (not with
    generation candidates, whose decode batch shares a server's time and scales busy
    power, nor with power modes, whose idle power and slope differ from the profile's)."""
    if p.mode_names:
        return False
    if bool((np.asarray(p.cand_decode_batch) > 1).any()):
        return False
    return not bool((np.asarray(p.cand_power_factor) != 1.0).any())


def capacity_lower_bound_w(
    problem: CompiledProblem, rate_per_s: FloatArray, *, step_s: float, integer_s: float = 0.0
) -> float:
    """The capacitated facility-location bound of the module docstring at ``rate_per_s``
    (W; the servers' static power, compute and network of any step that serves every
    request at these rates): the optimum of its linear relaxation (``y`` in [0, 1]) or,
    with ``integer_s`` > 0, the larger of it and HiGHS's dual bound with ``y`` binary after
    at most ``integer_s`` seconds (which depends on the machine's speed). 0 when the
    problem is infeasible (no such step exists) or HiGHS proves nothing."""
    import highspy
    import scipy.sparse as sp

    from slimplace.energy.accounting import server_on_w, switchable
    from slimplace.optim.highs import quiet_highs

    p = problem
    rate = np.asarray(rate_per_s, dtype=np.float64)
    keep = rate[p.cand_demand] > 0
    if not keep.any():
        return 0.0
    cost = np.maximum(_compute_network_j(p), 0.0)[keep]
    service = np.asarray(p.cand_service_s, dtype=np.float64)[keep]
    # one column per (demand, node): the least cost and the least service time there
    pair_key = p.cand_demand[keep].astype(np.int64) * p.n_nodes + p.cand_node[keep]
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    pair_of = np.asarray(pair_of).reshape(-1)
    a = np.full(len(pairs), np.inf)
    s_min = np.full(len(pairs), np.inf)
    np.minimum.at(a, pair_of, cost)
    np.minimum.at(s_min, pair_of, service)
    d_of, v_of = pairs // p.n_nodes, pairs % p.n_nodes
    demands, d_row = np.unique(d_of, return_inverse=True)
    nodes, v_idx = np.unique(v_of, return_inverse=True)
    can = switchable(p)[nodes]
    on_w = server_on_w(p)[nodes]
    saved = np.where(p.node_elastic[nodes], 0.0, p.node_sleep_w[nodes] * p.node_wake_time_s[nodes])
    wake_w = np.maximum(p.node_pue[nodes] * (p.node_wake_energy_j[nodes] - saved), 0.0) / step_s
    c_w = np.minimum(on_w, wake_w)
    count = p.node_count[nodes].astype(np.float64)
    n_x, n_v, n_d = len(pairs), len(nodes), len(demands)
    sw = np.flatnonzero(can)
    n_s = len(sw)
    # columns: x (n_x), then y, N, z per switchable node (3 n_s)
    col_y, col_n, col_z = (
        n_x + np.arange(n_s),
        n_x + n_s + np.arange(n_s),
        n_x + 2 * n_s + np.arange(n_s),
    )
    slot = np.full(n_v, -1)
    slot[sw] = np.arange(n_s)
    load = rate[d_of] * s_min
    x_sw = slot[v_idx] >= 0
    r_link = n_d + n_v + np.arange(int(x_sw.sum()))  # x_dv - y_v <= 0
    base = n_d + n_v + len(r_link)
    r_ny, r_zn, r_zy = (
        base + np.arange(n_s),
        base + n_s + np.arange(n_s),
        base + 2 * n_s + np.arange(n_s),
    )
    rows = np.concatenate(
        [d_row, n_d + v_idx, r_link, r_link, n_d + sw, r_ny, r_ny, r_zn, r_zn, r_zy, r_zy]
    )
    cols = np.concatenate(
        [
            np.arange(n_x),
            np.arange(n_x),
            np.flatnonzero(x_sw),
            col_y[slot[v_idx[x_sw]]],
            col_n,
            col_n,
            col_y,
            col_z,
            col_n,
            col_z,
            col_y,
        ]
    )
    vals = np.concatenate(
        [
            np.ones(n_x),
            load,
            np.ones(len(r_link)),
            -np.ones(len(r_link)),
            -np.ones(n_s),
            np.ones(n_s),
            -count[sw],
            np.ones(n_s),
            -on_w[sw],
            np.ones(n_s),
            -c_w[sw],
        ]
    )
    n_rows, n_cols = base + 3 * n_s, n_x + 3 * n_s
    lower = np.concatenate(
        [np.ones(n_d), np.full(n_v + len(r_link) + n_s, -np.inf), np.zeros(2 * n_s)]
    )
    cap_rhs = np.where(can, 0.0, count)  # switchable: load - N <= 0; others: load <= count
    upper = np.concatenate(
        [np.ones(n_d), cap_rhs, np.zeros(len(r_link) + n_s), np.full(2 * n_s, np.inf)]
    )
    m = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_ = np.concatenate([rate[d_of] * a, np.zeros(2 * n_s), np.ones(n_s)])
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.concatenate([np.ones(n_x + n_s), count[sw], np.full(n_s, np.inf)])
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = m.indptr
    lp.a_matrix_.index_ = m.indices
    lp.a_matrix_.value_ = m.data
    h = quiet_highs()
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return 0.0
    value = 0.0
    if status == highspy.HighsModelStatus.kOptimal:
        # never report more than the LP's optimum (a margin for HiGHS's tolerances)
        value = max(float(h.getInfo().objective_function_value) * (1 - 1e-6), 0.0)
    if integer_s > 0:  # y binary: HiGHS's dual bound is valid whenever it stops
        kinds = [highspy.HighsVarType.kContinuous] * n_cols
        for j in col_y:
            kinds[int(j)] = highspy.HighsVarType.kInteger
        lp.integrality_ = kinds
        h = quiet_highs()
        h.setOptionValue("time_limit", float(integer_s))
        h.passModel(lp)
        h.run()
        bound = float(h.getInfo().mip_dual_bound)
        if np.isfinite(bound):
            value = max(value, bound * (1 - 1e-6))
    return value


def _needs_server(p: CompiledProblem, can_switch: BoolArray) -> BoolArray:
    """Demands all of whose candidates are on switchable nodes (none at an always-on one)."""
    free = np.zeros(p.n_demands, dtype=bool)
    free[p.cand_demand[~can_switch[p.cand_node]]] = True
    has = np.bincount(p.cand_demand, minlength=p.n_demands) > 0
    return np.asarray(has & ~free, dtype=bool)


def _facility_lp_w(
    p: CompiledProblem,
    step_s: float,
    on_w: FloatArray,
    can_switch: BoolArray,
    *,
    active: BoolArray,
    integer_s: float = 0.0,
) -> float:
    """The facility-location LP of the module docstring, in W (cost per step / step);
    with ``integer_s`` > 0 the same problem with ``y`` binary, solved by HiGHS for at most
    that long, and its dual bound (valid whether or not it reached the optimum)."""
    import highspy
    import scipy.sparse as sp

    from slimplace.optim.highs import quiet_highs

    needy = _needs_server(p, can_switch) & active
    keep = needy[p.cand_demand]
    pairs = np.unique(np.stack([p.cand_demand[keep], p.cand_node[keep]]), axis=1)
    if pairs.shape[1] == 0:
        return 0.0
    d_of, v_of = pairs
    nodes, v_col = np.unique(v_of, return_inverse=True)
    demands, d_row = np.unique(d_of, return_inverse=True)
    # a server becoming ready within the step paid its wake energy, less the sleep power
    # an owned server does not draw while it wakes (elastic ones draw none off)
    saved = np.where(p.node_elastic[nodes], 0.0, p.node_sleep_w[nodes] * p.node_wake_time_s[nodes])
    wake_j = np.maximum(p.node_pue[nodes] * (p.node_wake_energy_j[nodes] - saved), 0.0)
    cost_w = np.minimum(on_w[nodes], wake_j / step_s)
    n_y, n_x = len(nodes), len(d_of)
    # columns: y (n_y), then x (n_x); rows: one sum per demand, then x - y <= 0 per pair
    rows = np.concatenate([d_row, len(demands) + np.arange(n_x), len(demands) + np.arange(n_x)])
    cols = np.concatenate([n_y + np.arange(n_x), n_y + np.arange(n_x), v_col])
    vals = np.concatenate([np.ones(n_x), np.ones(n_x), -np.ones(n_x)])
    n_rows = len(demands) + n_x
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_y + n_x))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_y + n_x, n_rows
    lp.col_cost_ = np.concatenate([cost_w, np.zeros(n_x)])
    lp.col_lower_ = np.zeros(n_y + n_x)
    lp.col_upper_ = np.ones(n_y + n_x)
    lp.row_lower_ = np.concatenate([np.ones(len(demands)), np.full(n_x, -np.inf)])
    lp.row_upper_ = np.concatenate([np.ones(len(demands)), np.zeros(n_x)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    if integer_s > 0:  # y binary: HiGHS's dual bound is valid whenever it stops
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_y + [
            highspy.HighsVarType.kContinuous
        ] * n_x
    h = quiet_highs()
    if integer_s > 0:
        h.setOptionValue("time_limit", float(integer_s))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if integer_s > 0:
        bound = float(h.getInfo().mip_dual_bound)
        return max(bound * (1 - 1e-9), 0.0) if np.isfinite(bound) else 0.0
    if status != highspy.HighsModelStatus.kOptimal:
        return 0.0
    # the dual objective of an optimal LP is its value; never report more than it
    return max(float(h.getInfo().objective_function_value) * (1 - 1e-9), 0.0)
