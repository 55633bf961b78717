"""Which power a plan controls and which is drawn whatever the plan (DESIGN.md, "The model").

Servers (power x PUE, The Green Grid WP#49; linear or measured power, Fan et al.,
ISCA 2007):

* an **always-on** node (user devices) draws ``PUE idle`` per server, always: fixed;
* an **owned** node's servers sleep when off: ``PUE sleep count`` is fixed and each
  server switched on adds ``PUE (idle - sleep)``;
* an **elastic** node (shared cloud capacity) is charged ``PUE idle`` per server the
  plan uses and nothing otherwise (other tenants pay for the rest).

Embodied carbon (:mod:`slimplace.energy.embodied`) follows the same split: owned and
always-on servers' is fixed, elastic servers pay theirs per server-hour used.

Network (power model, :mod:`slimplace.energy.network`): the baseload of every link
that is on. With fixed shortest-path routes (``k_paths`` = 1) every link may carry
traffic, so every link is on and the baseload is fixed. When routing is a decision
(``k_paths`` > 1, ``docs/routing.md``) a link that can sleep
(:func:`slimplace.problem.routing.can_sleep`) and carries no traffic sleeps, like an
owned server: its sleep power is fixed and ``baseload - sleep`` is paid only while it
is on (plan-dependent); links that cannot sleep keep their whole baseload fixed.
:func:`links_on` is the one place that says which links are on. The attributional
model has no baseload.

Device radios (power model, :mod:`slimplace.energy.radio`): a request served away from
its source pays the source's radio. The least radio energy per request over a demand's
candidates (:func:`unavoidable_radio_j`) is drawn whatever the plan, so ``rate x`` that
least energy is fixed (:func:`unavoidable_radio_w`); only the radio energy a plan could
avoid (by serving at the source) is plan-dependent. Every plan serves every request of
every demand (sum of shares 1), so moving this per-demand amount from the candidates to
the fixed part shifts every plan's value by the same constant: optima are unchanged.
A split candidate (:mod:`slimplace.split.candidates`) pays its demand's radio plus
``cand_radio_delta_j``, the transfer energy of its cut tensor's bits less the raw
request's (linear in bits, rate-independent); the least of ``cand_radio_j +
cand_radio_delta_j`` is what no plan avoids, so a split that sends fewer bits lowers the
fixed part instead of showing as negative plan-dependent energy.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import BoolArray, FloatArray
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.routing import can_sleep


def switchable(p: CompiledProblem) -> BoolArray:
    """Nodes whose servers a plan switches on and off."""
    return np.asarray(~p.node_always_on & (p.node_count > 0), dtype=bool)


def server_static_w(p: CompiledProblem, on: FloatArray) -> FloatArray:
    """Static power (idle of servers on, sleep of owned servers off) of every node with
    ``on`` servers on (always-on nodes: ``on = count``), with PUE."""
    off = np.maximum(p.node_count - on, 0)
    owned = p.node_pue * (p.node_idle_w * on + p.node_sleep_w * off)
    elastic = p.node_pue * p.node_idle_w * on
    return np.where(p.node_elastic & switchable(p), elastic, owned)


def server_fixed_w(p: CompiledProblem) -> FloatArray:
    """The part of every node's static power drawn whatever the plan."""
    always = p.node_pue * p.node_idle_w * p.node_count
    owned_off = p.node_pue * p.node_sleep_w * p.node_count
    fixed = np.where(p.node_elastic, 0.0, owned_off)
    return np.where(p.node_always_on, always, np.where(switchable(p), fixed, 0.0))


def server_on_w(p: CompiledProblem) -> FloatArray:
    """Static power one more server switched on adds at every node (0: always-on)."""
    owned = p.node_pue * (p.node_idle_w - p.node_sleep_w)
    elastic = p.node_pue * p.node_idle_w
    return np.where(switchable(p), np.where(p.node_elastic, elastic, owned), 0.0)


def embodied_fixed_g_per_h(p: CompiledProblem) -> FloatArray:
    """Embodied gCO2e/h of every node drawn whatever the plan (owned, always-on servers)."""
    charged = p.node_always_on | ~p.node_elastic
    return np.where(charged, p.node_embodied_g_per_h * p.node_count, 0.0)


def embodied_on_g_per_h(p: CompiledProblem) -> FloatArray:
    """Embodied gCO2e/h one more server switched on adds at every node (elastic only)."""
    return np.where(switchable(p) & p.node_elastic, p.node_embodied_g_per_h, 0.0)


#: Traffic (bit/s, both directions) below which a link counts as carrying none.
IDLE_LINK_BPS = 1e-9


def links_on(p: CompiledProblem, arc_loads_bps: FloatArray | None = None) -> BoolArray:
    """Links whose equipment is on: every link that cannot sleep, and every other link
    that carries traffic under ``arc_loads_bps`` (directed, 2L; None: every link on, as
    with fixed shortest-path routes)."""
    on = np.ones(len(p.link_a), dtype=bool)
    if arc_loads_bps is None:
        return on
    busy = (arc_loads_bps[0::2] + arc_loads_bps[1::2]) > IDLE_LINK_BPS
    return np.asarray(on & (~can_sleep(p) | busy), dtype=bool)


def link_baseload_w(p: CompiledProblem, arc_loads_bps: FloatArray | None = None) -> FloatArray:
    """Baseload drawn by every link (0 under the attributional model): its baseload while
    on, its sleep power while asleep (:func:`links_on`)."""
    if not p.power_model:
        return np.zeros(len(p.link_a))
    asleep = np.where(can_sleep(p), np.nan_to_num(p.link_sleep_w), p.link_baseload_w)
    return np.where(links_on(p, arc_loads_bps), p.link_baseload_w, asleep)


def link_fixed_w(p: CompiledProblem) -> FloatArray:
    """The part of every link's baseload drawn whatever the plan: all of it for links that
    cannot sleep, the sleep power of the others (0 under the attributional model)."""
    if not p.power_model:
        return np.zeros(len(p.link_a))
    return np.where(can_sleep(p), np.nan_to_num(p.link_sleep_w), p.link_baseload_w)


def link_on_w(p: CompiledProblem) -> FloatArray:
    """Power a link adds when the plan switches it on (``baseload - sleep``; 0 for links
    that cannot sleep, whose baseload is fixed)."""
    return np.where(can_sleep(p), p.link_baseload_w - np.nan_to_num(p.link_sleep_w), 0.0)


def unavoidable_radio_j(p: CompiledProblem) -> FloatArray:
    """Device radio energy per request of every demand that no plan avoids (J, nominal
    rates): the least ``cand_radio_j + cand_radio_delta_j`` over the demand's candidates
    (a split candidate's radio for the bits it sends), 0 where one serves at the source
    (or the demand has no candidate, or the model is attributional)."""
    return p.demand_radio_floor_j.copy()  # computed once per problem


def unavoidable_radio_at(
    p: CompiledProblem,
    rate_per_s: FloatArray | None = None,
    *,
    floor_j: FloatArray | None = None,
    radio_j: FloatArray | None = None,
) -> FloatArray:
    """:func:`unavoidable_radio_j` of every demand at request rates ``rate_per_s``
    (default: the nominal ones). A candidate's radio energy per request at other rates is
    its demand's (:meth:`CompiledProblem.demand_radio_j`, the evaluator's rule): its
    ``cand_radio_j`` scales by ``radio_j(rate) / radio_j(nominal)`` while a split
    candidate's ``cand_radio_delta_j`` (transfer energy of bits, Huang et al. 2012) does
    not depend on the rate, so the floor is the least of ``cand_radio_j x scale +
    cand_radio_delta_j`` over the candidates (without deltas: the nominal floor x scale).
    ``floor_j`` (the nominal floor, used only when no candidate has a delta) and
    ``radio_j`` (the demands' radio energy at ``rate_per_s``) may be passed when the
    caller has them (the simulator, at every change of rates)."""
    deltas = p.power_model and p.any_radio_delta
    floor = unavoidable_radio_j(p) if floor_j is None or deltas else floor_j
    if rate_per_s is None or not floor.any():
        return floor
    at = p.demand_radio_j(rate_per_s) if radio_j is None else radio_j
    nominal = p.demand_radio_j()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(nominal > 0, at / nominal, 0.0)
    if deltas:
        radio = p.cand_radio_j * scale[p.cand_demand] + p.cand_radio_delta_j
        return p.least_per_demand(radio)
    return np.asarray(floor * scale, dtype=np.float64)


def unavoidable_radio_w(p: CompiledProblem, rate_per_s: FloatArray | None = None) -> FloatArray:
    """Device radio power of every demand drawn whatever the plan (W): its rate times
    :func:`unavoidable_radio_at` (at ``rate_per_s``, default the nominal rates)."""
    rate = p.demand_rate_per_s if rate_per_s is None else rate_per_s
    return np.asarray(rate * unavoidable_radio_at(p, rate_per_s), dtype=np.float64)
