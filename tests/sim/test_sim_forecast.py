"""The predictive policy's forecaster: seasonal naive, damped trend, choice by error."""

import numpy as np

from slimplace.sim.forecast import DEFAULT_PARAMS, Forecaster, fit_damped_trend

STEP = 3600.0


def _run(series: np.ndarray, horizon: int) -> tuple[Forecaster, list[np.ndarray]]:
    f = Forecaster(series.shape[1], STEP, horizon)
    out = []
    for row in series:
        f.observe(row)
        out.append(f.forecast())
    return f, out


def test_seasonal_naive_is_exact_on_a_daily_pattern_after_a_day() -> None:
    t = np.arange(24 * 4)
    daily = 5.0 + 4.0 * np.sin(2 * np.pi * t / 24)
    series = np.column_stack([daily, 2.0 * daily])
    f, forecasts = _run(series, horizon=6)
    for i in range(30, 24 * 4 - 6):
        np.testing.assert_allclose(forecasts[i], series[i + 1 : i + 7], rtol=1e-12)
    report = f.report()
    assert report["share_seasonal_naive"] > 0.6
    assert 0 < report["forecast_mape"] < 0.2  # the naive first day errs, then none


def test_damped_trend_wins_on_a_ramp_and_follows_it() -> None:
    ramp = (10.0 + 0.5 * np.arange(72))[:, None]
    f, forecasts = _run(ramp, horizon=4)
    assert f.error[1, 0] < f.error[0, 0]
    np.testing.assert_allclose(forecasts[-1][0], ramp[-1] + 0.5, rtol=0.02)


def test_damped_trend_fit_by_statsmodels_and_fallback() -> None:
    rng = np.random.default_rng(0)
    y = 100 + np.cumsum(rng.normal(0.5, 1.0, size=200))
    a, b, phi = fit_damped_trend(y)
    assert 0 <= a <= 1 and 0 <= b <= 1 and 0 < phi <= 1
    assert fit_damped_trend(np.ones(5)) == DEFAULT_PARAMS
    assert fit_damped_trend(np.zeros(100)) == DEFAULT_PARAMS


def test_report_before_any_window_passed_is_nan() -> None:
    f = Forecaster(3, STEP, 5)
    f.observe(np.ones(3))
    f.forecast()
    assert np.isnan(f.report()["forecast_mape"])
