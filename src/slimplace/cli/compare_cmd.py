"""``slimplace simulate-compare``: online policies side by side on one trace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.options import (
    DEFAULT_SEED,
    JsonOpt,
    SeedOpt,
    bad_option,
    check_output_file,
    human_console,
    resolve_user_path,
    text,
    write_json,
    writing,
)
from slimplace.cli.simulate_cmd import _seconds, peak_solver


@app.command("simulate-compare")
def simulate_compare(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    trace: Annotated[
        str,
        typer.Option(
            "--trace",
            help="Load shape every application follows in step: a CSV (time,value), "
            "trace:NAME, diurnal or weekly; scaled so its maximum is each source's rate.",
        ),
    ],
    policies: Annotated[
        str, typer.Option("--policies", help="Comma-separated policy names.")
    ] = "static-peak,reactive,periodic,predictive,hindsight",
    horizon: Annotated[str, typer.Option("--horizon", help="Simulated time, e.g. 7d.")] = "24h",
    step: Annotated[str, typer.Option("--step", help="Step length, e.g. 5min.")] = "5min",
    method: Annotated[
        str, typer.Option("--method", "-m", help="Planning method of the online policies.")
    ] = "greedy",
    hindsight_method: Annotated[
        str, typer.Option("--hindsight-method", help="Planning method of hindsight's plans.")
    ] = "greedy",
    static_method: Annotated[
        str,
        typer.Option(
            "--static-method",
            help="Planning method of the peak plan, solved once: static-peak holds it (the "
            "reference of every saving; milp, warm-started from greedy) and the online "
            "policies start from it and keep it where their own plans cost more.",
        ),
    ] = "milp",
    static_time_limit: Annotated[
        float, typer.Option("--static-time-limit", help="Time limit of the peak plan (s).")
    ] = 30.0,
    rate_scale: Annotated[
        float, typer.Option("--rate-scale", help="Multiply every source's peak rate.")
    ] = 1.0,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write the plan-dependent power of every policy here (PNG)."),
    ] = None,
    seed: SeedOpt = DEFAULT_SEED,
    json_out: JsonOpt = None,
) -> None:
    """Run policies side by side on one trace: energy (plan-dependent and total), SLO
    attainment, accuracy, switches, wake-ups, regret against hindsight."""
    from slimplace.problem.compile import compile_problem
    from slimplace.problem.rates import at_rates
    from slimplace.scenario.io import load_scenario
    from slimplace.sim import default_policies
    from slimplace.sim.compare import compare
    from slimplace.sim.compare_report import comparison_table, plot_power

    human = human_console(json_out, console, err_console)
    with guarded():
        horizon_s, step_s = _seconds(horizon, "--horizon"), _seconds(step, "--step")
        if step_s > horizon_s:
            raise bad_option("--step", f"{step} is longer than --horizon {horizon}")
        if not rate_scale > 0:
            raise bad_option("--rate-scale", f"must be positive, got {rate_scale}")
        names = [p.strip() for p in policies.split(",") if p.strip()]
        registry = default_policies()
        unknown = [n for n in names if n not in registry.names()]
        if unknown or not names:
            raise bad_option(
                "--policies",
                f"unknown {', '.join(unknown) or '(none given)'}; known: "
                + ", ".join(registry.names()),
            )
        check_output_file(json_out, "--json")
        check_output_file(plot, "--plot")
        problem = compile_problem(load_scenario(file), variants="all", file=str(file))
        problem = at_rates(problem, problem.demand_rate_per_s * rate_scale)
        options = {n: {"method": method} for n in names if "method" in _params(registry, n)}
        if "hindsight" in options:
            options["hindsight"] = {"method": hindsight_method}
        if "static-peak" in options:
            options["static-peak"] = {"method": static_method}
        if not static_time_limit > 0:
            raise bad_option("--static-time-limit", f"must be positive, got {static_time_limit}")
        solver = peak_solver(static_method, "--static-method", static_time_limit)
        result = compare(
            problem,
            str(resolve_user_path(trace)),
            horizon_s=horizon_s,
            step_s=step_s,
            policies=names,
            options=options,
            seed=seed,
            scenario=file.stem,
            base_dir=file.parent,
            progress=lambda name, row: human.print(
                text(f"{name}: {row['seconds']:.1f} s"), highlight=False
            ),
            peak_solver=solver,
        )
    for note in result.notes:
        human.print(text(f"note: {note}"), highlight=False)
    human.print(comparison_table(result))
    if plot is not None:
        with guarded(), writing(plot):
            plot_power(result, plot)
        human.print("written: " + text(str(plot)), highlight=False)
    if json_out is not None:
        with guarded():
            write_json(json_out, result.to_dict(), human)


def _params(registry: object, name: str) -> set[str]:
    import inspect

    factory = registry.info(name).factory  # type: ignore[attr-defined]
    try:
        return set(inspect.signature(factory).parameters)
    except (TypeError, ValueError):
        return set()
