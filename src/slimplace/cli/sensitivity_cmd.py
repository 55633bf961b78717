"""``slimplace sensitivity``: which conclusions change when model parameters do
(see :mod:`slimplace.sensitivity`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.options import (
    DEFAULT_SEED,
    JsonOpt,
    SeedOpt,
    bad_option,
    check_output_file,
    human_console,
    write_json,
)
from slimplace.cli.plan_cmds import ObjectiveOpt
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from rich.table import Table

    from slimplace.sensitivity import Sensitivity


@app.command()
def sensitivity(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="PATH=F1x,F2x,... (repeatable), e.g. network.energy_per_bit=0.1x,1x,10x; "
            "--list-params shows the paths.",
        ),
    ] = None,
    methods: Annotated[
        str, typer.Option("--methods", help="Comma-separated methods compared at each point.")
    ] = "milp,greedy,no-compression,edge-first",
    objective: ObjectiveOpt = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.0, help="Seconds for each solve.")
    ] = 30.0,
    levers: Annotated[
        bool, typer.Option("--levers/--no-levers", help="Rank the levers at each point (explain).")
    ] = True,
    json_out: JsonOpt = None,
    list_params: Annotated[
        bool, typer.Option("--list-params", help="List the parameter paths and exit.")
    ] = False,
    seed: SeedOpt = DEFAULT_SEED,
) -> None:
    """Re-solve under a grid of scaled model parameters and say which conclusions change:
    best method, placement shares by tier, lever ranking."""
    from slimplace.methods import default_registry
    from slimplace.scenario.io import load_scenario
    from slimplace.sensitivity import parameters, parse_param
    from slimplace.sensitivity import sensitivity as run_sensitivity

    if list_params:
        for p in parameters().values():
            console.print(f"{p.path:28s} {p.description}", markup=False, highlight=False)
        return
    with guarded():
        if not param:
            raise InputError("slimplace sensitivity", [Problem("--param", "give at least one")])
        if time_limit <= 0:
            raise bad_option("--time-limit", f"must be positive, got {time_limit:g}")
        if objective not in (None, "energy", "carbon"):
            raise InputError(
                "--objective", [Problem("", f"expected energy or carbon, got {objective!r}")]
            )
        grid = dict(parse_param(spec) for spec in param)
        names = [m.strip() for m in methods.split(",") if m.strip()]
        registry = default_registry()
        for name in names:
            registry.info(name)
        check_output_file(json_out, "--json")
        scenario = load_scenario(file)
        result = run_sensitivity(
            scenario,
            grid,
            methods=names,
            objective="carbon" if objective == "carbon" else ("energy" if objective else None),
            levers=levers,
            seed=seed,
            time_limit_s=time_limit,
        )
    shown = human_console(json_out, console, err_console)
    shown.print(render_points(result))
    for line in change_lines(result):
        shown.print(line, markup=False, highlight=False)
    if json_out is not None:
        with guarded():
            write_json(json_out, result.to_json(), shown)


def render_points(result: Sensitivity) -> Table:
    """One row per grid point: factors, best method, objective, tier shares, ranking."""
    from rich.table import Table

    from slimplace.explain import UNITS, format_value
    from slimplace.scenario.model import TIERS

    unit = UNITS[result.objective]
    table = Table(title=f"sensitivity (objective {result.objective})")
    paths = list(result.points[0].factors)
    for path in paths:
        table.add_column(path, justify="right")
    for col in ("best", unit, f"plan {unit}", *TIERS, "lever ranking"):
        table.add_column(col, justify="left" if col in ("best", "lever ranking") else "right")
    for i, p in enumerate(result.points):
        cells = [f"{p.factors[k]:g}x" for k in paths]
        if not p.feasible:
            table.add_row(*cells, "—", p.error or "no feasible plan", style="dim")
            continue
        assert p.value is not None and p.plan_value is not None
        table.add_row(
            *cells,
            str(p.best_method),
            format_value(p.value),
            format_value(p.plan_value),
            *(f"{p.tier_share.get(t, 0.0):.0%}" for t in TIERS),
            " > ".join(p.ranking),
            style="bold" if i == result.reference else "",
        )
    return table


def change_lines(result: Sensitivity) -> list[str]:
    """Which conclusions change against the reference point (plain lines)."""
    ref = result.points[result.reference]
    lines = [f"reference point: {ref.label()}"]
    for conclusion, where in result.changes().items():
        if not where:
            lines.append(f"{conclusion}: unchanged over the grid")
            continue
        lines.append(f"{conclusion}: changes at {len(where)} point(s)")
        lines += [f"  {w}" for w in where[:10]]
        if len(where) > 10:
            lines.append(f"  ... and {len(where) - 10} more")
    return lines
