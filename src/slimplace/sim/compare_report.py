"""A comparison of policies (:mod:`slimplace.sim.compare`) as a rich table and one figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from slimplace.sim.compare import (
    MIN_SERVED_COMPARED,
    SLO_ATTAINMENT_COUNTED,
    Comparison,
    comparable,
    serves_all,
)


def _num(x: Any, fmt: str, unit: str = "") -> str:
    """``x`` formatted, ``-`` (without the unit) when missing or not finite; a value that
    rounds to zero is printed as 0, not -0.00."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    text = format(x, fmt)
    if text.lstrip("+-").strip("0.,") == "":
        text = format(0.0, fmt)
    return text + unit


def served_pct(fraction: float) -> str:
    """A served share in percent with one decimal, or as many more (up to four) as it
    takes not to print a share below the offered load as ``100.0 %``."""
    if not math.isfinite(fraction):
        return "-"
    for digits in range(1, 5):
        text = f"{100 * fraction:.{digits}f}"
        if serves_all({"served_fraction": fraction}) or float(text) < 100.0:
            return f"{text} %"
    return "> 99.9999 %"


def dropped_note(c: Comparison) -> str:
    """'' when every policy served the offered load; else which did not, how their fixed
    part is counted, and which of them still get a saving and regret (those serving at
    least :data:`~slimplace.sim.compare.MIN_SERVED_COMPARED`, on a plan-dependent energy
    that is if anything overstated) and which get none."""
    short = c.dropping()
    if not short:
        return ""
    listed = ", ".join(f"{name} {served_pct(v)}" for name, v in short.items())
    kept = [name for name in short if comparable(c.rows[name])]
    left = [name for name in short if name not in kept]
    parts = [
        f"served less than the offered load: {listed}. Their fixed part counts only what "
        "they served (servers, links, least unavoidable radio per served request), so "
        "their plan-dependent energy is if anything overstated and not comparable with the "
        "lower bound, which holds for a policy serving every request"
    ]
    if kept:
        parts.append(
            f"{', '.join(kept)} served at least {100 * MIN_SERVED_COMPARED:g} % and keep "
            "their saving and regret on that energy (if anything understated)"
        )
    if left:
        parts.append(f"no saving or regret is given for {', '.join(left)}")
    return "; ".join(parts)


def slo_note(c: Comparison) -> str:
    """'' unless some policy other than hindsight attains less than
    :data:`~slimplace.sim.compare.SLO_ATTAINMENT_COUNTED` of its requests within the SLO;
    else which, and that a saving bought with late requests is not counted."""
    low = {
        name: row["slo_attainment"]
        for name, row in c.rows.items()
        if name != "hindsight"
        and row.get("slo_attainment") is not None
        and row["slo_attainment"] < SLO_ATTAINMENT_COUNTED
    }
    if not low:
        return ""
    listed = ", ".join(f"{name} {100 * v:.1f} %" for name, v in low.items())
    return (
        f"SLO attainment below {100 * SLO_ATTAINMENT_COUNTED:g} %: {listed}; a saving bought "
        "with late requests is not counted (the best online policy needs at least "
        f"{100 * SLO_ATTAINMENT_COUNTED:g} %)"
    )


def hindsight_note(c: Comparison) -> str:
    """'' unless some policy's regret against hindsight is negative (below -0.005 %, so
    printed as such); else which, and that hindsight is then no lower bound."""
    below = [
        name
        for name, row in c.rows.items()
        if row.get("regret_pct") is not None and row["regret_pct"] <= -0.005
    ]
    if not below:
        return ""
    return (
        f"negative regret: {', '.join(below)} used less plan-dependent energy than hindsight, "
        "whose plans come from its own planning method (--hindsight-method) and are no lower "
        "bound; the proven lower bound is in the title"
    )


def _title(c: Comparison) -> str:
    """The table's title: horizon, fixed part, bound and ceiling on savings, each said
    for whom it holds."""
    head = (
        f"{c.scenario} / {Path(c.trace).name}: {c.horizon_s / 3600:g} h in steps of {c.step_s:g} s"
    )
    fixed = f"fixed {c.fixed_kwh:,.2f} kWh (drawn whatever the plan"
    bound = f"plan-dependent >= {c.lower_bound_kwh:,.3f} kWh for any policy"
    if not c.dropping():
        return (
            f"{head}; {fixed}); {bound} (proven), so at most "
            f"{_num(c.max_saving_pct(), '.1f')} % to save against static-peak"
        )
    peak = c.rows.get("static-peak")
    ceiling = (
        f"so at most {_num(c.max_saving_pct(), '.1f')} % to save against static-peak"
        if peak is not None and serves_all(peak)
        else "no ceiling on savings (static-peak did not serve every request)"
    )
    return (
        f"{head}; {fixed} when every request is served); {bound} serving every request "
        f"(proven), {ceiling}"
    )


def comparison_table(c: Comparison) -> Table:
    """One row per policy: energy (total, plan-dependent), saving against static-peak and
    regret against hindsight (both on the plan-dependent part), SLO attainment, accuracy,
    switches, wake-ups, seconds."""
    table = Table(title=_title(c))
    for col in (
        "policy",
        "served",
        "energy kWh",
        "plan-dep. kWh",
        "servers kWh",
        "saving vs static-peak",
        "regret vs hindsight",
        "SLO attainment",
        "accuracy",
        "switches",
        "wake-ups",
        "seconds",
    ):
        table.add_column(col, justify="left" if col == "policy" else "right")
    note = "; ".join(n for n in (dropped_note(c), slo_note(c), hindsight_note(c)) if n)
    if note:
        table.caption = note
    for name, row in c.rows.items():
        table.add_row(
            name,
            served_pct(row["served_fraction"]),
            _num(row["energy_kwh"], ",.2f"),
            _num(row["plan_energy_kwh"], ",.3f"),
            _num(row.get("servers_static_kwh"), ",.3f"),
            _num(row.get("saving_vs_static_peak_pct"), "+.2f", " %"),
            _num(row.get("regret_pct"), "+.2f", " %"),
            _num(100 * row["slo_attainment"], ".4f", " %"),
            _num(100 * row["mean_accuracy"], ".2f", " %"),
            str(row["switches"]),
            str(row["wakeups"]),
            _num(row["seconds"], ",.1f"),
        )
    return table


def plot_power(c: Comparison, path: Path) -> Path:
    """Plan-dependent power over time, one line per policy, on one figure (PNG/SVG/PDF
    by the suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.5))
    for name, power in c.power_w.items():
        hours = np.arange(len(power)) * c.step_s / 3600.0
        ax.plot(hours, power, lw=0.9, label=name, drawstyle="steps-post")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("plan-dependent power (W)")
    ax.set_ylim(0, None)
    ax.set_title(
        f"{c.scenario} / {Path(c.trace).name}: plan-dependent power "
        f"(+ {c.fixed_kwh / (c.horizon_s / 3600) * 1000:,.0f} W fixed)"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
