"""``slimplace simulate-compare`` and slimplace.sim.compare: rows, plot, bad input."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import save_scenario
from slimplace.sim.compare import compare
from slimplace.testing import tiny_scenario

SCENARIO = tiny_scenario(16, seed=5, rate_scale=10.0)


def _trace(tmp_path: Path, *, rows: int = 96) -> Path:
    t = np.arange(rows) * 900
    v = 0.1 + 0.9 * np.clip(np.sin(np.pi * (t / 3600.0 % 24 - 4) / 20), 0, 1) ** 2
    f = tmp_path / "trace.csv"
    f.write_text("time,value\n" + "\n".join(f"{a},{b:.6f}" for a, b in zip(t, v, strict=True)))
    return f


def test_compare_rows_are_relative_to_static_peak_and_hindsight(tmp_path: Path) -> None:
    problem = compile_problem(SCENARIO, variants="all")
    c = compare(
        problem,
        str(_trace(tmp_path)),
        horizon_s=86400,
        step_s=3600,
        policies=["static-peak", "reactive", "hindsight"],
    )
    sp, h = c.rows["static-peak"], c.rows["hindsight"]
    assert sp["saving_vs_static_peak_pct"] == 0.0 and h["regret_pct"] == 0.0
    for row in c.rows.values():
        saving = 100 * (1 - row["plan_energy_kwh"] / sp["plan_energy_kwh"])
        assert row["saving_vs_static_peak_pct"] == pytest.approx(saving)
        regret = 100 * (row["plan_energy_kwh"] / h["plan_energy_kwh"] - 1)
        assert row["regret_pct"] == pytest.approx(regret)
        # the servers' switchable static energy is part of the plan-dependent energy
        assert 0 <= row["servers_static_kwh"] <= row["plan_energy_kwh"] + 1e-9
        # energy = fixed + plan-dependent
        assert row["energy_kwh"] == pytest.approx(c.fixed_kwh + row["plan_energy_kwh"])
    assert set(c.power_w) == set(c.rows) and all(len(p) == 24 for p in c.power_w.values())
    # hindsight serves every step with a plan made for at least its load
    assert h["served_fraction"] == pytest.approx(1.0)
    assert c.to_dict()["hindsight_energy_kwh"] == h["energy_kwh"]


def _invoke(args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["simulate-compare", *args])


def test_simulate_compare_prints_a_table_and_writes_plot_and_json(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    plot, out = tmp_path / "power.png", tmp_path / "cmp.json"
    result = _invoke(
        [str(scenario), "--trace", str(_trace(tmp_path)), "--horizon", "12h", "--step", "1h",
         "--policies", "static-peak,reactive,hindsight", "--plot", str(plot), "--json", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "regret vs" in result.output and "static-peak" in result.output
    assert plot.stat().st_size > 1000
    doc = json.loads(out.read_text())
    assert set(doc["policies"]) == {"static-peak", "reactive", "hindsight"}
    assert {"fixed_kwh", "hindsight_energy_kwh", "policies"} <= set(doc)


def test_simulate_compare_says_when_the_trace_repeats(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    short = _trace(tmp_path, rows=24)  # 6 hours
    result = _invoke(
        [str(scenario), "--trace", str(short), "--horizon", "12h", "--step", "1h",
         "--policies", "static-peak"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "repeats" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--policies", "static-peak,nope"], "nope"),
        (["--horizon", "7 parsecs"], "--horizon"),
        (["--step", "2d", "--horizon", "1d"], "--step"),
        (["--rate-scale", "0"], "--rate-scale"),
    ],
)
def test_simulate_compare_refuses_bad_options(tmp_path: Path, args: list[str], says: str) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    result = _invoke([str(scenario), "--trace", str(_trace(tmp_path)), *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "body", ["time,value\n0,1\n60,-3\n", "time,value\n0,1\n60,nan\n", "when,value\n0,1\n"]
)
def test_simulate_compare_refuses_bad_traces(tmp_path: Path, body: str) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    bad = tmp_path / "bad.csv"
    bad.write_text(body)
    result = _invoke([str(scenario), "--trace", str(bad), "--horizon", "2h", "--step", "1h"])
    assert result.exit_code == 2, result.output
    assert "bad.csv" in result.output and "Traceback" not in result.output


def test_simulate_repairs_an_untidy_trace_and_says_what_it_did(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(SCENARIO, scenario)
    untidy = tmp_path / "untidy.csv"  # unsorted, a duplicate, a gap; 2 hours for a 4 h run
    untidy.write_text("time,value\n600,2\n0,1\n300,3\n300,5\n3000,1\n3300,2\n7200,1\n")
    result = CliRunner().invoke(
        app,
        ["simulate", str(scenario), "--policy", "static-peak", "--trace", str(untidy),
         "--horizon", "4h", "--step", "10min", "--out", str(tmp_path / "o"), "--no-plots"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "repeats" in out and "sorted" in out and "gap" in out, out
