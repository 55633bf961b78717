"""A hand-sized continuum for split computing: a device at 10 GFLOP/s (1 W idle, 5 W
peak), an edge at 1 TFLOP/s (10 W / 30 W), one 10 Mbit/s link of 10 ms and 0.1 uJ/bit,
attributional network energy (no radio), rho_max 0.5, deterministic service."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from slimplace.scenario.build import build_scenario
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    Scenario,
    Settings,
    Source,
    SplitSpec,
    Variant,
)

DEVICE = HardwareProfile("dev", "device", 1e10, 4e9, 1.0, 5.0)
EDGE = HardwareProfile("edgebox", "edge", 1e12, 8e9, 10.0, 30.0)
KIND = LinkKind("wire", 1e7, 0.01, 1e-7)
SPLIT = SplitSpec("mobilenet_v2")
VARIANT = Variant("net", 0.7, 1e9, 3.5e6, 1.4e7, width=1.0, resolution=224)


def tiny(
    *,
    slo_s: float = 1.0,
    rate: float = 1.0,
    split: SplitSpec | None = SPLIT,
    request_bytes: float = 150_528.0,
) -> Scenario:
    """The hand-sized continuum with one application at the device."""
    app = Application(
        "app",
        "fam",
        (Source("dev1", rate),),
        request_bytes,
        1000.0,
        slo_s,
        split=split,
        splittable=False,
    )
    return build_scenario(
        "tiny-split",
        nodes=[
            Node("dev1", "device", "dev", always_on=True, local_only=True),
            Node("edge1", "edge", "edgebox", always_on=True),
        ],
        links=[Link("dev1", "edge1", "wire")],
        hardware=[DEVICE, EDGE],
        link_kinds=[KIND],
        families=[ModelFamily("fam", (VARIANT,))],
        applications=[app],
        settings=Settings(max_utilisation=0.5, network_energy="attributional"),
    )


@pytest.fixture
def make_tiny() -> Callable[..., Scenario]:
    """The factory :func:`tiny`."""
    return tiny
