"""Periodic time series from samples: window means at any step, vectorized.

A trace of samples ``(t_i, v_i)`` is read as piecewise constant: ``v_i`` holds on
``[t_i, t_{i+1})`` and the last sample for the median spacing; the series then
repeats with that period. The mean over a window ``[a, a + w)`` is
``(F(a + w) - F(a)) / w`` with ``F`` the running integral, so resampling to a
coarser step averages (as a rate should) and to a finer step holds values, with
no loop over samples or steps.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from slimplace.errors import InputError, Problem

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PeriodicSeries:
    """Samples ``values`` starting at ``start_s`` (seconds from the first sample), periodic."""

    start_s: FloatArray
    values: FloatArray
    name: str = "series"

    @property
    def period_s(self) -> float:
        """Length of one repetition: span of the samples plus the median spacing."""
        return float(self.start_s[-1] - self.start_s[0] + self._last_width())

    @property
    def mean(self) -> float:
        """Time-weighted mean over one period."""
        return float(self._cumulative()[-1] / self.period_s)

    def _last_width(self) -> float:
        return float(np.median(np.diff(self.start_s))) if len(self.start_s) > 1 else 1.0

    def _edges(self) -> FloatArray:
        s = self.start_s - self.start_s[0]
        return np.append(s, s[-1] + self._last_width())

    def _cumulative(self) -> FloatArray:
        return np.concatenate([[0.0], np.cumsum(self.values * np.diff(self._edges()))])

    def integral(self, t_s: FloatArray) -> FloatArray:
        """Running integral from time 0 to ``t_s`` (any shape), over the periodic extension."""
        edges, cum = self._edges(), self._cumulative()
        period = edges[-1]
        t = np.asarray(t_s, dtype=np.float64)
        turns = np.floor(t / period)
        r = t - turns * period
        i = np.clip(np.searchsorted(edges, r, side="right") - 1, 0, len(self.values) - 1)
        return turns * cum[-1] + cum[i] + self.values[i] * (r - edges[i])

    def window_mean(self, t_s: FloatArray, width_s: float) -> FloatArray:
        """Mean value over ``[t, t + width_s)`` for every ``t`` (any shape)."""
        t = np.asarray(t_s, dtype=np.float64)
        return (self.integral(t + width_s) - self.integral(t)) / width_s


def read_series_csv(path: str | Path, *, column: int | str = 1) -> PeriodicSeries:
    """Read a CSV of (time, value): time in seconds or as date-times, values >= 0.

    The first column is time; ``column`` picks the value column (index or name).
    Raises :class:`InputError` naming the file and the rows at fault.
    """
    file = str(path)
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(file, [Problem("", f"cannot read as CSV: {exc}")]) from None
    if frame.shape[1] < 2 or len(frame) < 2:
        raise InputError(
            file, [Problem("", "needs a time column, a value column and two rows or more")]
        )
    try:
        values = frame[column] if isinstance(column, str) else frame.iloc[:, column]
    except (KeyError, IndexError):
        raise InputError(
            file,
            [Problem("", f"no column {column!r}; columns: {', '.join(map(str, frame.columns))}")],
        ) from None
    t = _seconds(frame.iloc[:, 0], file)
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    problems = [
        Problem(f"row {i + 2}", "value is not a number >= 0") for i in np.nonzero(~(v >= 0))[0][:10]
    ]
    problems += [
        Problem(f"row {i + 3}", "time does not increase")
        for i in np.nonzero(np.diff(t) <= 0)[0][:10]
    ]
    if problems:
        raise InputError(file, problems)
    return PeriodicSeries(t - t[0], v, name=Path(file).stem)


def _seconds(column: pd.Series, file: str) -> FloatArray:
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=np.float64)
    with warnings.catch_warnings():  # mixed formats are parsed one by one; that is fine here
        warnings.simplefilter("ignore", UserWarning)
        stamps = pd.to_datetime(column, errors="coerce")
    bad = np.nonzero(stamps.isna().to_numpy())[0]
    if len(bad):
        raise InputError(
            file,
            [Problem(f"row {i + 2}", "time is neither seconds nor a date-time") for i in bad[:10]],
        )
    delta = stamps - stamps.iloc[0]
    return np.asarray(delta.dt.total_seconds(), dtype=np.float64)
