"""``slimplace import``: grow a realistic, solvable continuum scenario on a topology."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from slimplace.cli.app import app, console, guarded
from slimplace.cli.options import check_output_file, writing
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from slimplace.topology.realistic import RealisticOptions


@app.command("import")
def import_(
    source: Annotated[
        str | None,
        typer.Argument(
            help="Topology file (.graphml, .gml, SNDlib .txt; each also .gz) or "
            "zoo:<Name>, sndlib:<name>."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Scenario YAML to write.")] = None,
    mix: Annotated[
        str | None,
        typer.Option(
            help="Devices per antenna by class, e.g. 'cameras=2,phones=3,sensors=1' (the default)."
        ),
    ] = None,
    cameras_per_antenna: Annotated[
        int | None, typer.Option(help="Video cameras per antenna (detection/segmentation).")
    ] = None,
    phones_per_antenna: Annotated[
        int | None, typer.Option(help="Phones per antenna (image classification).")
    ] = None,
    sensors_per_antenna: Annotated[
        int | None, typer.Option(help="Sensors per antenna (low-rate snapshots).")
    ] = None,
    devices_per_antenna: Annotated[
        int | None,
        typer.Option(help="Scale the mix to this many devices per antenna (keeps its shares)."),
    ] = None,
    fps: Annotated[
        str | None, typer.Option(help="Camera frame rate range LO-HI (frames/s), default 5-30.")
    ] = None,
    antennas_per_pop: Annotated[int | None, typer.Option(help="Antennas per PoP (2).")] = None,
    datacenters: Annotated[
        int | None, typer.Option(help="Datacenters, at the best-connected PoPs (2).")
    ] = None,
    sites: Annotated[
        int | None,
        typer.Option(help="At most this many PoPs get access/metro sites (40); 0 for all."),
    ] = None,
    apps: Annotated[
        int | None, typer.Option(help="Applications in all, shared over device classes.")
    ] = None,
    families: Annotated[
        str | None, typer.Option(help="Comma-separated model families for every application.")
    ] = None,
    slo_slack: Annotated[
        str | None,
        typer.Option(help="SLO = reachable latency x a factor drawn in LO-HI (1.5-3)."),
    ] = None,
    slo_quantile: Annotated[
        float, typer.Option(help="Latency quantile the SLOs bound (0.99); 0 for the mean.")
    ] = 0.99,
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed, 0 or more (mixed with the topology).")
    ] = 0,
    list_: Annotated[
        bool, typer.Option("--list", help="List built-in topologies and exit.")
    ] = False,
) -> None:
    """Generate a seeded, solvable edge-network-cloud scenario on a network topology.

    Cameras stream frames to detectors, phones classify images, sensors send snapshots;
    owned edge and metro servers are sized to that load, datacenters are elastic, and
    SLOs are drawn from the latency each demand can reach. When no plan can serve every
    demand, nothing is written and the message says what to change (exit 2).
    """
    from slimplace.topology import list_builtin_topologies, load_topology
    from slimplace.topology.realistic import generate_realistic

    if list_:
        for spec in list_builtin_topologies():
            console.print(spec, markup=False, highlight=False)
        return
    with guarded():
        if source is None or out is None:
            missing = [p for p, v in (("SOURCE", source), ("--out", out)) if v is None]
            raise InputError("slimplace import", [Problem(m, "required") for m in missing])
        check_output_file(out, "--out")
        options = _options(
            mix=mix,
            counts={
                "cameras": cameras_per_antenna,
                "phones": phones_per_antenna,
                "sensors": sensors_per_antenna,
            },
            devices_per_antenna=devices_per_antenna,
            fps=fps,
            antennas_per_pop=antennas_per_pop,
            datacenters=datacenters,
            sites=sites,
            apps=apps,
            families=families,
            slo_slack=slo_slack,
            slo_quantile=slo_quantile,
        )
        graph = load_topology(source)
        name = str(graph.graph.get("name", "imported"))
        scenario = generate_realistic(graph, options, seed=seed, name=name)
        from slimplace.scenario.io import save_scenario

        with writing(out):
            save_scenario(scenario, out)
    demands = sum(len(a.sources) for a in scenario.applications)
    owned = sum(n.count for n in scenario.nodes if n.hardware and n.tier in ("edge", "metro"))
    slos = sorted(a.latency_slo_s * 1e3 for a in scenario.applications)
    console.print(
        f"{out}: {len(scenario.nodes)} nodes, {len(scenario.links)} links, "
        f"{len(scenario.applications)} applications ({demands} demands) on {name}; "
        f"{owned} owned edge/metro servers; SLOs {slos[0]:.0f}-{slos[-1]:.0f} ms",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _options(
    *,
    mix: str | None,
    counts: dict[str, int | None],
    devices_per_antenna: int | None,
    fps: str | None,
    antennas_per_pop: int | None,
    datacenters: int | None,
    sites: int | None,
    apps: int | None,
    families: str | None,
    slo_slack: str | None,
    slo_quantile: float,
) -> RealisticOptions:
    """:class:`RealisticOptions` from the command-line options (exit 2 on bad values)."""
    from slimplace.topology.mix import (
        parse_mix,
        parse_range,
        scale_classes,
        share_apps,
        with_counts,
    )
    from slimplace.topology.realistic import RealisticOptions

    defaults = RealisticOptions()
    problems = [
        Problem(f"--{flag}", f"must be {least} or more, got {value}")
        for flag, value, least in (
            ("antennas-per-pop", antennas_per_pop, 1),
            ("datacenters", datacenters, 0),
            ("sites", sites, 0),
            ("apps", apps, 1),
            ("devices-per-antenna", devices_per_antenna, 0),
            *((f"{k}-per-antenna", v, 0) for k, v in counts.items()),
        )
        if value is not None and value < least
    ]
    if families is not None and not families.strip(" ,"):
        problems.append(Problem("--families", "names no model family (see slimplace catalog)"))
    if not 0 <= slo_quantile < 1:
        problems.append(Problem("--slo-quantile", f"must be in [0, 1), got {slo_quantile}"))
    if problems:
        raise InputError("slimplace import", problems)
    classes = defaults.classes
    if mix is not None:
        classes = with_counts(classes, parse_mix(mix))
    classes = with_counts(classes, {k: v for k, v in counts.items() if v is not None})
    if devices_per_antenna is not None:
        classes = scale_classes(classes, devices_per_antenna)
    if fps is not None:
        lo_hi = parse_range(fps, "--fps")
        classes = tuple(replace(c, rate_per_s=lo_hi) if c.name == "cameras" else c for c in classes)
    if families is not None:
        names = tuple(f.strip() for f in families.split(",") if f.strip())
        classes = tuple(replace(c, families=names) for c in classes)
    if apps is not None:
        classes = share_apps(classes, apps)
    slack = defaults.slo_slack if slo_slack is None else parse_range(slo_slack, "--slo-slack")
    if slack[0] < 1:
        problem = Problem(
            "--slo-slack",
            f"needs 1 <= LO <= HI (an SLO below the reachable latency cannot be met), "
            f"got {slo_slack!r}",
        )
        raise InputError("slimplace import", [problem])
    settings = replace(defaults.settings, slo_quantile=slo_quantile or None)
    return replace(
        defaults,
        classes=classes,
        antennas_per_pop=defaults.antennas_per_pop
        if antennas_per_pop is None
        else antennas_per_pop,
        n_datacenters=defaults.n_datacenters if datacenters is None else datacenters,
        max_sites=defaults.max_sites if sites is None else (sites or None),
        slo_slack=slack,
        settings=settings,
    )
