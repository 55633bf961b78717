"""Arrays the step engine reads, derived once from a :class:`CompiledProblem`.

Nothing here is a new model: every quantity is the compiled problem's (the one
energy and latency model of the program), regrouped so that one fancy index
fetches everything the engine needs about a candidate, and with per-node
constants (PUE x idle power, PUE x dynamic range) multiplied out once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.energy import accounting
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS

#: Columns of :attr:`StepModel.cand_f` (per-candidate floats). The budget (SLO less network
#: and compute time) is capped at 1e12 s so that infinite SLOs stay finite in the tail formula.
(
    F_SERVICE,
    F_COMPUTE,
    F_NET_LAT,
    F_NET_E,
    F_ACC,
    F_SLO,
    F_BUDGET,
    F_FIXED,
    F_SLO_TOL,
    F_SVC_K,
    F_NEG,
    F_RADIO,
) = range(12)
#: Relative tolerance of the SLO test (as :data:`slimplace.evaluate.TOL`).
SLO_TOL = 1e-6
#: Columns of :attr:`StepModel.cand_i` (per-candidate integers).
I_NODE, I_KEY, I_VARIANT, I_SRC_REGION, I_MIX, I_DEMAND = range(6)
#: Traffic is binned by the variant's FLOPs relative to the largest of its family:
#: (0, 1/4], (1/4, 1/2], (1/2, 3/4], (3/4, 1].
MIX_BINS = 4


@dataclass(frozen=True, eq=False)
class StepModel:
    """Per-problem constants of the simulation (see the module docstring)."""

    problem: CompiledProblem
    n_nodes: int
    n_models: int
    node_count: FloatArray
    node_switchable: BoolArray
    node_tier: IntArray
    node_region: IntArray
    node_static_on_w: FloatArray
    node_sleep_w: FloatArray
    node_dyn_w: FloatArray
    node_idle_w: FloatArray
    node_pue: FloatArray
    node_wake_time_s: FloatArray
    node_wake_energy_j: FloatArray
    node_fetch_j_per_byte: FloatArray
    curve_groups: tuple[tuple[IntArray, FloatArray, FloatArray], ...]
    cand_f: FloatArray
    cand_i: IntArray
    model_memory_bytes: FloatArray
    model_load_time_s: FloatArray
    variant_switch_time_s: FloatArray
    service_cv2: float
    slo_quantile: float | None
    max_utilisation: float
    any_zero_service: bool
    any_switch_time: bool
    any_negative_budget: bool
    #: power drawn whatever the plan: servers' fixed static power and link baseload (W);
    #: the unavoidable device radio power is added at each step's rates (``radio_floor_j``)
    fixed_w: float = 0.0
    #: link baseload (W), every link on (slimplace.energy.accounting)
    link_baseload_w: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: whether some demand's source has a radio model (power model)
    any_radio: bool = False
    #: device radio energy per request of every demand that no plan avoids, at the nominal
    #: rates (slimplace.energy.accounting.unavoidable_radio_j); fixed, like ``fixed_w``
    radio_floor_j: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def any_switchable(self) -> bool:
        """Whether some node's servers can be switched on and off."""
        return bool(self.node_switchable.any())


def build_step_model(problem: CompiledProblem) -> StepModel:
    """Derive the engine's arrays from ``problem``."""
    p = problem
    count = p.node_count.astype(np.float64)
    has_hw = p.node_profile >= 0
    curves = []
    for i, profile in enumerate(p.profiles):
        if profile.power_curve is not None:
            nodes = np.nonzero(p.node_profile == i)[0]
            if len(nodes):
                curves.append(
                    (
                        nodes,
                        np.asarray(profile.power_curve.utilisation, dtype=np.float64),
                        np.asarray(profile.power_curve.power_w, dtype=np.float64),
                    )
                )
    n_models = max(p.n_models, 1)
    slo = p.demand_slo_s[p.cand_demand]
    budget = slo - p.cand_net_latency_s - p.cand_compute_s
    cand_f = (
        np.column_stack(
            [
                p.cand_service_s,
                p.cand_compute_s,
                p.cand_net_latency_s,
                p.cand_net_energy_j - p.cand_radio_j + p.cand_extra_j,
                p.cand_accuracy,
                slo,
                np.minimum(budget, 1e12),
                p.cand_net_latency_s + p.cand_compute_s,
                slo * (1 + SLO_TOL),
                p.cand_service_s * (1.0 + p.service_cv2) / 2.0,
                (budget < 0).astype(np.float64),
                p.cand_offloaded.astype(np.float64),
            ]
        )
        if p.n_candidates
        else np.zeros((0, 12))
    )
    cand_i = (
        np.column_stack(
            [
                p.cand_node,
                p.cand_node * n_models + p.cand_model,
                p.cand_variant,
                p.node_region[p.demand_source[p.cand_demand]],
                _mix_bin(p)[p.cand_variant],
                p.cand_demand,
            ]
        ).astype(np.int64)
        if p.n_candidates
        else np.zeros((0, 6), dtype=np.int64)
    )
    switch = np.array([f.switch_time_s if f.weight_sharing else f.load_time_s for f in p.families])
    return StepModel(
        problem=p,
        n_nodes=p.n_nodes,
        n_models=n_models,
        node_count=count,
        node_switchable=has_hw & ~p.node_always_on & (p.node_count > 0),
        node_tier=p.node_tier,
        node_region=p.node_region,
        node_static_on_w=p.node_pue * p.node_idle_w,
        node_sleep_w=np.where(
            p.node_elastic & accounting.switchable(p), 0.0, p.node_pue * p.node_sleep_w
        ),
        node_dyn_w=p.node_pue * (p.node_peak_w - p.node_idle_w),
        node_idle_w=p.node_idle_w,
        node_pue=p.node_pue,
        node_wake_time_s=p.node_wake_time_s,
        node_wake_energy_j=p.node_pue * p.node_wake_energy_j,
        node_fetch_j_per_byte=fetch_j_per_byte(p),
        curve_groups=tuple(curves),
        cand_f=np.ascontiguousarray(cand_f),
        cand_i=np.ascontiguousarray(cand_i),
        model_memory_bytes=p.model_memory_bytes,
        model_load_time_s=p.model_load_time_s,
        variant_switch_time_s=switch[p.variant_family] if len(switch) else np.zeros(0),
        service_cv2=p.service_cv2,
        slo_quantile=p.slo_quantile,
        max_utilisation=p.max_utilisation,
        any_zero_service=bool((p.cand_service_s <= 0).any()),
        any_switch_time=bool((switch > 0).any()) if len(switch) else False,
        any_negative_budget=bool((cand_f[:, F_NEG] > 0).any()),
        fixed_w=float(accounting.server_fixed_w(p).sum() + accounting.link_fixed_w(p).sum()),
        link_baseload_w=accounting.link_baseload_w(p),
        any_radio=bool(p.power_model and (p.demand_radio >= 0).any()),
        radio_floor_j=accounting.unavoidable_radio_j(p),
    )


def _mix_bin(p: CompiledProblem) -> IntArray:
    """Bin of every variant by FLOPs relative to the largest variant of its family."""
    if len(p.variant_flops) == 0:
        return np.zeros(0, dtype=np.int64)
    top = np.zeros(len(p.families))
    np.maximum.at(top, p.variant_family, p.variant_flops)
    rel = p.variant_flops / np.maximum(top[p.variant_family], 1e-300)
    return np.clip(np.ceil(rel * MIX_BINS - 1e-9).astype(np.int64) - 1, 0, MIX_BINS - 1)


def fetch_j_per_byte(p: CompiledProblem) -> FloatArray:
    """Network energy to bring one byte of model weights to each node from the nearest
    cloud node (the model repository), by the energy per bit of the links on the path
    (marginal under the power model, average under the attributional one)
    (the same per-bit link energy as request traffic; Baliga et al., Proc. IEEE 2011).

    Nodes that cannot reach a cloud node get 0 (weights assumed local)."""
    clouds = np.nonzero(p.node_tier == TIERS.index("cloud"))[0]
    if len(clouds) == 0 or len(p.link_a) == 0:
        return np.zeros(p.n_nodes)
    w = p.link_per_bit_j + 1e-15  # zero-energy links must stay edges of the graph
    u, v = np.concatenate([p.link_a, p.link_b]), np.concatenate([p.link_b, p.link_a])
    ww = np.concatenate([w, w])
    order = np.lexsort((ww, v, u))  # keep the cheapest of parallel links (csr sums duplicates)
    u, v, ww = u[order], v[order], ww[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    graph = csr_matrix((ww[first], (u[first], v[first])), shape=(p.n_nodes, p.n_nodes))
    dist = dijkstra(graph, directed=True, indices=clouds, min_only=True)
    return np.where(np.isfinite(dist), dist, 0.0) * 8.0
