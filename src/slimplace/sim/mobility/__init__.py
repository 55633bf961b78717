"""Mobile sources: handovers between antennas and service migration in the simulation.

``build_mobility("random-waypoint" | TRACE.csv, ...)`` gives the ``mobility`` argument of
:func:`slimplace.sim.simulate`: a movement (:mod:`~slimplace.sim.mobility.movement`: a
trace file, :mod:`~slimplace.sim.mobility.trace`, the random waypoint model, or taxi-like
trips on the scenario's road-like graph) over the
antennas of the scenario (:mod:`~slimplace.sim.mobility.network`), and the hook that hands
sources over and migrates their services (:mod:`~slimplace.sim.mobility.hook`).
"""

from __future__ import annotations

from pathlib import Path

from slimplace.sim.mobility.hook import MIGRATE, Mobility, MobilityCounters
from slimplace.sim.mobility.movement import (
    Attachment,
    Movement,
    RandomWaypoint,
    RoadGraph,
    RoadTaxis,
    TraceMovement,
    road_graph,
)
from slimplace.sim.mobility.network import AccessNetwork, MobilityError, build_access_network
from slimplace.sim.mobility.roaming import ROAM, Roaming, build_roaming
from slimplace.sim.mobility.trace import MobilityTrace, read_mobility_trace

#: The name that selects the random waypoint model instead of a trace file.
RANDOM_WAYPOINT = "random-waypoint"
#: The name that selects taxi-like trips on the road-like graph (:class:`RoadTaxis`).
TAXI = "taxi"
#: Movements named instead of a trace file.
MODELS = (RANDOM_WAYPOINT, TAXI)


class _LazyTrace:
    """A trace movement whose file is read when the run's network is known."""

    def __init__(self, path: Path, hysteresis: float) -> None:
        self.path, self.hysteresis = path, hysteresis
        self.name = f"trace:{path}"
        self.inner: TraceMovement | None = None

    def start(self, net: AccessNetwork, seed: int) -> None:
        self.inner = TraceMovement(read_mobility_trace(self.path, net), self.hysteresis)
        self.inner.start(net, seed)

    def access(self, time_s: float):  # type: ignore[no-untyped-def]
        assert self.inner is not None
        return self.inner.access(time_s)


def build_mobility(
    spec: str | Path,
    *,
    migrate: str = "slo",
    state_bytes: float = 0.0,
    hysteresis: float = 0.1,
    min_speed_m_s: float = 5.0,
    max_speed_m_s: float = 15.0,
    pause_s: float = 300.0,
    roam: str = "all",
) -> Mobility:
    """The mobility hook of ``spec``: ``"random-waypoint"`` or ``"taxi"`` (speeds and
    pause apply) or the path of a trace file (read, and checked, when the simulation
    starts). ``roam``: ``"all"`` compiles every mobile demand's candidates at every antenna
    (:mod:`~slimplace.sim.mobility.roaming`), ``"home"`` keeps those of its home antenna."""
    movement: Movement
    if str(spec) in MODELS:
        model = RandomWaypoint if str(spec) == RANDOM_WAYPOINT else RoadTaxis
        movement = model(
            min_speed_m_s=min_speed_m_s,
            max_speed_m_s=max_speed_m_s,
            pause_s=pause_s,
            hysteresis=hysteresis,
        )
    else:
        movement = _LazyTrace(Path(spec), hysteresis)
    return Mobility(movement, migrate=migrate, state_bytes=state_bytes, roam=roam)


__all__ = [
    "MIGRATE",
    "MODELS",
    "RANDOM_WAYPOINT",
    "ROAM",
    "TAXI",
    "AccessNetwork",
    "Attachment",
    "Mobility",
    "MobilityCounters",
    "MobilityError",
    "MobilityTrace",
    "Movement",
    "RandomWaypoint",
    "RoadGraph",
    "RoadTaxis",
    "Roaming",
    "TraceMovement",
    "build_access_network",
    "build_mobility",
    "build_roaming",
    "read_mobility_trace",
    "road_graph",
]
