"""Hardware profiles of the catalog (``hardware.csv`` and ``power_curves.csv``).

``throughput_flops`` is an *effective* CNN-inference rate, not a vendor peak:
each row's ``notes`` column gives its derivation (fit to published latencies,
HPL scaling or an explicit utilisation of the dense FP16 peak).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import cast

from slimplace.catalog._rows import Row, RowParser
from slimplace.scenario.model import TIERS, HardwareProfile, PowerCurve, Tier


def parse_power_curves(
    rows: Sequence[Row], file: str = "power_curves.csv"
) -> dict[str, PowerCurve]:
    """Group ``(curve, utilisation, power_w)`` rows into curves, checking shape.

    A curve must start at utilisation 0, end at 1, rise strictly in utilisation
    and not fall in power (a SPECpower-style load profile).
    """
    p = RowParser(file)
    points: dict[str, list[tuple[float, float, int]]] = {}
    for i, row in enumerate(rows):
        name = p.text(row, i, "curve")
        u = p.number(row, i, "utilisation")
        w = p.number(row, i, "power_w")
        p.text(row, i, "source")
        points.setdefault(name, []).append((u, w, i))
    curves: dict[str, PowerCurve] = {}
    for name, pts in points.items():
        us = tuple(u for u, _, _ in pts)
        ws = tuple(w for _, w, _ in pts)
        last = pts[-1][2]
        if len(pts) < 2 or us[0] != 0.0 or us[-1] != 1.0:
            p.problem(last, "utilisation", f"curve {name!r} must run from 0 to 1")
        if any(b <= a for a, b in itertools.pairwise(us)):
            p.problem(last, "utilisation", f"curve {name!r} must rise strictly")
        if any(b < a for a, b in itertools.pairwise(ws)):
            p.problem(last, "power_w", f"curve {name!r} must not fall with load")
        curves[name] = PowerCurve(utilisation=us, power_w=ws)
    p.raise_if_any()
    return curves


def parse_embodied(
    rows: Sequence[Row], file: str = "embodied.csv"
) -> dict[str, tuple[float, float]]:
    """(embodied kgCO2e, lifetime in years) of profiles by name (Boavizta, ACT)."""
    p = RowParser(file)
    out: dict[str, tuple[float, float]] = {}
    for i, row in enumerate(rows):
        name = p.text(row, i, "name")
        if name in out:
            p.problem(i, "name", f"duplicate profile {name!r}")
        p.text(row, i, "source")
        out[name] = (
            p.number(row, i, "embodied_kg"),
            p.number(row, i, "lifetime_years", strict=True),
        )
    p.raise_if_any()
    return out


def parse_hardware(
    rows: Sequence[Row],
    curves: dict[str, PowerCurve],
    file: str = "hardware.csv",
    embodied: dict[str, tuple[float, float]] | None = None,
) -> dict[str, HardwareProfile]:
    """Profiles keyed by name; every problem in the file is reported at once.

    ``embodied`` gives a profile's embodied carbon and lifetime (profiles not in it
    carry none: 0 kgCO2e)."""
    embodied = embodied or {}
    p = RowParser(file)
    out: dict[str, HardwareProfile] = {}
    for i, row in enumerate(rows):
        name = p.text(row, i, "name")
        tier = p.text(row, i, "tier")
        if tier not in TIERS:
            p.problem(i, "tier", f"expected one of {', '.join(TIERS)}, got {tier!r}")
        idle = p.number(row, i, "idle_power_w")
        peak = p.number(row, i, "peak_power_w", strict=True)
        if peak < idle:
            p.problem(i, "peak_power_w", f"peak {peak:g} W is below idle {idle:g} W")
        curve_name = p.text(row, i, "power_curve", required=False)
        if curve_name and curve_name not in curves:
            p.problem(i, "power_curve", f"no curve {curve_name!r} in power_curves.csv")
        if name in out:
            p.problem(i, "name", f"duplicate profile {name!r}")
        out[name] = HardwareProfile(
            name=name,
            tier=cast(Tier, tier),
            throughput_flops=p.number(row, i, "throughput_flops", strict=True),
            memory_bytes=p.number(row, i, "memory_bytes", strict=True),
            idle_power_w=idle,
            peak_power_w=peak,
            wake_time_s=p.number(row, i, "wake_time_s"),
            wake_energy_j=p.number(row, i, "wake_energy_j"),
            sleep_power_w=p.number(row, i, "sleep_power_w"),
            device_class=p.text(row, i, "device_class", required=False) or None,
            power_curve=curves.get(curve_name) if curve_name else None,
            description=p.text(row, i, "description"),
            source=p.text(row, i, "source"),
            embodied_kg=embodied.get(name, (0.0, 4.0))[0],
            lifetime_years=embodied.get(name, (0.0, 4.0))[1],
        )
    unknown = sorted(embodied.keys() - out.keys())
    if unknown:
        p.problem(len(rows), "name", f"embodied.csv names unknown profiles {unknown}")
    p.raise_if_any()
    return out
