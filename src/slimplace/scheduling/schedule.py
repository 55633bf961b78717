"""A schedule: pieces of jobs on machines with times, and the helpers that build one.

A piece is (job, machine, variant, share of the job's work, start, end). An
unsplit job is one piece; a split job is two pieces back to back on one machine
(the lighter variant first). Methods decide, per job, a machine and a *choice*
``(lo, hi, alpha)``: a share ``alpha`` of the work at variant ``hi``, the rest at
``lo`` (``alpha = 0``: variant ``lo`` only). Jobs on a machine run in a fixed
order; :func:`sequence_times` gives each its earliest start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slimplace.plan import Status
from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem

__all__ = [
    "Schedule",
    "Status",
    "assemble",
    "empty_schedule",
    "sequence_times",
    "timetable",
]


@dataclass(frozen=True, eq=False)
class Schedule:
    """Pieces of jobs on machines, and how the method that made them ended.

    ``objective`` and ``bound`` are what the method reported (J for the energy
    objective, mean accuracy for the accuracy objective); the checker
    (:func:`slimplace.scheduling.check.check_schedule`) recomputes everything.
    """

    job: IntArray
    machine: IntArray
    variant: IntArray
    fraction: FloatArray
    start_s: FloatArray
    end_s: FloatArray
    method: str
    status: Status = Status.FEASIBLE
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0
    reason: str = ""
    info: dict[str, float] = field(default_factory=dict)

    @property
    def n_pieces(self) -> int:
        """Number of pieces."""
        return len(self.job)


def empty_schedule(method: str, status: Status, reason: str, seconds: float = 0.0) -> Schedule:
    """A schedule without pieces (no solution found)."""
    none = np.zeros(0, dtype=np.int64)
    zero = np.zeros(0)
    return Schedule(none, none, none, zero, zero, zero, method, status, None, None, seconds, reason)


def sequence_times(ready_s: FloatArray, run_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Start and end of jobs run one after another in the given order, each as early as
    its ready time and the previous job allow.

    ``end_i = max(end_{i-1}, ready_i) + run_i`` unrolls to the max-plus form
    ``end_i = C_i + max_{k<=i}(ready_k - C_{k-1})`` with ``C`` the cumulative run
    time (Baccelli et al., *Synchronization and Linearity*, 1992, ch. 3), which is
    one cumulative maximum in numpy.
    """
    c = np.cumsum(run_s)
    end = c + np.maximum.accumulate(ready_s - (c - run_s))
    start = np.maximum(end - run_s, ready_s)
    return start, start + run_s


def timetable(
    problem: ScheduleProblem, machine: IntArray, run_s: FloatArray, rank: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Start and end of every job when each machine runs its jobs in increasing ``rank``."""
    n = problem.n_jobs
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    placed = np.nonzero(machine >= 0)[0]
    order = placed[np.lexsort((rank[placed], machine[placed]))]
    ready = problem.ready_s[order, machine[order]]
    cuts = np.nonzero(np.diff(machine[order]))[0] + 1
    for seg in np.split(np.arange(len(order)), cuts):
        if len(seg):
            s, e = sequence_times(ready[seg], run_s[order[seg]])
            start[order[seg]], end[order[seg]] = s, e
    return start, end


def assemble(
    problem: ScheduleProblem,
    machine: IntArray,
    lo: IntArray,
    hi: IntArray,
    alpha: FloatArray,
    start_s: FloatArray,
    *,
    method: str,
    status: Status = Status.FEASIBLE,
    objective: float | None = None,
    bound: float | None = None,
    seconds: float = 0.0,
    reason: str = "",
    info: dict[str, float] | None = None,
) -> Schedule:
    """Pieces from per-job decisions; unplaced jobs (``machine < 0``) get no piece."""
    placed = np.nonzero(machine >= 0)[0]
    a = np.where(alpha[placed] >= 1.0 - 1e-12, 0.0, alpha[placed])
    low = np.where(alpha[placed] >= 1.0 - 1e-12, hi[placed], lo[placed])
    m = machine[placed]
    prof = problem.machine_profile[m]
    work = problem.job_work[placed]
    run_lo = (1.0 - a) * work * problem.service_s[prof, low]
    run_hi = a * work * problem.service_s[prof, hi[placed]]
    two = a > 1e-12
    start = start_s[placed]
    job = np.concatenate([placed, placed[two]])
    order = np.argsort(job, kind="stable")
    pieces = {
        "job": job,
        "machine": np.concatenate([m, m[two]]),
        "variant": np.concatenate([low, hi[placed][two]]),
        "fraction": np.concatenate([1.0 - a, a[two]]),
        "start_s": np.concatenate([start, start[two] + run_lo[two]]),
        "end_s": np.concatenate([start + run_lo, start[two] + run_lo[two] + run_hi[two]]),
    }
    return Schedule(
        job=pieces["job"][order].astype(np.int64),
        machine=pieces["machine"][order].astype(np.int64),
        variant=pieces["variant"][order].astype(np.int64),
        fraction=pieces["fraction"][order],
        start_s=pieces["start_s"][order],
        end_s=pieces["end_s"][order],
        method=method,
        status=status,
        objective=objective,
        bound=bound,
        seconds=seconds,
        reason=reason,
        info=dict(info or {}),
    )
