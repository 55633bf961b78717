"""Network energy under the power model: equipment baseload and marginal energy per bit.

Most of a network's power is a baseload drawn while its equipment is on, whatever
the traffic; a bit sent adds only a small marginal energy (Malmodin, "The power
consumption of mobile and fixed network data services", EGG 2020; Schien et al.,
"The energy intensity of the Internet", J. Ind. Ecol. 2015; base stations after
the EARTH model, Auer et al., IEEE Wireless Commun. 18(5), 2011: P0 + dp P_out).
A link carries ``baseload_w`` (the ports, line cards or radio site that serve it)
and ``marginal_j_per_bit`` per bit that crosses it. Links of a ``shared`` kind
(base stations, access points) are served by one site at their *hub*, the end of
higher tier (ties: the end with more links of the kind): the site's baseload is
split evenly over those links (those that give no baseload of their own), so that
it is counted once per site.

Where the energy is drawn (for carbon): a shared link's equipment is at its hub;
any other link's at its two ends, half each (``link_share_a``: the share at end a).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.scenario.model import TIERS, Link, LinkKind, Scenario

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class LinkPower:
    """Power-model figures of every link (L)."""

    baseload_w: FloatArray
    marginal_j_per_bit: FloatArray
    share_a: FloatArray


def _hubs(scenario: Scenario, kinds: dict[str, LinkKind]) -> list[str | None]:
    """Hub node of each link of a shared kind (None for other links)."""
    tier = {n.id: TIERS.index(n.tier) for n in scenario.nodes}
    degree: Counter[tuple[str, str]] = Counter()
    for link in scenario.links:
        degree[(link.a, link.kind)] += 1
        degree[(link.b, link.kind)] += 1

    def hub(link: Link) -> str | None:
        kind = kinds.get(link.kind)
        if kind is None or not kind.shared:
            return None
        key_a = (tier[link.a], degree[(link.a, link.kind)])
        key_b = (tier[link.b], degree[(link.b, link.kind)])
        return link.a if key_a > key_b else link.b

    return [hub(link) for link in scenario.links]


def link_power(scenario: Scenario) -> LinkPower:
    """Baseload, marginal energy per bit and equipment location of every link.

    A link's own ``baseload_w``/``marginal_j_per_bit`` win over its kind's; a kind
    without a marginal figure charges its attributional ``energy_j_per_bit``."""
    kinds = scenario.link_kind_by_name()
    hubs = _hubs(scenario, kinds)
    at_hub = Counter(
        (h, link.kind)
        for h, link in zip(hubs, scenario.links, strict=True)
        if h and link.baseload_w is None
    )
    base, marginal, share_a = [], [], []
    for link, h in zip(scenario.links, hubs, strict=True):
        kind = kinds.get(link.kind)
        if link.baseload_w is not None:
            b = link.baseload_w
        else:
            b = kind.baseload_w if kind is not None else 0.0
            if h is not None:
                b /= at_hub[(h, link.kind)]
        if link.marginal_j_per_bit is not None:
            m = link.marginal_j_per_bit
        elif kind is not None and kind.marginal_j_per_bit is not None:
            m = kind.marginal_j_per_bit
        else:
            m = link.energy_j_per_bit
        base.append(b)
        marginal.append(m)
        share_a.append(0.5 if h is None else float(h == link.a))
    return LinkPower(
        baseload_w=np.array(base, dtype=np.float64),
        marginal_j_per_bit=np.array(marginal, dtype=np.float64),
        share_a=np.array(share_a, dtype=np.float64),
    )
