"""Seeded synthetic PoP-level topologies for scale benchmarks.

PoPs are scattered uniformly on a latitude/longitude box (default: Europe,
35-60 N, 10 W-30 E). Links are a Euclidean minimum spanning tree (so the
graph is connected) plus Waxman edges: a pair at distance d is linked with
probability proportional to exp(-d / (alpha * L)), L the largest distance
(B. M. Waxman, "Routing of multipoint connections", IEEE JSAC 6(9), 1988),
scaled so that about ``extra_edges_per_pop`` edges per PoP are added (mean
degree ~2 + 2 x that). Everything is vectorised with numpy.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import minimum_spanning_tree

from slimplace.errors import InputError, Problem
from slimplace.topology.geo import fibre_latency_s, haversine_km_array

#: Default box (lat_min, lat_max, lon_min, lon_max) in degrees: Europe.
EUROPE_BOX = (35.0, 60.0, -10.0, 30.0)


def synthetic_topology(
    n_pops: int,
    *,
    seed: int,
    box: tuple[float, float, float, float] = EUROPE_BOX,
    alpha: float = 0.15,
    extra_edges_per_pop: float = 0.6,
) -> nx.Graph:
    """A connected random geometric (MST + Waxman) PoP graph, normalised like an imported one.

    Nodes ``pop-0000``... carry ``label``, ``lat``, ``lon``; edges carry
    ``length_km`` and ``latency_s`` (fibre delay, :mod:`slimplace.topology.geo`).
    Same ``seed``, same graph.
    """
    if n_pops < 2:
        raise InputError("synthetic_topology", [Problem("n_pops", "need at least 2 PoPs")])
    rng = np.random.default_rng(seed)
    lat_min, lat_max, lon_min, lon_max = box
    # Uniform on the sphere within the box: sin(lat) uniform.
    s = rng.uniform(np.sin(np.radians(lat_min)), np.sin(np.radians(lat_max)), n_pops)
    lat = np.degrees(np.arcsin(s))
    lon = rng.uniform(lon_min, lon_max, n_pops)
    dist = haversine_km_array(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    tree = minimum_spanning_tree(dist + 1e-9).tocoo()  # +eps: zero weights are "no edge"
    iu, ju = np.triu_indices(n_pops, k=1)
    d = dist[iu, ju]
    weight = np.exp(-d / (alpha * max(float(d.max()), 1e-9)))
    p = np.minimum(1.0, weight * (extra_edges_per_pop * n_pops / weight.sum()))
    pick = rng.random(d.size) < p
    pairs = np.concatenate(
        [np.stack([tree.row, tree.col], axis=1), np.stack([iu[pick], ju[pick]], axis=1)]
    )
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    ids = [f"pop-{i:04d}" for i in range(n_pops)]
    graph = nx.Graph(name=f"synthetic-{n_pops}-s{seed}", source="synthetic")
    graph.add_nodes_from(
        (ids[i], {"label": ids[i], "lat": float(lat[i]), "lon": float(lon[i])})
        for i in range(n_pops)
    )
    lengths = dist[pairs[:, 0], pairs[:, 1]]
    graph.add_edges_from(
        (ids[a], ids[b], {"length_km": float(km), "latency_s": fibre_latency_s(float(km))})
        for (a, b), km in zip(pairs.tolist(), lengths.tolist(), strict=True)
    )
    return graph
