"""Presenting a simulation: the summary as a table, the per-step records as plots.

Kept apart from the engine (analysis and plotting live outside the core). Plots read
the Parquet records one row group at a time and average them into at most
:data:`MAX_POINTS` points, so memory stays flat for any horizon.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from rich.table import Table

from slimplace.arrays import FloatArray
from slimplace.scenario.model import TIERS
from slimplace.sim.engine import Summary
from slimplace.sim.model import MIX_BINS

MAX_POINTS = 2000
_PLOT_COLUMNS = (
    "time_s",
    "power_w",
    "static_w",
    "dynamic_w",
    "network_w",
    "requests",
    "slo_ok",
    "slo_met",
    "served",
    "servers_on",
    *(f"mix_{i}" for i in range(MIX_BINS)),
)
_MIX_LABELS = ("<= 25 %", "25-50 %", "50-75 %", "75-100 %")


def summary_table(summary: Summary) -> Table:
    """Energy by tier and kind, then the service figures."""
    s = summary
    table = Table(title=f"{s.scenario}: policy {s.policy}, {s.steps} steps of {s.step_s:g} s")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    kwh = 1 / 3.6e6
    for tier in TIERS:
        parts = s.energy_by_tier_j[tier]
        if parts["static"] or parts["dynamic"]:
            table.add_row(
                f"energy {tier} static / dynamic",
                f"{parts['static'] * kwh:,.4g} / {parts['dynamic'] * kwh:,.4g} kWh",
            )
    table.add_row("energy network", f"{s.energy_by_tier_j['network']['dynamic'] * kwh:,.4g} kWh")
    tr = s.energy_by_tier_j["transitions"]
    table.add_row(
        "energy wake-ups / model loads",
        f"{tr['wake'] * kwh:,.4g} / {tr['model_load'] * kwh:,.4g} kWh",
    )
    table.add_row(
        "[bold]energy total", f"[bold]{s.energy_j * kwh:,.4g} kWh[/] ({s.mean_power_w:,.1f} W mean)"
    )
    table.add_row("carbon", f"{s.carbon_g / 1000:,.4g} kgCO2e")
    table.add_row("SLO attainment (per request)", _pct(s.slo_attainment))
    table.add_row("SLO met (as the planner checks it)", _pct(s.slo_met_fraction))
    table.add_row("served / dropped", f"{_pct(s.served_fraction)} / {s.dropped:,.0f} requests")
    table.add_row("mean / p95 latency", f"{_ms(s.mean_latency_s)} / {_ms(s.p95_latency_s)}")
    table.add_row("mean accuracy", _pct(s.mean_accuracy))
    table.add_row("variant switches / model loads", f"{s.variant_switches:,} / {s.model_loads:,}")
    table.add_row(
        "wake-ups / servers on (mean, max)",
        f"{s.wake_ups:,} / {s.mean_servers_on:,.1f}, {s.max_servers_on:,.0f}",
    )
    table.add_row("re-plans / moves", f"{s.replans:,} / {s.moves:,}")
    if s.mode_switches or s.batch_unfilled:
        table.add_row(
            "mode switches / requests at a smaller batch",
            f"{s.mode_switches:,} ({s.mode_switch_energy_j * kwh:,.4g} kWh) / "
            f"{s.batch_unfilled:,.0f}",
        )
    table.add_row(
        "wall time", f"{s.wall_s:,.2f} s ({s.steps_per_s:,.0f} steps/s; policy {s.decide_s:,.2f} s)"
    )
    return table


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.2%}"


def _ms(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x * 1e3:,.1f} ms"


def binned_records(path: str | Path, max_points: int = MAX_POINTS) -> dict[str, FloatArray]:
    """Plot columns averaged over consecutive steps into at most ``max_points`` points."""
    f = pq.ParquetFile(path)
    n = f.metadata.num_rows
    per = max(1, math.ceil(n / max_points))
    bins = math.ceil(n / per)
    sums = {c: np.zeros(bins) for c in _PLOT_COLUMNS}
    count = np.zeros(bins)
    offset = 0
    for g in range(f.num_row_groups):
        table = f.read_row_group(g, columns=list(_PLOT_COLUMNS))
        k = table.num_rows
        idx = (offset + np.arange(k)) // per
        for c in _PLOT_COLUMNS:
            np.add.at(sums[c], idx, table.column(c).to_numpy().astype(np.float64))
        np.add.at(count, idx, 1.0)
        offset += k
    out = {c: v / np.maximum(count, 1) for c, v in sums.items()}
    out["slo_attainment"] = sums["slo_ok"] / np.maximum(sums["requests"], 1e-300)
    out["slo_met_fraction"] = sums["slo_met"] / np.maximum(sums["requests"], 1e-300)
    return out


def plot_records(
    path: str | Path, out_dir: str | Path, title: str = "", *, slo_target: float | None = None
) -> list[Path]:
    """Write power.png, slo.png and variants.png from the records at ``path``.

    ``slo_target`` (a fraction of requests, e.g. the scenario's ``slo_quantile``) is drawn
    as a line on the SLO plot.
    """
    import matplotlib

    matplotlib.use("Agg")

    r = binned_records(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [
        _power_plot(r, out / "power.png", title),
        _slo_plot(r, out / "slo.png", title, slo_target),
        _variants_plot(r, out / "variants.png", title),
    ]
    import matplotlib.pyplot as plt

    plt.close("all")
    return files


def static_split(static_w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Static power as (never switched, switched by the policy): the least static power
    of the run (servers on all along, and the sleep power of servers never woken) and
    what lies above it (servers the policy wakes and puts to sleep)."""
    floor = float(np.min(static_w)) if len(static_w) else 0.0
    return np.full_like(static_w, floor), static_w - floor


def _power_plot(r: dict[str, FloatArray], path: Path, title: str) -> Path:
    import matplotlib.pyplot as plt

    hours = r["time_s"] / 3600.0
    fixed, switched = static_split(r["static_w"])
    fig, (ax, ax_on) = plt.subplots(
        2, 1, figsize=(11, 5.5), sharex=True, gridspec_kw={"height_ratios": (3, 1.2)}
    )
    ax.stackplot(
        hours,
        fixed,
        switched,
        r["dynamic_w"],
        r["network_w"],
        labels=(
            f"static, never switched ({fixed[0] if len(fixed) else 0:,.0f} W):\n"
            "servers on all run, sleep power of unused ones",
            "static the policy switches\n(servers woken, put to sleep)",
            "dynamic (compute)",
            "network",
        ),
        colors=("#c7c7c7", "#1f77b4", "#ff7f0e", "#2ca02c"),
        alpha=0.9,
    )
    ax.set_ylabel("power (W)")
    ax.set_ylim(0, None)
    ax.set_title(f"{title} power".strip())
    ax_on.step(hours, r["servers_on"], where="post", color="black", lw=0.9)
    ax_on.set_ylim(0, max(1.0, float(np.nanmax(r["servers_on"], initial=0.0))) * 1.1)
    ax_on.set_ylabel("servers on")
    ax_on.set_xlabel("time (h)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(  # outside the axes, in stack order (top first)
        handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8
    )
    return _save(fig, path)


def _slo_plot(r: dict[str, FloatArray], path: Path, title: str, slo_target: float | None) -> Path:
    import matplotlib.pyplot as plt

    hours = r["time_s"] / 3600.0
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(hours, 100 * r["slo_attainment"], label="per request (estimate)")
    ax.plot(hours, 100 * r["slo_met_fraction"], label="mean latency within SLO", ls="--")
    low = float(np.nanmin(r["slo_attainment"], initial=1.0))
    if slo_target is not None:
        ax.axhline(
            100 * slo_target, color="red", lw=1, ls=":", label=f"target {100 * slo_target:g} %"
        )
        low = min(low, slo_target)
    ax.set_ylim(max(0.0, 100 * low - 5), 100.5)
    ax.set_xlabel("time (h)")
    ax.set_ylabel("SLO attainment (%)")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{title} SLO attainment".strip())
    return _save(fig, path)


def _variants_plot(r: dict[str, FloatArray], path: Path, title: str) -> Path:
    import matplotlib.pyplot as plt

    hours = r["time_s"] / 3600.0
    fig, ax = plt.subplots(figsize=(10, 3.5))
    mix = [100 * r[f"mix_{i}"] for i in range(MIX_BINS)]
    ax.stackplot(hours, *mix, labels=[f"{lab} of the family's largest" for lab in _MIX_LABELS])
    ax.set_ylim(0, 100)
    ax.set_xlabel("time (h)")
    ax.set_ylabel("traffic share (%)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(  # outside the axes, largest variants on top as in the stack
        handles[::-1],
        labels[::-1],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        title="variant FLOPs",
        title_fontsize=8,
    )
    ax.set_title(f"{title} variant mix".strip())
    return _save(fig, path)


def _save(fig: object, path: Path) -> Path:
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(path, dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    return path
