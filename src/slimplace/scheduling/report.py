"""Tables and figures of a schedule: per-piece CSV rows, a Gantt chart, the front plot.

Kept apart from the methods (matplotlib and pandas are imported here only).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

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
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.32 * len(shown)))
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
    ax.plot(p.job_deadline_s[s.job[keep]] / hours, y, "|", color="red", markersize=9)
    if keep.sum() <= 60:  # label the bars of small schedules with their job
        mid = (s.start_s[keep] + s.end_s[keep]) / 2 / hours
        for x, yy, j in zip(mid, y, s.job[keep], strict=True):
            ax.text(x, yy, p.job_ids[j], ha="center", va="center", fontsize=6, color="white")
    ax.set_yticks(np.arange(len(shown)), [p.machine_ids[m] for m in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time (h)")
    title = f"{p.jobset.name}: {schedule.method} ({schedule.status})"
    ax.set_title(title + (f", busiest {len(shown)} machines" if p.n_machines > len(shown) else ""))
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label="accuracy of the piece", pad=0.01)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


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
