"""``slimplace schedule``: summary, CSV and Gantt chart; --pareto writes the front."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.scheduling import generate_jobs, save_jobs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jobs-small.yaml"


def test_schedule_writes_csv_and_gantt(tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["schedule", str(EXAMPLE), "--method", "milp", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "optimal" in result.output
    frame = pd.read_csv(out / "schedule.csv")
    assert set(frame.job) == {"footage", "catalog", "nightly-eval", "incident"}
    assert (frame.end_s <= frame.deadline_s + 1e-6).all()
    assert frame.groupby("job").share.sum().round(9).eq(1.0).all()
    assert (out / "gantt.png").read_bytes()[:4] == b"\x89PNG"


def test_accuracy_objective_with_budget_and_pareto(tmp_path: Path):
    out = tmp_path / "front"
    args = ["schedule", str(EXAMPLE), "--objective", "accuracy", "--budget", "3 MJ",
            "--pareto", "--points", "4", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "energy saved at 2 points lost" in result.output
    front = pd.read_csv(out / "pareto.csv")
    assert front.energy_j.is_monotonic_increasing and front.mean_accuracy.is_monotonic_increasing
    assert (out / "pareto.png").exists() and (out / "gantt.png").exists()


def test_infeasible_baseline_still_reports(tmp_path: Path):
    """A violating schedule is reported and written, and the exit code is 1."""
    path = tmp_path / "jobs.yaml"
    save_jobs(generate_jobs(30, 2, seed=0, load=1.5, tightness=1.0), path)
    result = CliRunner().invoke(
        app, ["schedule", str(path), "-m", "energy-greedy", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1, result.output
    assert "violation" in result.output
    assert (tmp_path / "o" / "schedule.csv").exists()


def test_an_infinite_amount_of_work_is_refused_naming_the_field(tmp_path: Path):
    text = EXAMPLE.read_text().replace("work: 6e7", "work: .inf", 1)
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(text)
    result = CliRunner().invoke(app, ["schedule", str(jobs), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "jobs[0].work" in result.output and "finite" in result.output
    assert "nan" not in result.output
