"""The compiled problem: a scenario as numpy arrays, shared by every solver,
the evaluator and the simulator (the hub of DESIGN.md's data flow).

Index spaces: nodes (N), links (L), applications (A), variants over all
families (K), loadable models (M: one per weight-sharing family, one per
variant otherwise), demands (D: an application at one source) and admissible
candidates (C: demand x node x variant), sorted by demand with
``demand_ptr`` giving each demand's slice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.errors import Unservable
from slimplace.problem.routes import Routes
from slimplace.scenario.model import TIERS, HardwareProfile, ModelFamily, Objective, Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class CompiledProblem:
    """Arrays describing one scenario; immutable by convention (never write into them)."""

    scenario: Scenario
    max_utilisation: float
    service_cv2: float
    #: what latency SLOs bound: None the mean, q the q-quantile (``Settings.slo_quantile``)
    slo_quantile: float | None
    horizon_s: float
    objective: Objective
    # nodes (N)
    node_ids: tuple[str, ...]
    node_tier: IntArray
    node_profile: IntArray
    node_count: IntArray
    node_always_on: BoolArray
    node_local_only: BoolArray
    node_pue: FloatArray
    node_idle_w: FloatArray
    node_peak_w: FloatArray
    node_sleep_w: FloatArray
    node_memory_bytes: FloatArray
    node_wake_time_s: FloatArray
    node_wake_energy_j: FloatArray
    node_region: IntArray
    profiles: tuple[HardwareProfile, ...]
    region_codes: tuple[str, ...]
    region_carbon_g_per_kwh: FloatArray
    # links (L)
    link_a: IntArray
    link_b: IntArray
    link_bandwidth_bps: FloatArray
    link_latency_s: FloatArray
    link_energy_j_per_bit: FloatArray
    link_kind: tuple[str, ...]
    # applications (A)
    app_ids: tuple[str, ...]
    app_family: IntArray
    app_floor: FloatArray
    app_average: BoolArray
    app_splittable: BoolArray
    families: tuple[ModelFamily, ...]
    # variants (K) and loadable models (M)
    variant_names: tuple[str, ...]
    variant_family: IntArray
    variant_accuracy: FloatArray
    variant_flops: FloatArray
    variant_model: IntArray
    model_family: IntArray
    model_memory_bytes: FloatArray
    model_load_time_s: FloatArray
    # demands (D)
    demand_app: IntArray
    demand_source: IntArray
    demand_rate_per_s: FloatArray
    demand_request_bits: FloatArray
    demand_response_bits: FloatArray
    demand_slo_s: FloatArray
    demand_ptr: IntArray
    # candidates (C)
    cand_demand: IntArray
    cand_node: IntArray
    cand_variant: IntArray
    cand_service_s: FloatArray
    cand_compute_s: FloatArray
    cand_net_latency_s: FloatArray
    cand_latency_s: FloatArray
    cand_dyn_energy_j: FloatArray
    cand_net_energy_j: FloatArray
    cand_accuracy: FloatArray
    cand_latency_source: npt.NDArray[np.int8]
    routes: Routes
    unservable: tuple[Unservable, ...]

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_demands(self) -> int:
        """Number of demands (application x source)."""
        return len(self.demand_app)

    @property
    def n_candidates(self) -> int:
        """Number of admissible candidates."""
        return len(self.cand_demand)

    @property
    def n_models(self) -> int:
        """Number of loadable models."""
        return len(self.model_family)

    @property
    def node_tier_names(self) -> tuple[str, ...]:
        """Tier name of every node."""
        return tuple(TIERS[t] for t in self.node_tier)

    @property
    def cand_model(self) -> IntArray:
        """Loadable model of every candidate."""
        return self.variant_model[self.cand_variant]

    def cand_energy_j(self) -> FloatArray:
        """Energy per inference of every candidate: PUE x dynamic compute + network."""
        return self.node_pue[self.cand_node] * self.cand_dyn_energy_j + self.cand_net_energy_j

    def node_carbon_g_per_j(self, region_g_per_kwh: FloatArray | None = None) -> FloatArray:
        """Grid intensity at every node in gCO2e per joule."""
        intensity = self.region_carbon_g_per_kwh if region_g_per_kwh is None else region_g_per_kwh
        return intensity[self.node_region] / 3.6e6

    def cand_cost(
        self, objective: Objective | None = None, region_g_per_kwh: FloatArray | None = None
    ) -> FloatArray:
        """Objective per inference of every candidate: J for energy, gCO2e for carbon.

        Network energy is charged at the grid intensity of the request's source.
        """
        if (objective or self.objective) == "energy":
            return self.cand_energy_j()
        g_per_j = self.node_carbon_g_per_j(region_g_per_kwh)
        compute = self.node_pue[self.cand_node] * self.cand_dyn_energy_j * g_per_j[self.cand_node]
        network = self.cand_net_energy_j * g_per_j[self.demand_source[self.cand_demand]]
        return compute + network

    def node_static_cost(
        self, objective: Objective | None = None, region_g_per_kwh: FloatArray | None = None
    ) -> FloatArray:
        """Objective rate of one server switched on: W (energy) or gCO2e/s (carbon)."""
        static_w = self.node_pue * self.node_idle_w
        if (objective or self.objective) == "energy":
            return static_w
        return static_w * self.node_carbon_g_per_j(region_g_per_kwh)

    def demand_label(self, d: int) -> str:
        """Readable name of demand ``d``: application@source."""
        return f"{self.app_ids[self.demand_app[d]]}@{self.node_ids[self.demand_source[d]]}"
