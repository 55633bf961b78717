"""Load forecasts for the predictive policy: seasonal naive and damped-trend exponential
smoothing per demand, the better of the two by recent error.

Both forecast the rates of the next ``horizon`` steps from the rates seen so far, for
every demand at once (numpy over demands, no loop over them):

- **seasonal naive**: ``y(t + h) = y(t + h - m)`` with ``m`` the steps of one day
  (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., 2021,
  section 5.2); before a day of history, the last value (naive);
- **damped trend** (Holt's linear method with a damped trend, FPP3 section 8.2):
  ``l_t = a y_t + (1 - a)(l_{t-1} + phi b_{t-1})``,
  ``b_t = b* (l_t - l_{t-1}) + (1 - b*) phi b_{t-1}``,
  ``y(t + h) = l_t + (phi + ... + phi^h) b_t``, clipped at 0. The smoothing parameters
  ``a, b*, phi`` are estimated by statsmodels (``ExponentialSmoothing``, maximum
  likelihood) on the total load of the last :data:`FIT_DAYS` days, refitted once a day;
  each demand then runs the recursion on its own series.

Every forecast made is scored once its window has passed: the absolute percentage error
of each method per demand feeds an exponentially weighted error
(weight :data:`ERROR_WEIGHT` on the newest window), and each demand uses the method
with the lower one. The error of the forecasts used is accumulated for the summary:
MAPE over (step, demand) pairs with a positive rate, and the weighted form
``sum |F - A| / sum A`` (WAPE, robust to near-zero rates).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np

from slimplace.arrays import FloatArray

log = logging.getLogger(__name__)


#: Days of total load the damped-trend parameters are fitted on.
FIT_DAYS = 3
#: Weight of the newest scored window in each method's running error.
ERROR_WEIGHT = 0.3
#: Parameters before the first fit (a, b*, phi): a cautious damped trend.
DEFAULT_PARAMS = (0.5, 0.05, 0.9)
#: Fewest samples statsmodels fits on.
MIN_FIT = 24
DAY_S = 86400.0


def fit_damped_trend(series: FloatArray) -> tuple[float, float, float]:
    """``(a, b*, phi)`` of a damped-trend exponential smoothing model fitted by statsmodels
    to ``series`` (scaled to mean 1 first); :data:`DEFAULT_PARAMS` if it cannot fit."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.asarray(series, dtype=np.float64)
    mean = float(y.mean()) if len(y) else 0.0
    if len(y) < MIN_FIT or not mean > 0:
        return DEFAULT_PARAMS
    with warnings.catch_warnings():  # convergence and start-value warnings: we fall back
        warnings.simplefilter("ignore")
        try:
            fit = ExponentialSmoothing(
                y / mean, trend="add", damped_trend=True, initialization_method="estimated"
            ).fit()
        except (ValueError, np.linalg.LinAlgError) as exc:
            log.debug("damped-trend fit failed (%s); keeping the defaults", exc)
            return DEFAULT_PARAMS
    p = fit.params
    values = (p["smoothing_level"], p["smoothing_trend"], p["damping_trend"])
    if not all(np.isfinite(values)):
        return DEFAULT_PARAMS
    return float(values[0]), float(values[1]), float(values[2])


@dataclass
class _Scored:
    """A forecast waiting for its window to pass."""

    made: int
    by_method: FloatArray  # (2, horizon, D): seasonal naive, damped trend
    used: FloatArray  # (horizon, D)


@dataclass
class Forecaster:
    """Per-run forecast state of ``n_demands`` demands at ``step_s`` (see the module
    docstring); ``observe`` every step, ``forecast`` when a plan is due."""

    n_demands: int
    step_s: float
    horizon: int
    season: int = 0
    capacity: int = 0
    history: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    seen: int = 0
    level: FloatArray = field(default_factory=lambda: np.zeros(0))
    trend: FloatArray = field(default_factory=lambda: np.zeros(0))
    params: tuple[float, float, float] = DEFAULT_PARAMS
    last_fit: int = -(10**9)
    error: FloatArray = field(default_factory=lambda: np.zeros((2, 0)))
    pending: list[_Scored] = field(default_factory=list)
    ape_sum: float = 0.0
    ape_count: int = 0
    abs_error_sum: float = 0.0
    actual_sum: float = 0.0
    chosen_sum: FloatArray = field(default_factory=lambda: np.zeros(2))

    def __post_init__(self) -> None:
        self.season = max(1, round(DAY_S / self.step_s))
        self.capacity = max(FIT_DAYS * self.season, self.season + self.horizon, self.horizon + 1)
        self.history = np.zeros((self.capacity, self.n_demands))
        self.level = np.zeros(self.n_demands)
        self.trend = np.zeros(self.n_demands)
        self.error = np.zeros((2, self.n_demands))

    def observe(self, rate_per_s: FloatArray) -> None:
        """Take this step's rates: history, the damped-trend state, scoring of forecasts
        whose window ended."""
        y = np.asarray(rate_per_s, dtype=np.float64)
        t = self.seen
        self.history[t % self.capacity] = y
        a, b, phi = self.params
        if t == 0:
            self.level = y.copy()
        else:
            prev = self.level
            self.level = a * y + (1 - a) * (prev + phi * self.trend)
            self.trend = b * (self.level - prev) + (1 - b) * phi * self.trend
        self.seen += 1
        while self.pending and self.pending[0].made + self.horizon < self.seen:
            self._score(self.pending.pop(0))
        if self.seen - self.last_fit >= self.season and self.seen >= MIN_FIT:
            self._refit()

    def forecast(self) -> FloatArray:
        """Rates of the next ``horizon`` steps, (horizon, D), each demand by its better
        method; kept to be scored when the window has passed."""
        both = np.stack([self._seasonal_naive(), self._damped_trend()])
        pick = self.error[1] < self.error[0]  # ties (and no history): seasonal naive
        used = np.where(pick[None, :], both[1], both[0])
        self.chosen_sum += [float((~pick).sum()), float(pick.sum())]
        self.pending.append(_Scored(self.seen - 1, both, used))
        return used

    def report(self) -> dict[str, float]:
        """Forecast error of the forecasts used so far (NaN before a window has passed) and
        the share of demand forecasts each method made."""
        total = float(self.chosen_sum.sum())
        return {
            "forecast_mape": self.ape_sum / self.ape_count if self.ape_count else float("nan"),
            "forecast_wape": self.abs_error_sum / self.actual_sum
            if self.actual_sum > 0
            else float("nan"),
            "forecast_scored_values": float(self.ape_count),
            "share_seasonal_naive": float(self.chosen_sum[0] / total) if total else float("nan"),
            "share_damped_trend": float(self.chosen_sum[1] / total) if total else float("nan"),
        }

    def _rows(self, first: int, n: int) -> FloatArray:
        """History rows of steps ``first .. first + n - 1`` (all within the buffer)."""
        return self.history[np.arange(first, first + n) % self.capacity]

    def _seasonal_naive(self) -> FloatArray:
        t = self.seen - 1
        h = np.arange(1, self.horizon + 1)
        if self.seen < self.season:
            return np.repeat(self.history[t % self.capacity][None, :], self.horizon, axis=0)
        back = t + h - self.season * np.ceil(h / self.season).astype(np.int64)
        return self.history[back % self.capacity]

    def _damped_trend(self) -> FloatArray:
        _, _, phi = self.params
        h = np.arange(1, self.horizon + 1, dtype=np.float64)
        damp = h if abs(phi - 1.0) < 1e-12 else phi * (1 - phi**h) / (1 - phi)
        return np.maximum(0.0, self.level[None, :] + damp[:, None] * self.trend[None, :])

    def _score(self, done: _Scored) -> None:
        actual = self._rows(done.made + 1, self.horizon)
        with np.errstate(divide="ignore", invalid="ignore"):
            ape = np.abs(done.by_method - actual[None]) / actual[None]
        pos = actual > 0
        window = np.where(pos[None], ape, 0.0).sum(axis=1) / np.maximum(pos.sum(axis=0), 1)
        self.error = (1 - ERROR_WEIGHT) * self.error + ERROR_WEIGHT * window
        used_ape = np.abs(done.used - actual)[pos] / actual[pos]
        self.ape_sum += float(used_ape.sum())
        self.ape_count += int(pos.sum())
        self.abs_error_sum += float(np.abs(done.used - actual).sum())
        self.actual_sum += float(actual.sum())

    def _refit(self) -> None:
        n = min(self.seen, self.capacity)
        total = self._rows(self.seen - n, n).sum(axis=1)
        self.params = fit_damped_trend(total)
        self.last_fit = self.seen
