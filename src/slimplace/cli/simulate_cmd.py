"""The operate job: ``slimplace simulate`` and ``slimplace policies``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from slimplace.cli.app import app, console, guarded
from slimplace.errors import InputError, Problem


def _seconds(text: str, option: str) -> float:
    from slimplace.units import UnitError, parse

    try:
        value = parse(text, "time")
    except UnitError as exc:
        raise InputError(option, [Problem("", str(exc))]) from None
    if not value > 0:
        raise InputError(option, [Problem("", f"must be positive, got {text!r}")])
    return value


def _options(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` texts as policy options: numbers, true/false/none, else text."""
    out: dict[str, object] = {}
    problems = []
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            problems.append(Problem(item, "expected KEY=VALUE"))
            continue
        value: object = text.strip()
        low = text.strip().lower()
        if low in ("true", "false"):
            value = low == "true"
        elif low == "none":
            value = None
        else:
            with contextlib.suppress(ValueError):
                value = float(text) if any(c in text for c in ".eE") else int(text)
        out[key.strip()] = value
    if problems:
        raise InputError("--set", problems)
    return out


@app.command()
def simulate(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    policy: Annotated[
        str, typer.Option("--policy", "-p", help="Policy name (see `slimplace policies`).")
    ] = "reactive",
    horizon: Annotated[
        str, typer.Option("--horizon", help="Simulated time, e.g. 24h, 90min.")
    ] = "24h",
    step: Annotated[str, typer.Option("--step", help="Step length, e.g. 1min, 1 s.")] = "1min",
    trace: Annotated[
        str | None,
        typer.Option(
            "--trace",
            help="Workload of every application: constant, diurnal, weekly, trace:NAME or a CSV "
            "(default: each application's `workload`).",
        ),
    ] = None,
    carbon: Annotated[
        str, typer.Option("--carbon", help="Grid intensity over time: constant, solar or a CSV.")
    ] = "constant",
    method: Annotated[
        str | None,
        typer.Option(
            "--method", "-m", help="Planning method of the policy (default: greedy, if registered)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output folder (default: <scenario>-<policy>)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Policy option KEY=VALUE (repeatable), e.g. --set replan_s=900."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the workload noise, phases and policy.")
    ] = 0,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG plots.")] = True,
) -> None:
    """Simulate a day (or any horizon) of changing load and grid carbon under an online policy."""
    from slimplace.fsutil import atomic_write_text
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import load_scenario
    from slimplace.sim import build_carbon, build_workload, default_policies, n_steps_for, simulate
    from slimplace.sim.report import plot_records, summary_table

    with guarded():
        horizon_s, step_s = _seconds(horizon, "--horizon"), _seconds(step, "--step")
        registry = default_policies()
        options: dict[str, object] = {"method": method} if method else {}
        options.update(_options(option or []))
        pol = registry.create(policy, **options)
        scenario = load_scenario(file)
        problem = compile_problem(scenario, variants="all", file=str(file))
        base = file.parent
        workload = build_workload(problem, override=trace, seed=seed, base_dir=base, file=str(file))
        grid = build_carbon(problem, carbon, base_dir=base)
        folder = out or Path(f"{file.stem}-{policy}")
        n = n_steps_for(horizon_s, step_s)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} steps"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(f"{scenario.name} / {policy}", total=n)
            result = simulate(
                problem,
                pol,
                horizon_s=horizon_s,
                step_s=step_s,
                workload=workload,
                carbon=grid,
                seed=seed,
                records=folder / "steps.parquet",
                progress=lambda done, total: bar.update(task, completed=done),
            )
    summary = result.summary
    atomic_write_text(folder / "summary.json", json.dumps(summary.to_dict(), indent=2))
    console.print(summary_table(summary))
    written = [folder / "steps.parquet", folder / "summary.json"]
    if plots:
        written += plot_records(
            folder / "steps.parquet", folder, title=f"{scenario.name} / {policy}"
        )
    console.print("written: " + ", ".join(str(w) for w in written), highlight=False)


@app.command()
def policies() -> None:
    """List the registered online policies."""
    from slimplace.sim import default_policies

    reg = default_policies()
    table = Table("policy", "description")
    for name in reg.names():
        table.add_row(name, reg.info(name).description)
    console.print(table)
