"""``slimplace schedule``: deadline scheduling of compressible batch jobs (a job file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.table import Table

from slimplace.cli.app import app, console, guarded
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from slimplace.scheduling import Schedule, ScheduleCheck, ScheduleProblem, Scheduler
    from slimplace.scheduling.model import ScheduleObjective


def _budget(text: str | None) -> float | None:
    from slimplace.units import UnitError, parse

    if text is None:
        return None
    try:
        value = parse(text, "energy")
    except UnitError as exc:
        raise InputError("--budget", [Problem("", str(exc))]) from None
    if value <= 0:
        raise InputError("--budget", [Problem("", f"must be greater than 0, got {text!r}")])
    return value


@app.command()
def schedule(
    file: Annotated[Path, typer.Argument(help="Job file (YAML).")],
    method: Annotated[
        str, typer.Option("--method", "-m", help="milp, heuristic, edf, lightest, energy-greedy.")
    ] = "heuristic",
    budget: Annotated[
        str | None, typer.Option("--budget", help="Energy budget, e.g. '2 MJ' (bare number: J).")
    ] = None,
    objective: Annotated[
        str | None, typer.Option("--objective", help="energy or accuracy (default: the file's).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the CSV and PNG (default: FILE-schedule)."),
    ] = None,
    pareto: Annotated[
        bool, typer.Option("--pareto", help="Sweep the budget and plot the accuracy-energy front.")
    ] = False,
    points: Annotated[int, typer.Option("--points", help="Budgets in the sweep.")] = 12,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per solve.")] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for randomised methods.")] = 0,
) -> None:
    """Schedule a job file: machine, start time and variant of every job; print a summary,
    write schedule.csv and gantt.png (and pareto.csv, pareto.png with --pareto)."""
    from slimplace.scheduling import check_schedule, compile_jobs, default_schedulers, load_jobs
    from slimplace.scheduling.report import gantt, write_csv

    with guarded():
        jobset = load_jobs(file)
        if objective is not None and objective not in ("energy", "accuracy"):
            message = f"expected energy or accuracy, got {objective!r}"
            raise InputError("--objective", [Problem("", message)])
        obj: ScheduleObjective = (
            "accuracy" if (objective or jobset.settings.objective) == "accuracy" else "energy"
        )
        budget_j = _budget(budget) if budget is not None else jobset.settings.budget_j
        if obj == "accuracy" and budget_j is None and not pareto:
            message = "the accuracy objective needs an energy budget (--budget or settings.budget)"
            raise InputError(str(file), [Problem("settings.budget", message)])
        problem = compile_jobs(jobset, objective=obj, budget_j=budget_j)
        registry = default_schedulers()
        scheduler = registry.create(method, time_limit_s=time_limit)
        if points < 2:
            raise InputError("--points", [Problem("", f"need at least 2, got {points}")])
    result = scheduler.solve(problem, seed=seed)
    check = check_schedule(problem, result)
    folder = out if out is not None else Path(f"{file.stem}-schedule")
    console.print(_summary(problem, result, check))
    console.print(_machines(problem, result))
    for v in check.violations[:10]:
        console.print(f"[red]violation[/] {v.kind} at {v.where}: {v.message}", highlight=False)
    if result.n_pieces:
        write_csv(problem, result, folder / "schedule.csv")
        gantt(problem, result, folder / "gantt.png")
        console.print(f"schedule written to {folder / 'schedule.csv'} and {folder / 'gantt.png'}")
    if pareto:
        _pareto(problem, registry.create(method, time_limit_s=time_limit), points, seed, folder)


def _summary(problem: ScheduleProblem, result: Schedule, check: ScheduleCheck) -> Table:
    p = problem
    table = Table(
        title=f"{p.jobset.name}: {p.n_jobs} jobs on {p.n_machines} machines", show_header=False
    )
    table.add_row("method", f"{result.method} ({result.status}, {result.seconds:.2f} s)")
    if result.reason:
        table.add_row("reason", result.reason)
    table.add_row(
        "objective", p.objective + (f", budget {p.budget_j / 1e6:,.4g} MJ" if p.budget_j else "")
    )
    table.add_row(
        "checker",
        "[green]valid[/]" if check.feasible else f"[red]{len(check.violations)} violation(s)[/]",
    )
    table.add_row(
        "energy",
        f"{check.energy_j / 3.6e6:,.4g} kWh ({check.energy_j / 1e6:,.4g} MJ): compute "
        f"{check.compute_energy_j / 1e6:,.4g} MJ, network {check.network_energy_j / 1e6:,.4g} MJ, "
        f"idle {check.static_energy_j / 1e6:,.4g} MJ",
    )
    table.add_row("mean accuracy", f"{check.mean_accuracy:.2%} (work-weighted)")
    table.add_row("late / unscheduled", f"{check.late_jobs} / {check.unscheduled_jobs}")
    table.add_row("makespan", f"{check.makespan_s / 3600:,.3g} h")
    if result.bound is not None and result.objective is not None:
        from slimplace.results import schedule_row

        gap = schedule_row(p, result, check)["gap"]  # the one gap rule of every table
        shown = f"gap {gap:.2%}" if np.isfinite(gap) else "no gap: the checker rejects it"
        table.add_row("bound", f"{result.bound:,.6g} ({shown})")
    return table


def _machines(problem: ScheduleProblem, result: Schedule) -> Table:
    p, s = problem, result
    busy = np.bincount(s.machine, weights=s.end_s - s.start_s, minlength=p.n_machines)
    jobs = np.bincount(s.machine[s.fraction > 0], minlength=p.n_machines)
    run_s = s.fraction * p.job_work[s.job] * p.service_s[p.machine_profile[s.machine], s.variant]
    energy = np.bincount(
        s.machine, weights=run_s * p.machine_busy_w[s.machine], minlength=p.n_machines
    )
    table = Table(
        "machine", "hardware", "pieces", "busy h", "compute MJ", title="machines (busiest 15)"
    )
    for m in np.argsort(-busy, kind="stable")[:15]:
        if busy[m] <= 0:
            break
        table.add_row(p.machine_ids[m], p.profile_names[p.machine_profile[m]], str(jobs[m]),
                      f"{busy[m] / 3600:,.3g}", f"{energy[m] / 1e6:,.4g}")  # fmt: skip
    return table


def _pareto(
    problem: ScheduleProblem, scheduler: Scheduler, points: int, seed: int, folder: Path
) -> None:
    from slimplace.fsutil import atomic_path
    from slimplace.scheduling.baselines import edf_no_compression
    from slimplace.scheduling.pareto import sweep
    from slimplace.scheduling.registry import FunctionScheduler
    from slimplace.scheduling.report import front_frame, front_plot

    with guarded():
        try:
            front = sweep(problem, scheduler, FunctionScheduler(edf_no_compression),
                          n_points=points, seed=seed)  # fmt: skip
        except ValueError as exc:
            raise InputError(problem.jobset.name, [Problem("", str(exc))]) from None
    table = Table(
        "budget MJ", "energy MJ", "mean accuracy", "status", title="accuracy-energy front"
    )
    for pt in front.points:
        table.add_row(f"{pt.budget_j / 1e6:,.4g}", f"{pt.energy_j / 1e6:,.4g}",
                      f"{pt.mean_accuracy:.2%}", pt.status)  # fmt: skip
    console.print(table)
    ref = "" if front.reference_feasible else " (it misses deadlines)"
    console.print(
        f"reference {front.reference_method}{ref}: {front.reference_energy_j / 1e6:,.4g} MJ at "
        f"{front.reference_accuracy:.2%}; energy saved at 2 points lost: "
        f"{front.saved_at(0.02):.1%} (COATI's DSCT-EA reports up to 70 %)"
    )
    with atomic_path(folder / "pareto.csv") as tmp:
        front_frame(front).to_csv(tmp, index=False)
    front_plot(front, folder / "pareto.png", title=problem.jobset.name)
    console.print(f"front written to {folder / 'pareto.csv'} and {folder / 'pareto.png'}")
