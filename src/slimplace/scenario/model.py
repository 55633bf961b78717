"""Domain values of a scenario: immutable, SI units, no behaviour beyond lookups.

Everything the solvers, the evaluator and the simulator need is reached from a
:class:`Scenario`. Units are SI throughout (s, W, J, bit/s, bytes, FLOP); the
names carry them. Scenario files accept unit strings and are converted at the
boundary (:mod:`slimplace.scenario.io`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from slimplace.scenario.generation import Generation, LlmHardware

Tier = Literal["device", "edge", "metro", "cloud"]
TIERS: tuple[Tier, ...] = ("device", "edge", "metro", "cloud")
AccuracyMode = Literal["hard", "average"]
Objective = Literal["energy", "carbon"]
#: who pays for a node's idle servers: "owned" (its servers idle when on and sleep when
#: off, whatever the plan) or "elastic" (capacity shared with other tenants: only the
#: servers the plan uses are charged)
Ownership = Literal["owned", "elastic"]
#: how network energy is modelled: "power-model" (equipment baseload + marginal energy
#: per bit, device radio models) or "attributional" (average kWh/GB on every link crossed)
NetworkEnergy = Literal["power-model", "attributional"]


@dataclass(frozen=True, slots=True)
class PowerCurve:
    """Measured per-server power against utilisation, interpolated piecewise-linearly.

    ``utilisation`` rises from 0 to 1; ``power_w`` is the wall power of one
    server at that load (SPECpower-style load profile).
    """

    utilisation: tuple[float, ...]
    power_w: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LatencyFit:
    """Latency parameters of a hardware profile fitted to measured latencies.

    A batch of ``B`` inferences of a variant with ``F`` FLOPs, ``W`` weight bytes
    and ``A`` activation bytes per inference takes ``overhead_s + B * F /
    flops_per_s + 8 * B * A / memory_bandwidth_bps + 8 * W / weight_bandwidth_bps``
    (an additive roofline: Williams et al., CACM 52(4), 2009), int8 FLOPs at
    ``int8_flops_per_s`` when fitted, plus ``8 * B * D / depthwise_bandwidth_bps``
    for the ``D`` of those activation bytes that depthwise convolutions move
    (memory-bound kernels); the device serves batches of
    ``batch_size``. ``inf`` rates mean the fit found that term negligible.
    ``mape`` is the held-out mean absolute percentage error of the fit over
    ``n_points`` measurements (see :mod:`slimplace.calibration`).
    """

    overhead_s: float
    flops_per_s: float
    memory_bandwidth_bps: float = float("inf")
    weight_bandwidth_bps: float = float("inf")
    int8_flops_per_s: float | None = None
    batch_size: int = 1
    mape: float | None = None
    n_points: int = 0
    source: str = ""
    depthwise_bandwidth_bps: float = float("inf")


@dataclass(frozen=True, slots=True)
class PowerMode:
    """One operating point of an accelerator (a Jetson ``nvpmodel`` setting, a GPU power cap).

    ``throughput_factor`` scales the profile's inference throughput (service time divides
    by it; the fastest mode has 1: the profile's own speed figures are its); idle and peak
    power replace the profile's while the node runs in this mode. Switching costs
    ``switch_time_s`` and ``switch_energy_j`` (used when modes change at run time).
    See :mod:`slimplace.problem.modes`.
    """

    name: str
    throughput_factor: float
    idle_power_w: float
    peak_power_w: float
    switch_time_s: float = 0.0
    switch_energy_j: float = 0.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class BatchCurve:
    """Throughput against batch size of a batching device, relative to batch 1.

    ``throughput_factor[i]`` is the throughput at ``batch_sizes[i]`` over the throughput at
    batch 1 (so the first is 1 at batch 1). A batch of b takes ``b * s / f(b)`` for a
    batch-1 service time s. See :mod:`slimplace.problem.batching`.
    """

    batch_sizes: tuple[int, ...]
    throughput_factor: tuple[float, ...]
    source: str = ""


@dataclass(frozen=True, slots=True)
class HardwareProfile:
    """One server (or device) type: effective inference speed, memory and power.

    Power between idle and peak is linear in utilisation unless ``power_curve``
    gives a measured profile (Barroso & Hoelzle, *The Datacenter as a Computer*,
    2009, sec. 5.4; Fan et al., ISCA 2007). Service times are FLOPs over
    ``throughput_flops`` unless ``latency_fit`` holds a calibrated model.
    """

    name: str
    tier: Tier
    throughput_flops: float
    memory_bytes: float
    idle_power_w: float
    peak_power_w: float
    wake_time_s: float = 0.0
    wake_energy_j: float = 0.0
    sleep_power_w: float = 0.0
    device_class: str | None = None
    power_curve: PowerCurve | None = None
    description: str = ""
    source: str = ""
    latency_fit: LatencyFit | None = None
    #: embodied carbon of one server (manufacture; kgCO2e) and the lifetime it is amortised
    #: over (ACT, Gupta et al., ISCA 2022; Boavizta): ``embodied_kg / lifetime`` per hour
    embodied_kg: float = 0.0
    lifetime_years: float = 4.0
    #: language-model speed (token-level roofline), None: serves no generation application
    llm: LlmHardware | None = None
    #: operating points the optimizer chooses among (none: the profile's own, one mode)
    power_modes: tuple[PowerMode, ...] = ()
    #: throughput against batch size where the device batches requests (None: batch 1 only)
    batching: BatchCurve | None = None


@dataclass(frozen=True, slots=True)
class LinkKind:
    """Defaults for a class of link (5G, 4G, WiFi, fibre access, metro, core).

    ``energy_j_per_bit`` is the attributional (average kWh/GB) figure; the power
    model uses ``baseload_w`` (equipment idle power while the link is on) and
    ``marginal_j_per_bit`` (energy per bit that crosses it). ``shared`` kinds
    (base stations, access points) have one piece of equipment per hub node,
    serving every link of the kind there. ``radio`` names the device radio model
    (``lte``, ``nr``, ``wifi``) a request pays when it leaves a device on this kind.
    ``sleep_w`` is what a link of the kind draws asleep (its ports or line cards off, no
    traffic; None: it cannot sleep) and ``wake_time_s`` how long it takes to carry traffic
    again; links sleep only when routing is a decision (``Settings.k_paths`` > 1, see
    ``docs/routing.md``).
    """

    name: str
    bandwidth_bps: float
    latency_s: float
    energy_j_per_bit: float
    source: str = ""
    baseload_w: float = 0.0
    marginal_j_per_bit: float | None = None
    shared: bool = False
    radio: str | None = None
    sleep_w: float | None = None
    wake_time_s: float = 0.0

    @property
    def marginal_or_average_j_per_bit(self) -> float:
        """The marginal energy per bit, or the average one where no marginal is known."""
        return self.energy_j_per_bit if self.marginal_j_per_bit is None else self.marginal_j_per_bit


@dataclass(frozen=True, slots=True)
class RadioModel:
    """A device radio's power model for one access technology (Huang et al., MobiSys 2012).

    A request of U bits up and D bits down over an access link of R bit/s costs
    ``uplink_j_per_bit U + downlink_j_per_bit D + active_w (U + D) / R``, plus
    ``promotion_s x promotion_w`` when the radio was idle and the tail after it:
    ``tail1_s`` at ``tail1_w`` then ``tail2_s`` at ``tail2_w`` (cut short by the next
    request; see :func:`slimplace.energy.radio.radio_energy_j`).
    """

    name: str
    uplink_j_per_bit: float
    downlink_j_per_bit: float
    active_w: float
    promotion_s: float = 0.0
    promotion_w: float = 0.0
    tail1_s: float = 0.0
    tail1_w: float = 0.0
    tail2_s: float = 0.0
    tail2_w: float = 0.0
    source: str = ""


@dataclass(frozen=True, slots=True)
class MeasuredLatency:
    """A published or measured latency of a variant on a device class at a batch size."""

    device_class: str
    latency_s: float
    batch_size: int = 1
    source: str = ""


@dataclass(frozen=True, slots=True)
class Variant:
    """One servable model: accuracy, compute and memory per inference.

    ``flops`` counts floating-point operations (2 x multiply-accumulates).
    ``memory_bytes`` is the resident size of its weights.
    """

    name: str
    accuracy: float
    flops: float
    params: float
    memory_bytes: float
    kind: str = "model"
    width: float | None = None
    resolution: int | None = None
    precision: str = "fp32"
    measured: tuple[MeasuredLatency, ...] = ()
    source: str = ""
    #: variants (of any family) with the same non-empty key share one set of weights: a
    #: node loads them once, charged the largest ``memory_bytes`` of them (a language
    #: model serving two applications, :mod:`slimplace.llm.compile`)
    weights_key: str = ""


@dataclass(frozen=True, slots=True)
class ModelFamily:
    """A set of variants for one task.

    In a weight-sharing family (slimmable, Once-for-All) one set of weights is
    loaded and variants switch in ``switch_time_s``; otherwise each variant is a
    separate model that costs ``load_time_s`` (plus weight transfer) to load.
    """

    name: str
    variants: tuple[Variant, ...]
    weight_sharing: bool = False
    switch_time_s: float = 1e-3
    load_time_s: float = 1.0
    task: str = "imagenet-classification"
    source: str = ""

    def variant(self, name: str) -> Variant:
        """Return the variant called ``name``."""
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Region:
    """A grid region and its carbon intensity (gCO2e per kWh)."""

    code: str
    carbon_g_per_kwh: float
    source: str = ""


@dataclass(frozen=True, slots=True)
class Node:
    """A site: a pool of ``count`` identical servers of one hardware profile.

    A node without hardware is a network element only (router, antenna, PoP).
    ``always_on`` servers cannot be switched off (user devices); ``local_only``
    nodes serve only requests that originate at themselves (device-local
    inference). ``ownership`` says whether the node's idle and sleep power is
    drawn whatever the plan ("owned") or only for the servers the plan uses
    ("elastic": shared cloud capacity).
    """

    id: str
    tier: Tier
    hardware: str | None = None
    count: int = 1
    pue: float = 1.0
    region: str = "WORLD"
    position: tuple[float, float] | None = None
    always_on: bool = False
    local_only: bool = False
    ownership: Ownership = "owned"


@dataclass(frozen=True, slots=True)
class Link:
    """An undirected link, full duplex: ``bandwidth_bps`` in each direction.

    A figure left out (NaN) is the link kind's: :func:`slimplace.scenario.build.build_scenario`
    fills it in, as a scenario file does, so ``Link("cam", "edge", "wifi")`` is a wifi link.
    """

    a: str
    b: str
    kind: str
    bandwidth_bps: float = math.nan
    latency_s: float = math.nan
    energy_j_per_bit: float = math.nan
    #: power model (see :class:`LinkKind`): equipment baseload and marginal energy per bit;
    #: None takes the kind's (and, for the marginal, ``energy_j_per_bit`` where the kind has none)
    baseload_w: float | None = None
    marginal_j_per_bit: float | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where an application's requests enter the network, and how many per second."""

    node: str
    rate_per_s: float


#: precision of a split model's cut tensor on the wire (:mod:`slimplace.split.profiles`)
CutPrecision = Literal["fp32", "fp16", "int8"]


@dataclass(frozen=True, slots=True)
class SplitSpec:
    """Split computing for an application (:mod:`slimplace.split`): the first blocks of
    its model run on the source device, the rest on the serving node.

    ``network`` names a profiled network (``data/split/blocks.csv``); ``cuts`` the blocks
    after which the model may be cut (empty: every block boundary); ``cut_precision`` the
    precision of the tensor sent, and ``cut_accuracy_loss`` the top-1 it costs (None: the
    measured figure of :mod:`slimplace.split.precision`). An early exit after block
    ``exit_after`` lets ``exit_rate`` of the requests finish in the head when the cut is at
    or after it, at ``exit_accuracy_loss`` of top-1 (:mod:`slimplace.split.candidates`).
    """

    network: str
    cuts: tuple[str, ...] = ()
    cut_precision: CutPrecision = "fp32"
    cut_accuracy_loss: float | None = None
    exit_after: str | None = None
    exit_rate: float = 0.0
    exit_accuracy_loss: float = 0.0


@dataclass(frozen=True, slots=True)
class Stage:
    """One model of a multi-stage application (:mod:`slimplace.split.stages`).

    ``after`` lists the stages whose output it takes; ``output_bytes`` is what one call
    passes on to its successors (the application's response for the last stage);
    ``calls`` how many times it runs per request (e.g. crops per frame).
    """

    id: str
    family: str
    after: tuple[str, ...] = ()
    output_bytes: float = 0.0
    calls: float = 1.0


@dataclass(frozen=True, slots=True)
class Application:
    """A stream of inference requests with a latency SLO and an accuracy floor.

    ``accuracy_mode`` "hard" requires every request to be served at or above
    the floor; "average" requires the traffic-weighted mean accuracy of the
    application to reach it. ``splittable`` lets one source's traffic be
    split across several placements.
    """

    id: str
    family: str
    sources: tuple[Source, ...]
    request_bytes: float
    response_bytes: float
    latency_slo_s: float
    accuracy_floor: float = 0.0
    accuracy_mode: AccuracyMode = "hard"
    splittable: bool = True
    workload: str | None = None
    #: split computing (None: the whole model runs at one node)
    split: SplitSpec | None = None
    #: a multi-stage application's models (empty: one model of ``family``)
    stages: tuple[Stage, ...] = ()
    #: token counts and SLOs of a generation (LLM) application (docs/llm.md), else None
    generation: Generation | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Scenario-wide modelling settings.

    ``max_utilisation`` is the target utilisation rho_max each server may be
    loaded to; ``service_cv2`` the squared coefficient of variation of service
    time in the M/G/1 queueing delay (0: deterministic, M/D/1).
    ``slo_quantile`` is what a latency SLO bounds: ``None`` the mean response
    time, ``q`` (e.g. 0.99) the q-quantile, so that at most ``1 - q`` of the
    requests are late (:func:`slimplace.problem.latency.response_time_s`).
    ``network_energy`` selects the network energy model (see :data:`NetworkEnergy`).
    ``k_paths``: each (source, serving node) flow may take one of its ``k_paths``
    shortest paths, and links that carry no traffic sleep (1: fixed shortest paths,
    every link on; ``docs/routing.md``). ``link_sleep``: links that carry no traffic
    sleep (``None``: when ``k_paths`` > 1; ``True`` with ``k_paths`` = 1: fixed shortest
    paths with sleeping links, so the saving of sleep alone shows).
    """

    max_utilisation: float = 0.7
    service_cv2: float = 0.0
    horizon_s: float = 3600.0
    objective: Objective = "energy"
    default_region: str = "WORLD"
    slo_quantile: float | None = None
    network_energy: NetworkEnergy = "power-model"
    k_paths: int = 1
    link_sleep: bool | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole continuum: infrastructure, model families, applications, settings."""

    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    hardware: tuple[HardwareProfile, ...]
    link_kinds: tuple[LinkKind, ...]
    families: tuple[ModelFamily, ...]
    applications: tuple[Application, ...]
    regions: tuple[Region, ...]
    settings: Settings = field(default_factory=Settings)
    description: str = ""
    #: device radio models named by the link kinds (``LinkKind.radio``)
    radio_models: tuple[RadioModel, ...] = ()

    def hardware_by_name(self) -> dict[str, HardwareProfile]:
        """Profiles keyed by name."""
        return {h.name: h for h in self.hardware}

    def family_by_name(self) -> dict[str, ModelFamily]:
        """Families keyed by name."""
        return {f.name: f for f in self.families}

    def region_by_code(self) -> dict[str, Region]:
        """Regions keyed by code."""
        return {r.code: r for r in self.regions}

    def link_kind_by_name(self) -> dict[str, LinkKind]:
        """Link kinds keyed by name."""
        return {k.name: k for k in self.link_kinds}
