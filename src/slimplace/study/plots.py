"""Figures of a sweep: pure functions from a results data frame to a matplotlib Figure.

They build :class:`matplotlib.figure.Figure` objects directly (no pyplot, no
global state; rendering uses the Agg canvas), take the frame that
:func:`slimplace.study.load_results` returns (or :func:`load_series` for the
time series), and draw a short note instead of axes when the frame has no data
for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from slimplace.results import BREAKDOWN_TIERS, fill_gaps

_TIER_COLOURS = {
    "device": "#8dd3c7",
    "edge": "#80b1d3",
    "metro": "#bebada",
    "cloud": "#fb8072",
    "network": "#fdb462",
    "transitions": "#b3de69",
}


def method_colours(methods: Sequence[str]) -> dict[str, str]:
    """A stable colour per method name (sorted names over the tab20 palette)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(set(methods)) <= 10 else "tab20"]
    names = sorted(set(methods))
    return {m: _hex(cmap(i % cmap.N)) for i, m in enumerate(names)}


#: Marker shapes cycled over methods, so methods drawn at the same point stay apart.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "p", "<", ">", "h", "*")
#: Line styles cycled over methods in the time series.
_LINESTYLES = ("-", "--", "-.", ":")


def method_markers(methods: Sequence[str]) -> dict[str, str]:
    """A stable marker shape per method name (sorted names over :data:`_MARKERS`)."""
    names = sorted(set(methods))
    return {m: _MARKERS[i % len(_MARKERS)] for i, m in enumerate(names)}


def nested_sizes(methods: Sequence[str], largest: float, smallest: float) -> dict[str, float]:
    """Marker areas falling from ``largest`` to ``smallest`` over the sorted methods:
    drawn in that order, methods at the same point show as nested rings, none hidden."""
    names = sorted(set(methods))
    sizes = np.linspace(largest, smallest, num=max(len(names), 1))
    return {m: float(sizes[i]) for i, m in enumerate(names)}


def pareto_mask(cost: npt.ArrayLike, benefit: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Points no other point beats (lower or equal cost and higher or equal benefit,
    one strictly): sort by cost, keep each point whose benefit exceeds every cheaper one's."""
    c = np.asarray(cost, dtype=np.float64)
    b = np.asarray(benefit, dtype=np.float64)
    order = np.lexsort((-b, c))
    best_before = np.maximum.accumulate(np.concatenate([[-np.inf], b[order]]))[:-1]
    keep = np.zeros(c.size, dtype=bool)
    keep[order] = b[order] > best_before
    return keep


def with_gap(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``gap`` to the best bound of each instance (``instance_id``), by the
    rule of :func:`slimplace.results.relative_gap` (:func:`slimplace.results.fill_gaps`)."""
    return fill_gaps(df)


def energy_by_tier_figure(df: pd.DataFrame) -> Figure:
    """Mean energy over the horizon (kWh) per method, stacked by tier and by kind
    (static: idle power of servers on, hatched; dynamic: per inference; network; and
    for simulations, server wake-ups and model loads). Lower bounds are left out."""
    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    ax = fig.add_subplot()
    df = placements(df)
    if not _has(df, "method", "power_w", "horizon_s"):
        return _empty(fig, ax, "no solve or compare results")
    columns = _breakdown_columns(df)
    kwh = df[columns].fillna(0.0).mul(df["horizon_s"], axis=0) / 3.6e6
    means = kwh.groupby(df["method"]).mean()
    means = means.loc[means.sum(axis=1).sort_values(kind="stable").index]
    bottom = np.zeros(len(means))
    x = np.arange(len(means))
    for column in columns:
        values = means[column].to_numpy()
        if not values.any():
            continue
        tier, kind = _tier_kind(column)
        ax.bar(
            x,
            values,
            bottom=bottom,
            color=_TIER_COLOURS[tier],
            hatch="//" if kind == "static" else None,
            edgecolor="white",
            label=f"{tier} {kind}" if kind else tier,
        )
        bottom += values
    ax.set_xticks(x, list(means.index), rotation=30, ha="right")
    ax.set_ylabel("energy over the horizon (kWh), mean")
    n = df["trial_id"].nunique() if "trial_id" in df.columns else len(df)
    ax.set_title(f"energy by tier and kind ({n} trials)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def pareto_figure(df: pd.DataFrame) -> Figure:
    """Mean accuracy against mean energy per method (one faint dot per trial, hollow when
    infeasible), with the accuracy-energy Pareto front of the methods' means over their
    feasible trials as a dashed line. Lower bounds (``method_kind`` ``bound``) are left out:
    they are not placements one would deploy."""
    fig = Figure(figsize=(7.0, 4.8), layout="constrained")
    ax = fig.add_subplot()
    # colours, markers and sizes over every method, as in the other figures
    every = df["method"].astype(str).tolist() if "method" in df.columns else []
    df = placements(df)
    if not _has(df, "method", "energy_kwh", "accuracy"):
        return _empty(fig, ax, "no solve or compare results")
    colours = method_colours(every)
    for method, group in df.groupby("method"):
        ok = group["feasible"].astype(bool)
        c = colours[str(method)]
        ax.scatter(
            group.loc[ok, "energy_kwh"],
            group.loc[ok, "accuracy"],
            s=10,
            color=c,
            alpha=0.3,
            linewidths=0,
        )
        ax.scatter(
            group.loc[~ok, "energy_kwh"],
            group.loc[~ok, "accuracy"],
            s=14,
            facecolors="none",
            edgecolors=c,
            alpha=0.5,
        )
    means = df.groupby("method")[["energy_kwh", "accuracy"]].mean()
    feasible = df[df["feasible"].astype(bool)]
    candidates = feasible.groupby("method")[["energy_kwh", "accuracy"]].mean()
    front_names = candidates.index[pareto_mask(candidates["energy_kwh"], candidates["accuracy"])]
    markers = method_markers(every)
    sizes = nested_sizes(every, 220.0, 40.0)
    for name, energy, accuracy in zip(
        means.index, means["energy_kwh"], means["accuracy"], strict=True
    ):
        ax.scatter(  # largest first: methods at the same mean show as nested markers
            energy,
            accuracy,
            s=sizes[str(name)],
            marker=markers[str(name)],
            color=colours[str(name)],
            edgecolors="black",
            linewidths=0.8,
            label=str(name),
            zorder=3,
        )
    on_front = candidates.loc[front_names].sort_values("energy_kwh")
    ax.plot(
        on_front["energy_kwh"],
        on_front["accuracy"],
        "k--",
        lw=1,
        label="Pareto front",
        zorder=2,
    )
    ax.set_xlabel("energy over the horizon (kWh)")
    ax.set_ylabel("mean accuracy served")
    ax.set_title(
        "accuracy against energy\n(large: method mean, nested where equal; hollow: infeasible)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def timeseries_figure(series: pd.DataFrame) -> Figure:
    """Power and SLO attainment over simulated time, mean over trials per method or policy."""
    fig = Figure(figsize=(8.0, 5.5), layout="constrained")
    power_ax, slo_ax = fig.subplots(2, 1, sharex=True)
    if not _has(series, "time_s", "power_w", "slo_met_fraction"):
        _empty(fig, slo_ax, "")
        return _empty(fig, power_ax, "no simulation results")
    key = "method" if "method" in series.columns else "policy"
    hours = series["time_s"] / 3600.0
    frame = series.assign(hours=hours)
    colours = method_colours(frame[key].astype(str).tolist())
    scale, unit = (1e3, "kW") if frame["power_w"].max() >= 1e3 else (1.0, "W")
    names = sorted(frame[key].astype(str).unique())
    for i, (name, group) in enumerate(frame.groupby(key)):
        mean = group.groupby("hours")[["power_w", "slo_met_fraction"]].mean()
        # styles and widths differ, so policies on the same curve stay visible
        style = {"color": colours[str(name)], "label": str(name),
                 "ls": _LINESTYLES[names.index(str(name)) % len(_LINESTYLES)],
                 "lw": 2.6 - 1.6 * i / max(len(names) - 1, 1)}  # fmt: skip
        power_ax.plot(mean.index, mean["power_w"] / scale, **style)
        slo_ax.plot(mean.index, mean["slo_met_fraction"] * 100, **style)
    power_ax.set_ylabel(f"power ({unit})")
    power_ax.set_title("simulation: power and SLO attainment over time (mean over trials)")
    low = float(frame["slo_met_fraction"].min()) * 100
    slo_ax.set_ylim(max(0.0, min(low - 2.0, 95.0)), 100.5)  # no room above 100 %
    slo_ax.set_ylabel("requests meeting SLO (%)")
    slo_ax.set_xlabel("time (h)")
    power_ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def gap_and_time_figure(df: pd.DataFrame) -> Figure:
    """Gap to the best lower bound on the same instance (methods other than bounds) and
    solve time against problem size (admissible candidates); log axes when the values
    span more than a factor of 10."""
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    gap_ax, time_ax = fig.subplots(1, 2)
    if not _has(df, "method", "n_candidates", "seconds"):
        _empty(fig, time_ax, "")
        return _empty(fig, gap_ax, "no solve or compare results")
    df = with_gap(df)
    bounds = set(df["method"]) - set(placements(df)["method"])
    colours = method_colours(df["method"].tolist())
    markers = method_markers(df["method"].tolist())
    sizes = nested_sizes(df["method"].tolist(), 90.0, 14.0)
    for method, group in df.groupby("method"):
        style = {"color": colours[str(method)], "marker": markers[str(method)],
                 "s": sizes[str(method)], "edgecolors": "black", "linewidths": 0.4,
                 "label": str(method)}  # fmt: skip
        time_ax.scatter(group["n_candidates"], group["seconds"].clip(lower=1e-5), **style)
        g = group[group["gap"].notna()] if str(method) not in bounds else group.iloc[:0]
        if len(g):  # methods at the same gap (0 %) show as nested markers
            gap_ax.scatter(g["n_candidates"], g["gap"] * 100, **style)
    _log_if_wide(time_ax, df["n_candidates"], "x")
    _log_if_wide(time_ax, df["seconds"].clip(lower=1e-5), "y")
    time_ax.set_xlabel("problem size (admissible candidates)")
    time_ax.set_ylabel("solve time (s)")
    time_ax.set_title("solve time")
    _log_if_wide(gap_ax, df["n_candidates"], "x")
    gap_ax.set_xlabel("problem size (admissible candidates)")
    gap_ax.set_ylabel("gap to the best lower bound (%)")
    gap_ax.set_title("gap to the bound")
    if not df.loc[~df["method"].isin(bounds), "gap"].notna().any():
        gap_ax.text(
            0.5,
            0.5,
            "no method reported a lower bound\n(run lp-bound or milp too)",
            ha="center",
            va="center",
            transform=gap_ax.transAxes,
            color="grey",
        )
    time_ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def placements(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of methods that place traffic: without lower bounds (``method_kind`` ``bound``)."""
    if "method_kind" not in df.columns:
        return df
    return df[df["method_kind"] != "bound"]


def _log_if_wide(ax: Axes, values: pd.Series, axis: str) -> None:
    """A log scale on ``axis`` when the positive values span more than a factor of 10."""
    v = values[values > 0]
    if len(v) and float(v.max()) > 10 * float(v.min()):
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def _breakdown_columns(df: pd.DataFrame | None = None) -> list[str]:
    """The power columns that add up to ``power_w`` (transitions: simulations only)."""
    cols = [f"power_{t}_{k}_w" for t in BREAKDOWN_TIERS for k in ("static", "dynamic")]
    cols += ["power_network_w", "power_transitions_w"]
    return cols if df is None else [c for c in cols if c in df.columns]


def _tier_kind(column: str) -> tuple[str, str]:
    parts = column.split("_")
    return (parts[1], parts[2]) if len(parts) == 4 else (parts[1], "")


def _has(df: pd.DataFrame, *columns: str) -> bool:
    return not df.empty and all(c in df.columns for c in columns)


def _empty(fig: Figure, ax: Axes, message: str) -> Figure:
    ax.set_axis_off()
    if message:
        ax.text(0.5, 0.5, message, ha="center", va="center", color="grey")
    return fig


def _hex(rgba: tuple[float, float, float, float]) -> str:
    r, g, b = (round(255 * v) for v in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"
