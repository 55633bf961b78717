from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.problem.compile import compile_problem
from slimplace.sim.carbon import build_carbon
from slimplace.sim.series import PeriodicSeries, read_series_csv
from slimplace.sim.workload import (
    DAY_S,
    Diurnal,
    build_workload,
    builtin_traces,
    load_builtin_trace,
    pattern_from_spec,
)
from slimplace.testing import tiny_scenario

PROBLEM = compile_problem(tiny_scenario(6, seed=1))


def test_constant_workload_is_the_scenario_rate() -> None:
    wl = build_workload(PROBLEM)
    assert wl.constant
    r = wl.rates(5, 3, 60.0)
    np.testing.assert_array_equal(r, np.tile(PROBLEM.demand_rate_per_s, (3, 1)))


@pytest.mark.parametrize("pattern", [Diurnal(), Diurnal(weekly=True)])
def test_synthetic_patterns_have_mean_one(pattern) -> None:
    period = 7 * DAY_S if pattern.weekly else DAY_S
    t = np.arange(0, period, 60.0)
    assert pattern.window_mean(t, 60.0).mean() == pytest.approx(1.0, rel=1e-6)


def test_diurnal_peaks_at_its_hour_and_respects_the_trough_ratio() -> None:
    d = Diurnal(peak_hour=20.0, trough_ratio=0.3)
    t = np.arange(0, DAY_S, 60.0)
    shape = d.window_mean(t, 60.0)
    assert abs(t[np.argmax(shape)] / 3600 - 20.0) < 0.05
    assert shape.min() / shape.max() == pytest.approx(0.3, rel=1e-3)


def test_noise_is_seeded_and_independent_of_how_steps_are_requested() -> None:
    s = replace(
        tiny_scenario(6, seed=1),
        applications=tuple(
            replace(a, workload="diurnal") for a in tiny_scenario(6, seed=1).applications
        ),
    )
    p = compile_problem(s)
    a = build_workload(p, seed=4)
    whole = a.rates(0, 3000, 60.0)
    parts = np.concatenate(
        [a.rates(0, 1000, 60.0), a.rates(1000, 1500, 60.0), a.rates(2500, 500, 60.0)]
    )
    np.testing.assert_array_equal(whole, parts)
    np.testing.assert_array_equal(whole, build_workload(p, seed=4).rates(0, 3000, 60.0))
    assert not np.array_equal(whole, build_workload(p, seed=5).rates(0, 3000, 60.0))
    assert (whole >= 0).all()
    # scaled to each source's mean rate (noise and phases average out over days)
    assert whole.mean(axis=0) == pytest.approx(p.demand_rate_per_s, rel=0.05)


def test_series_window_means_resample_both_ways() -> None:
    s = PeriodicSeries(np.array([0.0, 10.0, 20.0]), np.array([1.0, 3.0, 5.0]))
    assert s.period_s == 30.0
    assert s.mean == pytest.approx(3.0)
    assert s.window_mean(np.array([0.0]), 30.0)[0] == pytest.approx(3.0)  # coarser: average
    assert s.window_mean(np.array([12.0]), 2.0)[0] == pytest.approx(3.0)  # finer: hold
    assert s.window_mean(np.array([5.0]), 10.0)[0] == pytest.approx(2.0)
    assert s.window_mean(np.array([35.0]), 10.0)[0] == pytest.approx(2.0)  # periodic


@pytest.mark.parametrize("name", builtin_traces())
def test_builtin_traces_load_and_replay_with_mean_one(name: str) -> None:
    series = load_builtin_trace(name)
    assert len(series.values) > 100 and (series.values >= 0).all()
    pattern = pattern_from_spec(f"trace:{name}")
    t = np.arange(0, series.period_s, 300.0)
    assert pattern.window_mean(t, 300.0).mean() == pytest.approx(1.0, rel=0.02)


def test_trace_replay_uses_day_aligned_phases() -> None:
    s = tiny_scenario(6, seed=1)
    s = replace(
        s, applications=tuple(replace(a, workload="trace:nyc_taxi") for a in s.applications)
    )
    wl = build_workload(compile_problem(s), seed=2)
    frac = np.mod(wl.phase_s, DAY_S)
    assert ((frac < 1800.01) | (frac > DAY_S - 1800.01)).all()
    assert len(np.unique(np.round(wl.phase_s))) == len(wl.phase_s)


def test_csv_trace_relative_to_the_scenario_folder(tmp_path: Path) -> None:
    (tmp_path / "load.csv").write_text("time,value\n0,1\n3600,3\n")
    wl = build_workload(PROBLEM, override="load.csv", base_dir=tmp_path, seed=0)
    r = wl.rates(0, 48, 3600.0)
    assert r.mean(axis=0) == pytest.approx(PROBLEM.demand_rate_per_s, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("time,value\n0,1\n0,2\n", "row 3: time does not increase"),
        ("time,value\n0,1\n10,-2\n", "row 3: value is not a number"),
        ("time,value\nnoon,1\n10,2\n", "row 2: time is neither"),
        ("time\n1\n", "needs a time column"),
    ],
)
def test_bad_trace_csv_names_file_and_row(tmp_path: Path, text: str, fragment: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(InputError) as err:
        read_series_csv(f)
    assert "bad.csv" in str(err.value) and fragment in str(err.value)


def test_unknown_workload_names_the_application() -> None:
    s = tiny_scenario(6, seed=1)
    s = replace(
        s, applications=(replace(s.applications[0], workload="trace:nope"), s.applications[1])
    )
    with pytest.raises(InputError) as err:
        build_workload(compile_problem(s), file="scen.yaml")
    assert "applications[0].workload" in str(err.value) and "nyc_taxi" in str(err.value)
    with pytest.raises(InputError):
        build_workload(PROBLEM, override="sinusoidal")


def test_carbon_constant_solar_and_csv(tmp_path: Path) -> None:
    p = PROBLEM
    const = build_carbon(p).intensity(0, 10, 3600.0)
    np.testing.assert_array_equal(const, np.tile(p.region_carbon_g_per_kwh, (10, 1)))
    solar = build_carbon(p, "solar").intensity(0, 24 * 60, 60.0)
    assert solar.mean(axis=0) == pytest.approx(p.region_carbon_g_per_kwh, rel=1e-4)
    noon, night = solar[12 * 60], solar[0]
    assert (noon < 0.7 * night).all()
    (tmp_path / "grid.csv").write_text("time,A\n0,100\n1800,300\n")
    csv = build_carbon(p, "grid.csv", base_dir=tmp_path).intensity(0, 2, 3600.0)
    assert csv[:, p.region_codes.index("A")] == pytest.approx([200.0, 200.0])
    assert csv[:, p.region_codes.index("B")] == pytest.approx([400.0, 400.0])
    with pytest.raises(InputError):
        build_carbon(p, "nowhere.csv")


def test_solar_profile_follows_each_regions_longitude() -> None:
    s = tiny_scenario(6, seed=1)
    east = {"B": (45.0, 90.0)}  # (lat, lon)
    nodes = tuple(replace(n, position=east.get(n.region, (45.0, 0.0))) for n in s.nodes)
    p = compile_problem(replace(s, nodes=nodes))
    intensity = build_carbon(p, "solar").intensity(0, 24 * 60, 60.0)
    dip_hour = np.argmin(intensity, axis=0) / 60.0
    a, b = p.region_codes.index("A"), p.region_codes.index("B")
    assert abs(dip_hour[a] - 12.0) < 0.05  # solar noon at longitude 0 is t = 12 h
    assert abs(dip_hour[b] - 6.0) < 0.05  # 90 degrees east: six hours earlier
