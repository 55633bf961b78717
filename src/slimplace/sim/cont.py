"""Scenario "CONT", the continuum benchmark LEAF, EdgeSimPy and ECLYPSE were run on, as a
slimplace :class:`Scenario` and :class:`CompiledProblem`.

CONT: 1 cloud, F fog (metro) nodes, E edge servers, D devices; device i attaches to edge
i mod E, edge j to fog j mod F, every fog to the cloud. Links: device-edge wireless
1.6 Gbit/s, 10 ms, 300 nJ/bit; edge-fog ethernet 10 Gbit/s, 2 ms, 10 nJ/bit; fog-cloud WAN
unlimited, 50 ms, 6,658 nJ/bit. One app per device: source on the device, an inference
task of 2000 x width compute units (CU), width in {0.25, 0.5, 0.75, 1}, sink on the
cloud; 1 Mbit/s source -> inference, 10 kbit/s inference -> sink. Capacities: device
1,000 CU, edge 4,000, fog 400,000, cloud unlimited. Power: device 1 W idle / 5 W peak,
edge 20/60 W, fog 100/240 W, cloud 700 uW per used CU; links: energy per bit x bit rate.
Sizes: S = (2, 10, 100), M = (8, 100, 1,000), L = (16, 400, 4,000) for (F, E, D).

Mapping onto slimplace's model (the energy is CONT's exactly; see docs/simulation.md):

- A CU is :data:`FLOP_PER_CU` FLOP; each app is one demand of the single application
  "cont" (one source per device) sending :data:`REQUESTS_PER_S` requests per second, each
  of ``2000 x width x FLOP_PER_CU / REQUESTS_PER_S`` FLOP; a width is a variant of one
  weight-sharing family (accuracy = width, memory 0, no switch or load time).
- slimplace fills a node up to ``rho_max`` x its throughput and draws
  ``P_idle + (P_peak - P_idle) x busy``; LEAF fills it up to its capacity and draws
  ``P_idle + (P_peak - P_idle) x used / capacity``. With ``rho_max`` = :data:`RHO_MAX`,
  throughput = capacity / rho_max and ``P_peak' = P_idle + (P_peak - P_idle) / rho_max``
  the two agree at every load. ``rho_max < 1`` keeps M/G/1 latencies finite (CONT has no
  latency model); the SLO (:data:`SLO_S`) then admits the device's own edge and its
  siblings under the same fog, its own fog and the cloud (and the device itself, which
  the policy never uses), not the other fogs' subtrees: 4 x (E / F + 3) candidates per app.
- The cloud: one server of capacity ``2000 x D`` CU (every app at full width fits), 0 W
  idle, 700 uW x capacity / rho_max at peak: 700 uW per used CU.
- The sink: slimplace sends responses back to the source; CONT sends 10 kbit/s from the
  inference node to the cloud. :func:`cont_problem` adds that traffic's energy to every
  candidate (``10 kbit/s x`` energy per bit of the path node -> cloud) and sets the
  response size to 0.
- Every node is always on (LEAF has no sleep states).
"""

from __future__ import annotations

from dataclasses import replace

from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
    Source,
    Tier,
    Variant,
)
from slimplace.sim.model import fetch_j_per_byte

#: Fog, edge and device counts of the three sizes.
SIZES = {"S": (2, 10, 100), "M": (8, 100, 1000), "L": (16, 400, 4000)}
FLOP_PER_CU = 1e9
REQUESTS_PER_S = 1000.0
RHO_MAX = 0.5
SLO_S = 0.15
WIDTHS = (0.25, 0.5, 0.75, 1.0)
TASK_CU = 2000.0
SOURCE_BPS = 1e6
SINK_BPS = 1e4
#: World-average grid intensity (codecarbon carbon_intensity_per_source.json, 475 g/kWh).
WORLD_G_PER_KWH = 475.0

_LINKS = (
    LinkKind("wireless", 1.6e9, 0.010, 300e-9, "CONT (LEAF settings)"),
    LinkKind("ethernet", 10e9, 0.002, 10e-9, "CONT (LEAF settings)"),
    LinkKind("wan", float("inf"), 0.050, 6658e-9, "CONT (LEAF settings)"),
)


def _profile(
    name: str, tier: Tier, capacity_cu: float, idle_w: float, peak_w: float
) -> HardwareProfile:
    return HardwareProfile(
        name,
        tier,
        throughput_flops=capacity_cu * FLOP_PER_CU / RHO_MAX,
        memory_bytes=1e12,
        idle_power_w=idle_w,
        peak_power_w=idle_w + (peak_w - idle_w) / RHO_MAX,
        source="CONT benchmark definition (issue 4); see slimplace.sim.cont",
    )


def cont_scenario(fogs: int, edges: int, devices: int) -> Scenario:
    """CONT with ``fogs`` F, ``edges`` E and ``devices`` D (see the module docstring)."""
    cloud_cu = TASK_CU * max(WIDTHS) * devices
    hardware = (
        _profile("cont-cloud", "cloud", cloud_cu, 0.0, 700e-6 * cloud_cu),
        _profile("cont-device", "device", 1000.0, 1.0, 5.0),
        _profile("cont-edge", "edge", 4000.0, 20.0, 60.0),
        _profile("cont-fog", "metro", 400000.0, 100.0, 240.0),
    )
    kinds = {k.name: k for k in _LINKS}

    def link(a: str, b: str, kind: str) -> Link:
        k = kinds[kind]
        return Link(a, b, kind, k.bandwidth_bps, k.latency_s, k.energy_j_per_bit)

    nodes = [Node("cloud", "cloud", "cont-cloud", always_on=True)]
    links = []
    for f in range(fogs):
        nodes.append(Node(f"fog-{f}", "metro", "cont-fog", always_on=True))
        links.append(link(f"fog-{f}", "cloud", "wan"))
    for e in range(edges):
        nodes.append(Node(f"edge-{e}", "edge", "cont-edge", always_on=True))
        links.append(link(f"edge-{e}", f"fog-{e % fogs}", "ethernet"))
    for d in range(devices):
        nodes.append(Node(f"device-{d}", "device", "cont-device", always_on=True, local_only=True))
        links.append(link(f"device-{d}", f"edge-{d % edges}", "wireless"))
    variants = tuple(
        Variant(
            f"w{w}",
            accuracy=w,
            flops=TASK_CU * w * FLOP_PER_CU / REQUESTS_PER_S,
            params=0.0,
            memory_bytes=0.0,
            kind="width",
            width=w,
        )
        for w in WIDTHS
    )
    family = ModelFamily(
        "cont-width",
        variants,
        weight_sharing=True,
        switch_time_s=0.0,
        load_time_s=0.0,
        task="cont",
        source="CONT benchmark definition",
    )
    app = Application(
        "cont",
        "cont-width",
        tuple(Source(f"device-{d}", REQUESTS_PER_S) for d in range(devices)),
        request_bytes=SOURCE_BPS / REQUESTS_PER_S / 8.0,
        response_bytes=0.0,
        latency_slo_s=SLO_S,
    )
    return Scenario(
        name=f"CONT-{fogs}-{edges}-{devices}",
        nodes=tuple(nodes),
        links=tuple(links),
        hardware=hardware,
        link_kinds=_LINKS,
        families=(family,),
        applications=(app,),
        regions=(Region("WORLD", WORLD_G_PER_KWH, "codecarbon world average"),),
        settings=Settings(
            max_utilisation=RHO_MAX, service_cv2=0.0, horizon_s=1.0, network_energy="attributional"
        ),
        description="CONT continuum benchmark (LEAF / EdgeSimPy / ECLYPSE), see slimplace.sim.cont",
    )


def cont_problem(size: str = "S") -> CompiledProblem:
    """The compiled CONT problem of size S, M or L, with the sink traffic's energy."""
    fogs, edges, devices = SIZES[size]
    problem = compile_problem(cont_scenario(fogs, edges, devices), variants="all")
    return with_sink_traffic(problem, SINK_BPS / REQUESTS_PER_S)


def with_sink_traffic(problem: CompiledProblem, bits_per_request: float) -> CompiledProblem:
    """``problem`` with ``bits_per_request`` more sent from the serving node to the
    nearest cloud node, charged at the energy per bit of that path."""
    j_per_bit = fetch_j_per_byte(problem) / 8.0
    extra = bits_per_request * j_per_bit[problem.cand_node]
    return replace(problem, cand_extra_j=problem.cand_extra_j + extra)
