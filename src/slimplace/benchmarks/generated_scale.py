"""The generated continua of the scale benchmark (``benchmarks/scale.py``).

Sizes (demands x compute nodes; families with 8 variants each: ofa-resnet50d,
shufflenet-v2, resnext; 4 datacenters; synthetic European PoP graph; two
antennas per PoP with as many devices as give about two demands per device,
so that device access links are not overloaded by construction):

- ``1k``: 1,000 x 100 (32 PoPs). milp (60 s), lp-bound, heuristics, baselines.
- ``20k``: 20,000 x 500 (166 PoPs). lp-bound, heuristics, baselines.
- ``100k``: 100,000 x 2,000 (666 PoPs), compiled with ``max_nodes_per_demand=20``
  (the 20 cheapest target nodes per demand: without it the problem has about
  10^9 candidates); heuristics get 300 s. Bounds hold for the capped problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from slimplace.scenario.model import Scenario
from slimplace.topology import ContinuumOptions, generate_continuum, synthetic_topology


@dataclass(frozen=True)
class Size:
    """One benchmark size."""

    name: str
    demands: int
    pops: int
    methods: tuple[str, ...]
    time_limit_s: float
    max_nodes_per_demand: int | None = None


BASELINES = ("cloud-only", "no-compression", "device-local")
SIZES = {
    "1k": Size(
        "1k", 1_000, 32, ("lp-bound", "milp", "greedy", "lp-round", "decomposed", *BASELINES), 60.0
    ),
    "20k": Size(
        "20k", 20_000, 166, ("lp-bound", "greedy", "lp-round", "decomposed", *BASELINES), 60.0
    ),
    "100k": Size(
        "100k",
        100_000,
        666,
        ("lp-bound", "greedy", "lp-round", "decomposed", *BASELINES),
        300.0,
        max_nodes_per_demand=20,
    ),
}


def scenario_for(size: Size, seed: int) -> Scenario:
    """The generated continuum of ``size``."""
    options = ContinuumOptions(
        n_demands=size.demands,
        n_datacenters=4,
        families=("ofa-resnet50d", "shufflenet-v2", "resnext"),
        devices_per_antenna=math.ceil(size.demands / (2 * 2 * size.pops)),  # ~2 demands/device
        slo_choices_s=(0.1, 0.2, 0.5),
        device_access=("5g", "wifi"),
        metro_server_count=(4, 16),
    )
    graph = synthetic_topology(size.pops, seed=seed)
    return generate_continuum(graph, options, seed=seed, name=f"scale-{size.name}")
