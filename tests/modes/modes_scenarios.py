"""Small scenarios whose optimum is worked out by hand (tests/modes).

Every figure is chosen so that the sums in each test's docstring are exact: no network
energy (attributional model at 0 J/bit), PUE 1, no sleep power, M/D/1 queueing
(cv2 = 0) at rho_max = 0.7, one variant of 1 GFLOP.
"""

from __future__ import annotations

from slimplace.scenario.model import (
    Application,
    BatchCurve,
    HardwareProfile,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    PowerMode,
    Region,
    Scenario,
    Settings,
    Source,
    Variant,
)

#: one variant of 1 GFLOP: service time = 1e9 / throughput_flops
VARIANT = Variant("v", accuracy=0.8, flops=1e9, params=1e6, memory_bytes=1e6)
FAMILY = ModelFamily("fam", (VARIANT,), source="test")
LAN = LinkKind("lan", bandwidth_bps=1e12, latency_s=0.0005, energy_j_per_bit=0.0)
SETTINGS = Settings(
    max_utilisation=0.7, service_cv2=0.0, network_energy="attributional", default_region="T"
)


def profile(
    name: str,
    *,
    service_s: float,
    idle_w: float,
    peak_w: float,
    modes: tuple[PowerMode, ...] = (),
    batching: BatchCurve | None = None,
) -> HardwareProfile:
    """A profile serving the variant in ``service_s`` at batch 1 (fastest mode)."""
    return HardwareProfile(
        name=name,
        tier="edge",
        throughput_flops=1e9 / service_s,
        memory_bytes=1e9,
        idle_power_w=idle_w,
        peak_power_w=peak_w,
        power_modes=modes,
        batching=batching,
    )


def app(sources: tuple[tuple[str, float], ...], slo_s: float) -> Application:
    """The one application, from ``(node, rate)`` sources."""
    return Application(
        "app",
        "fam",
        tuple(Source(n, r) for n, r in sources),
        request_bytes=1000.0,
        response_bytes=100.0,
        latency_slo_s=slo_s,
        splittable=False,
    )


def scenario(
    hardware: tuple[HardwareProfile, ...],
    nodes: tuple[Node, ...],
    links: tuple[tuple[str, str], ...],
    application: Application,
) -> Scenario:
    """The scenario of these parts on LAN links (0.5 ms, no energy)."""
    return Scenario(
        name="modes-test",
        nodes=nodes,
        links=tuple(Link(a, b, "lan", 1e12, 0.0005, 0.0) for a, b in links),
        hardware=hardware,
        link_kinds=(LAN,),
        families=(FAMILY,),
        applications=(application,),
        regions=(Region("T", 100.0),),
        settings=SETTINGS,
    )


#: fast: 10 ms at 10 W idle / 50 W peak (0.4 J per inference above idle);
#: slow: half the speed at 5 W / 20 W (15 W x 20 ms = 0.3 J)
FAST = PowerMode("fast", 1.0, 10.0, 50.0)
SLOW = PowerMode("slow", 0.5, 5.0, 20.0)


def one_node(rate_per_s: float, modes: tuple[PowerMode, ...] = (FAST, SLOW)) -> Scenario:
    """A camera sending ``rate_per_s`` to one accelerator with ``modes`` (SLO 1 s)."""
    jet = profile("jet", service_s=0.01, idle_w=10.0, peak_w=50.0, modes=modes)
    return scenario(
        (jet,),
        (Node("cam", "device", region="T"), Node("acc", "edge", "jet", region="T")),
        (("cam", "acc"),),
        app((("cam", rate_per_s),), 1.0),
    )


#: 10 ms at batch 1; batch 4 three times and batch 8 five times the throughput
CURVE = BatchCurve((1, 4, 8), (1.0, 3.0, 5.0), "test")


def one_gpu(slo_s: float, rate_per_s: float = 200.0) -> Scenario:
    """A camera sending ``rate_per_s`` to a batching GPU node of 4 servers."""
    gpu = profile("gpu", service_s=0.01, idle_w=20.0, peak_w=120.0, batching=CURVE)
    return scenario(
        (gpu,),
        (Node("cam", "device", region="T"), Node("g", "edge", "gpu", count=4, region="T")),
        (("cam", "g"),),
        app((("cam", rate_per_s),), slo_s),
    )


def two_cameras(batching: bool) -> Scenario:
    """Two cameras of 20 requests/s, each next to its own small edge box, both one hop
    from a GPU node that batches 8 at eight times the throughput (or does not batch)."""
    box = profile("box", service_s=0.02, idle_w=2.0, peak_w=12.0)
    curve = BatchCurve((1, 8), (1.0, 8.0), "test") if batching else None
    gpu = profile("gpu", service_s=0.01, idle_w=5.0, peak_w=105.0, batching=curve)
    nodes = (
        Node("c1", "device", region="T"),
        Node("c2", "device", region="T"),
        Node("e1", "edge", "box", region="T"),
        Node("e2", "edge", "box", region="T"),
        Node("g", "edge", "gpu", region="T"),
    )
    links = (("c1", "e1"), ("c2", "e2"), ("e1", "g"), ("e2", "g"))
    return scenario((box, gpu), nodes, links, app((("c1", 20.0), ("c2", 20.0)), 0.12))
