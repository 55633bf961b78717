"""Network energy under the power model: equipment baseload and marginal energy per bit.

Most of a network's power is a baseload drawn while its equipment is on, whatever
the traffic; a bit sent adds only a small marginal energy (Malmodin, "The power
consumption of mobile and fixed network data services", EGG 2020; Schien et al.,
"The energy intensity of the Internet", J. Ind. Ecol. 2015; base stations after
the EARTH model, Auer et al., IEEE Wireless Commun. 18(5), 2011: P0 + dp P_out).
A link carries ``baseload_w`` (the ports, line cards or radio site that serve it)
and ``marginal_j_per_bit`` per bit that crosses it. Links of a ``shared`` kind
(base stations, access points) are served by one site at their *hub*, the end of
higher tier (ties: the end with more links of the kind, then end b): the site's
baseload is split evenly over those links (those that give no baseload of their
own), so that it is counted once per site.

Where the energy is drawn (for carbon): a shared link's equipment is at its hub;
any other link's at its two ends, half each (``share_a``: the share at end a).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.scenario.model import TIERS, Scenario


@dataclass(frozen=True, slots=True, eq=False)
class LinkPower:
    """Power-model figures of every link (L)."""

    baseload_w: FloatArray
    marginal_j_per_bit: FloatArray
    share_a: FloatArray
    #: node index of each shared link's hub (-1 for other links)
    hub: IntArray


def _optional(values: list[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def link_power(scenario: Scenario) -> LinkPower:
    """Baseload, marginal energy per bit, equipment location and hub of every link.

    A link's own ``baseload_w``/``marginal_j_per_bit`` win over its kind's; a kind
    without a marginal figure charges the link's attributional ``energy_j_per_bit``."""
    index = {n.id: i for i, n in enumerate(scenario.nodes)}
    kinds = scenario.link_kinds
    kind_index = {k.name: i for i, k in enumerate(kinds)}
    ls = scenario.links
    a = np.array([index[link.a] for link in ls], dtype=np.int64)
    b = np.array([index[link.b] for link in ls], dtype=np.int64)
    kind = np.array([kind_index.get(link.kind, len(kinds)) for link in ls], dtype=np.int64)
    # per kind, with a last row for unknown kinds (no baseload, average marginal)
    kind_base = np.array([k.baseload_w for k in kinds] + [0.0])
    kind_marginal = _optional([k.marginal_j_per_bit for k in kinds] + [None])
    kind_shared = np.array([k.shared for k in kinds] + [False], dtype=bool)
    own_base = _optional([link.baseload_w for link in ls])
    own_marginal = _optional([link.marginal_j_per_bit for link in ls])
    energy = np.array([link.energy_j_per_bit for link in ls], dtype=np.float64)
    tier = np.array([TIERS.index(n.tier) for n in scenario.nodes], dtype=np.int64)

    n_kinds = len(kinds) + 1
    degree = np.bincount(a * n_kinds + kind, minlength=len(index) * n_kinds)
    degree += np.bincount(b * n_kinds + kind, minlength=len(index) * n_kinds)
    deg_a, deg_b = degree[a * n_kinds + kind], degree[b * n_kinds + kind]
    a_is_hub = (tier[a] > tier[b]) | ((tier[a] == tier[b]) & (deg_a > deg_b))
    shared = kind_shared[kind]
    hub = np.where(shared, np.where(a_is_hub, a, b), -1)

    split = shared & np.isnan(own_base)
    at_hub = np.bincount(hub[split] * n_kinds + kind[split], minlength=len(index) * n_kinds).astype(
        np.float64
    )
    sharers = np.where(split, at_hub[np.maximum(hub, 0) * n_kinds + kind], 1.0)
    base = np.where(np.isnan(own_base), kind_base[kind] / sharers, own_base)
    marginal = np.where(
        np.isnan(own_marginal),
        np.where(np.isnan(kind_marginal[kind]), energy, kind_marginal[kind]),
        own_marginal,
    )
    share_a = np.where(shared, (hub == a).astype(np.float64), 0.5)
    return LinkPower(
        baseload_w=base.astype(np.float64),
        marginal_j_per_bit=marginal.astype(np.float64),
        share_a=share_a,
        hub=hub.astype(np.int64),
    )
