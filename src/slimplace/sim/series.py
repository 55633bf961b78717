"""Periodic time series from samples: window means at any step, vectorized.

A trace of samples ``(t_i, v_i)`` is read as piecewise constant: ``v_i`` holds on
``[t_i, t_{i+1})`` and the last sample for the median spacing; the series then
repeats with that period. The mean over a window ``[a, a + w)`` is
``(F(a + w) - F(a)) / w`` with ``F`` the running integral, so resampling to a
coarser step averages (as a rate should) and to a finer step holds values, with
no loop over samples or steps.

Reading a CSV (:func:`read_series_csv`) handles imperfect traces as follows; every
repair is described in :attr:`PeriodicSeries.notes` and logged as a warning:

- values that are not numbers (empty, NaN, text), are infinite or negative: an error naming
  the file and the rows; values so large that their integral overflows: an error;
- date-times with different UTC offsets (a daylight-saving change): read as UTC;
- unsorted rows: an error by default; with ``repair=True`` the rows are sorted by time;
- duplicate timestamps: an error by default; with ``repair=True`` their values are
  averaged into one sample;
- gaps (an interval longer than :data:`GAP_FACTOR` x the median spacing): filled at the
  median spacing by linear interpolation between the samples either side, so that no
  value is held across a hole in the data.

A horizon longer than the series repeats it (periodic extension); the workload says so
(:meth:`slimplace.sim.workload.DemandWorkload.notes`).

A request log (one row per request, as the Azure 2023 LLM inference traces and the Mooncake
trace are published) is not a series: :func:`read_request_log_csv` counts its requests per
bin and reads the counts over the bin width as a rate (requests/s), so that token columns are
never read as rates. Its first column is each request's time: date-times, seconds, or
milliseconds when the column's name ends in ``_ms``.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from slimplace.arrays import FloatArray
from slimplace.errors import InputError, Problem

log = logging.getLogger(__name__)


#: An interval longer than this many median spacings is a gap (filled by interpolation).
GAP_FACTOR = 2.0


@dataclass(frozen=True, eq=False)
class PeriodicSeries:
    """Samples ``values`` starting at ``start_s`` (seconds from the first sample), periodic."""

    start_s: FloatArray
    values: FloatArray
    name: str = "series"
    #: repairs made while reading (sorted rows, merged duplicates, filled gaps)
    notes: tuple[str, ...] = ()

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


def read_series_csv(
    path: str | Path, *, column: int | str = 1, repair: bool = False
) -> PeriodicSeries:
    """Read a CSV of (time, value): time in seconds or as date-times, values >= 0.

    The first column is time; ``column`` picks the value column (index or name). Gaps are
    filled by interpolation; ``repair`` also sorts unsorted rows and averages duplicate
    timestamps instead of refusing them (module docstring). Raises :class:`InputError`
    naming the file and the rows at fault.
    """
    file = str(path)
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(file, [Problem("", f"cannot read as CSV: {exc}")]) from None
    if frame.shape[1] < 2 or len(frame) < 2:
        found = (
            f"found {frame.shape[1]} column(s) ({', '.join(repr(str(c)) for c in frame.columns)}) "
            f"and {len(frame)} row(s); columns are separated by commas"
        )
        raise InputError(
            file,
            [Problem("", f"needs a time column, a value column and two rows or more: {found}")],
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
    name = str(values.name)
    problems = [
        Problem(f"row {i + 2}", f"{name} is not a number >= 0 (NaN, empty or negative)")
        for i in np.nonzero(~(v >= 0))[0][:10]
    ] + [
        Problem(f"row {i + 2}", f"{name} is infinite")
        for i in np.nonzero(np.isinf(v) & (v > 0))[0][:10]
    ]
    notes: list[str] = []
    if not repair:
        problems += [
            Problem(
                f"row {i + 3}",
                "time does not increase (duplicate or unsorted; repair=True sorts and "
                "averages duplicates)",
            )
            for i in np.nonzero(np.diff(t) <= 0)[0][:10]
        ]
    if problems:
        raise InputError(file, problems)
    if repair:
        t, v = _sorted_unique(t, v, notes)
        if len(t) < 2:
            raise InputError(file, [Problem("", "fewer than two distinct times")])
    t, v = _fill_gaps(t, v, notes)
    with np.errstate(over="ignore", invalid="ignore"):
        integral = np.sum(v[:-1] * np.diff(t)) + v[-1]
    if not np.isfinite(integral):
        raise InputError(
            file,
            [Problem(name, f"values up to {float(v.max()):g} overflow when integrated over time")],
        )
    for note in notes:
        log.warning("%s: %s", file, note)
    return PeriodicSeries(t - t[0], v, name=Path(file).stem, notes=tuple(notes))


#: Default bin width (s) of :func:`read_request_log_csv`.
REQUEST_BIN_S = 60.0
#: Most bins a request log may span (10 million: 80 MB of counts; 19 years of 60 s bins).
MAX_REQUEST_BINS = 10_000_000


def read_request_log_csv(path: str | Path, *, bin_s: float = REQUEST_BIN_S) -> PeriodicSeries:
    """Arrival rate (requests/s) of a request log: requests counted per ``bin_s`` bin.

    Rows may be in any order; the series starts at the first request and holds every bin up
    to the last one, empty bins included (rate 0). Raises :class:`InputError` naming the
    file for unreadable times or fewer than two bins.
    """
    file = str(path)
    if not bin_s > 0:
        raise InputError(file, [Problem("bin", f"bin width must be > 0 s, got {bin_s!r}")])
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(file, [Problem("", f"cannot read as CSV: {exc}")]) from None
    if frame.shape[1] < 1 or len(frame) < 2:
        raise InputError(file, [Problem("", "needs a time column and two requests or more")])
    t = _seconds(frame.iloc[:, 0], file)
    if str(frame.columns[0]).lower().endswith("_ms"):
        t = t / 1000.0
    t = t - t.min()
    n_bins_f = np.floor(t.max() / bin_s) + 1
    if n_bins_f > MAX_REQUEST_BINS:
        wider = float(np.ceil(t.max() / MAX_REQUEST_BINS))
        raise InputError(
            file,
            [
                Problem(
                    "",
                    f"the requests span {float(t.max()):g} s, {n_bins_f:.3g} bins of {bin_s:g} s "
                    f"(at most {MAX_REQUEST_BINS:,}); give a wider bin, e.g. @{wider:g}",
                )
            ],
        )
    n_bins = int(n_bins_f)
    if n_bins < 2:
        raise InputError(
            file,
            [
                Problem(
                    "", f"the requests span less than two bins of {bin_s:g} s; use a smaller bin"
                )
            ],
        )
    counts = np.bincount(np.floor(t / bin_s).astype(np.int64), minlength=n_bins)
    start = np.arange(n_bins, dtype=np.float64) * bin_s
    return PeriodicSeries(start, counts / bin_s, name=Path(file).stem)


def _sorted_unique(t: FloatArray, v: FloatArray, notes: list[str]) -> tuple[FloatArray, FloatArray]:
    """Rows sorted by time, values at equal times averaged (noted)."""
    if (np.diff(t) < 0).any():
        notes.append(f"{int((np.diff(t) < 0).sum())} rows out of time order: sorted")
    times, inverse, counts = np.unique(t, return_inverse=True, return_counts=True)
    if len(times) < len(t):
        notes.append(
            f"{len(t) - len(times)} rows repeat an earlier timestamp: values at one time averaged"
        )
    mean = np.bincount(inverse, weights=v, minlength=len(times)) / counts
    return times.astype(np.float64), mean.astype(np.float64)


def _fill_gaps(t: FloatArray, v: FloatArray, notes: list[str]) -> tuple[FloatArray, FloatArray]:
    """Samples inserted at the median spacing inside every gap, linearly interpolated."""
    dt = np.diff(t)
    spacing = float(np.median(dt))
    gap = dt > GAP_FACTOR * spacing
    if not gap.any() or spacing <= 0:
        return t, v
    extra = np.ceil(dt[gap] / spacing - 1e-9).astype(np.int64) - 1
    first = np.repeat(t[:-1][gap], extra)
    k = np.arange(int(extra.sum())) - np.repeat(np.cumsum(extra) - extra, extra) + 1
    new_t = first + k * spacing
    all_t = np.concatenate([t, new_t])
    order = np.argsort(all_t, kind="stable")
    all_t = all_t[order]
    notes.append(
        f"{int(gap.sum())} gaps longer than {GAP_FACTOR:g} x the median spacing "
        f"({spacing:g} s; longest {float(dt[gap].max()):g} s): {len(new_t)} samples "
        "interpolated linearly"
    )
    return all_t, np.interp(all_t, t, v)


def _seconds(column: pd.Series, file: str) -> FloatArray:
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().all():
        seconds = numeric.to_numpy(dtype=np.float64)
        bad = np.nonzero(~np.isfinite(seconds))[0]
        if len(bad):
            raise InputError(file, [Problem(f"row {i + 2}", "time is infinite") for i in bad[:10]])
        return seconds
    if numeric.notna().sum() * 2 > len(numeric):
        # Mostly seconds: the rows that are not numbers are the typos (read as date-times,
        # the numbers would fail instead, or parse as years: "1200" -> 1200-01-01).
        bad = np.nonzero(numeric.isna().to_numpy())[0]
        raise InputError(
            file,
            [
                Problem(f"row {i + 2}", "time is not a number of seconds like the other rows")
                for i in bad[:10]
            ],
        )
    with warnings.catch_warnings():  # mixed formats are parsed one by one; that is fine here
        warnings.simplefilter("ignore", UserWarning)
        try:
            stamps = pd.to_datetime(column, errors="coerce", format="mixed")
        except ValueError:  # mixed UTC offsets (a daylight-saving change): read all as UTC
            stamps = pd.to_datetime(column, errors="coerce", format="mixed", utc=True)
    bad = np.nonzero(stamps.isna().to_numpy())[0]
    if len(bad):
        raise InputError(
            file,
            [Problem(f"row {i + 2}", "time is neither seconds nor a date-time") for i in bad[:10]],
        )
    delta = stamps - stamps.iloc[0]
    return np.asarray(delta.dt.total_seconds(), dtype=np.float64)
