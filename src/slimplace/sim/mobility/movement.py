"""Where mobile sources are at each step, and which antenna serves them.

Four movements, one interface (:class:`Movement`: ``access(time_s)`` gives every mobile
source's antenna at that time):

- :class:`TraceMovement`, a trace file (:mod:`slimplace.sim.mobility.trace`): each row
  holds from its time until the source's next row (sample and hold); before its first
  row a source is at its home antenna;
- :class:`RandomWaypoint`, the random waypoint model (Johnson and Maltz, "Dynamic Source
  Routing in Ad Hoc Wireless Networks", Mobile Computing 1996; as surveyed by Camp,
  Boleng and Davies, WCMC 2(5), 2002): each source pauses a time drawn uniformly in
  ``[0, pause_s]``, then travels in a straight line to a point drawn uniformly in the
  bounding box of the antennas at a speed drawn uniformly in ``[min_speed, max_speed]``
  (``min_speed > 0``: with 0 the mean speed decays over time, Yoon, Liu and Noble,
  INFOCOM 2003), and so on; every source starts at its home antenna. Seeded.
- :class:`RoadTaxis`, taxi-like vehicles: trips between antennas along the shortest
  routes of the scenario's road-like graph (the taxis of LEAF's smart-city example;
  see the class). Seeded.

Positions map to antennas by :class:`Attachment`: the nearest antenna (k-d tree), with
hysteresis: a source hands over only when the nearest antenna is closer than
``(1 - hysteresis)`` times the distance to its current one (the distance form of the
handover margin of 3GPP TS 36.331 event A3, "neighbour becomes offset better than
serving"), so a source on a cell border does not ping-pong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.sim.mobility.network import AccessNetwork, MobilityError, project_m
from slimplace.sim.mobility.trace import MobilityTrace


class Movement(Protocol):
    """Every mobile source's antenna over time (see the module docstring)."""

    name: str

    def start(self, net: AccessNetwork, seed: int) -> None:
        """Prepare for a run on ``net`` (called once, before the first step)."""

    def access(self, time_s: float) -> IntArray:
        """Antenna index (into ``net.antenna_node``) of every mobile source at ``time_s``
        (called with non-decreasing times)."""
        ...


class Attachment:
    """Nearest antenna with hysteresis (module docstring)."""

    def __init__(self, net: AccessNetwork, hysteresis: float) -> None:
        if not 0.0 <= hysteresis < 1.0:
            raise MobilityError(f"hysteresis must be in [0, 1), not {hysteresis}")
        xy = net.antenna_xy_m
        self.placed = np.flatnonzero(np.isfinite(xy).all(axis=1))
        if len(self.placed) == 0:
            names = ", ".join(net.problem.node_ids[i] for i in net.antenna_node[:5])
            raise MobilityError(
                f"no antenna of scenario {net.problem.scenario.name!r} has a `position` "
                f"(antennas: {names}): sources placed by position cannot be attached; give "
                "the antennas positions or use a trace with an access_node column"
            )
        self.xy = xy
        self.tree = cKDTree(xy[self.placed])
        self.keep = 1.0 - hysteresis
        self.current = net.home.copy()

    def attach(self, pos_m: FloatArray, known: BoolArray | None = None) -> IntArray:
        """Antennas after moving every source to ``pos_m`` (sources where ``known`` is
        False stay attached where they are)."""
        d_near, i = self.tree.query(pos_m)
        near = self.placed[np.asarray(i, dtype=np.int64)]
        d_cur = np.linalg.norm(pos_m - self.xy[self.current], axis=1)
        move = (near != self.current) & ~(d_cur * self.keep <= d_near)  # NaN d_cur: move
        if known is not None:
            move &= known
        self.current = np.where(move, near, self.current)
        return self.current


class TraceMovement:
    """Movement read from a trace file (module docstring)."""

    def __init__(self, trace: MobilityTrace, hysteresis: float = 0.1) -> None:
        self.trace, self.hysteresis = trace, hysteresis
        self.name = f"trace:{trace.file}"

    def start(self, net: AccessNetwork, seed: int) -> None:
        """Map the trace onto ``net`` (the seed is unused: a trace is deterministic)."""
        self.net = net
        self.row = 0
        self.current = net.home.copy()
        self.known = np.zeros(net.n_sources, dtype=bool)
        self.pos = np.full((net.n_sources, 2), np.nan)
        self.attachment = Attachment(net, self.hysteresis) if self.trace.positions else None

    def access(self, time_s: float) -> IntArray:
        """Antennas at ``time_s``: the rows up to it applied (last row of each source)."""
        tr = self.trace
        end = int(np.searchsorted(tr.time_s, time_s, side="right"))
        if end > self.row:
            rows = np.arange(self.row, end)[::-1]
            src, first = np.unique(tr.source[rows], return_index=True)
            last = rows[first]
            self.row = end
            if tr.antenna is not None:
                self.current[src] = tr.antenna[last]
            else:
                assert tr.lat_lon is not None
                self.pos[src] = project_m(tr.lat_lon[last], self.net.lat0_deg)
                self.known[src] = True
        if self.attachment is not None:
            self.current = self.attachment.attach(np.nan_to_num(self.pos), self.known)
        return self.current


class _Speeds:
    """Seeded movers with a speed range (drawn per leg), a pause at each stop and the
    attachment's hysteresis; ``name`` is the model's name in the CLI."""

    name = ""

    def __init__(
        self,
        *,
        min_speed_m_s: float = 5.0,
        max_speed_m_s: float = 15.0,
        pause_s: float = 300.0,
        hysteresis: float = 0.1,
    ) -> None:
        _check_speeds(min_speed_m_s, max_speed_m_s, pause_s)
        self.speed = (float(min_speed_m_s), float(max_speed_m_s))
        self.pause_s = float(pause_s)
        self.hysteresis = hysteresis


class RandomWaypoint(_Speeds):
    """Random waypoint model over the antennas' bounding box (module docstring)."""

    name = "random-waypoint"

    def start(self, net: AccessNetwork, seed: int) -> None:
        """Every source at its home antenna, pausing; the seeded generator."""
        self.attachment = Attachment(net, self.hysteresis)
        home_xy = net.antenna_xy_m[net.home]
        missing = np.flatnonzero(~np.isfinite(home_xy).all(axis=1))
        if len(missing):
            node = net.problem.node_ids[net.antenna_node[net.home[missing[0]]]]
            raise MobilityError(
                f"antenna {node} has no position: random-waypoint needs the `position` "
                "of every antenna a mobile source starts at"
            )
        placed = net.antenna_xy_m[self.attachment.placed]
        self.lo, self.hi = placed.min(axis=0), placed.max(axis=0)
        self.rng = np.random.default_rng(seed)
        n = net.n_sources
        self.start_xy = home_xy.copy()
        self.end_xy = home_xy.copy()
        self.t_depart = np.zeros(n)
        self.t_arrive = np.zeros(n)
        self.t_leave = self.rng.uniform(0.0, self.pause_s, n)

    def _new_legs(self, time_s: float) -> None:
        while True:
            due = np.flatnonzero(self.t_leave <= time_s)
            if len(due) == 0:
                return
            k = len(due)
            dest = self.rng.uniform(self.lo, self.hi, (k, 2))
            speed = self.rng.uniform(*self.speed, k)
            pause = self.rng.uniform(0.0, self.pause_s, k)
            self.start_xy[due] = self.end_xy[due]
            self.end_xy[due] = dest
            self.t_depart[due] = self.t_leave[due]
            dist = np.linalg.norm(dest - self.start_xy[due], axis=1)
            self.t_arrive[due] = self.t_depart[due] + dist / speed
            self.t_leave[due] = self.t_arrive[due] + pause

    def positions(self, time_s: float) -> FloatArray:
        """Every source's position (m) at ``time_s`` (non-decreasing between calls)."""
        self._new_legs(time_s)
        span = self.t_arrive - self.t_depart
        frac = np.clip(
            np.divide(time_s - self.t_depart, span, out=np.ones_like(span), where=span > 0),
            0.0,
            1.0,
        )
        return self.start_xy + frac[:, None] * (self.end_xy - self.start_xy)

    def access(self, time_s: float) -> IntArray:
        """Antennas at ``time_s``."""
        return self.attachment.attach(self.positions(time_s))


class RoadTaxis(_Speeds):
    """Taxi-like vehicles on the scenario's road-like graph (module docstring of
    :func:`road_graph`): each mobile source pauses ``U[0, pause_s]`` at its home antenna,
    then drives to an antenna drawn uniformly among the others it can reach, along the
    shortest route of the graph, at a speed drawn uniformly in ``[min_speed, max_speed]``
    for the trip; it waits ``U[0, pause_s]`` there for its next fare, and so on. Seeded.

    This is the path model of the taxis of LEAF's smart-city example (Wiesner and
    Thamsen, "LEAF: Simulating Large Energy-Aware Fog Computing Environments", ICFEC
    2021: a taxi enters at a random gate of a street graph and drives the shortest path
    to another random gate), which is the graph-based mobility model of Tian et al.,
    "Graph-Based Mobility Model for Mobile Ad Hoc Network Simulation", ANSS 2002, on
    this scenario's graph instead of a street grid. Not reproduced: LEAF's fleet that
    grows and shrinks over the day (Poisson arrivals) and its time-of-day speeds, both
    derived from the DEBS 2015 NYC taxi data; here the vehicles are the scenario's
    mobile sources, always on the road or waiting.
    """

    name = "taxi"

    def start(self, net: AccessNetwork, seed: int) -> None:
        """The road graph, its shortest routes between antennas, every vehicle waiting at
        its home antenna; the seeded generator."""
        self.attachment = Attachment(net, self.hysteresis)
        self.road = road_graph(net)
        home = net.home
        if not self.road.placed[home].all():
            node = net.problem.node_ids[net.antenna_node[home[~self.road.placed[home]][0]]]
            raise MobilityError(
                f"antenna {node} has no position: taxi needs the `position` of every "
                "antenna a mobile source starts at"
            )
        self.rng = np.random.default_rng(seed)
        n = net.n_sources
        self.at = home.copy()  # antenna of the last stop
        xy = self.road.xy[net.antenna_node[home]]
        self.path_xy = xy[:, None, :].copy()  # (source, vertex, 2): the current trip
        self.path_cum = np.zeros((n, 1))  # distance from the trip's start to each vertex (m)
        self.speed_now = np.ones(n)
        self.t_depart = np.zeros(n)
        self.t_leave = self.rng.uniform(0.0, self.pause_s, n)

    def _new_trips(self, time_s: float) -> None:
        road = self.road
        while True:
            due = np.flatnonzero(self.t_leave <= time_s)
            if len(due) == 0:
                return
            k = len(due)
            choices = road.reach[self.at[due]].copy()
            choices[np.arange(k), self.at[due]] = False
            count = choices.sum(axis=1)
            pick = np.floor(self.rng.uniform(0.0, 1.0, k) * count).astype(np.int64)
            dest = np.argmax(np.cumsum(choices, axis=1) > pick[:, None], axis=1)
            dest = np.where(count > 0, dest, self.at[due])  # nowhere to go: wait again
            speed = self.rng.uniform(*self.speed, k)
            pause = self.rng.uniform(0.0, self.pause_s, k)
            xy, cum = road.route(self.at[due], dest)
            width = max(xy.shape[1], self.path_xy.shape[1])
            self.path_xy = _pad_last(self.path_xy, width)
            self.path_cum = _pad_last(self.path_cum, width)
            self.path_xy[due] = _pad_last(xy, width)
            self.path_cum[due] = _pad_last(cum, width)
            self.speed_now[due] = speed
            self.t_depart[due] = self.t_leave[due]
            self.t_leave[due] = self.t_leave[due] + cum[:, -1] / speed + pause
            self.at[due] = dest

    def positions(self, time_s: float) -> FloatArray:
        """Every vehicle's position (m) at ``time_s`` (non-decreasing between calls)."""
        self._new_trips(time_s)
        cum = self.path_cum
        s = np.clip(self.speed_now * (time_s - self.t_depart), 0.0, cum[:, -1])
        rows = np.arange(len(s))
        seg = np.clip((cum <= s[:, None]).sum(axis=1) - 1, 0, max(cum.shape[1] - 2, 0))
        nxt = np.minimum(seg + 1, cum.shape[1] - 1)
        span = cum[rows, nxt] - cum[rows, seg]
        frac = np.divide(s - cum[rows, seg], span, out=np.zeros_like(s), where=span > 0)
        a, b = self.path_xy[rows, seg], self.path_xy[rows, nxt]
        return a + np.clip(frac, 0.0, 1.0)[:, None] * (b - a)

    def access(self, time_s: float) -> IntArray:
        """Antennas at ``time_s``."""
        return self.attachment.attach(self.positions(time_s))


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """The road-like graph of :func:`road_graph` and its shortest routes from every
    antenna (``pred``: scipy's predecessor matrix, one row per antenna)."""

    xy: FloatArray
    antenna_node: IntArray
    placed: BoolArray
    pred: IntArray
    reach: BoolArray

    def route(self, src: IntArray, dest: IntArray) -> tuple[FloatArray, FloatArray]:
        """Vertex positions (m) of the route from antenna ``src`` to ``dest`` of every
        pair, padded with the destination, and the distance along it to each vertex."""
        end = self.antenna_node[dest]
        rows = src
        walk = [end]
        cur = end.copy()
        start = self.antenna_node[src]
        while True:
            going = cur != start
            if not going.any():
                break
            nxt = np.where(going, self.pred[rows, cur], cur)
            cur = np.where(nxt >= 0, nxt, start)  # unreachable: jump (never drawn)
            walk.append(cur)
        verts = np.stack(walk[::-1], axis=1)  # start first; repeats of start pad the front
        xy = self.xy[verts]
        step = np.linalg.norm(np.diff(xy, axis=1), axis=2)
        cum = np.concatenate([np.zeros((len(src), 1)), np.cumsum(step, axis=1)], axis=1)
        return xy, cum


def road_graph(net: AccessNetwork) -> RoadGraph:
    """The scenario's links between positioned nodes, mobile sources' access links left
    out, each as long as the straight line between its ends (metres, the projection of
    :func:`~slimplace.sim.mobility.network.project_m`): on a topology of cities (RENATER
    PoPs, metro rings) a stand-in for the roads between them. Shortest routes by length
    (Dijkstra, :func:`scipy.sparse.csgraph.dijkstra`) from every antenna."""
    p = net.problem
    lat_lon = np.array(
        [n.position if n.position is not None else (np.nan, np.nan) for n in p.scenario.nodes],
        dtype=np.float64,
    ).reshape(-1, 2)
    xy = project_m(lat_lon, net.lat0_deg)
    ok: BoolArray = np.asarray(np.isfinite(xy).all(axis=1), dtype=bool)
    mobile = np.zeros(p.n_nodes, dtype=bool)
    mobile[net.source_node] = True
    a, b = p.link_a, p.link_b
    keep = ok[a] & ok[b] & ~mobile[a] & ~mobile[b]
    a, b = a[keep], b[keep]
    length = np.linalg.norm(np.nan_to_num(xy[a] - xy[b]), axis=1) + 1e-3  # 0 m stays an edge
    graph = csr_matrix(
        (np.concatenate([length, length]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(p.n_nodes, p.n_nodes),
    )
    dist, pred = dijkstra(graph, directed=True, indices=net.antenna_node, return_predecessors=True)
    placed = ok[net.antenna_node]
    reach = np.isfinite(dist[:, net.antenna_node]) & placed[:, None] & placed[None, :]
    return RoadGraph(np.nan_to_num(xy), net.antenna_node, placed, pred.astype(np.int64), reach)


def _pad_last(a: FloatArray, width: int) -> FloatArray:
    """``a`` widened along axis 1 to ``width`` by repeating its last column."""
    if a.shape[1] >= width:
        return a
    pad = np.repeat(a[:, -1:], width - a.shape[1], axis=1)
    return np.concatenate([a, pad], axis=1)


def _check_speeds(min_speed_m_s: float, max_speed_m_s: float, pause_s: float) -> None:
    if not 0.0 < min_speed_m_s <= max_speed_m_s:
        raise MobilityError(
            f"speeds must satisfy 0 < min_speed ({min_speed_m_s}) <= max_speed "
            f"({max_speed_m_s}) m/s"
        )
    if pause_s < 0:
        raise MobilityError(f"pause must be >= 0 s, not {pause_s}")
