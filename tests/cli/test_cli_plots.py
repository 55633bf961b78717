"""Plots of issue 13, section 5: what each shows (static power split, servers on from 0,
SLO target line, legends outside the data, gantt legend, one-panel profile Pareto with a
device table, methods at the same point kept visible)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.sim import report as sim_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_static_split_separates_the_least_static_power_of_the_run() -> None:
    static = np.array([120.0, 100.0, 150.0, 100.0])
    fixed, switched = sim_report.static_split(static)
    assert fixed.tolist() == [100.0] * 4
    assert switched.tolist() == [20.0, 0.0, 50.0, 0.0]
    np.testing.assert_allclose(fixed + switched, static)


def test_simulation_plots_show_the_split_servers_from_zero_and_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sim"
    args = ["simulate", str(EXAMPLES / "minimal.yaml"), "--horizon", "2h", "--step", "1min"]
    assert CliRunner().invoke(app, [*args, "-o", str(out), "--no-plots"]).exit_code == 0
    saved: dict[str, object] = {}

    def keep(fig: object, path: Path) -> Path:
        saved[path.name] = fig
        return path

    monkeypatch.setattr(sim_report, "_save", keep)
    files = sim_report.plot_records(out / "steps.parquet", out, slo_target=0.99)
    assert [f.name for f in files] == ["power.png", "slo.png", "variants.png"]
    power_ax, servers_ax = saved["power.png"].axes  # type: ignore[attr-defined]
    labels = power_ax.get_legend().get_texts()
    texts = [t.get_text() for t in labels]
    assert any(t.startswith("static, never switched") for t in texts)
    assert any(t.startswith("static the policy switches") for t in texts)
    assert servers_ax.get_ylim()[0] == 0
    (slo_ax,) = saved["slo.png"].axes  # type: ignore[attr-defined]
    assert "target 99 %" in [t.get_text() for t in slo_ax.get_legend().get_texts()]
    assert any(np.allclose(line.get_ydata(), 99.0) for line in slo_ax.get_lines())
    (mix_ax,) = saved["variants.png"].axes  # type: ignore[attr-defined]
    anchor = mix_ax.get_legend().get_bbox_to_anchor().transformed(mix_ax.transAxes.inverted())
    assert anchor.x0 > 1.0  # the legend sits right of the axes, not over the data
    plt.close("all")


def test_gantt_puts_deadlines_in_the_legend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    from slimplace.scheduling import compile_jobs, default_schedulers, load_jobs
    from slimplace.scheduling.report import gantt

    problem = compile_jobs(load_jobs(EXAMPLES / "jobs-small.yaml"))
    schedule = default_schedulers().create("heuristic").solve(problem, seed=0)
    figures: list[Figure] = []
    real = Figure.savefig

    def spy(self: Figure, *args: object, **kwargs: object) -> None:
        figures.append(self)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Figure, "savefig", spy)
    gantt(problem, schedule, tmp_path / "gantt.png")
    ax = figures[0].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["deadline of a job on this row"]
    labels = [t for t in ax.texts if t.get_text() in problem.job_ids]
    assert labels and all(t.get_fontsize() >= 7 for t in labels)
    assert (tmp_path / "gantt.png").stat().st_size > 0


def _profile_frames(n_devices: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    variants = pd.DataFrame(
        {
            "variant": ["w25", "w50", "w100", "int8"],
            "technique": ["width", "width", "width", "int8"],
            "accuracy": [0.90, 0.95, 0.97, 0.965],
        }
    )
    base = {"w25": 1e-4, "w50": 3e-4, "w100": 1e-3, "int8": 5e-4}
    rows = [
        {
            "hardware": f"dev-{d}",
            "device_class": f"c{d}",
            "method": method,
            "variant": v,
            "energy_j": e * (d + 1) * (1.3 if method == "flops" else 1.0),
        }
        for d in range(n_devices)
        for method in ("scaled-cpu", "flops")
        for v, e in base.items()
    ]
    return variants, pd.DataFrame(rows)


def test_profile_pareto_is_one_panel_with_a_device_table() -> None:
    from slimplace.profiling.report import pareto_figure

    variants, energy = _profile_frames(12)
    fig = pareto_figure(variants, energy, reference="dev-3")
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 1 and panels[0].get_title().startswith("dev-3 (c3)")
    (table,) = [t for ax in fig.axes for t in ax.tables]
    cells = table.get_celld()
    column = [cells[(r, 4)].get_text().get_text() for r in range(1, 13)]
    # every device's energies are a multiple of the reference's: the same front
    assert column.count("reference") == 1 and column.count("yes") == 11
    assert cells[(1, 0)].get_text().get_text() == "dev-0"


def test_study_methods_at_the_same_point_get_distinct_markers_and_sizes() -> None:
    from slimplace.study import plots

    names = ["milp", "greedy", "lp-round", "decomposed"]
    markers = plots.method_markers(names)
    sizes = plots.nested_sizes(names, 200.0, 40.0)
    assert len(set(markers.values())) == 4
    ordered = [sizes[m] for m in sorted(names)]
    assert ordered == sorted(ordered, reverse=True) and ordered[0] == 200.0
    df = pd.DataFrame(
        {
            "method": names,
            "method_kind": ["exact", "heuristic", "heuristic", "heuristic"],
            "energy_kwh": [1.0] * 4,
            "accuracy": [0.7] * 4,
            "feasible": [True] * 4,
        }
    )
    fig = plots.pareto_figure(df)
    means = [c for c in fig.axes[0].collections if c.get_label() in names]
    drawn = {float(c.get_sizes()[0]) for c in means}
    assert len(drawn) == 4  # four sizes: nested, none hidden behind another


def test_study_time_series_draw_each_policy_in_its_own_style() -> None:
    from slimplace.study import plots

    hours = np.arange(4) * 3600.0
    series = pd.DataFrame(
        {
            "policy": np.repeat(["static", "reactive", "consolidate"], 4),
            "time_s": np.tile(hours, 3),
            "power_w": 10.0,  # every policy on the same curve
            "slo_met_fraction": 1.0,
        }
    )
    fig = plots.timeseries_figure(series)
    power_ax, slo_ax = fig.axes[:2]
    styles = {(line.get_linestyle(), line.get_linewidth()) for line in power_ax.get_lines()}
    assert len(styles) == 3
    assert slo_ax.get_ylim()[1] == pytest.approx(100.5)
