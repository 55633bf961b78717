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
from slimplace.results import COLUMNS
from slimplace.study import plots
from slimplace.study.spec import SweepSpec, dump_spec
from slimplace.study.store import (
    StoreError,
    SweepStore,
    load_failures,
    load_results,
    load_series,
)
from slimplace.study.trials import count_trials

log = logging.getLogger(__name__)

#: Metrics averaged in the summary (mean and 95 % confidence half-width over seeds).
SUMMARY_METRICS = tuple(c for c in COLUMNS if c not in ("method", "status", "reason", "feasible"))

#: Confidence level of the summary's intervals.
CONFIDENCE = 0.95

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
        "dynamic: per inference; network), mean per method over its feasible trials "
        "(plans that violate a constraint are in the summary, apart).",
        lambda df, series: plots.energy_by_tier_figure(_feasible(df)),
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


def write_report(
    folder: str | Path, out_dir: str | Path | None = None, *, by: Sequence[str] | None = None
) -> Path:
    """Write ``report.html`` and ``figures/<name>.png|.svg`` under ``out_dir``
    (default ``<folder>/report``) for the sweep in ``folder``; return the HTML path.
    The summary groups by ``by`` (default :func:`default_by`: method and every axis)."""
    store = SweepStore(folder)
    spec = store.read_spec()
    out = Path(out_dir) if out_dir is not None else store.root / "report"
    df = plots.with_gap(load_results(folder))
    groups = check_by(by, df) if by is not None else default_by(spec, df)
    series = load_series(folder)
    failures = load_failures(folder)
    expected = count_trials(spec)
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
    page = _page(spec, df, table, failures, expected, sections, groups)
    path = out / "report.html"
    atomic_write_text(path, page)
    log.info("report written to %s", path)
    return path


def _feasible(df: pd.DataFrame) -> pd.DataFrame:
    """The rows whose plan the evaluator accepts (all rows when the column is absent)."""
    return df[df["feasible"].astype(bool)] if "feasible" in df.columns else df


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


def default_by(spec: SweepSpec, df: pd.DataFrame | None = None) -> list[str]:
    """What the summary groups by: ``method`` and every sweep axis but the replicate
    (the seeds, which the confidence intervals run over)."""
    names = ["method", *(a for a in spec.axes if a not in ("method", "replicate"))]
    return [n for n in names if df is None or n in df.columns]


def check_by(by: Sequence[str], df: pd.DataFrame) -> list[str]:
    """``by`` if every name is a column of ``df``; else :class:`StoreError` naming them."""
    unknown = [b for b in by if b not in df.columns]
    if unknown and not df.empty:
        known = ", ".join(c for c in df.columns if c not in SUMMARY_METRICS)
        raise StoreError(f"cannot group by {', '.join(unknown)}: not a result column; "
                         f"columns: {known}")  # fmt: skip
    return [b for b in by if b in df.columns]


def summary_table(
    df: pd.DataFrame, by: Sequence[str] = ("method",), *, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Per group of ``by`` and ``outcome``: trials, statuses, and for each of
    :data:`SUMMARY_METRICS` the mean and the half-width of its ``confidence`` interval
    over the group's trials (Student's t with n - 1 degrees of freedom: ``t * s /
    sqrt(n)``; empty with one trial). ``outcome`` keeps trials whose plan violates a
    constraint or was not found (``infeasible``) apart from the ``feasible`` ones, so
    their figures never mix."""
    if df.empty or "method" not in df.columns:
        return pd.DataFrame()
    keys = [*check_by(by, df), "outcome"]
    frame = df.assign(outcome=np.where(df["feasible"].astype(bool), "feasible", "infeasible"))
    metrics = [m for m in SUMMARY_METRICS if m in frame.columns]
    g = frame.groupby(keys, dropna=False, sort=True)
    table = pd.DataFrame({"trials": g.size()})
    if "status" in frame.columns:
        table["statuses"] = g["status"].agg(_counts)
    mean = g[metrics].mean()
    half = _half_width(g[metrics].std(ddof=1), g[metrics].count(), confidence)
    for m in metrics:
        table[m] = mean[m]
        table[f"{m}_ci95"] = half[m]
    table = table.reset_index()
    order = table["outcome"].eq("infeasible")
    sort = [order, table["power_w"]] if "power_w" in table.columns else [order]
    return table.iloc[np.lexsort([np.asarray(k) for k in reversed(sort)])].reset_index(drop=True)


def _half_width(std: pd.DataFrame, n: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Half-width of the two-sided t interval of a mean: ``t_{(1+c)/2, n-1} * s / sqrt(n)``
    (NaN for n < 2)."""
    from scipy.stats import t

    counts = n.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = t.ppf(0.5 + confidence / 2.0, np.where(counts >= 2, counts - 1, np.nan))
        half = quantile * std.to_numpy(dtype=np.float64) / np.sqrt(counts)
    return pd.DataFrame(half, index=std.index, columns=std.columns)


def _counts(values: pd.Series) -> str:
    """``"optimal 8, violates 2"``: each value with its count, most frequent first."""
    return ", ".join(f"{k} {v}" for k, v in values.value_counts().items())


def trial_table(df: pd.DataFrame, params: Sequence[str] = ()) -> pd.DataFrame:
    """Every stored row: trial id, the ``params`` columns, method and main metrics."""
    if df.empty:
        return df
    shown = [c for c in params if c in df.columns and c not in COLUMNS]
    columns = ["trial_id", *shown, *(c for c in COLUMNS if c in df.columns)]
    return df[columns]


def param_names(spec: SweepSpec) -> list[str]:
    """The parameters a spec sets, in spec order (axes last)."""
    names = [*spec.parameters, *spec.axes]
    if spec.seeds > 1:
        names.append("replicate")
    return list(dict.fromkeys(names))


#: Metrics shown as percentages.
PERCENT_METRICS = ("feasible", "slo_met", "accuracy", "gap")


def summary_text(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`summary_table` for reading: each metric as ``"mean ± half-width"`` text
    (shares in %), metrics without any value left out."""
    out = table[[c for c in table.columns if c not in SUMMARY_METRICS and not c.endswith("_ci95")]]
    out = out.copy()
    for m in SUMMARY_METRICS:
        if m not in table.columns or table[m].isna().all():
            continue
        mean, half = table[m].to_numpy(np.float64), table[f"{m}_ci95"].to_numpy(np.float64)
        out[m] = [
            _interval(a, b, percent=m in PERCENT_METRICS) for a, b in zip(mean, half, strict=True)
        ]
    return out


def _interval(mean: float, half: float, *, percent: bool) -> str:
    if not np.isfinite(mean):
        return ""
    scale, unit = (100.0, " %") if percent else (1.0, "")
    m, h = mean * scale, half * scale
    large = abs(m) >= 1000  # whole units with thousands separators, never 1.2e+04
    text = f"{m:,.0f}" if large else f"{m:,.4g}"
    if np.isfinite(h):
        text += f" ± {h:,.0f}" if large and abs(h) >= 1 else f" ± {h:,.2g}"
    return text + unit


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
        c: _percent for c in PERCENT_METRICS if c in df.columns and df[c].dtype != object
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
    by: Sequence[str],
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
        f"<h2>Summary by {html.escape(', '.join(by) or 'outcome')}</h2>",
        "<p>Mean over the trials of each group, &plusmn; the half-width of its 95 % "
        "confidence interval over seeds (Student's t); trials whose plan violates a "
        "constraint or was not found are summarised apart (outcome infeasible).</p>",
        _html_table(summary_text(summary_table(df, by))),
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
