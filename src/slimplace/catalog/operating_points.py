"""Power modes and batch curves of the catalog (``power_modes.csv``, ``batch_curves.csv``).

Each row names a ``profile`` and the catalog profile it is a copy of (``base``): the
profiles with modes or batching are added under their own names, so the built-in
profiles, and every scenario that names them, stay as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from slimplace.catalog._rows import Row, RowParser
from slimplace.errors import InputError, Problem
from slimplace.scenario.model import BatchCurve, HardwareProfile, PowerMode
from slimplace.scenario.validate_modes import batch_curve_problems, power_mode_problems


def parse_power_modes(
    rows: Sequence[Row], file: str = "power_modes.csv"
) -> dict[str, tuple[str, tuple[PowerMode, ...]]]:
    """``{profile: (base, modes in file order)}``."""
    p = RowParser(file)
    out: dict[str, tuple[str, list[PowerMode]]] = {}
    for i, row in enumerate(rows):
        profile, base = p.text(row, i, "profile"), p.text(row, i, "base")
        mode = PowerMode(
            name=p.text(row, i, "mode"),
            throughput_factor=p.number(row, i, "throughput_factor", strict=True),
            idle_power_w=p.number(row, i, "idle_power_w"),
            peak_power_w=p.number(row, i, "peak_power_w"),
            switch_time_s=p.number(row, i, "switch_time_s"),
            switch_energy_j=p.number(row, i, "switch_energy_j"),
            source=p.text(row, i, "source"),
        )
        out.setdefault(profile, (base, []))[1].append(mode)
    p.raise_if_any()
    return {k: (base, tuple(modes)) for k, (base, modes) in out.items()}


def parse_batch_curves(
    rows: Sequence[Row], file: str = "batch_curves.csv"
) -> dict[str, tuple[str, BatchCurve]]:
    """``{profile: (base, curve)}``; the first row's source is the curve's."""
    p = RowParser(file)
    points: dict[str, tuple[str, list[tuple[int, float]], str]] = {}
    for i, row in enumerate(rows):
        profile, base = p.text(row, i, "profile"), p.text(row, i, "base")
        size = p.number(row, i, "batch_size", strict=True)
        factor = p.number(row, i, "throughput_factor", strict=True)
        source = p.text(row, i, "source")
        points.setdefault(profile, (base, [], source))[1].append((int(size), factor))
    p.raise_if_any()
    return {
        k: (base, BatchCurve(tuple(b for b, _ in pts), tuple(f for _, f in pts), source))
        for k, (base, pts, source) in points.items()
    }


def with_operating_points(
    hardware: Mapping[str, HardwareProfile],
    modes: Mapping[str, tuple[str, tuple[PowerMode, ...]]],
    curves: Mapping[str, tuple[str, BatchCurve]],
) -> dict[str, HardwareProfile]:
    """``hardware`` plus a copy of each named base profile with its modes and curve;
    raises :class:`~slimplace.errors.InputError` naming the file and field of bad data."""
    out = dict(hardware)
    problems: list[Problem] = []
    for name in sorted(modes.keys() | curves.keys()):
        base = (modes.get(name) or curves[name])[0]
        if base not in hardware:
            problems.append(Problem(f"{name}.base", f"unknown profile {base!r}"))
            continue
        profile = dataclasses.replace(
            hardware[base],
            name=name,
            power_modes=modes[name][1] if name in modes else (),
            batching=curves[name][1] if name in curves else None,
            description=f"{hardware[base].description} (power modes / batching: {name})",
        )
        problems += power_mode_problems(profile, name) + batch_curve_problems(profile, name)
        out[name] = profile
    if problems:
        raise InputError("power_modes.csv / batch_curves.csv", problems)
    return out
