"""``slimplace demo``: the four jobs (plan, operate, profile, study) on the built-in
RENATER scenario; everything lands in one folder."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated

import typer

from slimplace.cli.app import app, console, guarded
from slimplace.cli.options import check_output_dir, text, writing

#: The seed of the built-in demo scenario (the scenario the docs' figures describe); the
#: other commands default to :data:`slimplace.cli.options.DEFAULT_SEED`.
DEMO_SEED = 7


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for everything the demo writes.")
    ] = Path("slimplace-demo"),
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            min=0,
            help="Seed of the built-in scenario (its default draw) and the methods.",
        ),
    ] = DEMO_SEED,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.0, help="Seconds per method.")
    ] = 20.0,
    quick: Annotated[
        bool, typer.Option("--quick", help="Plan only: skip simulation, profiling and the study.")
    ] = False,
) -> None:
    """Run the four jobs on the built-in scenario and write the results into --out."""
    with guarded():
        check_output_dir(out, "--out")
        with writing(out):
            out.mkdir(parents=True, exist_ok=True)
    scenario_file = _plan(out, seed, time_limit)
    if quick:
        return
    _operate(out, scenario_file, seed)
    _profile(out, seed)
    _study(out, seed)


def _plan(out: Path, seed: int, time_limit: float) -> Path:
    from slimplace.cli.plan_cmds import print_savings, render_comparison
    from slimplace.demo import demo_scenario
    from slimplace.fsutil import atomic_write, atomic_write_text
    from slimplace.plots import energy_breakdown_figure
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import save_scenario
    from slimplace.solve import GAP_TOLERANCE, compare, comparison_table, plan_summary

    with guarded():
        scenario = demo_scenario(seed=seed)
        problem = compile_problem(scenario)
    scenario_file = out / "scenario.yaml"
    save_scenario(scenario, scenario_file)
    console.rule("[bold]plan: where each application runs, with which variant, servers on")
    console.print(
        f"{text(scenario.name)}: {len(scenario.nodes)} nodes, {len(scenario.links)} links, "
        f"{problem.n_demands} demands of {len(scenario.applications)} applications, "
        f"{problem.n_candidates:,} admissible candidates"
    )
    results = compare(problem, seed=seed, time_limit_s=time_limit)
    table = comparison_table(problem, results)
    console.print(render_comparison(table, problem.objective))
    atomic_write(out / "comparison.csv", lambda tmp: table.to_csv(tmp, index=False))
    feasible = [r for r in results if r.evaluation.feasible and r.plan.method != "lp-bound"]
    # lowest power; within solver tolerance of it, the earliest registered (the exact
    # method before the heuristics)
    low = min((r.evaluation.power_w for r in feasible), default=0.0)
    close = [r for r in feasible if r.evaluation.power_w <= low * (1 + GAP_TOLERANCE)]
    best = close[0] if close else results[0]
    summary = json.dumps(plan_summary(problem, best), indent=2, default=float)
    atomic_write_text(out / "plan.json", summary)
    fig = energy_breakdown_figure(results, title=f"{scenario.name}: average power by method")
    atomic_write(out / "energy_breakdown.png", lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    print_savings(problem, results)
    console.print(
        f"written: {scenario_file}, {out / 'comparison.csv'}, {out / 'plan.json'}, "
        f"{out / 'energy_breakdown.png'}",
        markup=False,
        highlight=False,
    )
    return scenario_file


def _operate(out: Path, scenario_file: Path, seed: int) -> None:
    from slimplace.cli.simulate_cmd import simulate

    console.rule("[bold]operate: a simulated day of diurnal load and solar-shaped grid carbon")
    for policy in ("static", "reactive"):
        simulate(
            file=scenario_file,
            policy=policy,
            horizon="24h",
            step="1min",
            trace=None,
            carbon="solar",
            method=None,
            out=out / f"simulate-{policy}",
            option=None,
            seed=seed,
            plots=True,
        )


def _profile(out: Path, seed: int) -> None:
    console.rule("[bold]profile: a slimmable network under width, int8 and early exits")
    if importlib.util.find_spec("torch") is None:
        console.print(
            "skipped: PyTorch is not installed (pip install 'slimplace[profile]')", markup=False
        )
        return
    from slimplace.cli.profile_cmd import profile

    profile(
        dataset="digits",
        techniques="width,int8,exit",
        out=out / "profile",
        seed=seed,
        epochs=6,
        arch="cnn",
        family=None,
        device_class="local-cpu",
        marginal_device="raspberry-pi-4",
        threads=1,
        latency_time=0.1,
    )


def _study(out: Path, seed: int) -> None:
    from slimplace.study import run_demo_study

    console.rule("[bold]study: every method x two load levels x three seeds, with a report")
    report = run_demo_study(out / "study", seed=seed, progress=True)
    console.print(f"report: {report}", markup=False, highlight=False)
