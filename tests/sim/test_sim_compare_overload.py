"""simulate-compare with the offered load above capacity (issue 15, overload).

A policy that drops requests does not draw what a policy serving every request draws
whatever its plan (the radio no plan avoids is charged at the offered rates), so its fixed
part is its own (servers, links, least unavoidable radio per served request), its
plan-dependent energy stays >= 0, and it gets no saving, regret or lower bound.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.energy.accounting import link_fixed_w, server_fixed_w
from slimplace.problem.compile import compile_problem
from slimplace.sim.compare import compare, relative, served_fixed_w
from slimplace.testing import tiny_scenario

HOURS = 6


def _compare(rate_scale: float):  # type: ignore[no-untyped-def]
    problem = compile_problem(tiny_scenario(16, seed=5, rate_scale=rate_scale), variants="all")
    c = compare(
        problem,
        "diurnal",
        horizon_s=HOURS * 3600,
        step_s=3600,
        policies=["static-peak", "reactive"],
    )
    return problem, c


def test_served_fixed_power_by_hand() -> None:
    problem = compile_problem(tiny_scenario(4, seed=0), variants="all")
    const_w = float(server_fixed_w(problem).sum() + link_fixed_w(problem).sum())
    # 3600 requests in a 3600 s step at 2 J each, then nothing served
    out = served_fixed_w(problem, np.array([3600.0, 0.0]), np.array([2.0, 5.0]), 3600.0)
    assert out == pytest.approx([const_w + 2.0, const_w])


def test_served_fixed_power_takes_the_tighter_of_two_lower_bounds() -> None:
    problem = compile_problem(tiny_scenario(4, seed=0), variants="all")
    const_w = float(server_fixed_w(problem).sum() + link_fixed_w(problem).sum())
    # offered: 1800 requests at 2 J and 1800 at 6 J in a 3600 s step -> radio 4 W offered;
    # 360 dropped (at most 6 J each) -> at least 4 - 0.6 = 3.4 W of it was served, more
    # than the 3240 served x 2 J (1.8 W) the least floor gives
    offered_w = np.array([const_w + 4.0])
    out = served_fixed_w(
        problem,
        np.array([3240.0]),
        np.array([2.0]),
        3600.0,
        offered_w=offered_w,
        dropped=np.array([360.0]),
        radio_top_j=np.array([6.0]),
    )
    assert out == pytest.approx([const_w + 3.4])


def test_rows_serving_99_percent_are_compared_below_not() -> None:
    rows = {
        "static-peak": {"plan_energy_kwh": 10.0, "energy_kwh": 20.0, "served_fraction": 1.0},
        "hindsight": {"plan_energy_kwh": 6.0, "energy_kwh": 16.0, "served_fraction": 1.0},
        "a": {"plan_energy_kwh": 7.0, "energy_kwh": 17.0, "served_fraction": 0.995},
        "b": {"plan_energy_kwh": 5.0, "energy_kwh": 15.0, "served_fraction": 0.98},
    }
    relative(rows)
    assert rows["a"]["saving_vs_static_peak_pct"] == pytest.approx(30.0)
    assert rows["a"]["regret_pct"] == pytest.approx(100 * (7.0 / 6.0 - 1))
    assert "not_compared" not in rows["a"]
    assert rows["b"]["saving_vs_static_peak_pct"] is None and rows["b"]["regret_pct"] is None
    assert "98.0 %" in rows["b"]["not_compared"]


def test_overloaded_policies_are_not_compared_as_if_they_served_everything() -> None:
    problem, c = _compare(200.0)
    const_kwh = float(server_fixed_w(problem).sum() + link_fixed_w(problem).sum()) * HOURS / 1000
    assert set(c.dropping()) == {"static-peak", "reactive"}
    for row in c.rows.values():
        assert row["served_fraction"] < 0.5  # 200 x the tiny load: far above capacity
        # no radio in the tiny scenario: the fixed part is the servers' and links' only
        assert row["fixed_kwh"] == pytest.approx(const_kwh)
        assert row["energy_kwh"] == pytest.approx(row["fixed_kwh"] + row["plan_energy_kwh"])
        assert row["plan_energy_kwh"] >= 0.0
        assert row["saving_vs_static_peak_pct"] is None and row.get("regret_pct") is None
        assert "served" in row["not_compared"] and "not comparable" in row["not_compared"]
    # the bound is for policies serving every request: above what these drew, and no
    # ceiling on savings is claimed from it
    assert c.lower_bound_kwh > c.rows["static-peak"]["plan_energy_kwh"]
    assert math.isnan(c.max_saving_pct())
    doc = c.to_dict()
    assert set(doc["dropped_requests"]) == {"static-peak", "reactive"}
    assert "every request" in doc["bounds_apply_to"]


def test_policies_serving_everything_keep_their_savings_and_bound() -> None:
    _, c = _compare(10.0)
    assert c.dropping() == {}
    for row in c.rows.values():
        assert row["fixed_kwh"] == pytest.approx(c.fixed_kwh)
        assert row["saving_vs_static_peak_pct"] is not None and "not_compared" not in row
        assert c.lower_bound_kwh <= row["plan_energy_kwh"] * (1 + 1e-9)
    assert 0.0 <= c.max_saving_pct() <= 100.0


def test_overload_on_an_imported_network_with_radio(tmp_path: Path) -> None:
    # the repro of the issue: zoo:Abilene at 20 x its load printed a fixed part above the
    # total energy and a negative plan-dependent energy
    scenario, out = tmp_path / "b.yaml", tmp_path / "c.json"
    runner = CliRunner()
    assert runner.invoke(app, ["import", "zoo:Abilene", "-o", str(scenario)]).exit_code == 0
    args = ["simulate-compare", str(scenario), "--trace", "diurnal", "--horizon", "6h"]
    args += ["--step", "1h", "--rate-scale", "20", "--policies", "static-peak,reactive"]
    res = runner.invoke(app, [*args, "--json", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["max_saving_vs_static_peak_pct"] is None  # NaN is written as null
    # static-peak plans with milp, which proves the peak infeasible: it holds greedy's
    # best-effort plan instead of none
    assert 0.3 < doc["dropped_requests"]["static-peak"] < 1.0
    for row in doc["policies"].values():
        assert row["served_fraction"] < 1.0
        assert row["plan_energy_kwh"] >= 0.0
        assert row["fixed_kwh"] <= doc["fixed_kwh"] + 1e-9
        assert row["fixed_kwh"] + row["plan_energy_kwh"] == pytest.approx(row["energy_kwh"])
        assert row["saving_vs_static_peak_pct"] is None
