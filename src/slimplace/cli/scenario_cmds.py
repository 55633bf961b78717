"""Commands on scenario files: validate (and, later, import and catalog)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from slimplace.cli.app import EXIT_BAD_INPUT, app, console, err_console, guarded

if TYPE_CHECKING:
    from slimplace.errors import Unservable
    from slimplace.scenario.model import Scenario


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    schema_only: Annotated[
        bool,
        typer.Option(
            "--schema-only",
            help="Check the file (fields, units, references, structure) but not whether "
            "each demand can be served.",
        ),
    ] = False,
    allow_include: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-include",
            metavar="DIR",
            help="Also read {file: ...} includes from this folder (repeatable); by default "
            "only the scenario's own folder is read.",
        ),
    ] = None,
) -> None:
    """Check a scenario; exit 0 when every demand can be served, 2 with every problem otherwise.

    Beyond the file itself, each demand (application x source) must have at least
    one admissible placement, as compile requires: an SLO some node can meet, a
    variant above the accuracy floor that fits in memory, and access links that
    carry the source's requests (rate x request size).
    """
    from slimplace.scenario.io import load_scenario

    with guarded():
        scenario = load_scenario(file, include_dirs=allow_include or ())
        _check_workloads(scenario, file)
        unservable = () if schema_only else _unservable(scenario)
    if unservable:
        err_console.print(
            f"{file}: {len(unservable)} demand(s) have no admissible placement "
            "(--schema-only checks the file alone)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        for d in unservable:
            line = f"{file}: application {d.application} from {d.source}: {d.reason}"
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    counts = (len(scenario.nodes), len(scenario.links), len(scenario.applications))
    console.print(
        f"{file}: valid ({counts[0]} nodes, {counts[1]} links, {counts[2]} applications)",
        markup=False,
        highlight=False,
    )


def _unservable(scenario: Scenario) -> tuple[Unservable, ...]:
    """The demands compile would refuse, each with its reason."""
    from slimplace.problem.compile import compile_problem

    return compile_problem(scenario, strict=False).unservable


def _check_workloads(scenario: Scenario, file: Path) -> None:
    """Read every application's ``workload`` (a trace CSV, a request log) as ``simulate``
    would, so that a missing or broken trace is reported here (exit 2), not at run time."""
    specs = [(i, a.workload) for i, a in enumerate(scenario.applications) if a.workload]
    if not specs:
        return
    from slimplace.sim.workload import pattern_from_spec

    for i, spec in specs:
        pattern_from_spec(
            spec, base_dir=file.parent, where=f"applications[{i}].workload", file=str(file)
        )
