"""Tables, Pareto fronts, marginal curves and family files from a profiling run (no PyTorch).

Works on the two tables of a run (variants; energy per variant x device x
method), so a saved run can be re-plotted. Figures use matplotlib's
object API (no pyplot state).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from slimplace.fsutil import atomic_write, atomic_write_text
from slimplace.profiling.family import LOCAL_DEVICE_CLASS, build_families, dumps_family

#: Series of variants switched at run time, for the marginal curve.
SERIES = ("width", "exit")
_COLOURS = {
    "width": "tab:blue",
    "reference": "black",
    "base": "black",
    "prune": "tab:orange",
    "sparse": "tab:green",
    "int8": "tab:red",
    "exit": "tab:purple",
}


def pareto_mask(energy_j: npt.ArrayLike, accuracy: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Which points no other point beats: lower-or-equal energy and higher-or-equal accuracy,
    strictly better in one (ties in both keep the first)."""
    e = np.asarray(energy_j, dtype=np.float64)
    a = np.asarray(accuracy, dtype=np.float64)
    le = e[None, :] <= e[:, None]
    ge = a[None, :] >= a[:, None]
    strict = (e[None, :] < e[:, None]) | (a[None, :] > a[:, None])
    dominated = (le & ge & strict).any(axis=1)
    n = e.size
    same = (e[None, :] == e[:, None]) & (a[None, :] == a[:, None])
    earlier_twin = (np.tril(same, k=-1)).any(axis=1) if n else np.zeros(0, dtype=bool)
    return ~(dominated | earlier_twin)


def with_pareto(variants: pd.DataFrame, energy: pd.DataFrame) -> pd.DataFrame:
    """``energy`` with ``accuracy`` and a ``pareto`` flag per (hardware, method) group."""
    acc = variants.set_index("variant")["accuracy"]
    out = energy.assign(accuracy=energy["variant"].map(acc).to_numpy())
    flags = np.zeros(len(out), dtype=bool)
    for _, idx in out.groupby(["hardware", "method"], sort=False).indices.items():
        flags[idx] = pareto_mask(out["energy_j"].to_numpy()[idx], out["accuracy"].to_numpy()[idx])
    return out.assign(pareto=flags)


def series_variants(variants: pd.DataFrame, series: str) -> list[str]:
    """Variants of a run-time series in order of rising compute.

    ``width``: the width variants by width. ``exit``: the exit thresholds by
    threshold, then the full network the exits sit on (exits never taken).
    """
    if series == "width":
        rows = variants[variants["kind"] == "width"].sort_values("width")
        return list(rows["variant"])
    if series == "exit":
        rows = variants[variants["kind"] == "exit"].sort_values("setting")
        names = list(rows["variant"])
        parents = rows["parent"].dropna().unique()
        if names and len(parents) == 1 and parents[0] in set(variants["variant"]):
            names.append(str(parents[0]))
        return names
    raise ValueError(f"unknown series {series!r}; expected one of {', '.join(SERIES)}")


#: Name of the virtual first point of a series with ``chance``: no inference, 0 J.
NO_INFERENCE = "none"


def marginal_table(
    variants: pd.DataFrame, energy: pd.DataFrame, *, chance: float | None = None
) -> pd.DataFrame:
    """Accuracy gained per extra joule from each step of a series to the next, per device
    and method.

    ``points_per_mj`` is accuracy points (percent) per millijoule; NaN where
    the step adds no energy. With ``chance`` (1 / classes) each series starts
    from a virtual point :data:`NO_INFERENCE` at 0 J and chance accuracy, so the
    first step shows what the smallest variant buys over guessing.
    """
    acc = variants.set_index("variant")["accuracy"].to_dict()
    if chance is not None:
        acc[NO_INFERENCE] = float(chance)
    records: list[dict[str, Any]] = []
    for series in SERIES:
        names = series_variants(variants, series)
        if len(names) < 2:
            continue
        if chance is not None:
            names = [NO_INFERENCE, *names]
        sub = energy[energy["variant"].isin(names)]
        for (hardware, method), group in sub.groupby(["hardware", "method"], sort=False):
            e = group.set_index("variant")["energy_j"].to_dict()
            e[NO_INFERENCE] = 0.0
            cls = str(group["device_class"].iloc[0])
            for a, b in itertools.pairwise(names):
                gain = (float(acc[b]) - float(acc[a])) * 100.0
                added = float(e[b]) - float(e[a])
                records.append(
                    {
                        "series": series,
                        "hardware": hardware,
                        "device_class": cls,
                        "method": method,
                        "from_variant": a,
                        "to_variant": b,
                        "from_energy_j": float(e[a]),
                        "to_energy_j": float(e[b]),
                        "accuracy_gain_points": gain,
                        "energy_added_j": added,
                        "points_per_mj": gain / (added * 1e3) if added > 0 else math.nan,
                    }
                )
    return pd.DataFrame.from_records(records)


def _front(ax: Axes, e: npt.NDArray[np.float64], a: npt.NDArray[np.float64], style: str) -> None:
    mask = pareto_mask(e, a)
    order = np.argsort(e[mask])
    ax.step(
        e[mask][order],
        a[mask][order] * 100,
        where="post",
        linestyle=style,
        color="grey",
        linewidth=1,
    )


def pareto_figure(
    variants: pd.DataFrame,
    energy: pd.DataFrame,
    *,
    title: str = "",
    reference: str | None = None,
) -> Figure:
    """Accuracy against energy per inference on one reference device (``reference``, by
    default the first), both estimates, beside a table of every device.

    Filled markers: latency scaled from the local CPU; hollow: FLOPs only. Grey steps:
    the Pareto front of each estimate. The table gives, per device, the energy range of
    the scaled estimate, the size of its front and whether the front holds the same
    variants as the reference's: devices differ by a scale on energy far more often than
    in which variants are worth running, so one panel per device repeats one picture.
    """
    table = with_pareto(variants, energy)
    tech = variants.set_index("variant")["technique"]
    devices = list(dict.fromkeys(table["hardware"]))
    ref = str(reference) if reference in devices else str(devices[0])
    fig = Figure(figsize=(12.0, max(4.2, 1.6 + 0.26 * len(devices))), layout="constrained")
    ax, side = fig.subplots(1, 2, width_ratios=(1.15, 1.0))
    sub = table[table["hardware"] == ref]
    for method, style, fill in (("scaled-cpu", "-", True), ("flops", ":", False)):
        m = sub[sub["method"] == method]
        e = m["energy_j"].to_numpy(dtype=np.float64)
        a = m["accuracy"].to_numpy(dtype=np.float64)
        colours = [_COLOURS.get(str(tech[v]), "tab:gray") for v in m["variant"]]
        ax.scatter(
            e, a * 100, s=22, c=colours if fill else "none", edgecolors=colours, linewidths=0.8
        )
        _front(ax, e, a, style)
    front = sub[sub["pareto"]]["accuracy"].to_numpy(dtype=np.float64) * 100
    low = float(front.min()) - 0.5 if front.size else 0.0
    hidden = int((sub["accuracy"] * 100 < low).sum())
    ax.set_ylim(low, min(100.0, float(sub["accuracy"].max()) * 100 + 0.3))
    below = f"; {hidden} point(s) below the axis" if hidden else ""
    cls = sub["device_class"].iloc[0]
    ax.set_title(f"{ref} ({cls}){below}", fontsize=9)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(labelsize=8)
    ax.set_xlabel("energy per inference above idle (J)", fontsize=8)
    ax.set_ylabel("test accuracy (%)", fontsize=8)
    handles = [
        ax.scatter([], [], c=c, s=22, label=t) for t, c in _COLOURS.items() if t in set(tech)
    ]
    handles += [
        ax.scatter([], [], s=22, c="grey", label="scaled from CPU latency"),
        ax.scatter([], [], s=22, c="none", edgecolors="grey", label="FLOPs only"),
    ]
    ax.legend(  # below the axes, off the data
        handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=4
    )
    _device_table(side, table, ref)
    fig.suptitle(
        title
        or "Accuracy vs energy per inference (filled: scaled from measured CPU latency; "
        "hollow: FLOPs only)",
        fontsize=10,
    )
    return fig


def _device_table(ax: Axes, table: pd.DataFrame, reference: str) -> None:
    """Per device: energy range of the scaled estimate, front size, same front as the
    reference device's."""
    scaled = table[table["method"] == "scaled-cpu"]
    ref_front = set(scaled[(scaled["hardware"] == reference) & scaled["pareto"]]["variant"])
    rows = []
    for device, group in scaled.groupby("hardware", sort=False):
        front = set(group[group["pareto"]]["variant"])
        e = group["energy_j"].to_numpy(dtype=np.float64) * 1e3
        rows.append(
            [
                str(device),
                str(group["device_class"].iloc[0]),
                f"{e.min():.3g}-{e.max():.3g}" if e.size else "",
                str(len(front)),
                "reference" if device == reference else ("yes" if front == ref_front else "no"),
            ]
        )
    ax.set_axis_off()
    cells = ax.table(
        cellText=rows,
        colLabels=["device", "class", "mJ per inference", "front", "same front"],
        loc="upper center",
        cellLoc="left",
    )
    cells.auto_set_font_size(False)
    cells.set_fontsize(8)
    cells.scale(1.0, 1.25)
    cells.auto_set_column_width(list(range(5)))
    ax.set_title("every device (scaled estimate)", fontsize=9)


def marginal_figure(
    variants: pd.DataFrame,
    energy: pd.DataFrame,
    marginal: pd.DataFrame,
    *,
    hardware: str,
    n_test: int | None = None,
) -> Figure:
    """Left: accuracy against energy along each run-time series on ``hardware`` (error bars:
    binomial standard error on ``n_test`` images); right: accuracy points gained per extra
    millijoule at each step (symmetric log scale: steps within noise sit near 0)."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    acc = variants.set_index("variant")["accuracy"]
    for series, colour in (("width", "tab:blue"), ("exit", "tab:purple")):
        names = series_variants(variants, series)
        if len(names) < 2:
            continue
        a = acc.reindex(names).to_numpy(dtype=np.float64)
        err = np.sqrt(a * (1 - a) / n_test) * 100 if n_test else None
        for method, style in (("scaled-cpu", "-"), ("flops", ":")):
            sub = energy[(energy["hardware"] == hardware) & (energy["method"] == method)]
            e = sub.set_index("variant")["energy_j"].reindex(names).to_numpy() * 1e3
            left.errorbar(
                e,
                a * 100,
                yerr=err,
                fmt=style,
                marker="o",
                color=colour,
                capsize=2,
                label=f"{series} ({method})",
            )
            steps = marginal[
                (marginal["series"] == series)
                & (marginal["hardware"] == hardware)
                & (marginal["method"] == method)
            ]
            right.plot(
                steps["to_energy_j"] * 1e3,
                steps["points_per_mj"],
                style,
                marker="o",
                color=colour,
                label=f"{series} ({method})",
            )
    left.set_xlabel("energy per inference above idle (mJ)")
    left.set_ylabel("test accuracy (%)")
    left.legend(fontsize=8)
    right.set_xlabel("energy per inference at the end of the step (mJ)")
    right.set_ylabel("accuracy gained per extra mJ (points/mJ)")
    right.set_yscale("symlog", linthresh=1.0)
    right.axhline(0, color="grey", linewidth=0.8)
    right.legend(fontsize=8)
    first = (
        "; first step from chance accuracy at 0 J"
        if (not marginal.empty and (marginal["from_variant"] == NO_INFERENCE).any())
        else ""
    )
    fig.suptitle(f"Marginal accuracy per joule on {hardware}{first}", fontsize=10)
    return fig


def done_checks(variants: pd.DataFrame, info: Mapping[str, Any]) -> dict[str, Any]:
    """Key figures of a run: width 1.0 against the reference, width 0.25, int8 loss and speed-up,
    monotonicity of FLOPs and latency in width, variant count."""
    v: dict[str, dict[Any, Any]] = {str(r["variant"]): r for r in variants.to_dict("records")}
    out: dict[str, Any] = {
        "variants": len(variants),
        "techniques": sorted(set(variants["technique"])),
    }
    widths = sorted((r for r in v.values() if r["kind"] == "width"), key=lambda r: r["width"])
    if len(widths) > 1:
        for key, column in (
            ("flops", "flops"),
            ("latency_b1", "latency_b1_s"),
            ("latency_b32", "latency_b32_s"),
        ):
            values = np.array([r[column] for r in widths], dtype=np.float64)
            out[f"{key}_monotone_in_width"] = bool(np.all(np.diff(values) > 0))
    for name in ("width-1", "width-0.25", "reference"):
        if name in v:
            out[f"accuracy_{name}"] = float(v[name]["accuracy"])
    if "width-1" in v and "reference" in v:
        gap = float(v["width-1"]["accuracy"]) - float(v["reference"]["accuracy"])
        out["width_1_minus_reference_points"] = 100 * gap
    if "int8-width-1" in v and "width-1" in v:
        q, f = v["int8-width-1"], v["width-1"]
        out["int8_width_1_accuracy_change_points"] = 100 * (
            float(q["accuracy"]) - float(f["accuracy"])
        )
        out["int8_width_1_speedup_b32"] = float(f["latency_b32_s"]) / float(q["latency_b32_s"])
        out["int8_width_1_speedup_b1"] = float(f["latency_b1_s"]) / float(q["latency_b1_s"])
    for key in ("slim_train_s", "reference_train_s", "measure_s", "total_s"):
        if key in info:
            out[key] = float(info[key])
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.bool_):
        return bool(value)
    return str(value)


def _parquet_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame.to_parquet(path, index=False)

    return write


def _png_writer(fig: Figure) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        fig.savefig(path, dpi=120, format="png")

    return write


def write_outputs(
    variants: pd.DataFrame,
    energy: pd.DataFrame,
    info: Mapping[str, Any],
    out_dir: str | Path,
    *,
    family_name: str,
    marginal_hardware: str = "raspberry-pi-4",
    device_class: str = LOCAL_DEVICE_CLASS,
    task: str = "image-classification",
) -> dict[str, Path]:
    """Write tables (CSV and Parquet), figures (PNG), family files (YAML) and a summary (JSON).

    Returns the paths written, by role.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    energy_p = with_pareto(variants, energy)
    n_classes = info.get("n_classes")
    marginal = marginal_table(variants, energy, chance=1.0 / n_classes if n_classes else None)
    paths: dict[str, Path] = {}
    for stem, frame in (("variants", variants), ("energy", energy_p), ("marginal", marginal)):
        paths[f"{stem}_csv"] = out / f"{stem}.csv"
        atomic_write_text(paths[f"{stem}_csv"], frame.to_csv(index=False))
        paths[f"{stem}_parquet"] = out / f"{stem}.parquet"
        atomic_write(paths[f"{stem}_parquet"], _parquet_writer(frame))
    figures = {
        "pareto_png": ("pareto.png", pareto_figure(variants, energy, reference=marginal_hardware))
    }
    if not marginal.empty and marginal_hardware in set(energy["hardware"]):
        figures["marginal_png"] = (
            "marginal.png",
            marginal_figure(
                variants, energy, marginal, hardware=marginal_hardware, n_test=info.get("n_test")
            ),
        )
    for key, (name, fig) in figures.items():
        paths[key] = out / name
        atomic_write(paths[key], _png_writer(fig))
    source = (
        f"measured by slimplace profile on {info.get('cpu', 'local CPU')}, "
        f"torch {info.get('torch', '?')}, data {info.get('dataset', '?')}"
    )
    load = variants.set_index("variant")["load_time_s"]
    slim, every = build_families(
        variants,
        name=family_name,
        device_class=device_class,
        switch_time_s=float(info.get("switch_time_s", 1e-3)),
        load_time_s=float(load.max()),
        source=source,
        task=task,
    )
    comment = (
        f"Model family measured by `slimplace profile` ({info.get('dataset', '')}).\n"
        f"Latencies under `measured` are from this machine, device class {device_class!r}.\n"
        "Reference it from a scenario with `families: [{file: <this file>}]`."
    )
    for key, fam in (("family_slim", slim), ("family_all", every)):
        if fam is not None:
            paths[key] = out / f"{fam.name}.family.yaml"
            atomic_write_text(paths[key], dumps_family(fam, comment=comment))
    summary = {"checks": done_checks(variants, info), "info": dict(info)}
    paths["summary_json"] = out / "summary.json"
    atomic_write_text(
        paths["summary_json"], json.dumps(summary, indent=2, default=_json_default) + "\n"
    )
    return paths


def read_tables(out_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The variants and energy tables of a run written by :func:`write_outputs`."""
    out = Path(out_dir)
    return pd.read_parquet(out / "variants.parquet"), pd.read_parquet(out / "energy.parquet")


__all__ = [
    "NO_INFERENCE",
    "SERIES",
    "done_checks",
    "marginal_figure",
    "marginal_table",
    "pareto_figure",
    "pareto_mask",
    "read_tables",
    "series_variants",
    "with_pareto",
    "write_outputs",
]
