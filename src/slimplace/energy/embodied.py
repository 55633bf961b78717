"""Embodied carbon amortised per hour of use.

A server whose manufacture emitted ``embodied_kg`` kgCO2e and that lasts
``lifetime_years`` is charged ``1000 * embodied_kg / (lifetime_years * 8760 h)``
gCO2e per hour it is in service (the linear amortisation of ACT, Gupta et al.,
"ACT: Designing sustainable computer systems with an architectural carbon modeling
tool", ISCA 2022, eq. 1's embodied term scaled by the share of the lifetime used;
figures from Boavizta's API and ACT's data, see ``data/catalog/SOURCES.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.scenario.model import HardwareProfile

HOURS_PER_YEAR = 8760.0
G_PER_KG = 1000.0


def embodied_g_per_h(embodied_kg: float, lifetime_years: float) -> float:
    """gCO2e per hour of one unit: embodied carbon spread evenly over its lifetime."""
    return G_PER_KG * embodied_kg / (lifetime_years * HOURS_PER_YEAR)


def node_embodied_g_per_h(
    profiles: Sequence[HardwareProfile], node_profile: IntArray
) -> FloatArray:
    """Embodied gCO2e per hour of one server of every node (0 for nodes without hardware)."""
    per_profile = np.array(
        [embodied_g_per_h(p.embodied_kg, p.lifetime_years) for p in profiles] + [0.0]
    )
    return np.where(node_profile >= 0, per_profile[node_profile], 0.0)
