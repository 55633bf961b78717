"""``slimplace profile`` through the CLI: a quick run on digits, bad options, missing extra."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app, profile_cmd

runner = CliRunner()


def test_profile_runs_on_digits_and_writes_everything(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "profile",
            "--dataset",
            "digits",
            "--techniques",
            "int8",
            "--epochs",
            "1",
            "--out",
            str(out),
            "--latency-time",
            "0.005",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "int8-width-1" in result.output
    for name in (
        "variants.csv",
        "variants.parquet",
        "energy.csv",
        "pareto.png",
        "digits-cnn-slim.family.yaml",
        "digits-cnn-all.family.yaml",
        "summary.json",
    ):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["info"]["seed"] == 3 and summary["info"]["dataset"] == "digits"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--techniques", "width,magic"], "magic"),
        (["--dataset", "cifar"], "mnist5k, digits"),
        (["--arch", "resnet"], "cnn, mobilenet"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["profile", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile_cmd, "_installed", lambda module: module != "torch")
    result = runner.invoke(app, ["profile", "--dataset", "digits"])
    assert result.exit_code == 2
    assert "pip install 'slimplace[profile]'" in result.output
    assert "torch" in result.output


def test_cli_and_family_reader_do_not_import_torch() -> None:
    code = (
        "import sys, slimplace.cli, slimplace.profiling.family, slimplace.profiling.report; "
        "sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
