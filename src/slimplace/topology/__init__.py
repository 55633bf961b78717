"""Real network topologies (Topology Zoo, SNDlib), synthetic ones, and the continuum generator.

``load_topology("zoo:Renater2010")`` gives a normalised :class:`networkx.Graph`
(see :mod:`slimplace.topology.normalize`); :func:`generate_continuum` grows a
seeded edge-network-cloud :class:`~slimplace.scenario.model.Scenario` on it.
"""

from slimplace.topology.builtin import list_builtin_topologies, load_topology
from slimplace.topology.continuum import ContinuumOptions, generate_continuum
from slimplace.topology.geo import fibre_latency_s, haversine_km
from slimplace.topology.graphml import read_graphml
from slimplace.topology.sndlib import read_sndlib
from slimplace.topology.synthetic import synthetic_topology

__all__ = [
    "ContinuumOptions",
    "fibre_latency_s",
    "generate_continuum",
    "haversine_km",
    "list_builtin_topologies",
    "load_topology",
    "read_graphml",
    "read_sndlib",
    "synthetic_topology",
]
