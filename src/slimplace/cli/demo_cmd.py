"""``slimplace demo``: the four jobs on the built-in RENATER scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from slimplace.cli.app import app, console, guarded


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for everything the demo writes.")
    ] = Path("slimplace-demo"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the scenario and the methods.")] = 7,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per method.")] = 60.0,
) -> None:
    """Solve the built-in scenario with every method, compare them and write the results."""
    from slimplace.cli.plan_cmds import render_comparison
    from slimplace.demo import demo_scenario
    from slimplace.fsutil import atomic_write, atomic_write_text
    from slimplace.plots import energy_breakdown_figure
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import save_scenario
    from slimplace.solve import compare, comparison_table, plan_summary

    with guarded():
        scenario = demo_scenario(seed=seed)
        problem = compile_problem(scenario)
    out.mkdir(parents=True, exist_ok=True)
    save_scenario(scenario, out / "scenario.yaml")
    console.rule("[bold]plan: where each application runs, with which variant")
    console.print(
        f"{scenario.name}: {len(scenario.nodes)} nodes, {len(scenario.links)} links, "
        f"{problem.n_demands} demands of {len(scenario.applications)} applications, "
        f"{problem.n_candidates:,} admissible candidates"
    )
    results = compare(problem, seed=seed, time_limit_s=time_limit)
    table = comparison_table(problem, results)
    console.print(render_comparison(table, problem.objective))
    atomic_write(out / "comparison.csv", lambda tmp: table.to_csv(tmp, index=False))
    feasible = [r for r in results if r.evaluation.feasible]
    best = min(feasible, key=lambda r: r.evaluation.power_w) if feasible else results[0]
    atomic_write_text(
        out / "plan.json", json.dumps(plan_summary(problem, best), indent=2, default=float)
    )
    fig = energy_breakdown_figure(results, title=f"{scenario.name}: average power by method")
    atomic_write(out / "energy_breakdown.png", lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    reference = next((r for r in results if r.method == "cloud-only"), None)
    if reference is not None and reference.evaluation.power_w > 0:
        saving = 1 - best.evaluation.power_w / reference.evaluation.power_w
        console.print(
            f"best feasible method: [bold]{best.method}[/], {saving:.1%} less power than "
            "cloud-only with the most accurate variant"
        )
    console.print(
        f"written: {out / 'scenario.yaml'}, {out / 'comparison.csv'}, "
        f"{out / 'plan.json'}, {out / 'energy_breakdown.png'}"
    )
