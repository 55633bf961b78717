"""``slimplace import``: grow a continuum scenario on a real or built-in topology."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slimplace.cli.app import app, console, guarded
from slimplace.errors import InputError, Problem


@app.command("import")
def import_(
    source: Annotated[
        str | None,
        typer.Argument(
            help="Topology file (.graphml[.gz], SNDlib .txt[.gz]) or zoo:<Name>, sndlib:<name>."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Scenario YAML to write.")] = None,
    devices_per_antenna: Annotated[int | None, typer.Option(help="Devices per antenna.")] = None,
    antennas_per_pop: Annotated[int | None, typer.Option(help="Antennas per PoP.")] = None,
    datacenters: Annotated[
        int | None, typer.Option(help="Datacenters (at the best-connected PoPs).")
    ] = None,
    apps: Annotated[int | None, typer.Option(help="Number of applications.")] = None,
    demands: Annotated[int | None, typer.Option(help="Total (app, source) demands.")] = None,
    families: Annotated[str | None, typer.Option(help="Comma-separated model families.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    list_: Annotated[
        bool, typer.Option("--list", help="List built-in topologies and exit.")
    ] = False,
) -> None:
    """Generate a seeded edge-network-cloud scenario on a network topology and save it."""
    from slimplace.topology import (
        ContinuumOptions,
        generate_continuum,
        list_builtin_topologies,
        load_topology,
    )

    if list_:
        for spec in list_builtin_topologies():
            console.print(spec, markup=False, highlight=False)
        return
    with guarded():
        if source is None or out is None:
            missing = [p for p, v in (("SOURCE", source), ("--out", out)) if v is None]
            raise InputError("slimplace import", [Problem(m, "required") for m in missing])
        defaults = ContinuumOptions()
        options = ContinuumOptions(
            devices_per_antenna=_or(devices_per_antenna, defaults.devices_per_antenna),
            antennas_per_pop=_or(antennas_per_pop, defaults.antennas_per_pop),
            n_datacenters=_or(datacenters, defaults.n_datacenters),
            n_apps=_or(apps, defaults.n_apps),
            n_demands=demands,
            families=None
            if families is None
            else tuple(f.strip() for f in families.split(",") if f.strip()),
        )
        graph = load_topology(source)
        name = str(graph.graph.get("name", "imported"))
        scenario = generate_continuum(graph, options, seed=seed, name=name)
        from slimplace.scenario.io import save_scenario

        save_scenario(scenario, out)
    console.print(
        f"{out}: {len(scenario.nodes)} nodes, {len(scenario.links)} links, "
        f"{len(scenario.applications)} applications "
        f"({sum(len(a.sources) for a in scenario.applications)} demands) on {name}"
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
