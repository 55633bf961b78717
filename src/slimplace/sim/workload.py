"""Request rates over time: constant, synthetic diurnal and weekly patterns, real traces.

Every demand d (an application at one source) gets ``rate_d(t) = mean_d x shape(t + phase_d)
x noise_d(t)``: ``mean_d`` is the source's rate in the scenario, ``shape`` a pattern with mean 1,
``phase_d`` a seeded per-source offset and ``noise`` multiplicative, iid per step
(``max(0, 1 + cv x N(0, 1))``). An application's ``workload`` field names its pattern:

- ``None`` or ``"constant"``: the scenario rate at every step;
- ``"diurnal"``: one peak a day; ``"weekly"``: the same with quieter weekends;
- ``"trace:NAME"``: a trace shipped in ``slimplace/data/workloads`` (:func:`builtin_traces`);
- ``"requests:PATH"`` (or ``"requests:PATH@SECONDS"``): a request log, one row per request
  (the Azure 2023 LLM and Mooncake traces as published), counted per bin (60 s by default;
  :func:`~slimplace.sim.series.read_request_log_csv`);
- any other text: a CSV file of (time, value), relative to the scenario file's folder.

Rates come in blocks of steps (:meth:`DemandWorkload.rates`), so memory does not grow with
the horizon; noise is drawn per block of :data:`NOISE_BLOCK` steps from ``(seed, block)``, so
the same seed gives the same rates however the steps are requested.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.errors import InputError, Problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.series import (
    REQUEST_BIN_S,
    PeriodicSeries,
    read_request_log_csv,
    read_series_csv,
)

log = logging.getLogger(__name__)


DAY_S = 86400.0
WEEK_S = 7 * DAY_S
#: Steps of noise drawn at once from one ``(seed, block)`` generator.
NOISE_BLOCK = 1024
#: Default multiplicative noise (coefficient of variation) of the synthetic patterns.
SYNTHETIC_NOISE_CV = 0.1
#: Built-in traces: name -> (file, value column).
TRACES = {
    "nyc_taxi": ("nyc_taxi.csv", 1),
    "aws_elb": ("aws_elb.csv", 1),
    "alibaba_genai": ("alibaba_genai_qps.csv", 1),
    "azure_llm_conv": ("azure_llm_conv_2023.csv", 1),
    "azure_llm_code": ("azure_llm_code_2023.csv", 1),
}


class Pattern(Protocol):
    """A load shape with mean 1 over its period."""

    @property
    def name(self) -> str:
        """What the workload field said."""
        ...

    @property
    def noise_cv(self) -> float:
        """Coefficient of variation of the multiplicative per-step noise."""
        ...

    def window_mean(self, t_s: FloatArray, step_s: float) -> FloatArray:
        """Mean of the shape over ``[t, t + step_s)`` for every ``t``."""
        ...

    def random_phase_s(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Seeded per-source time offsets."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    """The scenario rate at every step."""

    name: str = "constant"
    noise_cv: float = 0.0

    def window_mean(self, t_s: FloatArray, step_s: float) -> FloatArray:
        """Ones."""
        return np.ones_like(np.asarray(t_s, dtype=np.float64))

    def random_phase_s(self, rng: np.random.Generator, n: int) -> FloatArray:
        """No offsets."""
        return np.zeros(n)


@dataclass(frozen=True, slots=True)
class Diurnal:
    """``1 + a cos(2 pi (h - peak_hour) / 24)`` with ``a = (1 - r) / (1 + r)``, ``r`` the
    trough-to-peak ratio; ``weekly`` scales weekends (days 5 and 6 from t = 0, a Monday) by
    ``weekend_factor`` and renormalises the week to mean 1.

    The sinusoid is the first harmonic of measured Internet and mobile traffic, which peaks in
    the evening and bottoms out around 04:00-05:00 at roughly a third of the peak (Feldmann et al.,
    "The Lockdown Effect", IMC 2020, fig. 2; Trinh et al., "Mobile traffic prediction from raw
    data using LSTM networks", PIMRC 2018). The shape is evaluated at the middle of each step.
    """

    name: str = "diurnal"
    peak_hour: float = 20.0
    trough_ratio: float = 0.3
    weekly: bool = False
    weekend_factor: float = 0.75
    noise_cv: float = SYNTHETIC_NOISE_CV
    phase_jitter_s: float = 3600.0

    def window_mean(self, t_s: FloatArray, step_s: float) -> FloatArray:
        """Shape at the middle of each step."""
        t = np.asarray(t_s, dtype=np.float64) + 0.5 * step_s
        a = (1.0 - self.trough_ratio) / (1.0 + self.trough_ratio)
        day = 1.0 + a * np.cos(2.0 * math.pi * (t / 3600.0 - self.peak_hour) / 24.0)
        if not self.weekly:
            return day
        weekend = np.floor(np.mod(t, WEEK_S) / DAY_S) >= 5
        norm = 7.0 / (5.0 + 2.0 * self.weekend_factor)
        return day * np.where(weekend, self.weekend_factor, 1.0) * norm

    def random_phase_s(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Uniform in +- ``phase_jitter_s`` (sources are not perfectly in step)."""
        return rng.uniform(-self.phase_jitter_s, self.phase_jitter_s, size=n)


@dataclass(frozen=True, slots=True)
class Trace:
    """A real series, normalised to mean 1, replayed periodically with window means."""

    series: PeriodicSeries
    name: str = "trace"
    noise_cv: float = 0.0

    def window_mean(self, t_s: FloatArray, step_s: float) -> FloatArray:
        """Mean of the normalised trace over each step."""
        mean = self.series.mean
        return self.series.window_mean(t_s, step_s) / (mean if mean > 0 else 1.0)

    def random_phase_s(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Whole days into the trace (keeping time of day) plus +- 30 min; uniform over the
        period for traces shorter than two days."""
        period = self.series.period_s
        if period < 2 * DAY_S:
            return rng.uniform(0.0, period, size=n)
        days = rng.integers(0, int(period // DAY_S), size=n).astype(np.float64)
        return days * DAY_S + rng.uniform(-1800.0, 1800.0, size=n)


def builtin_traces() -> tuple[str, ...]:
    """Names usable as ``trace:NAME``."""
    return tuple(TRACES)


@cache
def load_builtin_trace(name: str) -> PeriodicSeries:
    """A trace shipped with slimplace (see ``data/workloads/SOURCES.md``)."""
    file, column = TRACES[name]
    with resources.as_file(
        resources.files("slimplace").joinpath("data", "workloads", file)
    ) as path:
        series = read_series_csv(path, column=column)
    return PeriodicSeries(series.start_s, series.values, name=name)


def pattern_from_spec(
    spec: str | None,
    *,
    base_dir: Path | None = None,
    where: str = "workload",
    file: str = "workload",
) -> Pattern:
    """The pattern a ``workload`` text names (see the module docstring)."""
    text = (spec or "constant").strip()
    if text == "constant":
        return Constant()
    if text == "diurnal":
        return Diurnal()
    if text == "weekly":
        return Diurnal(name="weekly", weekly=True)
    if text.startswith("trace:"):
        name = text.removeprefix("trace:")
        if name not in TRACES:
            known = ", ".join(f"trace:{t}" for t in TRACES)
            raise InputError(file, [Problem(where, f"unknown trace {name!r}; built-in: {known}")])
        return Trace(load_builtin_trace(name), name=text)
    if text.startswith("requests:"):
        return _request_log(text, base_dir=base_dir, where=where, file=file)
    path = Path(text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.suffix.lower() != ".csv" or not path.exists():
        raise InputError(
            file,
            [
                Problem(
                    where,
                    f"{text!r} is not constant, diurnal, weekly, "
                    f"trace:<name> ({', '.join(TRACES)}) or an existing .csv file",
                )
            ],
        )
    _refuse_request_log(path, text, where=where, file=file)
    series = read_series_csv(path, repair=True)
    if not (series.values > 0).any():
        raise InputError(
            file,
            [Problem(where, f"{text!r}: every value is 0, so the load has no shape to scale")],
        )
    return Trace(series, name=str(path))


#: Value-column names of a request log (one row per request), never a load: token counts.
_REQUEST_LOG_COLUMNS = ("token", "_length")


def _refuse_request_log(path: Path, text: str, *, where: str, file: str) -> None:
    """A request log given as a (time, value) series would read token counts as the load."""
    import pandas as pd

    try:
        header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
    except (OSError, ValueError, pd.errors.ParserError):
        return  # read_series_csv says what is wrong with the file
    if len(header) > 1 and any(k in header[1].lower() for k in _REQUEST_LOG_COLUMNS):
        raise InputError(
            file,
            [
                Problem(
                    where,
                    f"{text!r} looks like a request log (column {header[1]!r} counts tokens, "
                    f"it is not a load); give it as requests:{text}",
                )
            ],
        )


def _request_log(text: str, *, base_dir: Path | None, where: str, file: str) -> Trace:
    """``requests:PATH[@SECONDS]``: a request log binned into arrivals per second."""
    spec = text.removeprefix("requests:")
    name, _, bin_text = spec.rpartition("@") if "@" in spec else (spec, "", "")
    try:
        bin_s = float(bin_text.removesuffix("s")) if bin_text else REQUEST_BIN_S
    except ValueError:
        bin_s = float("nan")
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file() or not bin_s > 0:
        raise InputError(
            file,
            [
                Problem(
                    where,
                    f"{text!r}: needs requests:FILE.csv or requests:FILE.csv@SECONDS "
                    "(an existing file, a bin width > 0)",
                )
            ],
        )
    return Trace(read_request_log_csv(path, bin_s=bin_s), name=text)


@dataclass(frozen=True, eq=False)
class DemandWorkload:
    """Rates of every demand over time (see the module docstring)."""

    mean_rate_per_s: FloatArray
    patterns: tuple[Pattern, ...]
    demand_pattern: IntArray
    phase_s: FloatArray
    noise_cv: FloatArray
    seed: int = 0

    @property
    def constant(self) -> bool:
        """True when rates never change (every demand constant, no noise)."""
        return all(isinstance(p, Constant) for p in self.patterns) and not (self.noise_cv > 0).any()

    def rates(self, start_step: int, n_steps: int, step_s: float) -> FloatArray:
        """Rates (requests/s) of steps ``start_step .. start_step + n_steps - 1``: (n_steps, D)."""
        t = (start_step + np.arange(n_steps, dtype=np.float64)) * step_s
        out = np.empty((n_steps, len(self.mean_rate_per_s)))
        for i, pattern in enumerate(self.patterns):
            cols = np.nonzero(self.demand_pattern == i)[0]
            shape = pattern.window_mean(t[:, None] + self.phase_s[cols][None, :], step_s)
            out[:, cols] = self.mean_rate_per_s[cols][None, :] * shape
        if (self.noise_cv > 0).any():
            out *= np.maximum(
                0.0, 1.0 + self.noise_cv[None, :] * self._normals(start_step, n_steps)
            )
        return out

    def _normals(self, start: int, n: int) -> FloatArray:
        first, last = start // NOISE_BLOCK, (start + n - 1) // NOISE_BLOCK
        blocks = [
            np.random.default_rng([self.seed, b]).standard_normal((NOISE_BLOCK, len(self.noise_cv)))
            for b in range(first, last + 1)
        ]
        z = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
        lo = start - first * NOISE_BLOCK
        return z[lo : lo + n]

    def notes(self, horizon_s: float) -> list[str]:
        """What the workload did to its traces: the repairs made while reading them
        (:func:`~slimplace.sim.series.read_series_csv`) and, when ``horizon_s`` is longer
        than a trace, that it repeats (logged as warnings too)."""
        out: list[str] = []
        for pattern in self.patterns:
            if not isinstance(pattern, Trace):
                continue
            out += [f"{pattern.name}: {n}" for n in pattern.series.notes]  # logged when read
            period = pattern.series.period_s
            if horizon_s > period + 1e-9:
                out.append(
                    f"{pattern.name}: the horizon ({horizon_s / 3600:g} h) is longer than the "
                    f"trace ({period / 3600:g} h): the trace repeats "
                    f"{horizon_s / period:.2f} times"
                )
                log.warning("%s", out[-1])
        return out

    def scaled_to_peak(self, n_steps: int, step_s: float) -> DemandWorkload:
        """The same workload rescaled so that each demand's maximum rate over the first
        ``n_steps`` steps is its scenario rate (``mean_rate_per_s`` here): the scenario states
        the peak, the trace the shape (issue 15's benchmark convention)."""
        peak, _ = self.peak_and_mean(n_steps, step_s)
        factor = np.divide(self.mean_rate_per_s, peak, out=np.ones_like(peak), where=peak > 0)
        return replace(self, mean_rate_per_s=self.mean_rate_per_s * factor)

    def peak_and_mean(
        self, n_steps: int, step_s: float, block: int = 512
    ) -> tuple[FloatArray, FloatArray]:
        """Per-demand maximum and mean rate over the first ``n_steps`` steps (streamed)."""
        peak = np.zeros(len(self.mean_rate_per_s))
        total = np.zeros(len(self.mean_rate_per_s))
        for s in range(0, n_steps, block):
            r = self.rates(s, min(block, n_steps - s), step_s)
            np.maximum(peak, r.max(axis=0), out=peak)
            total += r.sum(axis=0)
        return peak, total / max(n_steps, 1)


def build_workload(
    problem: CompiledProblem,
    *,
    override: str | None = None,
    seed: int = 0,
    base_dir: Path | None = None,
    file: str = "workload",
    aligned: bool = False,
) -> DemandWorkload:
    """The workload of every demand: ``override`` for all applications, else each
    application's ``workload`` field. Phases are drawn from ``seed``; ``aligned`` gives
    every source phase 0 (all follow the pattern in step, as in issue 15's benchmark)."""
    apps = problem.scenario.applications
    specs = [override if override is not None else app.workload for app in apps]
    patterns: list[Pattern] = []
    index: dict[str, int] = {}
    app_pattern = np.zeros(len(apps), dtype=np.int64)
    for a, spec in enumerate(specs):
        key = spec or "constant"
        if key not in index:
            where = "--trace" if override is not None else f"applications[{a}].workload"
            patterns.append(pattern_from_spec(spec, base_dir=base_dir, where=where, file=file))
            index[key] = len(patterns) - 1
        app_pattern[a] = index[key]
    demand_pattern = app_pattern[problem.demand_app]
    rng = np.random.default_rng(seed)
    phase = np.zeros(problem.n_demands)
    for i, pattern in enumerate(patterns):
        cols = np.nonzero(demand_pattern == i)[0]
        phase[cols] = 0.0 if aligned else pattern.random_phase_s(rng, len(cols))
    cv = np.array([p.noise_cv for p in patterns], dtype=np.float64)[demand_pattern]
    return DemandWorkload(
        problem.demand_rate_per_s.copy(), tuple(patterns), demand_pattern, phase, cv, seed
    )
