import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from slimplace.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def test_solve_prints_breakdown_and_writes_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["solve", str(EXAMPLES / "minimal.yaml"), "--method", "edge-first", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "average power" in result.output and "edge-first" in result.output
    plan = json.loads(out.read_text())
    assert plan["method"] == "edge-first"
    assert plan["evaluation"]["feasible"] is True
    assert sum(a["share"] for a in plan["assignments"]) == 1.0
    assert plan["assignments"][0]["node"] == "edge-1"
    assert plan["assignments"][0]["latency_source"] in {"flops", "measured", "fitted"}


def test_compare_writes_required_columns(tmp_path: Path) -> None:
    out = tmp_path / "cmp.csv"
    result = runner.invoke(
        app,
        [
            "compare",
            str(EXAMPLES / "sndlib-abilene.yaml"),
            "--methods",
            "cloud-only,edge-first,random",
            "--csv",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    for col in (
        "method",
        "feasible",
        "power_w",
        "carbon_g_per_h",
        "slo_met",
        "accuracy",
        "servers_on",
        "seconds",
    ):
        assert col in table.columns
    assert list(table.method) == ["cloud-only", "edge-first", "random"]
    assert (table.power_w > 0).all()


def test_unknown_method_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLES / "minimal.yaml"), "--method", "edge-frist"])
    assert result.exit_code == 2
    assert "edge-first" in result.output  # suggestion
    assert "Traceback" not in result.output


def test_infeasible_scenario_exits_2_naming_demand(tmp_path: Path) -> None:
    text = (EXAMPLES / "minimal.yaml").read_text().replace("slo: 200 ms", "slo: 2 ms")
    bad = tmp_path / "tight.yaml"
    bad.write_text(text)
    result = runner.invoke(app, ["solve", str(bad)])
    assert result.exit_code == 2
    assert (
        "tight.yaml" in result.output
        and "classify" in result.output
        and "SLO 2.0 ms" in result.output
    )


def test_objective_carbon_is_accepted_and_bad_objective_rejected() -> None:
    ok = runner.invoke(
        app,
        [
            "solve",
            str(EXAMPLES / "minimal.yaml"),
            "--method",
            "edge-first",
            "--objective",
            "carbon",
        ],
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["solve", str(EXAMPLES / "minimal.yaml"), "--objective", "money"])
    assert bad.exit_code == 2
