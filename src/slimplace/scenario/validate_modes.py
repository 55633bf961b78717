"""Checks on a hardware profile's power modes and batch curve (bad input names the field).

Power modes (:class:`~slimplace.scenario.model.PowerMode`) are listed fastest first: the
first has throughput factor 1 (the profile's own speed figures are its), each next one is
strictly slower and draws no more idle and no more peak power. A slower mode that draws
more is not an operating point anyone would choose, and almost always a data error
("non-monotone power or throughput").

A batch curve (:class:`~slimplace.scenario.model.BatchCurve`) starts at batch 1 with
factor 1, rises strictly in batch size, never falls in throughput (busy power is the
mode's peak at every batch size, so energy per inference is ``peak / throughput``: a
falling throughput is energy per inference rising with batch size, beyond what the
curve's data can be used for), and is never more than b times faster at batch b.
"""

from __future__ import annotations

import itertools

from slimplace.errors import Problem
from slimplace.scenario.model import HardwareProfile

#: Relative slack on the monotonicity checks (rounding in published figures).
RTOL = 1e-9


def power_mode_problems(h: HardwareProfile, path: str) -> list[Problem]:
    """Problems of ``h.power_modes`` (empty when it has none)."""
    modes = h.power_modes
    if not modes:
        return []
    where = f"{path}.power_modes"
    found: list[Problem] = []
    if h.power_curve is not None:
        found.append(Problem(where, "cannot be combined with power_curve (one power model)"))
    names = [m.name for m in modes]
    if len(set(names)) != len(names):
        found.append(Problem(f"{where}.name", f"duplicate mode names in {names}"))
    if modes[0].throughput_factor != 1.0:
        found.append(
            Problem(
                f"{where}[0].throughput_factor",
                f"the first (fastest) mode must have 1, got {modes[0].throughput_factor:g}",
            )
        )
    for j, m in enumerate(modes):
        at = f"{where}[{j}]"
        if not 0.0 < m.throughput_factor <= 1.0:
            found.append(Problem(f"{at}.throughput_factor", "must lie in (0, 1]"))
        if m.peak_power_w < m.idle_power_w:
            found.append(Problem(f"{at}.peak_power", "must be at least the mode's idle_power"))
        if h.sleep_power_w > m.idle_power_w:
            found.append(Problem(f"{at}.idle_power", "must be at least the profile's sleep_power"))
    for j, (a, b) in enumerate(itertools.pairwise(modes), start=1):
        at = f"{where}[{j}]"
        if b.throughput_factor >= a.throughput_factor:
            found.append(
                Problem(
                    f"{at}.throughput_factor",
                    f"non-monotone throughput: modes are listed fastest first, "
                    f"{b.name!r} ({b.throughput_factor:g}) is not slower than "
                    f"{a.name!r} ({a.throughput_factor:g})",
                )
            )
        for field, lo, hi in (
            ("peak_power", b.peak_power_w, a.peak_power_w),
            ("idle_power", b.idle_power_w, a.idle_power_w),
        ):
            if lo > hi * (1 + RTOL):
                found.append(
                    Problem(
                        f"{at}.{field}",
                        f"non-monotone power: the slower mode {b.name!r} draws {lo:g} W, "
                        f"more than {a.name!r} ({hi:g} W)",
                    )
                )
    return found


def batch_curve_problems(h: HardwareProfile, path: str) -> list[Problem]:
    """Problems of ``h.batching`` (empty when it has none)."""
    curve = h.batching
    if curve is None:
        return []
    where = f"{path}.batching"
    sizes, factors = curve.batch_sizes, curve.throughput_factor
    if len(sizes) != len(factors) or not sizes:
        return [Problem(where, "batch_sizes and throughput_factor need the same length, >= 1")]
    found: list[Problem] = []
    if sizes[0] != 1 or factors[0] != 1.0:
        found.append(Problem(f"{where}.batch_sizes", "must start at batch 1 with factor 1"))
    if any(b <= a for a, b in itertools.pairwise(sizes)):
        found.append(Problem(f"{where}.batch_sizes", "must rise strictly"))
    for (a, fa), (b, fb) in itertools.pairwise(zip(sizes, factors, strict=True)):
        if fb < fa * (1 - RTOL):
            found.append(
                Problem(
                    f"{where}.throughput_factor",
                    f"energy per inference rises with batch size beyond the data: throughput "
                    f"falls from {fa:g} at batch {a} to {fb:g} at batch {b} "
                    "(cut the curve where throughput stops rising)",
                )
            )
    for b, f in zip(sizes, factors, strict=True):
        if f > b * (1 + RTOL) or f <= 0:
            found.append(
                Problem(
                    f"{where}.throughput_factor",
                    f"at batch {b} must lie in (0, {b}] (a batch cannot be more than b times "
                    f"faster), got {f:g}",
                )
            )
    return found
