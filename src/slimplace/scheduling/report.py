"""Tables and figures of a schedule: per-piece CSV rows, a Gantt chart, the front plot.

Kept apart from the methods (matplotlib and pandas are imported here only).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.fsutil import atomic_path
from slimplace.scheduling.problem import ScheduleProblem
from slimplace.scheduling.schedule import Schedule

if TYPE_CHECKING:
    import pandas as pd

    from slimplace.scheduling.pareto import Front


def schedule_frame(problem: ScheduleProblem, schedule: Schedule) -> pd.DataFrame:
    """One row per piece: job, machine, family, variant, width, share of the work,
    start, end, accuracy and energy (compute of the piece, plus the input transfer on
    the job's first piece)."""
    import pandas as pd

    p, s = problem, schedule
    prof = p.machine_profile[s.machine]
    compute_j = (
        s.fraction
        * p.job_work[s.job]
        * p.service_s[prof, s.variant]
        * (p.machine_busy_w[s.machine])
    )
    first = np.ones(len(s.job), dtype=bool)
    first[1:] = s.job[1:] != s.job[:-1]
    network_j = np.where(first, p.network_energy_j[s.job, s.machine], 0.0)
    names = np.array(p.variant_names, dtype=object)
    return pd.DataFrame(
        {
            "job": np.array(p.job_ids, dtype=object)[s.job],
            "machine": np.array(p.machine_ids, dtype=object)[s.machine],
            "family": np.array(p.family_names, dtype=object)[p.variant_family[s.variant]],
            "variant": [n.split("/", 1)[1] for n in names[s.variant]],
            "width": p.variant_width[s.variant],
            "share": s.fraction,
            "start_s": s.start_s,
            "end_s": s.end_s,
            "release_s": p.job_release_s[s.job],
            "deadline_s": p.job_deadline_s[s.job],
            "accuracy": p.variant_accuracy[s.variant],
            "energy_j": compute_j + network_j,
        }
    )


def write_csv(problem: ScheduleProblem, schedule: Schedule, path: str | Path) -> None:
    """The per-piece table as CSV, written atomically."""
    frame = schedule_frame(problem, schedule)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def gantt(
    problem: ScheduleProblem, schedule: Schedule, path: str | Path, *, max_machines: int = 40
) -> None:
    """A Gantt chart (PNG): one row per machine (the busiest ``max_machines``), one bar
    per piece coloured by accuracy, deadlines as ticks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p, s = problem, schedule
    busy = np.bincount(s.machine, weights=s.end_s - s.start_s, minlength=p.n_machines)
    shown = np.argsort(-busy, kind="stable")[:max_machines]
    shown = np.sort(shown[busy[shown] > 0]) if (busy > 0).any() else shown[:1]
    row = np.full(p.n_machines, -1)
    row[shown] = np.arange(len(shown))
    keep = row[s.machine] >= 0
    acc = p.variant_accuracy[s.variant[keep]]
    cmap = plt.get_cmap("viridis")
    lo, hi = (float(acc.min()), float(acc.max())) if len(acc) else (0.0, 1.0)
    colour = cmap((acc - lo) / (hi - lo if hi > lo else 1.0))
    hours = 3600.0
    fig, ax = plt.subplots(figsize=(11, 1.8 + 0.4 * len(shown)))
    y = row[s.machine[keep]]
    ax.barh(
        y,
        (s.end_s[keep] - s.start_s[keep]) / hours,
        left=s.start_s[keep] / hours,
        color=colour,
        edgecolor="black",
        linewidth=0.3,
        height=0.7,
    )
    ax.plot(
        p.job_deadline_s[s.job[keep]] / hours,
        y,
        "|",
        color="red",
        markersize=12,
        markeredgewidth=1.5,
        label="deadline of a job on this row",
    )
    if keep.sum() <= 60:  # label the bars of small schedules with their job
        _label_bars(ax, s.start_s[keep] / hours, s.end_s[keep] / hours, y, colour,
                    [p.job_ids[j] for j in s.job[keep]])  # fmt: skip
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18 - 0.6 / max(len(shown), 1)),
              fontsize=8, frameon=False)  # fmt: skip
    ax.set_yticks(np.arange(len(shown)), [p.machine_ids[m] for m in shown], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time (h)")
    title = f"{p.jobset.name}: {schedule.method} ({schedule.status})"
    ax.set_title(title + (f", busiest {len(shown)} machines" if p.n_machines > len(shown) else ""))
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label="accuracy of the piece", pad=0.01)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def _label_bars(
    ax: Any, start_h: FloatArray, end_h: FloatArray, y: IntArray, colour: Any, labels: list[str]
) -> None:
    """Job names: inside a bar wide enough for them (black or white, whichever reads on
    the bar's colour), else just after its end in black, moved up or down a little when
    it would run into the previous label of the row."""
    span = max(float(np.max(end_h, initial=0.0)), 1e-9)
    char_h = 0.0068 * span  # width of one character at font size 7 on an 11-inch axis
    last_end: dict[int, float] = {}
    shift: dict[int, int] = {}
    for k in np.lexsort((start_h, y)):
        x0, x1, yy, text = float(start_h[k]), float(end_h[k]), int(y[k]), labels[k]
        rgba = colour[k]
        width = len(text) * char_h
        if x1 - x0 >= width * 1.2:
            luminance = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]
            ax.text((x0 + x1) / 2, yy, text, ha="center", va="center", fontsize=7,
                    color="black" if luminance > 0.5 else "white")  # fmt: skip
            last_end[yy] = x1
            continue
        x = x1 + 0.004 * span
        crowded = x < last_end.get(yy, -np.inf)
        shift[yy] = (shift.get(yy, 0) + 1) % 3 if crowded else 0
        dy = (0.0, -0.3, 0.3)[shift[yy]]
        ax.text(x, yy + dy, text, ha="left", va="center", fontsize=7)
        last_end[yy] = max(last_end.get(yy, -np.inf), x + width)


def front_frame(front: Front) -> pd.DataFrame:
    """The front's points as a table."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "budget_j": pt.budget_j,
                "energy_j": pt.energy_j,
                "mean_accuracy": pt.mean_accuracy,
                "status": pt.status,
                "seconds": pt.seconds,
            }
            for pt in front.points
        ]
    )


def front_plot(front: Front, path: str | Path, *, title: str = "") -> None:
    """The accuracy-energy front (PNG) with the reference schedule and the 2-point line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = np.array([pt.energy_j for pt in front.points]) / 1e6
    a = np.array([pt.mean_accuracy for pt in front.points]) * 100
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(e, a, "o-", label="front (budget sweep)")
    ref_e, ref_a = front.reference_energy_j / 1e6, front.reference_accuracy * 100
    note = "" if front.reference_feasible else ", misses deadlines"
    ax.plot([ref_e], [ref_a], "s", color="red", label=f"{front.reference_method}{note}")
    ax.axhline(ref_a - 2, color="grey", linestyle=":", label="2 points below the reference")
    saved = front.saved_at(0.02)
    if np.isfinite(saved):
        head = title + "\n" if title else ""
        ax.set_title(head + f"energy saved at -2 points (nearest swept budget): {saved:.0%}")
    ax.set_xlabel("energy (MJ)")
    ax.set_ylabel("mean accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
