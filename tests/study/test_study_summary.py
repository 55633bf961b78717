"""The summary of a sweep: every axis, infeasible trials apart, 95 % t intervals over seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.study import loads_spec
from slimplace.study.report import default_by, summary_table, summary_text
from slimplace.study.store import StoreError


def _frame() -> pd.DataFrame:
    rows = []
    for method in ("a", "b"):
        for scale in (0.5, 1.0):
            for seed, power in enumerate((1.0, 2.0, 3.0)):
                rows.append(
                    {
                        "method": method,
                        "load_scale": scale,
                        "replicate": seed,
                        "status": "optimal",
                        "feasible": True,
                        "power_w": power * scale + (10 if method == "b" else 0),
                        "gap": 0.0,
                    }
                )
    # one violating trial of method b at 1.0: kept apart, its power not averaged in
    rows.append(
        rows[-1] | {"status": "violates", "feasible": False, "power_w": 1.0, "replicate": 3}
    )
    return pd.DataFrame(rows)


def test_groups_by_every_axis_with_t_intervals_and_infeasible_apart() -> None:
    table = summary_table(_frame(), ["method", "load_scale"])
    assert len(table) == 5  # 2 methods x 2 scales, plus the violating trial's own row
    row = table[(table.method == "a") & (table.load_scale == 0.5)].iloc[0]
    assert row["trials"] == 3 and row["outcome"] == "feasible"
    assert row["power_w"] == pytest.approx(1.0)
    # t_{0.975, 2} * s / sqrt(3) with s = 0.5 (values 0.5, 1.0, 1.5)
    assert row["power_w_ci95"] == pytest.approx(4.302652729911275 * 0.5 / np.sqrt(3))
    bad = table[table.outcome == "infeasible"]
    assert bad[["method", "load_scale", "trials", "statuses"]].values.tolist() == [
        ["b", 1.0, 1, "violates 1"]
    ]
    assert np.isnan(bad["power_w_ci95"].item())  # one trial: no interval
    good_b = table[
        (table.method == "b") & (table.load_scale == 1.0) & (table.outcome == "feasible")
    ]
    assert good_b["power_w"].item() == pytest.approx(12.0)  # the violating 1 W stays out
    assert table["outcome"].iloc[-1] == "infeasible"  # listed after the feasible rows


def test_text_shows_mean_and_interval_and_by_is_checked() -> None:
    table = summary_table(_frame(), ["method"])
    text = summary_text(table)
    first = text.iloc[0]
    assert first["method"] == "a" and "±" in first["power_w"]
    assert first["gap"] == "0 ± 0 %"
    with pytest.raises(StoreError, match="load_scal"):
        summary_table(_frame(), ["load_scal"])


def test_default_by_is_method_and_every_axis_but_the_replicate() -> None:
    spec = loads_spec(
        "name: s\nparameters: {scenario: tiny}\naxes: {load_scale: [1], n_devices: [4]}\nseeds: 3"
    )
    assert default_by(spec) == ["method", "load_scale", "n_devices"]


SPEC = """name: cli
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, edge-first]
  load_scale: [0.5, 1.0]
seeds: 2
"""


def test_results_and_report_group_by_axes_and_take_by(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(spec), "-o", str(out), "--executor", "serial"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["results", str(out)])
    assert r.exit_code == 0, r.output
    assert "by method, load_scale" in r.output and "±" in r.output
    r = runner.invoke(app, ["results", str(out), "--by", "load_scale"])
    assert r.exit_code == 0 and "by load_scale" in r.output
    r = runner.invoke(app, ["results", str(out), "--by", "nope"])
    assert r.exit_code == 2 and "nope" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["results", str(out), "--sql", "  "])
    assert r.exit_code == 2 and "query is empty" in r.output
    r = runner.invoke(app, ["report", str(out), "--by", "method"])
    assert r.exit_code == 0, r.output
    page = (out / "report" / "report.html").read_text()
    assert "Summary by method</h2>" in page and "confidence interval" in page


def test_results_sql_help_says_it_runs_with_full_rights() -> None:
    r = CliRunner().invoke(app, ["results", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "your own rights" in r.output and "slimplace.study.query()" in r.output


def test_sweep_command_refuses_bad_specs_and_workers_with_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("edge-first", "edge-frist"))
    r = runner.invoke(app, ["sweep", str(spec), "-o", str(tmp_path / "o"), "--no-progress"])
    assert r.exit_code == 2 and "axes.method[1]" in r.output and "edge-first" in r.output
    assert "Traceback" not in r.output
    spec.write_text(SPEC)
    r = runner.invoke(app, ["sweep", str(spec), "-o", str(tmp_path / "o"), "-j", "-2"])
    assert r.exit_code == 2 and "Invalid value" in r.output
