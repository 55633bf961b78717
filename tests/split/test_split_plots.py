"""Split figures and their CLI commands: they draw, and bad names exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.split.plots import cut_sweep
from slimplace.split.sweep import single_variant_family

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "split.yaml"


def test_cut_sweep_orders_whole_remote_cuts_then_device() -> None:
    fam = single_variant_family("mobilenet-v2", "mobilenet_v2_1.0_224")
    rows = cut_sweep(fam, "mobilenet_v2", "wifi")
    assert rows[0].kind == "remote" and rows[-1].kind == "device"
    assert all(r.kind == "split" for r in rows[1:-1]) and len(rows) == 21


def test_split_commands_write_pngs(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "p.png"
    result = runner.invoke(
        app, ["split-profile", "mobilenet-v2", "mobilenet_v2_1.0_224", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    out = tmp_path / "m.png"
    result = runner.invoke(app, ["split-map", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_split_profile_rejects_unknown_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["split-profile", "nope", "x", "--out", str(tmp_path / "a")])
    assert result.exit_code == 2 and "unknown family" in result.output


def test_example_is_solved_with_a_split_and_saves_against_whole_models() -> None:
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import load_scenario
    from slimplace.solve import solve
    from slimplace.split.savings import split_saving

    p = compile_problem(load_scenario(EXAMPLE))
    result = solve(p, "milp")
    e = result.evaluation
    assert e.feasible and e.slo_met_fraction == 1.0
    assert ((result.plan.x > 0.5) & (p.cand_cut >= 0)).any()
    saving = split_saving(p, [result])
    assert saving is not None and saving.whole_feasible
    assert saving.saving_plan is not None and saving.saving_plan > 0
    assert saving.best_plan < saving.whole_plan  # type: ignore[operator]
