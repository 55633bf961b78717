import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import save_scenario
from slimplace.sensitivity import (
    MAX_POINTS,
    grid_points,
    parameters,
    parse_param,
    scaled,
    sensitivity,
)
from slimplace.testing import tiny_scenario

runner = CliRunner()


def test_parse_param_accepts_factors_with_or_without_x() -> None:
    assert parse_param("network.energy_per_bit=0.1x,1x,10") == (
        "network.energy_per_bit",
        (0.1, 1.0, 10.0),
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("network.energy_per_bits=1x", "did you mean 'network.energy_per_bit'"),
        ("hardware.idle_power=abc", "is not a number"),
        ("hardware.idle_power=0x", "must be positive"),
        ("hardware.idle_power", "expected PATH="),
    ],
)
def test_parse_param_names_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_param(spec)


def test_grid_is_counted_before_it_is_expanded() -> None:
    assert len(grid_points({"a": (1.0, 2.0), "b": (1.0, 2.0, 3.0)})) == 6
    big = {f"p{i}": tuple(float(j + 1) for j in range(10)) for i in range(3)}
    with pytest.raises(InputError, match=f"1,000 points \\(at most {MAX_POINTS}\\)"):
        grid_points(big)


def test_every_parameter_scales_what_it_names() -> None:
    s = tiny_scenario(4, seed=0)
    base = compile_problem(s)
    for path in parameters():
        p = compile_problem(scaled(s, {path: 2.0}))
        assert p.n_demands == base.n_demands, path
    p = compile_problem(scaled(s, {"network.energy_per_bit": 10.0}))
    assert p.link_energy_j_per_bit == pytest.approx(base.link_energy_j_per_bit * 10)
    p = compile_problem(scaled(s, {"hardware.idle_power": 0.5}))
    assert p.node_idle_w == pytest.approx(base.node_idle_w * 0.5)
    p = compile_problem(scaled(s, {"workload.rate": 3.0}))
    assert p.demand_rate_per_s == pytest.approx(base.demand_rate_per_s * 3)
    p = compile_problem(scaled(s, {"nodes.pue_overhead": 0.0 + 0.5}))
    assert (p.node_pue >= 1.0).all() and (p.node_pue <= base.node_pue).all()


def test_network_energy_moves_placement_to_devices() -> None:
    result = sensitivity(
        tiny_scenario(8, seed=1),
        {"network.energy_per_bit": (1.0, 10.0)},
        methods=("milp", "edge-first"),
        time_limit_s=10,
    )
    assert result.reference == 0
    ref, high = result.points
    assert ref.feasible and high.feasible
    assert high.tier_share["device"] > ref.tier_share["device"]
    assert high.plan_value > ref.plan_value
    changes = result.changes()
    assert set(changes) == {"best method", "tier shares", "lever ranking"}
    assert changes["tier shares"] and "network.energy_per_bit=10x" in changes["tier shares"][0]
    assert ref.ranking and set(ref.ranking) <= {"placement", "compression", "sleep"}


def test_a_point_with_no_admissible_plan_is_reported_not_dropped() -> None:
    result = sensitivity(
        tiny_scenario(6, seed=1),
        {"applications.slo": (1.0, 0.001)},
        methods=("milp",),
        levers=False,
        time_limit_s=10,
    )
    ok, bad = result.points
    assert ok.feasible and not bad.feasible and bad.error
    assert any("0.001x" in w for w in result.changes()["best method"])


def test_cli_sensitivity_json_and_bad_params(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(tiny_scenario(6, seed=2), scenario)
    result = runner.invoke(
        app,
        [
            "sensitivity",
            str(scenario),
            "--param",
            "hardware.idle_power=0.5x,1x",
            "--methods",
            "milp,edge-first",
            "--no-levers",
            "--time-limit",
            "10",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert len(doc["points"]) == 2 and doc["reference"] == {"hardware.idle_power": 1.0}
    bad = runner.invoke(app, ["sensitivity", str(scenario), "--param", "hardware.idle=1x"])
    assert bad.exit_code == 2 and "did you mean" in bad.output
    bad = runner.invoke(
        app, ["sensitivity", str(scenario), "--param", "hardware.idle_power=1x", "-m", "x"]
    )
    assert bad.exit_code == 2
    bad = runner.invoke(
        app,
        ["sensitivity", str(scenario), "--param", "hardware.idle_power=1x", "--methods", "milpp"],
    )
    assert bad.exit_code == 2 and "milp" in bad.output
    listed = runner.invoke(app, ["sensitivity", str(scenario), "--list-params"])
    assert listed.exit_code == 0 and "network.energy_per_bit" in listed.output
