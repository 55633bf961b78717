"""``slimplace catalog``: show the built-in hardware, link, model and carbon catalogs."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from slimplace.cli.app import app, console, guarded
from slimplace.cli.options import text

if TYPE_CHECKING:
    from slimplace.catalog import Catalog


class Section(StrEnum):
    """A part of the catalog."""

    devices = "devices"
    links = "links"
    models = "models"
    carbon = "carbon"


def _short(source: str, width: int = 48) -> str:
    """The first clause of a source line, cut to ``width`` characters."""
    head = re.split(r";| @|\(", source, maxsplit=1)[0].strip()
    return text(head if len(head) <= width else head[: width - 1] + "…")


def _devices(cat: Catalog) -> Table:
    t = Table(title=f"Hardware profiles ({len(cat.hardware)})")
    for col in ("name", "tier", "class", "eff. TFLOP/s", "memory GB", "idle W", "peak W"):
        t.add_column(col, justify="right" if col[0].isdigit() or " " in col else "left")
    t.add_column("source")
    for h in cat.hardware.values():
        curve = " *" if h.power_curve is not None else ""
        t.add_row(
            text(h.name),
            h.tier,
            text(h.device_class or ""),
            f"{h.throughput_flops / 1e12:.4g}",
            f"{h.memory_bytes / 1e9:.3g}",
            f"{h.idle_power_w:.4g}",
            f"{h.peak_power_w:.4g}{curve}",
            _short(h.source),
        )
    t.caption = "* measured power-vs-load curve; throughput is an effective CNN-inference rate"
    return t


def _links(cat: Catalog) -> Table:
    t = Table(title=f"Link kinds ({len(cat.link_kinds)})")
    for col in ("kind", "bandwidth Mbit/s", "latency ms", "energy nJ/bit"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    t.add_column("source")
    for k in cat.link_kinds.values():
        t.add_row(
            text(k.name),
            f"{k.bandwidth_bps / 1e6:.6g}",
            f"{k.latency_s * 1e3:.4g}",
            f"{k.energy_j_per_bit * 1e9:.4g}",
            _short(k.source),
        )
    return t


def _models(cat: Catalog) -> Table:
    t = Table(title=f"Model families ({len(cat.families)})")
    for col in ("family", "variants", "weight sharing", "accuracy", "GFLOP"):
        t.add_column(col, justify="left" if col == "family" else "right")
    for f in cat.families.values():
        acc = [v.accuracy for v in f.variants]
        gflop = [v.flops / 1e9 for v in f.variants]
        t.add_row(
            text(f.name),
            str(len(f.variants)),
            "yes" if f.weight_sharing else "no",
            f"{min(acc):.3f}-{max(acc):.3f}",
            f"{min(gflop):.3g}-{max(gflop):.3g}",
        )
    return t


def _carbon(cat: Catalog, search: str | None, limit: int | None) -> Table:
    from slimplace.catalog.regions import region_names

    names = region_names()
    needle = (search or "").lower()
    rows = [
        r
        for r in cat.regions.values()
        if needle in r.code.lower() or needle in names.get(r.code, "").lower()
    ]
    shown = rows if limit is None else rows[:limit]
    t = Table(title=f"Grid carbon intensity ({len(rows)} of {len(cat.regions)} regions)")
    t.add_column("code")
    t.add_column("name")
    t.add_column("gCO2e/kWh", justify="right")
    for r in shown:
        t.add_row(text(r.code), text(names.get(r.code, "")), f"{r.carbon_g_per_kwh:.4g}")
    if len(shown) < len(rows):
        t.caption = f"first {len(shown)} shown: `slimplace catalog carbon [--search TEXT]` for more"
    return t


@app.command("catalog")
def catalog_command(
    section: Annotated[
        Section | None, typer.Argument(help="Section to show (default: a summary of all four).")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", help="Carbon: keep codes or names containing TEXT."),
    ] = None,
) -> None:
    """Show the built-in catalogs: devices, links, models, carbon."""
    from slimplace.catalog import load_catalog

    with guarded():
        cat = load_catalog()
    if section in (None, Section.devices):
        console.print(_devices(cat))
    if section in (None, Section.links):
        console.print(_links(cat))
    if section in (None, Section.models):
        console.print(_models(cat))
    if section in (None, Section.carbon):
        limit = 10 if section is None and search is None else None
        console.print(_carbon(cat, search, limit))
