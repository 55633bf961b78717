"""Power and energy model of servers and the network.

A server draws ``P(u) = P_idle + (P_peak - P_idle) * u`` at utilisation u (Fan,
Weber & Barroso, "Power provisioning for a warehouse-sized computer", ISCA
2007), or a measured piecewise-linear load profile where one is given. Facility
overhead multiplies by PUE (The Green Grid, WP#49, 2012). Network energy is
energy per bit times bits over each link of the path (Baliga et al., "Green
Cloud Computing", Proc. IEEE 99(1), 2011; LEAF, Wiesner & Thamsen, ICFEC 2021).
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.scenario.model import PowerCurve

J_PER_KWH = 3.6e6


def dynamic_energy_j(
    service_s: FloatArray, idle_power_w: FloatArray, peak_power_w: FloatArray
) -> FloatArray:
    """Energy per inference above idle under the linear model: (P_peak - P_idle) * busy time."""
    return (np.asarray(peak_power_w) - np.asarray(idle_power_w)) * np.asarray(service_s)


def server_power_w(
    utilisation: FloatArray,
    idle_power_w: FloatArray,
    peak_power_w: FloatArray,
    curve: PowerCurve | None = None,
) -> FloatArray:
    """Wall power of one server at ``utilisation`` in [0, 1] (values above 1 are clipped)."""
    u = np.clip(np.asarray(utilisation, dtype=np.float64), 0.0, 1.0)
    if curve is None:
        return np.asarray(idle_power_w) + (np.asarray(peak_power_w) - np.asarray(idle_power_w)) * u
    return np.interp(u, np.asarray(curve.utilisation), np.asarray(curve.power_w))


def carbon_g(energy_j: FloatArray, intensity_g_per_kwh: FloatArray) -> FloatArray:
    """Emissions of ``energy_j`` drawn from a grid at ``intensity_g_per_kwh`` gCO2e/kWh."""
    return np.asarray(energy_j) * np.asarray(intensity_g_per_kwh) / J_PER_KWH
