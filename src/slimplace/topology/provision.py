"""Size the servers of a generated continuum to the load it generates, as an operator would.

Each site is provisioned for the peak it could be asked to serve (capacity planning at a
target utilisation, e.g. Harchol-Balter, *Performance Modeling and Design of Computer
Systems*, 2013, ch. 14: servers = ceil(offered load / rho_max)):

- an edge site for every demand that enters at its antenna,
- a metro site for every demand that enters at its PoP,
- a datacenter for every demand (datacenters are ``elastic``: they are a cap, not a cost),

where a demand's offered load at a node is its rate times the service time of the
cheapest variant that meets its accuracy floor on that node's hardware, and a spare
share (``spare``, N+1-style headroom) is added. Owned sites are capped (an edge cabinet
holds a few boxes); what does not fit goes up the hierarchy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.problem.compiled import CompiledProblem


@dataclass(frozen=True, kw_only=True, slots=True)
class Sizing:
    """How many servers each site gets: ``spare`` headroom over the peak; caps per tier."""

    spare: float = 0.25
    max_edge_servers: int = 8
    max_metro_servers: int = 32


def floor_ok(problem: CompiledProblem) -> npt.NDArray[np.bool_]:
    """Candidates whose variant meets its application's floor (hard or average)."""
    floor = problem.app_floor[problem.demand_app[problem.cand_demand]]
    return np.asarray(problem.cand_accuracy >= floor - 1e-12)


def min_busy_per_pair(problem: CompiledProblem) -> tuple[IntArray, IntArray, FloatArray]:
    """(demand, node, busy) with, per (demand, node) pair, the least busy server-seconds per
    second among candidates meeting the floor: rate x service time of the cheapest variant."""
    ok = floor_ok(problem)
    d = problem.cand_demand[ok]
    n = problem.cand_node[ok]
    busy = problem.demand_rate_per_s[d] * problem.cand_service_s[ok]
    key = d.astype(np.int64) * problem.n_nodes + n
    order = np.lexsort((busy, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    pick = order[first]
    return d[pick], n[pick], busy[pick]


def site_counts(
    problem: CompiledProblem,
    serves: dict[int, IntArray],
    sizing: Sizing,
    caps: dict[int, int | None],
) -> dict[int, int]:
    """Servers per node index in ``serves`` (node -> demands it could be asked to serve)."""
    d, n, busy = min_busy_per_pair(problem)
    rho = problem.max_utilisation
    counts: dict[int, int] = {}
    for node, demands in serves.items():
        at_node = n == node
        mine = np.isin(d[at_node], demands)
        load = float(busy[at_node][mine].sum())
        need = max(1, math.ceil(load * (1.0 + sizing.spare) / rho - 1e-9))
        cap = caps.get(node)
        counts[node] = need if cap is None else min(need, cap)
    return counts
