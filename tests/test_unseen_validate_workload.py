"""Regression from the unseen-input sweep: ``slimplace validate`` read no ``workload:``.

A scenario whose application names a missing or broken trace (``workload: load.csv`` with an
infinite value, a request log given as a series) was reported valid; ``simulate`` then
stopped on it. ``validate`` now reads every application's workload as ``simulate`` would.
"""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from slimplace.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "minimal.yaml"


def _scenario(tmp_path: Path, workload: str) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["applications"][0]["workload"] = workload
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("workload", "csv", "fragment"),
    [
        ("missing.csv", None, "applications[0].workload: 'missing.csv' is not constant"),
        ("load.csv", "time,value\n0,1\n300,inf\n", "row 3: value is infinite"),
        ("load.csv", "time,value\n0,0\n300,0\n", "every value is 0"),
        ("load.csv", "timestamp_ms,input_length\n0,5\n900,7\n", "give it as requests:load.csv"),
    ],
)
def test_validate_refuses_a_broken_workload(
    tmp_path: Path, workload: str, csv: str | None, fragment: str
) -> None:
    if csv is not None:
        (tmp_path / "load.csv").write_text(csv)
    res = CliRunner().invoke(app, ["validate", str(_scenario(tmp_path, workload))])
    assert res.exit_code == 2, res.output
    assert fragment in res.output.replace("\n", " ")


def test_validate_reads_a_good_workload_beside_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "load.csv").write_text("time,value\n0,1\n300,3\n600,2\n")
    res = CliRunner().invoke(app, ["validate", str(_scenario(tmp_path, "load.csv"))])
    assert res.exit_code == 0, res.output
    assert "valid" in res.output
