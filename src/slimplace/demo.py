"""The built-in scenario: a continuum grown on RENATER (the French research network,
Topology Zoo ``Renater2010``) with five applications of different SLOs and
accuracy floors, and the ``slimplace demo`` job that runs on it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from slimplace.catalog import Catalog, load_catalog
from slimplace.scenario.model import Application, Scenario, Settings, Source
from slimplace.topology import ContinuumOptions, generate_continuum, load_topology

DEMO_TOPOLOGY = "zoo:Renater2010"

#: (id, family, SLO s, floor, mode, request B, response B, share of devices, rate range /s)
_APPS: tuple[tuple[str, str, float, float, str, float, float, float, tuple[float, float]], ...] = (
    ("traffic-cameras", "s-mobilenet-v1", 0.100, 0.64, "hard", 60e3, 200.0, 0.35, (4.0, 12.0)),
    ("ar-assist", "ofa-mobilenet-v3", 0.080, 0.74, "hard", 30e3, 500.0, 0.20, (10.0, 30.0)),
    ("retail-analytics", "us-mobilenet-v2", 0.200, 0.69, "average", 80e3, 1e3, 0.25, (2.0, 8.0)),
    ("photo-tagging", "resnet", 0.500, 0.76, "average", 150e3, 2e3, 0.10, (1.0, 4.0)),
    ("drone-inspection", "efficientnet", 0.300, 0.80, "hard", 200e3, 1e3, 0.10, (1.0, 3.0)),
)


def demo_scenario(
    *, seed: int = 7, load_scale: float = 1.0, catalog: Catalog | None = None
) -> Scenario:
    """The demo continuum: RENATER PoPs with antennas, edge boxes, metro rooms, two
    datacenters, and five applications drawn over its devices (seeded)."""
    cat = catalog or load_catalog()
    options = ContinuumOptions(
        n_datacenters=2,
        datacenter_hardware=("a100-server", "xeon-server"),
        datacenter_server_count=(20, 40),
        antennas_per_pop=1,
        devices_per_antenna=6,
        device_hardware=("raspberry-pi-4", "phone-pixel1"),
        device_access=("5g", "wifi"),
        edge_server_count=(1, 3),
        n_apps=1,
        families=("s-mobilenet-v1",),
        # latency SLOs bound the 99th percentile of the response time, as serving systems
        # state them (per-request attainment), not the mean
        settings=Settings(
            max_utilisation=0.7, horizon_s=24 * 3600.0, default_region="FRA", slo_quantile=0.99
        ),
        default_region="FRA",
    )
    base = generate_continuum(
        load_topology(DEMO_TOPOLOGY), options, seed=seed, catalog=cat, name="renater-demo"
    )
    apps = _applications(base, seed, load_scale)
    used = {a.family for a in apps}
    families = tuple(sorted((cat.families[f] for f in used), key=lambda f: f.name))
    return replace(
        base,
        applications=apps,
        families=families,
        description=(
            "Five inference applications on a continuum grown on RENATER (Topology Zoo "
            "Renater2010): devices under antennas at every PoP, edge boxes, metro server rooms, "
            "two datacenters."
        ),
    )


def _applications(base: Scenario, seed: int, load_scale: float) -> tuple[Application, ...]:
    rng = np.random.default_rng(seed + 1)
    devices = [n.id for n in base.nodes if n.tier == "device"]
    order = rng.permutation(len(devices))
    apps, start = [], 0
    for app_id, family, slo, floor, mode, req, resp, share, (lo, hi) in _APPS:
        n = max(1, round(share * len(devices)))
        chosen = [devices[i] for i in order[start : start + n]]
        start += n
        rates = rng.uniform(lo, hi, size=len(chosen)) * load_scale
        apps.append(
            Application(
                id=app_id,
                family=family,
                sources=tuple(
                    Source(d, float(round(r, 3))) for d, r in zip(chosen, rates, strict=True)
                ),
                request_bytes=req,
                response_bytes=resp,
                latency_slo_s=slo,
                accuracy_floor=floor,
                accuracy_mode="hard" if mode == "hard" else "average",
                workload="diurnal",
            )
        )
    return tuple(apps)
