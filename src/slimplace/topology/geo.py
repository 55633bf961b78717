"""Great-circle distances, fibre propagation delay and position estimation.

Distances use the haversine formula on a sphere of mean Earth radius
6371.0088 km (IUGG mean radius; R. W. Sinnott, "Virtues of the Haversine",
Sky & Telescope 68(2):159, 1984). Propagation delay assumes light in optical
fibre travels at about 2/3 of c, i.e. ~2e8 m/s (refractive index ~1.47; see
e.g. R. Ramaswami, K. Sivarajan, G. Sasaki, *Optical Networks*, 3rd ed., 2010).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

#: Mean Earth radius (km), IUGG.
EARTH_RADIUS_KM = 6371.0088
#: Signal speed in optical fibre, ~2/3 of the speed of light in vacuum (m/s).
FIBRE_SIGNAL_SPEED_M_PER_S = 2.0 / 3.0 * 299_792_458.0
#: Latency of one link when a graph has no coordinates at all (s): the one-way
#: fibre delay over 500 km, a typical PoP-to-PoP span in national backbones.
DEFAULT_HOP_LATENCY_S = 500e3 / FIBRE_SIGNAL_SPEED_M_PER_S


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (km) between two points given in degrees (haversine formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def haversine_km_array(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Vectorised :func:`haversine_km` (degrees in, km out, broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def fibre_latency_s(length_km: float) -> float:
    """One-way propagation delay (s) over ``length_km`` of fibre at ~2e8 m/s."""
    return length_km * 1e3 / FIBRE_SIGNAL_SPEED_M_PER_S


def valid_coordinate(lat: float | None, lon: float | None) -> bool:
    """True when (lat, lon) are finite degrees within [-90, 90] x [-180, 180]."""
    if lat is None or lon is None:
        return False
    return math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180


def estimate_positions(graph: nx.Graph) -> list[str]:
    """Give every node without ``lat``/``lon`` an estimated position, in place.

    Rule: in rounds, each unplaced node with at least one placed neighbour gets
    the arithmetic mean of its placed neighbours' (lat, lon); all nodes of a
    round are placed together, so the result does not depend on node order.
    Nodes still unplaced when no round makes progress (no geolocated node in
    reach) get the centroid of all placed nodes. Estimated nodes get
    ``position_estimated=True``. Longitudes are averaged naively (fine away from
    the antimeridian). Does nothing when no node has a position. Returns the
    ids of the estimated nodes, in placement order.
    """
    placed = {n for n, d in graph.nodes(data=True) if "lat" in d and "lon" in d}
    if not placed:
        return []
    estimated: list[str] = []
    pending = [n for n in graph.nodes if n not in placed]
    while pending:
        batch: dict[str, tuple[float, float]] = {}
        for n in pending:
            near = [m for m in graph.neighbors(n) if m in placed]
            if near:
                lat = sum(graph.nodes[m]["lat"] for m in near) / len(near)
                lon = sum(graph.nodes[m]["lon"] for m in near) / len(near)
                batch[n] = (lat, lon)
        if not batch:
            break
        for n, (lat, lon) in batch.items():
            graph.nodes[n].update(lat=lat, lon=lon, position_estimated=True)
            placed.add(n)
            estimated.append(n)
        pending = [n for n in pending if n not in batch]
    if pending:
        lats = [graph.nodes[m]["lat"] for m in placed]
        lons = [graph.nodes[m]["lon"] for m in placed]
        centroid = (sum(lats) / len(lats), sum(lons) / len(lons))
        for n in pending:
            graph.nodes[n].update(lat=centroid[0], lon=centroid[1], position_estimated=True)
            estimated.append(n)
    return estimated
