"""``slimplace schedule``: deadline scheduling of compressible batch jobs (a job file).

Exit codes: 0 for a schedule the checker accepts, 1 for one it rejects (late or
unscheduled jobs, a broken budget), 2 for bad input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.options import (
    DEFAULT_SEED,
    EXIT_FAILED,
    JsonOpt,
    SeedOpt,
    check_output_dir,
    check_output_file,
    human_console,
    text,
    write_json,
    writing,
)
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

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
        typer.Option("--out", "-o", help="Folder for the CSV and PNG (default: FILE-schedule)."),
    ] = None,
    pareto: Annotated[
        bool, typer.Option("--pareto", help="Sweep the budget and plot the accuracy-energy front.")
    ] = False,
    points: Annotated[int, typer.Option("--points", help="Budgets in the sweep.")] = 12,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.0, help="Seconds per solve.")
    ] = 60.0,
    seed: SeedOpt = DEFAULT_SEED,
    json_out: JsonOpt = None,
) -> None:
    """Schedule a job file: machine, start time and variant of every job; print a summary,
    write schedule.csv and gantt.png (and pareto.csv, pareto.png with --pareto).
    Exit 1 when the checker rejects the schedule."""
    from slimplace.scheduling import check_schedule, compile_jobs, default_schedulers, load_jobs
    from slimplace.scheduling.report import gantt, write_csv

    human = human_console(json_out, console, err_console)
    folder = out if out is not None else Path(f"{file.stem}-schedule")
    with guarded():
        check_output_dir(folder, "--out")
        check_output_file(json_out, "--json")
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
    human.print(_summary(problem, result, check))
    human.print(_machines(problem, result))
    for v in check.violations[:10]:
        human.print(
            f"[red]violation[/] {text(v.kind)} at {text(v.where)}: {text(v.message)}",
            highlight=False,
        )
    if result.n_pieces:
        with guarded(), writing(folder):
            write_csv(problem, result, folder / "schedule.csv")
            gantt(problem, result, folder / "gantt.png")
        human.print(
            f"schedule written to {text(folder / 'schedule.csv')} and {text(folder / 'gantt.png')}",
            highlight=False,
        )
    front = None
    if pareto:
        front = _pareto(
            problem, registry.create(method, time_limit_s=time_limit), points, seed, folder, human
        )
    if json_out is not None:
        with guarded():
            write_json(json_out, _document(problem, result, check, front), human)
    if not check.feasible:
        raise typer.Exit(EXIT_FAILED)


def _document(problem: Any, result: Any, check: Any, front: Any) -> dict[str, Any]:
    """The schedule, its check and (with --pareto) the front, JSON-ready."""
    from slimplace.scheduling.report import front_frame, schedule_frame

    frame = schedule_frame(problem, result)
    document: dict[str, Any] = {
        "jobs": problem.jobset.name,
        "method": result.method,
        "status": str(result.status),
        "reason": result.reason,
        "seconds": result.seconds,
        "objective": problem.objective,
        "budget_j": problem.budget_j,
        "feasible": bool(check.feasible),
        "energy_j": check.energy_j,
        "mean_accuracy": check.mean_accuracy,
        "late_jobs": int(check.late_jobs),
        "unscheduled_jobs": int(check.unscheduled_jobs),
        "makespan_s": check.makespan_s,
        "violations": [
            {"kind": v.kind, "where": v.where, "message": v.message} for v in check.violations
        ],
        "pieces": frame.astype(object).where(frame.notna(), None).to_dict(orient="records"),
    }
    if front is not None:
        document["front"] = front_frame(front).to_dict(orient="records")
    return document


def _summary(problem: ScheduleProblem, result: Schedule, check: ScheduleCheck) -> Table:
    from rich.table import Table

    p = problem
    table = Table(
        title=f"{text(p.jobset.name)}: {p.n_jobs} jobs on {p.n_machines} machines",
        show_header=False,
    )
    table.add_row("method", f"{text(result.method)} ({result.status}, {result.seconds:.2f} s)")
    if result.reason:
        table.add_row("reason", text(result.reason))
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
        shown = f"gap {gap:.2%}" if math.isfinite(gap) else "no gap: the checker rejects it"
        table.add_row("bound", f"{result.bound:,.6g} ({shown})")
    return table


def _machines(problem: ScheduleProblem, result: Schedule) -> Table:
    import numpy as np
    from rich.table import Table

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
        hardware = p.profile_names[p.machine_profile[m]]
        table.add_row(text(p.machine_ids[m]), text(hardware), str(jobs[m]),
                      f"{busy[m] / 3600:,.3g}", f"{energy[m] / 1e6:,.4g}")  # fmt: skip
    return table


def _pareto(
    problem: ScheduleProblem,
    scheduler: Scheduler,
    points: int,
    seed: int,
    folder: Path,
    human: Console,
) -> Any:
    from rich.table import Table

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
    human.print(table)
    ref = "" if front.reference_feasible else " (it misses deadlines)"
    human.print(
        f"reference {text(front.reference_method)}{ref}: {front.reference_energy_j / 1e6:,.4g} "
        f"MJ at {front.reference_accuracy:.2%}; energy saved at 2 points lost: "
        f"{front.saved_at(0.02):.1%} (COATI's DSCT-EA reports up to 70 %)"
    )
    with guarded(), writing(folder), atomic_path(folder / "pareto.csv") as tmp:
        front_frame(front).to_csv(tmp, index=False)
    with guarded(), writing(folder):
        front_plot(front, folder / "pareto.png", title=problem.jobset.name)
    human.print(
        f"front written to {text(folder / 'pareto.csv')} and {text(folder / 'pareto.png')}",
        highlight=False,
    )
    return front
