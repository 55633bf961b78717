"""Grid carbon intensity over time, per region (gCO2e/kWh).

Three sources:

- ``"constant"``: the scenario's region table at every step;
- ``"solar"``: a daily profile around each region's mean with a midday dip as solar
  generation ramps up, ``I(h) = I_mean (1 - depth s(h)) / (1 - depth / pi)`` with
  ``s(h) = max(0, sin(pi (h - 6) / 12))`` at the region's local solar hour h (mean
  longitude of its nodes / 15 degrees per hour; t = 0 is midnight at longitude 0; daylight
  06:00-18:00; the divisor keeps the daily
  mean at ``I_mean``, since s averages 1/pi over a day). The shape is the "duck curve" of
  grids with much solar (CAISO, "What the duck curve tells us about managing a green grid",
  2016); ``depth`` 0.5 halves intensity at noon relative to the night level.
- a CSV file: a time column, then one column per region code (absolute gCO2e/kWh; regions
  without a column keep their constant value) or a single ``value`` column for every region.
  Resampled to the step by window means and repeated periodically
  (:class:`slimplace.sim.series.PeriodicSeries`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from slimplace.arrays import FloatArray
from slimplace.errors import InputError, Problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.series import PeriodicSeries, read_series_csv


@dataclass(frozen=True, eq=False)
class CarbonSeries:
    """Intensity of every region (R) over time."""

    base_g_per_kwh: FloatArray
    kind: str = "constant"
    solar_depth: float = 0.5
    utc_offset_h: FloatArray | None = None
    series: tuple[PeriodicSeries | None, ...] = ()

    @property
    def constant(self) -> bool:
        """True when intensities never change."""
        return self.kind == "constant"

    def intensity(self, start_step: int, n_steps: int, step_s: float) -> FloatArray:
        """gCO2e/kWh of steps ``start_step ..``: (n_steps, R)."""
        base = np.broadcast_to(self.base_g_per_kwh, (n_steps, len(self.base_g_per_kwh)))
        t = (start_step + np.arange(n_steps, dtype=np.float64)) * step_s
        if self.kind == "constant":
            return np.array(base)
        if self.kind == "solar":
            offset = (
                np.zeros(len(self.base_g_per_kwh))
                if self.utc_offset_h is None
                else self.utc_offset_h
            )
            hour = np.mod((t[:, None] + 0.5 * step_s) / 3600.0 + offset[None, :], 24.0)
            sun = np.maximum(0.0, np.sin(math.pi * (hour - 6.0) / 12.0))
            factor = (1.0 - self.solar_depth * sun) / (1.0 - self.solar_depth / math.pi)
            return base * factor
        out = np.array(base)
        for r, s in enumerate(self.series):
            if s is not None:
                out[:, r] = s.window_mean(t, step_s)
        return out


def build_carbon(
    problem: CompiledProblem, spec: str | None = None, *, base_dir: Path | None = None
) -> CarbonSeries:
    """The carbon source ``spec`` names: ``constant`` (default), ``solar`` or a CSV path."""
    base = problem.region_carbon_g_per_kwh.copy()
    text = (spec or "constant").strip()
    if text == "constant":
        return CarbonSeries(base)
    if text == "solar":
        return CarbonSeries(base, kind="solar", utc_offset_h=solar_offsets_h(problem))
    path = Path(text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.suffix.lower() != ".csv" or not path.exists():
        raise InputError(
            "--carbon", [Problem("", f"{text!r} is not constant, solar or an existing .csv file")]
        )
    return CarbonSeries(base, kind="csv", series=_csv_series(path, problem.region_codes))


def solar_offsets_h(problem: CompiledProblem) -> FloatArray:
    """Local solar time minus t of every region: mean longitude of its nodes / 15 degrees
    per hour (0 for regions without positioned nodes). t = 0 is midnight at longitude 0."""
    nodes = problem.scenario.nodes
    lon = np.array(
        [n.position[1] if n.position is not None else np.nan for n in nodes]
    )  # (lat, lon)
    has = ~np.isnan(lon)
    n_regions = len(problem.region_codes)
    total = np.bincount(problem.node_region[has], weights=lon[has], minlength=n_regions)
    count = np.bincount(problem.node_region[has], minlength=n_regions)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0) / 15.0


def _csv_series(path: Path, codes: tuple[str, ...]) -> tuple[PeriodicSeries | None, ...]:
    try:
        columns = list(pd.read_csv(path, nrows=0).columns)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), [Problem("", f"cannot read as CSV: {exc}")]) from None
    if columns[1:] == ["value"]:
        one = read_series_csv(path, column="value")
        return tuple(one for _ in codes)
    known = [c for c in columns[1:] if c in codes]
    if not known:
        raise InputError(
            str(path),
            [
                Problem(
                    "",
                    f"no column named after a region of the scenario "
                    f"({', '.join(codes)}) and no single 'value' column",
                )
            ],
        )
    by_code = {c: read_series_csv(path, column=c) for c in known}
    return tuple(by_code.get(code) for code in codes)
