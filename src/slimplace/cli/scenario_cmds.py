"""Commands on scenario files: validate (and, later, import and catalog)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slimplace.cli.app import app, console, guarded
from slimplace.cli.options import text


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
) -> None:
    """Check a scenario file; exit 0 when it is valid, 2 with every problem otherwise."""
    from slimplace.scenario.io import load_scenario

    with guarded():
        scenario = load_scenario(file)
    counts = (len(scenario.nodes), len(scenario.links), len(scenario.applications))
    console.print(
        f"{text(file)}: valid ({counts[0]} nodes, {counts[1]} links, {counts[2]} applications)"
    )
