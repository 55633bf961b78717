"""The HTML report of a sweep folder: one self-contained page (figures embedded as
base64 PNG, no external resources) plus every figure as PNG and SVG files."""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from slimplace.fsutil import atomic_write, atomic_write_text
from slimplace.study import plots
from slimplace.study.spec import SweepSpec, dump_spec
from slimplace.study.store import SweepStore, load_failures, load_results, load_series
from slimplace.study.trials import expand_trials

log = logging.getLogger(__name__)

#: Columns of the per-trial table, when present (parameters are added after the id).
TABLE_COLUMNS = (
    "method",
    "status",
    "feasible",
    "power_w",
    "energy_kwh",
    "carbon_g_per_h",
    "slo_met_fraction",
    "mean_accuracy",
    "servers_on",
    "n_candidates",
    "seconds",
    "gap",
)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: right; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.text, th.text { text-align: left; }
.scroll { max-height: 40em; overflow: auto; }
pre { background: #f7f7f7; padding: 1em; overflow: auto; }
"""


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """A figure of the report: file stem, caption, and how to draw it."""

    name: str
    caption: str
    draw: Callable[[pd.DataFrame, pd.DataFrame], Figure]


FIGURES = (
    FigureSpec(
        "energy_by_tier",
        "Energy over the horizon by tier and kind (static: servers switched on, hatched; "
        "dynamic: per inference; network), mean per method.",
        lambda df, series: plots.energy_by_tier_figure(df),
    ),
    FigureSpec(
        "pareto",
        "Mean accuracy served against energy; the dashed line joins the methods on the "
        "accuracy-energy Pareto front.",
        lambda df, series: plots.pareto_figure(df),
    ),
    FigureSpec(
        "timeseries",
        "Simulations: power and share of requests meeting their SLO over time.",
        lambda df, series: plots.timeseries_figure(series),
    ),
    FigureSpec(
        "gap_and_time",
        "Gap to the best lower bound on the same instance, and solve time, against problem "
        "size (admissible candidates).",
        lambda df, series: plots.gap_and_time_figure(df),
    ),
)


def write_report(folder: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write ``report.html`` and ``figures/<name>.png|.svg`` under ``out_dir``
    (default ``<folder>/report``) for the sweep in ``folder``; return the HTML path."""
    store = SweepStore(folder)
    spec = store.read_spec()
    out = Path(out_dir) if out_dir is not None else store.root / "report"
    df = plots.with_gap(load_results(folder))
    series = load_series(folder)
    failures = load_failures(folder)
    expected = len(expand_trials(spec))
    sections = []
    for fig_spec in FIGURES:
        if not _applies(fig_spec.name, df, series):
            continue
        fig = fig_spec.draw(df, series)
        png = _render(fig, "png")
        _write_bytes(out / "figures" / f"{fig_spec.name}.png", png)
        _write_bytes(out / "figures" / f"{fig_spec.name}.svg", _render(fig, "svg"))
        sections.append(_figure_html(fig_spec, png))
    table = trial_table(df, param_names(spec))
    page = _page(spec, df, table, failures, expected, sections)
    path = out / "report.html"
    atomic_write_text(path, page)
    log.info("report written to %s", path)
    return path


def _write_bytes(path: Path, data: bytes) -> None:
    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    atomic_write(path, write)


def _applies(name: str, df: pd.DataFrame, series: pd.DataFrame) -> bool:
    if name == "timeseries":
        return not series.empty and "time_s" in series.columns
    if df.empty or "method" not in df.columns:
        return False
    if name == "gap_and_time":  # solve times: not for simulations
        return "run" not in df.columns or bool((df["run"] != "simulate").any())
    return True


def _render(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else None
    fig.savefig(buffer, format=fmt, dpi=110, metadata=metadata)
    return buffer.getvalue()


def _figure_html(spec: FigureSpec, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = html.escape(spec.caption)
    return (
        f'<figure id="fig-{spec.name}"><img class="figure" alt="{html.escape(spec.name)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{caption} '
        f'(<a href="figures/{spec.name}.svg">SVG</a>, <a href="figures/{spec.name}.png">PNG</a>)'
        "</figcaption></figure>"
    )


def summary_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per method: trials, feasible share and means of the main metrics."""
    if df.empty or "method" not in df.columns:
        return pd.DataFrame()
    g = df.groupby("method")
    table = pd.DataFrame(
        {
            "trials": g.size(),
            "feasible": g["feasible"].mean(),
            "power_w": g["power_w"].mean(),
            "energy_kwh": g["energy_kwh"].mean(),
            "carbon_g_per_h": g["carbon_g_per_h"].mean(),
            "slo_met_fraction": g["slo_met_fraction"].mean(),
            "mean_accuracy": g["mean_accuracy"].mean(),
            "servers_on": g["servers_on"].mean(),
            "seconds": g["seconds"].mean(),
            "gap": g["gap"].mean(),
        }
    )
    return table.sort_values("power_w").reset_index()


def trial_table(df: pd.DataFrame, params: Sequence[str] = ()) -> pd.DataFrame:
    """Every stored row: trial id, the ``params`` columns, method and main metrics."""
    if df.empty:
        return df
    shown = [c for c in params if c in df.columns and c not in TABLE_COLUMNS]
    columns = ["trial_id", *shown, *(c for c in TABLE_COLUMNS if c in df.columns)]
    return df[columns]


def param_names(spec: SweepSpec) -> list[str]:
    """The parameters a spec sets, in spec order (axes last)."""
    names = [*spec.parameters, *spec.axes]
    if spec.seeds > 1:
        names.append("replicate")
    return list(dict.fromkeys(names))


def _percent(value: object) -> str:
    """A share as a percentage; a flag as yes/no."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.number) and np.isfinite(float(value)):
        return f"{float(value):.1%}"
    return ""


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p>none</p>"
    formatters: dict[str, Callable[[object], str]] = {
        c: _percent
        for c in ("feasible", "slo_met_fraction", "mean_accuracy", "gap")
        if c in df.columns and df[c].dtype != object
    }
    text = df.to_html(
        index=False,
        border=0,
        float_format=lambda v: f"{v:,.4g}",
        formatters=formatters,
        na_rep="",
        escape=True,
    )
    return text


def _page(
    spec: SweepSpec,
    df: pd.DataFrame,
    table: pd.DataFrame,
    failures: pd.DataFrame,
    expected: int,
    figures: list[str],
) -> str:
    stored = df["trial_id"].nunique() if "trial_id" in df.columns else 0
    title = f"slimplace sweep {html.escape(spec.name)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>{html.escape(spec.description)}</p>" if spec.description else "",
        f'<p id="counts">{stored} of {expected} trials stored, {len(failures)} failed, '
        f"{len(df)} result rows.</p>",
        "<h2>Summary by method</h2>",
        _html_table(summary_table(df)),
        "<h2>Figures</h2>",
        *figures,
        "<h2>Failed trials</h2>",
        _html_table(failures[["trial_id", "error_type", "message", "params_json"]]),
        "<h2>Every trial</h2>",
        f'<div class="scroll">{_html_table(table)}</div>',
        "<h2>Sweep spec</h2>",
        f"<pre>{html.escape(dump_spec(spec))}</pre>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)
