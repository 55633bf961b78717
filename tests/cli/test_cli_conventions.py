"""Conventions every command keeps (issue 13, section 3): version, exit codes,
``--json -``, refusals before running, output paths, escaped user text, fast start."""

from __future__ import annotations

import errno
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from slimplace.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINIMAL = str(EXAMPLES / "minimal.yaml")
JOBS = str(EXAMPLES / "jobs-small.yaml")
runner = CliRunner()

SPEC = """name: conv
seed: 1
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, edge-first]
seeds: 1
"""


def _no_traceback(result: object) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    assert isinstance(result.exception, SystemExit | None), result.exception  # type: ignore[attr-defined]


def _sweep(tmp_path: Path) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "sweep"
    args = ["sweep", str(spec), "-o", str(out), "--executor", "serial", "--no-progress"]
    assert runner.invoke(app, args).exit_code == 0
    return out


# --- version and exit codes -------------------------------------------------------


def test_version() -> None:
    from slimplace import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"slimplace {__version__}"


def test_solve_exits_1_on_an_infeasible_plan_and_0_on_a_feasible_one() -> None:
    # cloud-only cannot meet the minimal scenario's 200 ms SLO from the camera
    bad = runner.invoke(app, ["solve", MINIMAL, "--method", "cloud-only"])
    assert bad.exit_code == 1, bad.output
    assert "INFEASIBLE" in bad.output
    good = runner.invoke(app, ["solve", MINIMAL, "--method", "edge-first"])
    assert good.exit_code == 0, good.output


def test_compare_exits_1_when_no_method_finds_a_feasible_plan() -> None:
    none = runner.invoke(app, ["compare", MINIMAL, "--methods", "cloud-only"])
    assert none.exit_code == 1, none.output
    some = runner.invoke(app, ["compare", MINIMAL, "--methods", "cloud-only,edge-first"])
    assert some.exit_code == 0, some.output


def test_sweep_exits_1_when_trials_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import slimplace.study.sweep as sweep_module

    def failing(trial: object) -> object:
        raise RuntimeError("trial broke")

    original = sweep_module.run_sweep
    monkeypatch.setattr(sweep_module, "run_sweep", functools.partial(original, function=failing))
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    args = ["sweep", str(spec), "-o", str(tmp_path / "s"), "--executor", "serial"]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "0 trials run, 2 failed" in result.output
    again = runner.invoke(app, [*args, "--no-progress"])  # failed before, skipped: still 1
    assert again.exit_code == 1, again.output


def test_schedule_exit_code_follows_the_checker(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["schedule", JOBS, "-o", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output


# --- --json FILE and --json - ----------------------------------------------------


def test_solve_json_dash_writes_json_to_stdout_and_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["solve", MINIMAL, "-m", "edge-first", "--json", "-"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["method"] == "edge-first" and plan["evaluation"]["feasible"] is True
    assert "average power" in result.stderr  # the tables go to stderr
    assert not (tmp_path / "-").exists()


def test_compare_json_file(tmp_path: Path) -> None:
    out = tmp_path / "cmp.json"
    args = ["compare", MINIMAL, "--methods", "edge-first,cloud-only", "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["methods"]
    assert [r["method"] for r in rows] == ["edge-first", "cloud-only"]
    assert [r["feasible"] for r in rows] == [True, False]


def test_simulate_json_dash(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    args = ["simulate", MINIMAL, "--horizon", "1h", "--step", "5min", "-o", str(out)]
    result = runner.invoke(app, [*args, "--no-plots", "--json", "-"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["steps"] == 12
    assert summary["records"] == str(out / "steps.parquet")
    assert json.loads((out / "summary.json").read_text())["energy_j"] == summary["energy_j"]


def test_schedule_json_dash(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schedule", JOBS, "-o", str(tmp_path / "s"), "--json", "-"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["feasible"] is True and doc["pieces"] and doc["method"] == "heuristic"
    assert len(pd.read_csv(tmp_path / "s" / "schedule.csv")) == len(doc["pieces"])


def test_results_json_dash(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    sql = "select method, count(*) as n from trials group by 1 order by 1"
    result = runner.invoke(app, ["results", str(out), "--sql", sql, "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"method": "cloud-only", "n": 1},
        {"method": "edge-first", "n": 1},
    ]


# --- refusals before running -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["solve", MINIMAL, "--seed", "-1"],
        ["solve", MINIMAL, "--time-limit", "-5"],
        ["solve", MINIMAL, "--mip-gap", "-0.1"],
        ["compare", MINIMAL, "--seed", "-3"],
        ["simulate", MINIMAL, "--seed", "-1"],
        ["schedule", JOBS, "--seed", "-1"],
        ["schedule", JOBS, "--time-limit", "-1"],
        ["sweep", "spec.yaml", "--workers", "0"],
        ["calibrate", "x.csv", "--profile", "p", "--out", "p.yaml", "--seed", "-2"],
    ],
)
def test_negative_numbers_are_refused(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Invalid value" in result.output
    _no_traceback(result)


def test_step_longer_than_horizon_is_refused(tmp_path: Path) -> None:
    args = ["simulate", MINIMAL, "--horizon", "1h", "--step", "2h", "-o", str(tmp_path / "s")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--step: 2h is longer than --horizon 1h" in result.output
    assert not (tmp_path / "s").exists()


def test_a_huge_horizon_is_refused_with_its_step_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["simulate", MINIMAL, "--horizon", "1000d", "--step", "1s", "-o", str(tmp_path / "s")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "86,400,000 steps" in result.output and "--yes" in result.output
    # --yes runs it (a small limit stands in for the million steps)
    import slimplace.cli.simulate_cmd as cmd

    monkeypatch.setattr(cmd, "MAX_STEPS", 5)
    small = ["simulate", MINIMAL, "--horizon", "1h", "--step", "5min", "--no-plots"]
    refused = runner.invoke(app, [*small, "-o", str(tmp_path / "a")])
    assert refused.exit_code == 2 and "12 steps" in refused.output
    ran = runner.invoke(app, [*small, "-o", str(tmp_path / "b"), "--yes"])
    assert ran.exit_code == 0, ran.output


def test_records_that_cannot_fit_on_the_disk_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import slimplace.cli.simulate_cmd as cmd

    monkeypatch.setattr(cmd, "free_bytes", lambda folder: 1000)
    args = ["simulate", MINIMAL, "--horizon", "1h", "--step", "1min", "-o", str(tmp_path / "s")]
    result = runner.invoke(app, [*args, "--yes"])
    assert result.exit_code == 2
    assert "60 steps" in result.output and "GB are free" in result.output


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("replan_secs=900", "replan_secs: unknown option (did you mean replan_s?)"),
        ("headroom=lots", "headroom: expected float, got 'lots'"),
        ("sleep=3", "sleep: expected bool, got 3"),
        ("oops", "oops: expected KEY=VALUE"),
    ],
)
def test_bad_policy_options_are_refused(item: str, expected: str, tmp_path: Path) -> None:
    args = ["simulate", MINIMAL, "--horizon", "1h", "--set", item, "-o", str(tmp_path / "s")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    _no_traceback(result)


def test_good_policy_options_run(tmp_path: Path) -> None:
    args = ["simulate", MINIMAL, "--horizon", "1h", "--step", "10min", "--no-plots"]
    args += ["--set", "replan_s=900", "--set", "sleep=false", "-o", str(tmp_path / "s")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def test_an_empty_sql_query_is_refused(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    result = runner.invoke(app, ["results", str(out), "--sql", "  "])
    assert result.exit_code == 2 and "--sql: the query is empty" in result.output


def test_a_relative_trace_is_found_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    pd.DataFrame({"time_s": [0, 1800], "rate": [1.0, 3.0]}).to_csv(here / "load.csv", index=False)
    monkeypatch.chdir(here)
    args = ["simulate", MINIMAL, "--horizon", "1h", "--step", "10min", "--no-plots"]
    result = runner.invoke(app, [*args, "--trace", "load.csv", "-o", "sim", "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] > 0


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".hidden", "x" * 101, "sp ace"])
def test_profile_family_must_be_a_safe_file_name(name: str) -> None:
    result = runner.invoke(app, ["profile", "--family", name])
    assert result.exit_code == 2, result.output
    assert "--family" in result.output and "not a safe file name" in result.output


# --- output paths ------------------------------------------------------------------


def test_a_folder_given_as_the_json_file_is_refused_before_solving(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", MINIMAL, "--json", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a folder, expected a file" in result.output
    assert "average power" not in result.output  # refused before the work
    _no_traceback(result)


def test_a_file_given_as_the_output_folder_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "taken"
    file.write_text("x")
    for args in (
        ["simulate", MINIMAL, "-o", str(file)],
        ["schedule", JOBS, "-o", str(file)],
        ["simulate", MINIMAL, "-o", str(file / "below")],
        ["compare", MINIMAL, "--csv", str(file / "below.csv")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "is a file" in result.output, result.output
        _no_traceback(result)


def test_a_read_only_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a stand-in for a read-only folder (the tests may run as root, who may write anywhere)
    import slimplace.cli.options as options

    real_access = os.access

    def access(path: object, mode: int) -> bool:
        return real_access(path, mode) and not str(path).startswith(str(tmp_path))

    monkeypatch.setattr(options.os, "access", access)
    result = runner.invoke(app, ["solve", MINIMAL, "--json", str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert "is not writable" in result.output
    _no_traceback(result)


def test_a_full_disk_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import slimplace.fsutil as fsutil

    def full(path: object, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(fsutil, "atomic_write_text", full)
    out = tmp_path / "p.json"
    result = runner.invoke(app, ["solve", MINIMAL, "-m", "edge-first", "--json", str(out)])
    assert result.exit_code == 2
    assert "cannot write: no space left on the device" in result.output
    _no_traceback(result)


def test_simulate_keeps_the_previous_records_when_a_rerun_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sim"
    args = ["simulate", MINIMAL, "--horizon", "1h", "--step", "10min", "--no-plots"]
    args += ["-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    before = (out / "steps.parquet").read_bytes()

    import slimplace.sim.records as records

    def full(self: object, block: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(records.ParquetSink, "write", full)
    result = runner.invoke(app, [*args, "--horizon", "2h"])
    assert result.exit_code == 2
    assert "no space left" in result.output
    _no_traceback(result)
    assert (out / "steps.parquet").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["steps.parquet", "summary.json"]


# --- rich markup does not eat user text ---------------------------------------------


def test_user_text_with_brackets_prints_as_written(tmp_path: Path) -> None:
    scenario = (EXAMPLES / "minimal.yaml").read_text().replace("id: classify", "id: classify[bold]")
    file = tmp_path / "run[red].yaml"
    file.write_text(scenario)
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 0, result.output
    assert "run[red].yaml: valid" in result.output
    bad = runner.invoke(app, ["solve", str(file), "-m", "cloud-only"])
    assert "classify[bold]@cam-1" in bad.output


def test_sql_results_with_brackets_print_as_written(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    sql = "select 'classify[bold]' as app, '[profile]' as extra"
    result = runner.invoke(app, ["results", str(out), "--sql", sql])
    assert result.exit_code == 0, result.output
    assert "classify[bold]" in result.output and "[profile]" in result.output


def test_text_escapes_markup() -> None:
    from rich.console import Console

    from slimplace.cli.options import text

    console = Console(record=True, width=200)
    hint, name = text("'slimplace[profile]'"), text("classify[bold]")
    console.print(f"pip install {hint} for {name}")
    assert "pip install 'slimplace[profile]' for classify[bold]" in console.export_text()


# --- start-up --------------------------------------------------------------------


def _modules_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    probe = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    return set(out.stdout.split())


def test_the_cli_and_the_package_import_no_heavy_libraries() -> None:
    heavy = {"numpy", "scipy", "pandas", "pyarrow", "matplotlib", "highspy", "networkx", "duckdb"}
    assert not heavy & _modules_after("import slimplace.cli")
    assert not heavy & _modules_after("import slimplace")


def test_the_public_api_is_importable_from_the_package(tmp_path: Path) -> None:
    import slimplace

    problem = slimplace.compile_problem(slimplace.load_scenario(MINIMAL))
    result = slimplace.solve(problem, "edge-first")
    assert slimplace.evaluate(problem, result.plan).feasible
    assert {r.method for r in slimplace.compare(problem, ["edge-first", "cloud-only"])} == {
        "edge-first",
        "cloud-only",
    }
    for name in slimplace.__all__:
        assert getattr(slimplace, name) is not None
    # importing the submodules of the same name leaves the functions in place
    import importlib

    importlib.import_module("slimplace.solve")
    importlib.import_module("slimplace.evaluate")
    assert callable(slimplace.solve) and slimplace.solve.__name__ == "solve"
    assert slimplace.evaluate.__name__ == "evaluate"
    with pytest.raises(AttributeError):
        _ = slimplace.no_such_thing  # type: ignore[attr-defined]


def test_simulate_steps_as_a_data_frame(tmp_path: Path) -> None:
    import slimplace

    problem = slimplace.compile_problem(slimplace.load_scenario(MINIMAL), variants="all")
    kept = slimplace.simulate(problem, "reactive", horizon_s=3600, step_s=60, records="memory")
    steps = kept.steps()
    assert len(steps) == 60 and steps["servers_on"].dtype.kind == "i"
    assert steps["energy_j"].sum() == pytest.approx(kept.summary.energy_j, rel=1e-9)
    path = tmp_path / "steps.parquet"
    on_disk = slimplace.simulate(problem, "reactive", horizon_s=3600, step_s=60, records=path)
    timing = ["decide_s"]  # wall-clock seconds of the policy: differ run to run
    pd.testing.assert_frame_equal(on_disk.steps().drop(columns=timing), steps.drop(columns=timing))
    with pytest.raises(ValueError, match="records='memory'"):
        slimplace.simulate(problem, "reactive", horizon_s=600, step_s=60).steps()


def test_python_dash_m_runs_the_same_command_line() -> None:
    """``python -m slimplace`` is the ``slimplace`` script (``src/slimplace/__main__.py``)."""
    out = subprocess.run(
        [sys.executable, "-m", "slimplace", "solve", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "--method" in out.stdout
