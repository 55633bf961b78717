"""Policies users would pick today, each a vectorized function problem -> plan.

They choose a node by a fixed rule and, except ``random``, serve the most
accurate admissible variant (no compression): the reference points the
optimizers are measured against. All are capacity-aware: a demand spills to its
next choice when the preferred node's servers are full (at rho_max).
"""

from __future__ import annotations

import time

import numpy as np

from slimplace.placement.assign import BoolArray, FloatArray, assign_by_preference
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS

CLOUD = TIERS.index("cloud")
DEVICE = TIERS.index("device")


def _run(
    problem: CompiledProblem, name: str, keys: tuple[FloatArray, ...], allowed: BoolArray
) -> Plan:
    t0 = time.perf_counter()
    allowed = allowed & problem.cand_reference  # today's practice: full power, batch 1
    chosen = assign_by_preference(problem, keys, allowed)
    return plan_from_choice(problem, chosen, name, seconds=time.perf_counter() - t0)


def cloud_only(problem: CompiledProblem, *, seed: int = 0) -> Plan:
    """Everything in the nearest datacenter with room, most accurate variant."""
    p = problem
    keys = (-p.cand_accuracy, p.cand_net_latency_s, p.cand_energy_j())
    return _run(p, "cloud-only", keys, p.node_tier[p.cand_node] == CLOUD)


def edge_first(problem: CompiledProblem, *, seed: int = 0) -> Plan:
    """The lowest infrastructure tier with room (edge, then metro, then cloud), most
    accurate variant; user devices are not used."""
    p = problem
    tier = p.node_tier[p.cand_node].astype(np.float64)
    keys = (tier, -p.cand_accuracy, p.cand_net_latency_s)
    return _run(p, "edge-first", keys, p.node_tier[p.cand_node] != DEVICE)


def device_local(problem: CompiledProblem, *, seed: int = 0) -> Plan:
    """On the requesting device where it can run the model in time, else the nearest node."""
    p = problem
    local = (p.cand_node == p.demand_source[p.cand_demand]).astype(np.float64)
    keys = (-local, -p.cand_accuracy, p.cand_net_latency_s)
    return _run(p, "device-local", keys, np.ones(p.n_candidates, dtype=bool))


def nearest_feasible(problem: CompiledProblem, *, seed: int = 0) -> Plan:
    """The node with the lowest network latency that has room, most accurate variant."""
    p = problem
    keys = (p.cand_net_latency_s, -p.cand_accuracy, p.cand_energy_j())
    return _run(p, "nearest-feasible", keys, np.ones(p.n_candidates, dtype=bool))


def no_compression(problem: CompiledProblem, *, seed: int = 0) -> Plan:
    """Energy-aware placement of the most accurate variant only: what placement alone
    buys, without compression.

    Nodes are ranked by energy per inference on a fully loaded server (dynamic
    energy plus idle power shared over the inferences one server handles at
    rho_max), the energy-proportional best fit of Beloglazov & Buyya (CCPE 2012).
    """
    p = problem
    best = np.zeros(len(p.app_ids))
    np.maximum.at(best, p.demand_app[p.cand_demand], p.cand_accuracy)
    full = p.cand_accuracy >= best[p.demand_app[p.cand_demand]] - 1e-12
    static_share = p.node_static_cost()[p.cand_node] * p.cand_service_s / p.max_utilisation
    keys = (p.cand_cost() + static_share, p.cand_net_latency_s)
    return _run(p, "no-compression", keys, full)


def random_placement(problem: CompiledProblem, *, seed: int = 0) -> Plan:
    """A uniformly random admissible candidate per demand (seeded), capacity permitting."""
    rng = np.random.default_rng(seed)
    return _run(
        problem,
        "random",
        (rng.random(problem.n_candidates),),
        np.ones(problem.n_candidates, dtype=bool),
    )


BASELINES = {
    "cloud-only": cloud_only,
    "edge-first": edge_first,
    "device-local": device_local,
    "nearest-feasible": nearest_feasible,
    "no-compression": no_compression,
    "random": random_placement,
}
