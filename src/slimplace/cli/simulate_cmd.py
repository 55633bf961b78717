"""The operate job: ``slimplace simulate`` and ``slimplace policies``."""

from __future__ import annotations

import contextlib
import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.mobility_opts import mobility_from_cli, mobility_table, with_baseline
from slimplace.cli.options import (
    DEFAULT_SEED,
    JsonOpt,
    SeedOpt,
    bad_option,
    check_output_dir,
    check_output_file,
    free_bytes,
    human_console,
    resolve_user_path,
    text,
    write_json,
    writing,
)
from slimplace.errors import InputError, Problem

#: More steps than this are refused without ``--yes`` (at a few thousand steps per
#: second that is minutes to hours, and gigabytes of records).
MAX_STEPS = 1_000_000
#: Bytes per step of the records at most (41 columns of 8 bytes, before compression).
_RECORD_BYTES_PER_STEP = 41 * 8


def _seconds(text: str, option: str) -> float:
    from slimplace.units import UnitError, parse

    try:
        value = parse(text, "time")
    except UnitError as exc:
        raise InputError(option, [Problem("", str(exc))]) from None
    if not value > 0:
        raise InputError(option, [Problem("", f"must be positive, got {text!r}")])
    return value


def parse_options(items: list[str]) -> dict[str, object]:
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


def check_options(factory: Callable[..., Any], options: dict[str, object]) -> None:
    """Refuse ``--set`` keys the policy does not take and values of the wrong type."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    known = [n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    problems = []
    for key, value in options.items():
        if key not in params:
            close = difflib.get_close_matches(key, known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(Problem(key, f"unknown option{hint}; known: {', '.join(known)}"))
        elif not _fits(params[key], value):
            expected = _annotation(params[key])
            problems.append(Problem(key, f"expected {expected}, got {value!r}"))
    if problems:
        raise InputError("--set", problems)


def _annotation(param: inspect.Parameter) -> str:
    ann = param.annotation
    if ann is inspect.Parameter.empty:
        return "" if param.default is None else type(param.default).__name__
    return ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))


def _fits(param: inspect.Parameter, value: object) -> bool:
    """Whether ``value`` (as ``--set`` parsed it) fits the parameter's simple type;
    parameters of other types are not checked."""
    kinds = {t.strip() for t in _annotation(param).split("|")}
    simple = {"bool", "int", "float", "str", "None"}
    if not kinds or not kinds <= simple:
        return True
    if value is None:
        return "None" in kinds
    if isinstance(value, bool):
        return "bool" in kinds
    if isinstance(value, int):
        return bool(kinds & {"int", "float"})
    if isinstance(value, float):
        return "float" in kinds
    return "str" in kinds


def _check_steps(n: int, horizon: str, step: str, folder: Path, yes: bool) -> None:
    """Refuse a run of more than :data:`MAX_STEPS` steps or one whose records might
    not fit on the disk, unless ``--yes``."""
    need = n * _RECORD_BYTES_PER_STEP
    free = free_bytes(folder)
    if need > free:
        raise bad_option(
            "--horizon",
            f"{horizon} in steps of {step} is {n:,} steps, whose records may need up to "
            f"{need / 1e9:,.1f} GB; {free / 1e9:,.1f} GB are free under {folder}",
        )
    if n > MAX_STEPS and not yes:
        raise bad_option(
            "--horizon",
            f"{horizon} in steps of {step} is {n:,} steps (more than {MAX_STEPS:,}: hours of "
            f"run time and up to {need / 1e9:,.1f} GB of records); use a longer --step, "
            "or --yes to run it anyway",
        )


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
            help="Workload of every application: constant, diurnal, weekly, trace:NAME, "
            "requests:LOG.csv[@SECONDS] (one row per request, binned) or a CSV "
            "(default: each application's `workload`; a relative CSV path is looked up in the "
            "current folder, then in the scenario's).",
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
    peak_method: Annotated[
        str | None,
        typer.Option(
            "--peak-method",
            help="Planning method of the peak plan, solved once before the run (60 s limit): "
            "static holds it, the online policies start from it and keep it where their own "
            "plans cost more, e.g. milp (default: the policy's own method; not with --mobility).",
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
    seed: SeedOpt = DEFAULT_SEED,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write PNG plots.")] = True,
    json_out: JsonOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Run even a horizon of more than a million steps.")
    ] = False,
    mobility: Annotated[
        str | None,
        typer.Option(
            "--mobility",
            help="Move sources between antennas: random-waypoint, taxi or a trace CSV "
            "(docs/mobility.md); also runs without mobility to compare.",
        ),
    ] = None,
    mobility_set: Annotated[
        list[str] | None,
        typer.Option(
            "--mobility-set", help="Mobility option KEY=VALUE (repeatable), e.g. migrate=follow."
        ),
    ] = None,
) -> None:
    """Simulate a day (or any horizon) of changing load and grid carbon under an online policy."""
    from slimplace.fsutil import atomic_path, atomic_write_text
    from slimplace.sim import n_steps_for

    human = human_console(json_out, console, err_console)
    with guarded():
        horizon_s, step_s = _seconds(horizon, "--horizon"), _seconds(step, "--step")
        if step_s > horizon_s:
            raise bad_option("--step", f"{step} is longer than --horizon {horizon}")
        folder = out or Path(f"{file.stem}-{policy}")
        check_output_dir(folder, "--out")
        check_output_file(json_out, "--json")
        n = n_steps_for(horizon_s, step_s)
        _check_steps(n, horizon, step, folder, yes)
        run = _prepare(file, policy, method, option or [], trace, carbon, seed)
        if peak_method is not None:
            run = replace(run, peak_solver=peak_solver(peak_method))
        for note in run.workload.notes(n * step_s):  # trace repairs, repetition
            human.print(text(f"note: {note}"), highlight=False)
        mob = mobility_from_cli(mobility, parse_options(mobility_set or []), file)
        if mob is not None and peak_method is not None:
            raise bad_option("--peak-method", "not with --mobility (the candidates change)")
        with writing(folder / "steps.parquet"), atomic_path(folder / "steps.parquet") as tmp:
            result = _run(run, horizon_s, step_s, n, seed, tmp, human, mob)
        if mob is not None:  # the same run without mobility, a fresh policy
            plain = _prepare(file, policy, method, option or [], trace, carbon, seed)
            result = with_baseline(result, _run(plain, horizon_s, step_s, n, seed, None, human))
    summary = result.summary
    records = folder / "steps.parquet"
    document = {**summary.to_dict(), "records": str(records)}
    with guarded(), writing(folder / "summary.json"):
        atomic_write_text(folder / "summary.json", _dumps(document))
    from slimplace.sim.report import summary_table

    human.print(summary_table(summary))
    if summary.mobility:
        human.print(mobility_table(summary.mobility))
    written = [records, folder / "summary.json"]
    if plots:
        from slimplace.sim.report import plot_records

        with guarded(), writing(folder):
            written += plot_records(
                records,
                folder,
                title=f"{run.scenario.name} / {policy}",
                slo_target=run.problem.slo_quantile,
            )
    human.print("written: " + ", ".join(text(w) for w in written), highlight=False)
    if json_out is not None:
        with guarded():
            write_json(json_out, document, human)


def _dumps(document: dict[str, Any]) -> str:
    from slimplace.cli.options import dumps_finite

    return dumps_finite(document)


@dataclass(frozen=True)
class _Run:
    """Everything a simulation needs, checked before it starts."""

    scenario: Any
    problem: Any
    policy: Any
    workload: Any
    grid: Any
    name: str
    #: the solver of the peak plan (``--peak-method``), or None
    peak_solver: Any = None


def peak_solver(name: str, option: str = "--peak-method", time_limit_s: float = 60.0) -> Any:
    """The solver of the peak plan named by ``option`` (60 s limit by default, the
    benchmark's for the static plan); an unknown name exits 2 naming the option."""
    from slimplace.methods import default_registry

    methods = default_registry()
    if name not in methods.names():
        raise bad_option(option, f"unknown {name}; known: {', '.join(methods.names())}")
    return methods.create(name, time_limit_s=time_limit_s)


def _prepare(
    file: Path,
    policy: str,
    method: str | None,
    option: list[str],
    trace: str | None,
    carbon: str,
    seed: int,
) -> _Run:
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import load_scenario
    from slimplace.sim import build_carbon, build_workload, default_policies

    registry = default_policies()
    options: dict[str, object] = {"method": method} if method else {}
    options.update(parse_options(option))
    check_options(registry.info(policy).factory, options)
    pol = registry.create(policy, **options)
    scenario = load_scenario(file)
    problem = compile_problem(scenario, variants="all", file=str(file))
    base = file.parent
    override = None if trace is None else resolve_user_path(trace)
    workload = build_workload(problem, override=override, seed=seed, base_dir=base, file=str(file))
    grid = build_carbon(problem, resolve_user_path(carbon), base_dir=base)
    return _Run(
        scenario=scenario, problem=problem, policy=pol, workload=workload, grid=grid, name=policy
    )


def _run(run: _Run, horizon_s: float, step_s: float, n: int, seed: int, records: Path | None,
         human: Any, mobility: Any = None) -> Any:  # fmt: skip
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from slimplace.sim import simulate as run_simulation

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=human, transient=True) as bar:
        task = bar.add_task(text(f"{run.scenario.name} / {run.name}"), total=n)
        return run_simulation(
            run.problem,
            run.policy,
            horizon_s=horizon_s,
            step_s=step_s,
            workload=run.workload,
            carbon=run.grid,
            seed=seed,
            records=records,
            progress=lambda done, total: bar.update(task, completed=done),
            mobility=mobility,
            peak_solver=run.peak_solver,
        )


@app.command()
def policies() -> None:
    """List the registered online policies."""
    from rich.table import Table

    from slimplace.sim import default_policies

    reg = default_policies()
    table = Table("policy", "description")
    for name in reg.names():
        table.add_row(text(name), text(reg.info(name).description))
    console.print(table)
