import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from slimplace.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "minimal.yaml"
runner = CliRunner()


def test_simulate_writes_records_summary_and_plots(tmp_path: Path) -> None:
    scenario = tmp_path / "minimal.yaml"
    shutil.copy(EXAMPLE, scenario)
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "simulate",
            str(scenario),
            "--policy",
            "reactive",
            "--horizon",
            "6h",
            "--step",
            "10min",
            "--trace",
            "trace:aws_elb",
            "--carbon",
            "solar",
            "--out",
            str(out),
            "--seed",
            "3",
            "--set",
            "idle_s=1200",
            "--set",
            "ceiling=plan",
        ],
    )
    assert result.exit_code == 0, result.output
    assert pq.ParquetFile(out / "steps.parquet").metadata.num_rows == 36
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"] == "reactive" and summary["steps"] == 36
    assert summary["energy_j"] > 0 and 0 <= summary["slo_attainment"] <= 1
    for png in ("power.png", "slo.png", "variants.png"):
        assert (out / png).stat().st_size > 1000
    assert "SLO attainment" in result.output


def test_simulate_reports_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    scenario = tmp_path / "minimal.yaml"
    shutil.copy(EXAMPLE, scenario)
    for args, fragment in (
        (["--horizon", "soon"], "--horizon"),
        (["--policy", "clairvoyant"], "unknown policy"),
        (["--trace", "missing.csv"], "--trace"),
        (["--set", "idle_s"], "KEY=VALUE"),
    ):
        result = runner.invoke(
            app, ["simulate", str(scenario), "--out", str(tmp_path / "x"), *args]
        )
        assert result.exit_code == 2, result.output
        assert fragment in result.output
        assert "Traceback" not in result.output


def test_policies_lists_the_registry() -> None:
    result = runner.invoke(app, ["policies"])
    assert result.exit_code == 0
    assert "continuum-first" in result.output and "reactive" in result.output
