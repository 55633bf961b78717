"""The generalized assignment problem (GAP) as a compiled placement problem.

With one variant, no network and one capacity per node, placement is the GAP:
assign every job j to one agent i at cost c_ij using r_ij of the agent's
capacity b_i (Ross & Soland, "A branch and bound algorithm for the generalized
assignment problem", Math. Programming 8, 1975). OR-Library instances
(Beasley, J. Oper. Res. Soc. 41(11), 1990; gap1..gap12 from Osman 1995 and
Cattrysse et al. 1994) are read here and solved by the same MILP as scenarios,
which validates that code path against published optima.

Mapping: jobs are demands of one unsplittable application (rate 1 per second)
from a source node with no hardware; agents are always-on nodes with one
server and rho_max = 1; candidate (j, i) has service time r_ij / b_i and costs
c_ij per inference. The cost goes into ``cand_extra_j`` (energy per
inference charged per candidate, with no links to load), which is where the
independent evaluator charges an arbitrary per-candidate energy; compute
power is zero (idle = peak = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.errors import InputError, Problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.routes import Routes
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
    Source,
    Variant,
)


@dataclass(frozen=True, eq=False)
class GapInstance:
    """One GAP instance: ``cost`` and ``resource`` are agents x jobs, ``capacity`` per agent."""

    name: str
    cost: FloatArray
    resource: FloatArray
    capacity: FloatArray

    @property
    def n_agents(self) -> int:
        """Number of agents (m)."""
        return int(self.cost.shape[0])

    @property
    def n_jobs(self) -> int:
        """Number of jobs (n)."""
        return int(self.cost.shape[1])


def read_orlib_gap(path: str | Path) -> list[GapInstance]:
    """Instances of an OR-Library GAP file: one instance (``m n``, costs, resources,
    capacities) or several (their count first). Instance k of file ``F`` is named
    ``F-k`` (0-based, ``F`` without ``.txt``) in a multi-instance file, ``F`` otherwise."""
    path = Path(path)
    try:
        tokens = [float(t) for t in path.read_text(encoding="ascii").split()]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(str(path), [Problem("", f"not an OR-Library GAP file: {exc}")]) from exc
    stem = path.name.removesuffix(".txt")
    if len(tokens) >= 2 and _single_size(tokens):
        return [_parse(stem, tokens, 0)[0]]
    if not tokens or tokens[0] != int(tokens[0]) or tokens[0] < 1:
        raise InputError(str(path), [Problem("", "expected 'm n' or a problem count first")])
    out, pos = [], 1
    for k in range(int(tokens[0])):
        inst, pos = _parse(f"{stem}-{k}", tokens, pos)
        out.append(inst)
    if pos != len(tokens):
        raise InputError(
            str(path), [Problem("", f"{len(tokens) - pos} numbers left after the last problem")]
        )
    return out


def _single_size(tokens: list[float]) -> bool:
    m, n = tokens[0], tokens[1]
    return m == int(m) and n == int(n) and m > 0 and n > 0 and len(tokens) == 2 + 2 * m * n + m


def _parse(name: str, tokens: list[float], pos: int) -> tuple[GapInstance, int]:
    if pos + 2 > len(tokens):
        raise InputError(name, [Problem("", "file ends before the problem size")])
    m, n = int(tokens[pos]), int(tokens[pos + 1])
    end = pos + 2 + 2 * m * n + m
    if m < 1 or n < 1 or end > len(tokens):
        raise InputError(
            name, [Problem("", f"size {m} x {n} does not match the numbers that follow")]
        )
    a = np.asarray(tokens[pos + 2 : end], dtype=np.float64)
    cost = a[: m * n].reshape(m, n)
    resource = a[m * n : 2 * m * n].reshape(m, n)
    capacity = a[2 * m * n :]
    if (capacity <= 0).any() or (resource < 0).any():
        raise InputError(
            name, [Problem("", "capacities must be positive and resources non-negative")]
        )
    return GapInstance(name, cost, resource, capacity), end


def gap_problem(instance: GapInstance) -> CompiledProblem:
    """The instance as a :class:`CompiledProblem` (see the module docstring)."""
    m, n = instance.n_agents, instance.n_jobs
    fits = instance.resource <= instance.capacity[:, None]
    job, agent = np.nonzero(fits.T)  # sorted by job, then agent
    n_nodes = m + 1
    profile = HardwareProfile("gap-agent", "edge", 1.0, 1.0, 0.0, 0.0, source="OR-Library GAP")
    family = ModelFamily("gap", (Variant("job", 1.0, 1.0, 0.0, 0.0),), source="OR-Library GAP")
    agents = [Node(f"agent-{i}", "edge", "gap-agent", always_on=True) for i in range(m)]
    nodes = (Node("jobs", "device"), *agents)
    app = Application(
        "gap",
        "gap",
        tuple(Source("jobs", 1.0) for _ in range(n)),
        0.0,
        0.0,
        math.inf,
        splittable=False,
    )
    scenario = Scenario(
        instance.name,
        nodes,
        (),
        (profile,),
        (),
        (family,),
        (app,),
        (Region("WORLD", 0.0, "none"),),
        Settings(max_utilisation=1.0),
    )
    zeros_n, zeros_c = np.zeros(n_nodes), np.zeros(len(job))
    node_ints = np.zeros(n_nodes, dtype=np.int64)
    service = instance.resource[agent, job] / instance.capacity[agent]
    return CompiledProblem(
        scenario=scenario,
        max_utilisation=1.0,
        service_cv2=0.0,
        slo_quantile=None,
        horizon_s=3600.0,
        objective="energy",
        node_ids=tuple(nd.id for nd in nodes),
        node_tier=np.array([0] + [1] * m, dtype=np.int64),
        node_profile=np.array([-1] + [0] * m, dtype=np.int64),
        node_count=np.array([0] + [1] * m, dtype=np.int64),
        node_always_on=np.array([False] + [True] * m),
        node_local_only=np.zeros(n_nodes, dtype=bool),
        node_pue=np.ones(n_nodes),
        node_idle_w=zeros_n,
        node_peak_w=zeros_n,
        node_sleep_w=zeros_n,
        node_memory_bytes=np.ones(n_nodes),
        node_wake_time_s=zeros_n,
        node_wake_energy_j=zeros_n,
        node_region=node_ints,
        profiles=(profile,),
        region_codes=("WORLD",),
        region_carbon_g_per_kwh=np.zeros(1),
        link_a=np.zeros(0, dtype=np.int64),
        link_b=np.zeros(0, dtype=np.int64),
        link_bandwidth_bps=np.zeros(0),
        link_latency_s=np.zeros(0),
        link_energy_j_per_bit=np.zeros(0),
        link_kind=(),
        app_ids=("gap",),
        app_family=np.zeros(1, dtype=np.int64),
        app_floor=np.zeros(1),
        app_average=np.zeros(1, dtype=bool),
        app_splittable=np.zeros(1, dtype=bool),
        families=(family,),
        variant_names=("gap/job",),
        variant_family=np.zeros(1, dtype=np.int64),
        variant_accuracy=np.ones(1),
        variant_flops=np.ones(1),
        variant_model=np.zeros(1, dtype=np.int64),
        model_family=np.zeros(1, dtype=np.int64),
        model_memory_bytes=np.zeros(1),
        model_load_time_s=np.zeros(1),
        demand_app=np.zeros(n, dtype=np.int64),
        demand_source=np.zeros(n, dtype=np.int64),
        demand_rate_per_s=np.ones(n),
        demand_request_bits=np.zeros(n),
        demand_response_bits=np.zeros(n),
        demand_slo_s=np.full(n, math.inf),
        demand_ptr=np.searchsorted(job, np.arange(n + 1)).astype(np.int64),
        cand_demand=job.astype(np.int64),
        cand_node=(agent + 1).astype(np.int64),
        cand_variant=np.zeros(len(job), dtype=np.int64),
        cand_service_s=service,
        cand_compute_s=zeros_c,
        cand_net_latency_s=zeros_c,
        cand_latency_s=zeros_c,
        cand_dyn_energy_j=zeros_c,
        cand_net_energy_j=zeros_c,
        cand_accuracy=np.ones(len(job)),
        cand_latency_source=np.zeros(len(job), dtype=np.int8),
        routes=_no_routes(n_nodes),
        unservable=(),
        cand_extra_j=instance.cost[agent, job].astype(np.float64),
    )


def _no_routes(n_nodes: int) -> Routes:
    """Routes of a network without links: every node is its own root."""
    table = np.zeros((1, n_nodes))
    return Routes(
        roots=np.zeros(1, dtype=np.int64),
        cols=np.arange(n_nodes, dtype=np.int64),
        col_of_node=np.arange(n_nodes, dtype=np.int64),
        latency_s=table,
        energy_j_per_bit=table.copy(),
        seconds_per_bit=table.copy(),
        hops=np.zeros((1, n_nodes), dtype=np.int64),
        pred=np.full((1, n_nodes), -1, dtype=np.int64),
        edge_key=np.zeros(0, dtype=np.int64),
        edge_link=np.zeros(0, dtype=np.int64),
        n_nodes=n_nodes,
        source_root_row=np.zeros(n_nodes, dtype=np.int64),
        source_leaf_link=np.full(n_nodes, -1, dtype=np.int64),
    )
