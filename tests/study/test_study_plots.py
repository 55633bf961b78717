"""Sweep figures: pure functions of a frame; the Pareto mask; gaps from shared bounds."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from slimplace.study import plots


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for trial in range(6):
        for method, scale in (("a", 1.0), ("b", 1.5), ("lp-bound", 0.9)):
            row = {
                "trial_id": f"t{trial}",
                "instance_id": f"i{trial % 3}",
                "method": method,
                "feasible": method != "lp-bound",
                "objective_value": 100.0 * scale,
                "bound": 90.0 if method == "lp-bound" else np.nan,
                "gap": np.nan,
                "energy_kwh": 0.1 * scale,
                "accuracy": 0.7 + 0.01 * rng.random(),
                "n_candidates": 100 * (trial + 1),
                "seconds": 0.01 * (trial + 1),
                "horizon_s": 3600.0,
                "power_w": 100.0 * scale,
            }
            for col in plots._breakdown_columns():
                row[col] = row["power_w"] / len(plots._breakdown_columns())
            rows.append(row)
    return pd.DataFrame(rows)


def test_figures_are_figures_and_do_not_touch_the_frame() -> None:
    df = _frame()
    copy = df.copy()
    for draw in (plots.energy_by_tier_figure, plots.pareto_figure, plots.gap_and_time_figure):
        fig = draw(df)
        assert isinstance(fig, Figure) and fig.axes
    pd.testing.assert_frame_equal(df, copy)


def test_figures_of_empty_frames_say_so() -> None:
    for draw in (
        plots.energy_by_tier_figure,
        plots.pareto_figure,
        plots.gap_and_time_figure,
        plots.timeseries_figure,
    ):
        fig = draw(pd.DataFrame())
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any(texts)


def test_timeseries_figure_draws_one_line_per_method() -> None:
    t = np.arange(0, 6 * 3600, 900.0)
    series = pd.concat(
        pd.DataFrame(
            {
                "trial_id": f"t{m}",
                "method": m,
                "time_s": t,
                "power_w": 100 + 10 * np.sin(t / 3600),
                "slo_met_fraction": 0.99,
            }
        )
        for m in ("static", "reactive")
    )
    fig = plots.timeseries_figure(series)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]


def test_energy_figure_stacks_to_the_mean_energy() -> None:
    df = _frame()
    ax = plots.energy_by_tier_figure(df).axes[0]
    tops = {}
    for patch in ax.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    expected = sorted((df.groupby("method")["power_w"].mean() * 3600 / 3.6e6).tolist())
    np.testing.assert_allclose(sorted(tops.values()), expected)


def test_gap_is_filled_from_the_best_bound_of_the_same_instance() -> None:
    out = plots.with_gap(_frame())
    a = out[out["method"] == "a"]
    np.testing.assert_allclose(a["gap"], (100 - 90) / 100)
    assert out.loc[out["method"] == "lp-bound", "gap"].isna().all()  # infeasible: no gap


def test_pareto_mask_small_case() -> None:
    cost = [1.0, 2.0, 3.0, 2.0, 1.0]
    benefit = [0.5, 0.7, 0.6, 0.7, 0.4]
    assert plots.pareto_mask(cost, benefit).tolist() == [True, True, False, False, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=30))
def test_pareto_mask_matches_the_definition(points: list[tuple[int, int]]) -> None:
    cost = np.array([p[0] for p in points], dtype=float)
    benefit = np.array([p[1] for p in points], dtype=float)
    mask = plots.pareto_mask(cost, benefit)
    for i in range(len(points)):
        dominated = np.any(
            (cost <= cost[i])
            & (benefit >= benefit[i])
            & ((cost < cost[i]) | (benefit > benefit[i]))
        )
        if dominated:
            assert not mask[i]
    # among exact duplicates on the front, exactly one is kept
    front = {points[i] for i in range(len(points)) if mask[i]}
    assert mask.sum() == len(front)
    for p in set(points):
        i = points.index(p)
        c, b = cost[i], benefit[i]
        if not np.any((cost <= c) & (benefit >= b) & ((cost < c) | (benefit > b))):
            assert p in front


def test_method_colours_are_stable() -> None:
    a = plots.method_colours(["b", "a", "c"])
    assert a == plots.method_colours(["c", "b", "a", "a"])
    assert len(set(a.values())) == 3
