"""``slimplace split-profile`` and ``slimplace split-map``: the figures of split computing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slimplace.cli.app import app, console, guarded
from slimplace.cli.options import EXIT_BAD_INPUT


@app.command("split-profile")
def split_profile(
    family: Annotated[str, typer.Argument(help="Catalog family, e.g. mobilenet-v2.")],
    variant: Annotated[str, typer.Argument(help="Its variant, e.g. mobilenet_v2_1.0_224.")],
    out: Annotated[Path, typer.Option("--out", help="PNG to write.")] = Path("split.png"),
    network: Annotated[
        str | None, typer.Option("--network", help="Profiled network (default: from the name).")
    ] = None,
    rate: Annotated[float, typer.Option("--rate", help="Requests per second.")] = 1.0,
    int8: Annotated[bool, typer.Option("--int8", help="Send the cut tensor as int8.")] = False,
) -> None:
    """Energy and latency per request against the cut point at 4G, WiFi and 5G (a phone,
    an edge box and a cloud server; docs/split.md)."""
    from slimplace.scenario.model import SplitSpec
    from slimplace.split.cuts import variant_network
    from slimplace.split.plots import cut_profile_figure
    from slimplace.split.sweep import single_variant_family

    with guarded():
        try:
            fam = single_variant_family(family, variant)
        except KeyError as exc:
            console.print(f"unknown family or variant: {exc}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        net = network or variant_network(SplitSpec("auto"), fam.variants[0])
        if net is None:
            console.print(f"no profiled network matches {variant}; give --network", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT)
        fig = cut_profile_figure(fam, net, rate_per_s=rate, precision="int8" if int8 else "fp32")
        fig.savefig(out, dpi=120)
    console.print(f"wrote {out}", markup=False)


@app.command("split-map")
def split_map(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[Path, typer.Option("--out", help="PNG to write.")] = Path("split-map.png"),
    method: Annotated[str, typer.Option("--method", help="Placement method.")] = "milp",
) -> None:
    """Solve the scenario and draw where each source's requests run (cuts included)."""
    from slimplace.cli.plan_cmds import load_problem
    from slimplace.solve import solve
    from slimplace.split.plots import placement_map_figure

    with guarded():
        problem = load_problem(file, None)
        result = solve(problem, method)
        placement_map_figure(problem, result.plan).savefig(out, dpi=120)
    console.print(f"wrote {out}", markup=False)
