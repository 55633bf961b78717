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
that is on. With fixed shortest-path routes every link may carry traffic, so every
link is on and the baseload is fixed; :func:`links_on` is the one place that says so
(a plan that switches links off would make it plan-dependent). The attributional
model has no baseload.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import BoolArray, FloatArray
from slimplace.problem.compiled import CompiledProblem


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


def links_on(p: CompiledProblem) -> BoolArray:
    """Links whose equipment is on: every link, since routes are fixed shortest paths."""
    return np.ones(len(p.link_a), dtype=bool)


def link_baseload_w(p: CompiledProblem) -> FloatArray:
    """Baseload drawn by every link (0 under the attributional model)."""
    if not p.power_model:
        return np.zeros(len(p.link_a))
    return np.where(links_on(p), p.link_baseload_w, 0.0)
