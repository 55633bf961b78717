"""Small self-contained scenarios (no catalog needed) for tests and examples."""

from __future__ import annotations

import numpy as np

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
    Variant,
)

_PROFILES = (
    HardwareProfile("tiny-device", "device", 5e9, 2e9, 2.0, 6.0, source="test"),
    HardwareProfile(
        "tiny-edge",
        "edge",
        5e11,
        8e9,
        10.0,
        30.0,
        wake_time_s=20.0,
        wake_energy_j=300.0,
        source="test",
    ),
    HardwareProfile(
        "tiny-metro",
        "metro",
        4e12,
        32e9,
        60.0,
        150.0,
        wake_time_s=60.0,
        wake_energy_j=6000.0,
        source="test",
    ),
    HardwareProfile(
        "tiny-cloud",
        "cloud",
        2e13,
        80e9,
        150.0,
        450.0,
        wake_time_s=120.0,
        wake_energy_j=30000.0,
        source="test",
    ),
)
_KINDS = (
    LinkKind("wifi", 1e8, 0.005, 3e-7),
    LinkKind("fibre", 1e10, 0.002, 1e-8),
    LinkKind("core", float("inf"), 0.02, 5e-8),
)


def _family() -> ModelFamily:
    widths = (0.25, 0.5, 0.75, 1.0)
    acc = (0.531, 0.648, 0.695, 0.715)
    gflop = (0.082, 0.30, 0.65, 1.138)
    variants = tuple(
        Variant(f"w{w}", a, g * 1e9, 4.2e6 * w * w, 17e6 * w * w, kind="width", width=w)
        for w, a, g in zip(widths, acc, gflop, strict=True)
    )
    return ModelFamily("tiny-slim", variants, weight_sharing=True, load_time_s=0.5, source="test")


def tiny_scenario(n_devices: int = 6, *, seed: int = 0, rate_scale: float = 1.0) -> Scenario:
    """Devices under two edge sites, one metro site and one datacenter, two applications.

    Rates are drawn from ``seed``; the topology is fixed.
    """
    rng = np.random.default_rng(seed)
    nodes = [
        Node("cloud", "cloud", "tiny-cloud", count=8, pue=1.2, region="B"),
        Node("metro", "metro", "tiny-metro", count=4, pue=1.4, region="A"),
        Node("pop", "metro", None, region="A"),
        Node("edge-0", "edge", "tiny-edge", count=2, pue=1.0, region="A"),
        Node("edge-1", "edge", "tiny-edge", count=2, pue=1.0, region="A"),
    ]
    k = {kind.name: kind for kind in _KINDS}

    def link(a: str, b: str, kind: str) -> Link:
        lk = k[kind]
        return Link(a, b, kind, lk.bandwidth_bps, lk.latency_s, lk.energy_j_per_bit)

    links = [
        link("cloud", "pop", "core"),
        link("metro", "pop", "fibre"),
        link("edge-0", "pop", "fibre"),
        link("edge-1", "pop", "fibre"),
    ]
    for i in range(n_devices):
        nodes.append(
            Node(f"dev-{i}", "device", "tiny-device", region="A", always_on=True, local_only=True)
        )
        links.append(link(f"dev-{i}", f"edge-{i % 2}", "wifi"))
    rates = rng.uniform(2.0, 20.0, size=n_devices) * rate_scale
    half = n_devices // 2
    apps = (
        Application(
            "detect",
            "tiny-slim",
            tuple(Source(f"dev-{i}", float(rates[i])) for i in range(half)),
            request_bytes=50e3,
            response_bytes=1e3,
            latency_slo_s=0.1,
            accuracy_floor=0.6,
            accuracy_mode="hard",
        ),
        Application(
            "classify",
            "tiny-slim",
            tuple(Source(f"dev-{i}", float(rates[i])) for i in range(half, n_devices)),
            request_bytes=20e3,
            response_bytes=1e3,
            latency_slo_s=0.3,
            accuracy_floor=0.68,
            accuracy_mode="average",
        ),
    )
    return Scenario(
        name="tiny",
        nodes=tuple(nodes),
        links=tuple(links),
        hardware=tuple(sorted(_PROFILES, key=lambda h: h.name)),
        link_kinds=tuple(sorted(_KINDS, key=lambda x: x.name)),
        families=(_family(),),
        applications=apps,
        regions=(Region("A", 50.0, "test"), Region("B", 400.0, "test")),
        settings=Settings(default_region="A"),
        description="A small continuum for tests.",
    )
