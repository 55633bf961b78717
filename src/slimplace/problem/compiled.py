"""The compiled problem: a scenario as numpy arrays, shared by every solver,
the evaluator and the simulator (the hub of DESIGN.md's data flow).

Index spaces: nodes (N), links (L), applications (A), variants over all
families (K), loadable models (M: one per weight-sharing family, one per
variant otherwise), demands (D: an application at one source) and admissible
candidates (C: demand x node x variant), sorted by demand with
``demand_ptr`` giving each demand's slice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.errors import Unservable
from slimplace.problem.paths import PathTable
from slimplace.problem.routes import Routes
from slimplace.scenario.model import (
    TIERS,
    HardwareProfile,
    ModelFamily,
    NetworkEnergy,
    Objective,
    RadioModel,
    Scenario,
)


def _none_f() -> FloatArray:
    return np.zeros(0)


def _none_i() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _none_b() -> BoolArray:
    return np.zeros(0, dtype=bool)


def _dtype(value: float) -> type:
    """int64 for the integer neutral values of :data:`CAND_NEUTRAL`, else float64."""
    return np.float64 if isinstance(value, float) else np.int64


def _constant(size: int, value: float, dtype: type = np.float64) -> npt.NDArray[Any]:
    """``size`` copies of ``value`` as a read-only zero-stride view: the default of a
    per-candidate array whose feature is unused costs no memory (indexing it gives an
    ordinary array)."""
    return np.broadcast_to(np.array(value, dtype=dtype), (size,))


#: What a per-candidate array holds for a candidate that does not use its feature (whole
#: model, no power modes, batch 1, no batch to fill). Code that adds candidates fills the
#: arrays it does not know with these.
CAND_NEUTRAL: dict[str, float] = {
    "cand_cut": -1,
    "cand_radio_delta_j": 0.0,
    "cand_mode": -1,
    "cand_batch": 1,
    "cand_fill_rate_per_s": 0.0,
    "cand_decode_batch": 1,
    "cand_decode_residence_s": 0.0,
    "cand_power_factor": 1.0,
}


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
    # energy model v2 (defaults fill arrays of the right length in __post_init__, so that
    # synthetic problems built field by field need not name them)
    #: "power-model" (baseload + marginal per bit + device radio) or "attributional" (kWh/GB)
    network_energy: NetworkEnergy = "attributional"
    #: nodes whose servers are charged only when the plan uses them (``Node.ownership``)
    node_elastic: BoolArray = field(default_factory=_none_b)
    #: embodied gCO2e per hour of one server of each node
    node_embodied_g_per_h: FloatArray = field(default_factory=_none_f)
    #: power model of each link: baseload while on (W), marginal J/bit, share of its
    #: equipment at end a (for the grid it draws from; see slimplace.energy.network)
    link_baseload_w: FloatArray = field(default_factory=_none_f)
    link_marginal_j_per_bit: FloatArray = field(default_factory=_none_f)
    link_share_a: FloatArray = field(default_factory=_none_f)
    #: device radio models; each demand's model (-1: none) and its access link's bit/s
    radio_models: tuple[RadioModel, ...] = ()
    demand_radio: IntArray = field(default_factory=_none_i)
    demand_access_bps: FloatArray = field(default_factory=_none_f)
    #: radio energy per request of each candidate at the nominal rate (0 when served at
    #: its source); part of ``cand_net_energy_j`` under the power model
    cand_radio_j: FloatArray = field(default_factory=_none_f)
    #: energy per inference given as is by synthetic instances (GAP costs, CONT's sink
    #: traffic), charged at the source's grid; 0 for compiled scenarios
    cand_extra_j: FloatArray = field(default_factory=_none_f)
    # split computing (slimplace.split): a split candidate runs its model's first blocks on
    # the demand's source device and the rest at ``cand_node``; defaults: whole models
    #: block after which the model is cut (-1: the whole model runs at ``cand_node``)
    cand_cut: IntArray = field(default_factory=_none_i)
    #: head compute on the source device per request (s; part of ``cand_compute_s``, and
    #: device load: checked by the evaluator against the device's capacity)
    cand_head_compute_s: FloatArray = field(default_factory=_none_f)
    #: head compute energy on the source device per request (J, with its PUE; part of
    #: ``cand_extra_j``, so charged at the source's grid)
    cand_head_energy_j: FloatArray = field(default_factory=_none_f)
    #: bits each request sends toward ``cand_node``: the request, or the cut tensor
    cand_request_bits: FloatArray = field(default_factory=_none_f)
    #: device radio energy per request a split candidate saves (< 0) or adds over its
    #: demand's raw request (J, linear in the bits it sends, rate-independent; part of
    #: ``cand_extra_j``); 0 for whole models (slimplace.energy.accounting)
    cand_radio_delta_j: FloatArray = field(default_factory=_none_f)
    # continuous-batching decode of generation candidates (slimplace.llm.batching): the
    # decode batch the candidate's energy and occupancy assume (1: none), and the time a
    # request spends being generated (s); the batch is full only when the node's traffic
    # to the variant keeps that many sequences in flight (Little's law; evaluator check)
    cand_decode_batch: IntArray = field(default_factory=_none_i)
    cand_decode_residence_s: FloatArray = field(default_factory=_none_f)
    #: mean power above idle while serving the candidate over ``peak - idle`` (1: the
    #: peak; below 1 for a memory-bound decode, slimplace.llm.power): ``cand_dyn_energy_j``
    #: and the evaluator's and simulator's busy power are scaled by it
    cand_power_factor: FloatArray = field(default_factory=_none_f)
    # power modes and batching (:mod:`slimplace.problem.modes`): one row per (node, mode)
    # of the nodes whose profile lists modes; each candidate's mode row (-1: its node has
    # none), batch size, and the stream rate its batch needs to fill in time (0: batch 1)
    mode_node: IntArray = field(default_factory=_none_i)
    mode_names: tuple[str, ...] = ()
    mode_throughput: FloatArray = field(default_factory=_none_f)
    mode_idle_w: FloatArray = field(default_factory=_none_f)
    mode_peak_w: FloatArray = field(default_factory=_none_f)
    mode_switch_s: FloatArray = field(default_factory=_none_f)
    mode_switch_j: FloatArray = field(default_factory=_none_f)
    cand_mode: IntArray = field(default_factory=_none_i)
    cand_batch: IntArray = field(default_factory=_none_i)
    cand_fill_rate_per_s: FloatArray = field(default_factory=_none_f)
    # routing as a decision (docs/routing.md): the k shortest paths of every flow (None:
    # fixed shortest paths, every link on), each link's power asleep (NaN: it never
    # sleeps) and its wake time
    paths: PathTable | None = None
    link_sleep_w: FloatArray = field(default_factory=_none_f)
    link_wake_time_s: FloatArray = field(default_factory=_none_f)

    def __post_init__(self) -> None:
        n, n_links, n_d, n_c = (
            len(self.node_ids),
            len(self.link_a),
            len(self.demand_app),
            len(self.cand_demand),
        )
        defaults: dict[str, tuple[int, Callable[[], npt.NDArray[Any]]]] = {
            "node_elastic": (n, lambda: np.zeros(n, dtype=bool)),
            "node_embodied_g_per_h": (n, lambda: np.zeros(n)),
            "link_baseload_w": (n_links, lambda: np.zeros(n_links)),
            "link_marginal_j_per_bit": (n_links, lambda: self.link_energy_j_per_bit),
            "link_share_a": (n_links, lambda: np.full(n_links, 0.5)),
            "demand_radio": (n_d, lambda: np.full(n_d, -1, dtype=np.int64)),
            "demand_access_bps": (n_d, lambda: np.full(n_d, np.inf)),
            "cand_radio_j": (n_c, lambda: _constant(n_c, 0.0)),
            "cand_extra_j": (n_c, lambda: _constant(n_c, 0.0)),
            "link_sleep_w": (n_links, lambda: np.full(n_links, np.nan)),
            "link_wake_time_s": (n_links, lambda: np.zeros(n_links)),
            "cand_head_compute_s": (n_c, lambda: _constant(n_c, 0.0)),
            "cand_head_energy_j": (n_c, lambda: _constant(n_c, 0.0)),
        }
        for name, value in CAND_NEUTRAL.items():  # features unused: no memory per candidate
            defaults[name] = (n_c, functools.partial(_constant, n_c, value, _dtype(value)))
        if len(self.demand_request_bits) == n_d:
            bits = self.demand_request_bits
            defaults["cand_request_bits"] = (n_c, lambda: bits[self.cand_demand])
        for name, (size, make) in defaults.items():
            if len(getattr(self, name)) != size:
                object.__setattr__(self, name, make())

    @functools.cached_property
    def demand_radio_floor_j(self) -> FloatArray:
        """Device radio energy per request of every demand that no plan avoids (J, nominal
        rates; :func:`slimplace.energy.accounting.unavoidable_radio_j`, the least
        ``cand_radio_j + cand_radio_delta_j`` over the demand's candidates): computed once
        per problem, read-only."""
        out = np.zeros(self.n_demands)
        if self.power_model and self.n_candidates:
            out = self.least_per_demand(self.cand_radio_j + self.cand_radio_delta_j)
        out.setflags(write=False)
        return out

    def least_per_demand(self, per_candidate: FloatArray) -> FloatArray:
        """The least of ``per_candidate`` over every demand's candidates (0 without any)."""
        out = np.zeros(self.n_demands)
        starts = self.demand_ptr[:-1]
        some = self.demand_ptr[1:] > starts
        out[some] = np.minimum.reduceat(per_candidate, starts[some])
        return out

    @functools.cached_property
    def any_radio_delta(self) -> bool:
        """Whether some split candidate changes its demand's radio energy
        (``cand_radio_delta_j``; computed once per problem)."""
        return bool(self.cand_radio_delta_j.any())

    @property
    def cand_reference(self) -> BoolArray:
        """Candidates at their node's reference operating point: its fastest mode (or no
        modes), batch 1 (what a node does without mode or batch decisions)."""
        first = np.full(self.n_nodes, -1, dtype=np.int64)
        first[self.mode_node[::-1]] = np.arange(len(self.mode_node))[::-1]
        mode_ok = (self.cand_mode < 0) | (self.cand_mode == first[self.cand_node])
        return np.asarray(mode_ok & (self.cand_batch == 1), dtype=bool)

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

    @property
    def power_model(self) -> bool:
        """Whether network energy follows the power model (else attributional kWh/GB)."""
        return self.network_energy == "power-model"

    @property
    def link_per_bit_j(self) -> FloatArray:
        """Energy per bit crossing each link under the scenario's network energy model:
        marginal (power model) or average (attributional)."""
        return self.link_marginal_j_per_bit if self.power_model else self.link_energy_j_per_bit

    def link_carbon_g_per_j(self, region_g_per_kwh: FloatArray | None = None) -> FloatArray:
        """Grid intensity where each link's equipment draws its power, in gCO2e per joule."""
        g = self.node_carbon_g_per_j(region_g_per_kwh)
        return self.link_share_a * g[self.link_a] + (1.0 - self.link_share_a) * g[self.link_b]

    def demand_radio_j(self, rate_per_s: FloatArray | None = None) -> FloatArray:
        """Device radio energy per offloaded request of every demand at ``rate_per_s``
        (default: the nominal rates); 0 under the attributional model."""
        from slimplace.energy.radio import demand_radio_energy_j

        if not self.power_model:
            return np.zeros(self.n_demands)
        rate = self.demand_rate_per_s if rate_per_s is None else rate_per_s
        return demand_radio_energy_j(
            self.radio_models,
            self.demand_radio,
            self.demand_request_bits,
            self.demand_response_bits,
            self.demand_access_bps,
            rate,
        )

    @property
    def cand_offloaded(self) -> BoolArray:
        """Candidates whose requests leave their source (and pay its radio)."""
        return np.asarray(self.cand_node != self.demand_source[self.cand_demand], dtype=bool)

    def cand_net_g(self, region_g_per_kwh: FloatArray | None = None) -> FloatArray:
        """Network carbon per inference of every candidate (gCO2e): the marginal energy
        of each link on its route at that link's grid (power model) plus the device
        radio at the source's grid; attributional: all of it at the source's grid."""
        g_src = self.node_carbon_g_per_j(region_g_per_kwh)[self.demand_source[self.cand_demand]]
        if not self.power_model:
            return (self.cand_net_energy_j + self.cand_extra_j) * g_src
        from slimplace.energy.routesum import cand_route_sum, into_links, route_table

        values = self.link_marginal_j_per_bit * self.link_carbon_g_per_j(region_g_per_kwh)
        table = route_table(self.routes, into_links(self.routes), values)
        bits = self.cand_request_bits + self.demand_response_bits[self.cand_demand]
        src = self.demand_source[self.cand_demand]
        per_bit = cand_route_sum(self.routes, table, values, src, self.cand_node)
        return bits * per_bit + (self.cand_radio_j + self.cand_extra_j) * g_src

    def cand_energy_j(self) -> FloatArray:
        """Energy per inference of every candidate: PUE x dynamic compute + network
        (+ device radio under the power model)."""
        return (
            self.node_pue[self.cand_node] * self.cand_dyn_energy_j
            + self.cand_net_energy_j
            + self.cand_extra_j
        )

    def node_carbon_g_per_j(self, region_g_per_kwh: FloatArray | None = None) -> FloatArray:
        """Grid intensity at every node in gCO2e per joule."""
        intensity = self.region_carbon_g_per_kwh if region_g_per_kwh is None else region_g_per_kwh
        return intensity[self.node_region] / 3.6e6

    def cand_cost(
        self, objective: Objective | None = None, region_g_per_kwh: FloatArray | None = None
    ) -> FloatArray:
        """Objective per inference of every candidate: J for energy, gCO2e for carbon.

        Network energy is charged where it is drawn (:meth:`cand_net_g`).
        """
        if (objective or self.objective) == "energy":
            return self.cand_energy_j()
        g_per_j = self.node_carbon_g_per_j(region_g_per_kwh)
        compute = self.node_pue[self.cand_node] * self.cand_dyn_energy_j * g_per_j[self.cand_node]
        return compute + self.cand_net_g(region_g_per_kwh)

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
