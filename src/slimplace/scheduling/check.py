"""The independent checker: is a schedule valid, and what does it cost?

It reads only the schedule's pieces and the instance's primitive arrays (work,
service time per profile and variant, power, transfer), never what a method
computed or reported: run times, accuracies and energy are recomputed from the
model of :mod:`slimplace.scheduling.problem`. Checked: every job scheduled once
(shares sum to 1, one machine, an admissible machine and a variant of its
family), release plus transfer before the start, the deadline after the end,
each piece long enough for its work, one piece at a time per machine, accuracy
floors, and the energy budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.evaluate import Violation
from slimplace.scheduling.problem import FloatArray, ScheduleProblem
from slimplace.scheduling.schedule import Schedule


@dataclass(frozen=True, eq=False)
class ScheduleCheck:
    """What the checker found. Energies in J, accuracy as a fraction, times in s."""

    feasible: bool
    violations: tuple[Violation, ...]
    energy_j: float
    compute_energy_j: float
    network_energy_j: float
    static_energy_j: float
    mean_accuracy: float
    job_accuracy: FloatArray
    job_end_s: FloatArray
    makespan_s: float
    late_jobs: int
    unscheduled_jobs: int

    def objective(self, objective: str) -> float:
        """Energy (J) or mean accuracy, whichever ``objective`` names."""
        return self.energy_j if objective == "energy" else self.mean_accuracy


def _tolerance(problem: ScheduleProblem) -> float:
    return 1e-6 * max(1.0, problem.horizon_s)


def check_schedule(
    problem: ScheduleProblem, schedule: Schedule, *, budget_j: float | None = None
) -> ScheduleCheck:
    """Verify ``schedule`` and recompute its energy and accuracy.

    ``budget_j`` defaults to the problem's budget when its objective is accuracy.
    """
    p, s = problem, schedule
    if budget_j is None and p.objective == "accuracy":
        budget_j = p.budget_j
    tol = _tolerance(p)
    found: list[Violation] = []
    n_j, n_m, n_v = p.n_jobs, p.n_machines, len(p.variant_names)
    valid = (
        (s.job >= 0) & (s.job < n_j) & (s.machine >= 0) & (s.machine < n_m)
        & (s.variant >= 0) & (s.variant < n_v) & (s.fraction >= -1e-12)
    )  # fmt: skip
    for i in np.nonzero(~valid)[0][:5]:
        found.append(Violation("index", f"piece {i}", "job, machine or variant out of range"))
    job, mach, var = s.job[valid], s.machine[valid], s.variant[valid]
    frac, start, end = s.fraction[valid], s.start_s[valid], s.end_s[valid]
    ids, mids = p.job_ids, p.machine_ids

    def add(kind: str, rows: np.ndarray, message: str, names: tuple[str, ...] = ids) -> None:
        for r in rows[:20]:
            found.append(Violation(kind, names[int(r)], message))
        if len(rows) > 20:
            found.append(Violation(kind, "...", f"and {len(rows) - 20} more"))

    wrong_family = p.variant_family[var] != p.job_family[job]
    add("variant", job[wrong_family], "variant of another family")
    add("machine", job[~p.admissible[job, mach]], "machine cannot run this job")
    share = np.bincount(job, weights=frac, minlength=n_j)
    count = np.bincount(job, minlength=n_j)
    add("unscheduled", np.nonzero(count == 0)[0], "not scheduled")
    add(
        "share", np.nonzero((count > 0) & (np.abs(share - 1.0) > 1e-6))[0], "shares do not sum to 1"
    )
    first_machine = np.full(n_j, -1)
    first_machine[job[::-1]] = mach[::-1]
    add("machine", np.unique(job[mach != first_machine[job]]), "pieces on several machines")

    prof = p.machine_profile[mach]
    need_s = frac * p.job_work[job] * p.service_s[prof, var]
    add("duration", job[end - start < need_s - tol], "piece shorter than its work needs")
    ready = p.job_release_s[job] + p.transfer_s[job, mach]
    add("release", np.unique(job[start < ready - tol]), "starts before its input is ready")
    late = end > p.job_deadline_s[job] + tol
    add("deadline", np.unique(job[late]), "ends after its deadline")
    order = np.lexsort((start, mach))
    same = mach[order][1:] == mach[order][:-1]
    clash = same & (start[order][1:] < end[order][:-1] - tol)
    add("overlap", np.unique(mach[order][1:][clash]), "two pieces at once", mids)

    weighted = np.bincount(job, weights=frac * p.variant_accuracy[var], minlength=n_j)
    accuracy = np.where(share > 0, weighted / np.where(share > 0, share, 1.0), 0.0)
    add("floor", np.nonzero((count > 0) & (accuracy < p.job_floor - 1e-9))[0], "below its floor")
    compute = float(np.sum(need_s * p.machine_busy_w[mach]))
    has = first_machine >= 0
    network = float(np.sum(p.network_energy_j[np.nonzero(has)[0], first_machine[has]]))
    energy = compute + network + p.static_energy_j
    if budget_j is not None and energy > budget_j * (1 + 1e-9) + 1e-6:
        found.append(
            Violation("budget", "all", f"{energy:.6g} J exceeds the budget {budget_j:.6g} J")
        )
    job_end = np.full(n_j, np.nan)
    if len(job):
        ends = np.full(n_j, -np.inf)
        np.maximum.at(ends, job, end)
        job_end = np.where(count > 0, ends, np.nan)
    return ScheduleCheck(
        feasible=not found,
        violations=tuple(found),
        energy_j=energy,
        compute_energy_j=compute,
        network_energy_j=network,
        static_energy_j=p.static_energy_j,
        mean_accuracy=float(np.sum(p.job_utility * accuracy)),
        job_accuracy=accuracy,
        job_end_s=job_end,
        makespan_s=float(np.nanmax(job_end)) if has.any() else 0.0,
        late_jobs=len(np.unique(job[late])),
        unscheduled_jobs=int(np.sum(count == 0)),
    )
