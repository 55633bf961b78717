"""The built-in scenario: a continuum grown on RENATER (the French research network,
Topology Zoo ``Renater2010``) with five applications of real ML weight, and the
``slimplace demo`` job that runs on it.

Built by :func:`slimplace.topology.realistic.generate_realistic` with the device classes
below (one application each): traffic cameras streaming 5-15 frames/s to YOLOv8, street
cameras sending 1-4 frames/s to DeepLabV3/LR-ASPP segmentation, phones running AR assist
(OFA MobileNetV3 at 5-15 frames/s) and photo tagging (ResNet), and drones sending
inspection photos to EfficientNet. Owned edge boxes and metro rooms are sized to twice the
nominal load (the daily peak the study and the simulator ask of them), datacenters are
elastic, and every SLO bounds the 99th percentile of the response time, drawn from what
each application can reach.
"""

from __future__ import annotations

from dataclasses import replace

from slimplace.catalog import Catalog, load_catalog
from slimplace.scenario.model import Scenario, Settings
from slimplace.topology import load_topology
from slimplace.topology.mix import DeviceClass
from slimplace.topology.provision import Sizing
from slimplace.topology.realistic import RealisticOptions, generate_realistic

DEMO_TOPOLOGY = "zoo:Renater2010"


def _cls(
    name: str,
    per_antenna: int,
    hardware: str,
    family: str,
    rate: tuple[float, float],
    request: tuple[float, float],
    response: tuple[float, float],
    access: tuple[str, ...] = ("5g", "wifi"),
) -> DeviceClass:
    return DeviceClass(
        name=name,
        per_antenna=per_antenna,
        hardware=(hardware,),
        access=access,
        families=(family,),
        n_apps=1,
        rate_per_s=rate,
        request_bytes=request,
        response_bytes=response,
    )


#: The demo's device classes (per antenna), one application each.
DEMO_CLASSES: tuple[DeviceClass, ...] = (
    _cls("traffic-cameras", 2, "raspberry-pi-4", "yolov8", (5.0, 15.0), (30e3, 60e3), (500, 2e3)),
    _cls(
        "street-segmentation",
        1,
        "raspberry-pi-4",
        "tv-segmentation",
        (1.0, 4.0),
        (40e3, 80e3),
        (2e3, 8e3),
    ),
    _cls("ar-assist", 2, "phone-pixel1", "ofa-mobilenet-v3", (5.0, 15.0), (15e3, 30e3), (200, 500)),
    _cls(
        "photo-tagging",
        1,
        "phone-pixel1",
        "resnet",
        (0.5, 3.0),
        (80e3, 150e3),
        (500, 2e3),
        ("4g", "5g", "wifi"),
    ),
    _cls(
        "drone-inspection",
        1,
        "raspberry-pi-5",
        "efficientnet",
        (0.5, 2.0),
        (100e3, 200e3),
        (500, 1e3),
    ),
)


def demo_options() -> RealisticOptions:
    """Generator options of the demo."""
    return RealisticOptions(
        classes=DEMO_CLASSES,
        antennas_per_pop=1,
        n_datacenters=2,
        max_sites=None,
        # provisioned for the daily peak: twice the nominal load, at rho_max
        sizing=Sizing(spare=1.0),
        workload="diurnal",
        default_region="FRA",
        # latency SLOs bound the 99th percentile of the response time, as serving systems
        # state them (per-request attainment), not the mean
        settings=Settings(
            max_utilisation=0.7, horizon_s=24 * 3600.0, default_region="FRA", slo_quantile=0.99
        ),
    )


def demo_scenario(
    *, seed: int = 7, load_scale: float = 1.0, catalog: Catalog | None = None
) -> Scenario:
    """The demo continuum: RENATER PoPs with an antenna each (cameras, phones, drones),
    edge boxes and metro rooms sized to the load, two elastic datacenters (seeded)."""
    cat = catalog or load_catalog()
    base = generate_realistic(
        load_topology(DEMO_TOPOLOGY), demo_options(), seed=seed, catalog=cat, name="renater-demo"
    )
    apps = base.applications
    if load_scale != 1.0:
        apps = tuple(
            replace(
                a,
                sources=tuple(
                    replace(s, rate_per_s=round(s.rate_per_s * load_scale, 3)) for s in a.sources
                ),
            )
            for a in apps
        )
    return replace(
        base,
        applications=apps,
        description=(
            "Five inference applications on a continuum grown on RENATER (Topology Zoo "
            "Renater2010): traffic cameras (YOLOv8), street segmentation (DeepLabV3/LR-ASPP), "
            "AR assist (OFA MobileNetV3), photo tagging (ResNet) and drone inspection "
            "(EfficientNet) under an antenna at every PoP; edge boxes and metro rooms sized "
            "to twice the nominal load; two elastic datacenters; p99 SLOs from reachable "
            "latency."
        ),
    )
