"""``slimplace sweep``, ``results`` and ``report`` through Typer's CliRunner."""

from pathlib import Path

from typer.testing import CliRunner

from slimplace.cli import app

SPEC = """name: cli
seed: 1
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, edge-first]
seeds: 3
"""


def test_sweep_results_report(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["sweep", str(spec), "-o", str(out), "--executor", "serial", "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert "6 trials run, 0 failed" in r.output
    r = runner.invoke(app, ["sweep", str(out), "--executor", "serial", "--no-progress"])
    assert r.exit_code == 0 and "0 trials run" in r.output and "6 stored before" in r.output
    r = runner.invoke(app, ["results", str(out)])
    assert r.exit_code == 0 and "6 of 6 trials stored" in r.output and "edge-first" in r.output
    csv = tmp_path / "q.csv"
    r = runner.invoke(
        app,
        [
            "results",
            str(out),
            "--sql",
            "SELECT method, count(*) AS n FROM trials GROUP BY 1 ORDER BY 1",
            "--csv",
            str(csv),
        ],
    )
    assert r.exit_code == 0, r.output
    assert csv.read_text().splitlines() == ["method,n", "cloud-only,3", "edge-first,3"]
    r = runner.invoke(app, ["results", str(out), "--failures"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["report", str(out)])
    assert r.exit_code == 0 and (out / "report" / "report.html").is_file()


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    runner = CliRunner()
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: x\nparameters: {n_appz: 3}\n")
    r = runner.invoke(app, ["sweep", str(spec), "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "parameters.n_appz" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["results", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "not a sweep folder" in r.output
    good = tmp_path / "good.yaml"
    good.write_text(SPEC)
    r = runner.invoke(app, ["sweep", str(good), "-o", str(tmp_path / "g"), "--executor", "dask"])
    assert r.exit_code == 2 and "local, ray or serial" in r.output
    runner.invoke(app, ["sweep", str(good), "-o", str(tmp_path / "g"), "--executor", "serial"])
    r = runner.invoke(app, ["results", str(tmp_path / "g"), "--sql", "SELECT nope FROM trials"])
    assert r.exit_code == 2 and "query failed" in r.output
