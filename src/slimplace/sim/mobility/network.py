"""Who may move, where they may attach, and what each attachment costs per candidate.

A *mobile source* is a traffic source attached to the network by one link (a phone or a
vehicle hanging off an antenna: the folded leaves of :mod:`slimplace.problem.routes`); an
*antenna* (access node) is a node such a link ends at. When a source hands over from its
home antenna ``h`` to antenna ``a`` it keeps its access link (same kind, latency,
bandwidth and energy per bit) and its requests take the shortest route from ``a``
instead of ``h``. Its candidates' network figures change by the route difference:

    net_latency(a, n) = net_latency(h, n) + 2 (L[a, n] - L[h, n]) + bits (S[a, n] - S[h, n])
    net_energy(a, n)  = net_energy(h, n) + bits (E[a, n] - E[h, n])

with ``L`` the propagation latency, ``S`` the seconds per bit and ``E`` the energy per bit
summed over the route (:func:`slimplace.problem.latency.network_latency_s`, round trip
plus store and forward; the energy per bit of the scenario's network energy model). The
tables are the route tables of :func:`slimplace.problem.routes.compute_routes`, computed
once from every antenna and every serving node (the latter price a migration's
transfer), so a handover is a gather, never a recompilation.

Every candidate of a mobile demand carries a *tag*, the antenna its compiled figures hold
for (the home antenna for the compiled candidates; the antenna that admits it for those
:mod:`slimplace.sim.mobility.roaming` adds), and the formulas above run from the tag
instead of ``h``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.errors import SlimplaceError
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.routes import Routes, compute_routes


class MobilityError(SlimplaceError):
    """A scenario or option mobility cannot work with (no mobile source, an antenna
    without a position for a position-based movement, a bad movement parameter)."""


#: Earth radius (m) of the equirectangular projection (IUGG mean radius).
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, eq=False)
class AccessNetwork:
    """Mobile sources, antennas and the route tables between antennas and serving nodes.

    ``source_node`` lists the mobile sources (node indices), ``home`` the antenna index
    (into ``antenna_node``) each is attached to in the scenario. ``antenna_xy_m`` are the
    antennas' positions projected to metres (NaN where a node has no position).
    ``mc_*`` describe the candidates of the mobile sources' demands that are not served
    at the source itself (the ones a handover changes): ``mc_tag`` the antenna their
    compiled figures hold for, ``mc_net0`` those figures' network latency (s).
    """

    problem: CompiledProblem
    source_node: IntArray
    home: IntArray
    antenna_node: IntArray
    antenna_xy_m: FloatArray
    #: latitude (degrees) the projection is centred on
    lat0_deg: float
    routes: Routes
    mc_cand: IntArray
    mc_source: IntArray
    mc_col: IntArray
    mc_bits: FloatArray
    mc_tag: IntArray
    mc_net0: FloatArray
    #: per node, its mobile-source index (-1: not a mobile source)
    source_of_node: IntArray
    #: per demand, whether its source is mobile
    demand_mobile: BoolArray

    @property
    def n_sources(self) -> int:
        """Mobile sources."""
        return len(self.source_node)

    def antenna_row(self, antenna: IntArray) -> IntArray:
        """Route-table rows of antennas (indices into ``antenna_node``)."""
        return self.routes.source_root_row[self.antenna_node[antenna]]

    def node_row(self, nodes: IntArray) -> IntArray:
        """Route-table rows of serving nodes."""
        return self.routes.source_root_row[nodes]

    def candidate_network(self, access: IntArray, sel: IntArray) -> tuple[FloatArray, FloatArray]:
        """Network latency (s) of the mobile candidates ``mc_cand[sel]`` and the change of
        their network energy per request (J) from their tag's, with every mobile source
        attached to antenna ``access[source]`` (the module's formulas)."""
        r = self.routes
        src = self.mc_source[sel]
        now = self.antenna_row(access[src])
        ref = self.antenna_row(self.mc_tag[sel])
        col, bits = self.mc_col[sel], self.mc_bits[sel]
        d_lat = r.latency_s[now, col] - r.latency_s[ref, col]
        d_spb = r.seconds_per_bit[now, col] - r.seconds_per_bit[ref, col]
        d_ebit = r.energy_j_per_bit[now, col] - r.energy_j_per_bit[ref, col]
        net = self.mc_net0[sel] + 2.0 * d_lat + bits * d_spb
        return net, bits * d_ebit

    def for_candidates(self, problem: CompiledProblem, tag: IntArray) -> AccessNetwork:
        """This network over the candidates of ``problem`` (the same demands and nodes,
        e.g. with roaming candidates added), each compiled for antenna ``tag`` (-1: not a
        mobile candidate)."""
        return dataclasses.replace(
            self,
            problem=problem,
            **_mobile_candidates(problem, self.routes, tag, self.source_of_node),
        )

    def transfer(self, from_node: IntArray, to_node: IntArray, bits: FloatArray) -> tuple[
        FloatArray, FloatArray
    ]:  # fmt: skip
        """Time (s: one-way propagation plus store and forward) and network energy (J) of
        sending ``bits`` from serving node to serving node along the route."""
        r = self.routes
        row, col = self.node_row(from_node), r.col(to_node)
        time_s = r.latency_s[row, col] + bits * r.seconds_per_bit[row, col]
        return time_s, bits * r.energy_j_per_bit[row, col]


def home_tags(p: CompiledProblem, source_of_node: IntArray, home: IntArray) -> IntArray:
    """Per candidate the home antenna of its demand's mobile source (-1: the source is
    not mobile, or the candidate is served at the source, where no antenna matters)."""
    src = p.demand_source[p.cand_demand]
    s = source_of_node[src]
    return np.where((s >= 0) & (p.cand_node != src), home[np.maximum(s, 0)], -1)


def _mobile_candidates(
    p: CompiledProblem, routes: Routes, tag: IntArray, source_of_node: IntArray
) -> dict[str, Any]:
    """The ``mc_*`` fields of the candidates with a tag (bits: the request, or a split's
    cut tensor, plus the response)."""
    sel = np.flatnonzero(tag >= 0)
    d = p.cand_demand[sel]
    out = {
        "mc_cand": sel.astype(np.int64),
        "mc_col": routes.col(p.cand_node[sel]),
        "mc_bits": np.asarray(p.cand_request_bits)[sel] + p.demand_response_bits[d],
        "mc_tag": tag[sel].astype(np.int64),
        "mc_net0": np.array(p.cand_net_latency_s[sel], dtype=np.float64),
        "mc_source": source_of_node[p.demand_source[d]],
    }
    return out


def project_m(lat_lon: FloatArray, lat0_deg: float) -> FloatArray:
    """(latitude, longitude) in degrees to (x, y) metres, equirectangular about ``lat0_deg``
    (Snyder, *Map Projections: A Working Manual*, USGS 1987, sec. 12: x = R lon cos(lat0),
    y = R lat; within a few per cent over a region of some hundred km)."""
    rad = np.radians(np.asarray(lat_lon, dtype=np.float64))
    x = EARTH_RADIUS_M * rad[..., 1] * np.cos(np.radians(lat0_deg))
    y = EARTH_RADIUS_M * rad[..., 0]
    return np.stack([x, y], axis=-1)


def build_access_network(problem: CompiledProblem) -> AccessNetwork:
    """The mobile sources of ``problem`` (every source attached by one link), their
    antennas and the route tables (see the module docstring)."""
    p = problem
    src_nodes = np.unique(p.demand_source)
    leaf = p.routes.source_leaf_link[src_nodes]
    mobile = src_nodes[leaf >= 0]
    link = p.routes.source_leaf_link[mobile]
    home_node = np.where(p.link_a[link] == mobile, p.link_b[link], p.link_a[link])
    antenna_node, home = np.unique(home_node, return_inverse=True)
    serving = np.unique(p.cand_node)
    roots = np.unique(np.concatenate([antenna_node, serving])).astype(np.int64)
    routes = compute_routes(
        p.n_nodes,
        p.link_a,
        p.link_b,
        p.link_latency_s,
        p.link_per_bit_j,
        p.link_bandwidth_bps,
        roots,
        np.ones(p.n_nodes, dtype=bool),  # every node a target: nothing folded
    )
    source_of_node = np.full(p.n_nodes, -1, dtype=np.int64)
    source_of_node[mobile] = np.arange(len(mobile))
    tag = home_tags(p, source_of_node, home)
    positions = [n.position for n in p.scenario.nodes]
    lat_lon = np.array(
        [positions[i] if positions[i] is not None else (np.nan, np.nan) for i in antenna_node],
        dtype=np.float64,
    ).reshape(-1, 2)
    lat0 = float(np.nanmean(lat_lon[:, 0])) if np.isfinite(lat_lon).any() else 0.0
    return AccessNetwork(
        problem=p,
        source_node=mobile.astype(np.int64),
        home=home.astype(np.int64),
        antenna_node=antenna_node.astype(np.int64),
        antenna_xy_m=project_m(lat_lon, lat0),
        lat0_deg=lat0,
        routes=routes,
        **_mobile_candidates(p, routes, tag, source_of_node),
        source_of_node=source_of_node,
        demand_mobile=source_of_node[p.demand_source] >= 0,
    )
