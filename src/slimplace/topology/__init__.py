"""Real network topologies (Topology Zoo, SNDlib), synthetic ones, and the continuum generator.

``load_topology("zoo:Renater2010")`` gives a normalised :class:`networkx.Graph`
(see :mod:`slimplace.topology.normalize`); :func:`generate_continuum` grows a
seeded edge-network-cloud :class:`~slimplace.scenario.model.Scenario` on it, and
:func:`generate_realistic` (what ``slimplace import`` writes) a realistic, solvable one
(:mod:`slimplace.topology.realistic`; imported on first use: it compiles scenarios).
"""

from typing import Any

from slimplace.topology.builtin import list_builtin_topologies, load_topology
from slimplace.topology.continuum import ContinuumOptions, generate_continuum
from slimplace.topology.geo import fibre_latency_s, haversine_km
from slimplace.topology.graphml import read_gml, read_graphml
from slimplace.topology.sndlib import read_sndlib
from slimplace.topology.synthetic import synthetic_topology

__all__ = [
    "ContinuumOptions",
    "RealisticOptions",
    "fibre_latency_s",
    "generate_continuum",
    "generate_realistic",
    "haversine_km",
    "list_builtin_topologies",
    "load_topology",
    "read_gml",
    "read_graphml",
    "read_sndlib",
    "synthetic_topology",
]


def __getattr__(name: str) -> Any:
    """``generate_realistic`` and ``RealisticOptions``, imported on first use."""
    if name in ("generate_realistic", "RealisticOptions"):
        from slimplace.topology import realistic

        return getattr(realistic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
