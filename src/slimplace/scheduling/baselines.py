"""Baselines users would pick today.

* ``edf``: earliest deadline first, each job on the machine where it finishes
  first, uncompressed (the most accurate variant) -- list scheduling with the
  earliest-finish-time rule (Graham, *SIAM J. Appl. Math.* 17(2), 1969; Liu &
  Layland, *JACM* 20(1), 1973 for EDF).
* ``lightest``: the same, each job at the lightest variant that meets its floor.
* ``energy-greedy``: each job on the machine and variant of least energy, run in
  release order, blind to deadlines.

A baseline that misses deadlines still returns its schedule, with status
infeasible and the number of late jobs as the reason.
"""

from __future__ import annotations

import time

import numpy as np

from slimplace.plan import Status
from slimplace.scheduling.choices import (
    Choices,
    edf_rank,
    floor_choices,
    full_choices,
    pick,
    schedule_energy_j,
)
from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem
from slimplace.scheduling.schedule import Schedule, assemble, timetable


def earliest_finish(problem: ScheduleProblem, run_s: FloatArray) -> IntArray:
    """Machine of each job under EDF list scheduling with the earliest-finish rule."""
    ready = problem.ready_s
    free = np.zeros(problem.n_machines)
    machine = np.full(problem.n_jobs, -1, dtype=np.int64)
    for j in np.argsort(edf_rank(problem)):
        finish = np.maximum(free, ready[j]) + run_s[j]
        m = int(np.argmin(finish))
        if np.isfinite(finish[m]):
            machine[j] = m
            free[m] = finish[m]
    return machine


def finish(
    problem: ScheduleProblem,
    name: str,
    choices: Choices,
    machine: IntArray,
    rank: IntArray,
    t0: float,
    info: dict[str, float] | None = None,
) -> Schedule:
    """Time the machines' sequences (jobs in ``rank`` order) and report the outcome."""
    mine = pick(choices, problem, machine)
    run = np.where(machine >= 0, problem.job_work * mine.per_item_s, np.inf)
    start, end = timetable(problem, machine, run, rank)
    late = int(np.sum((machine >= 0) & (end > problem.job_deadline_s + 1e-6 * problem.horizon_s)))
    unplaced = int(np.sum(machine < 0))
    energy = schedule_energy_j(problem, machine, run)
    budget = problem.budget_j if problem.objective == "accuracy" else None
    reasons = []
    if late:
        reasons.append(f"{late} job(s) miss their deadline")
    if unplaced:
        reasons.append(f"{unplaced} job(s) fit no machine")
    if budget is not None and energy > budget * (1 + 1e-9):
        reasons.append(f"energy {energy:.4g} J exceeds the budget {budget:.4g} J")
    accuracy = float(np.sum(problem.job_utility * np.where(machine >= 0, mine.accuracy, 0.0)))
    return assemble(
        problem,
        machine,
        mine.lo,
        mine.hi,
        mine.alpha,
        np.where(machine >= 0, start, 0.0),
        method=name,
        status=Status.INFEASIBLE if reasons else Status.FEASIBLE,
        objective=energy if problem.objective == "energy" else accuracy,
        seconds=time.perf_counter() - t0,
        reason="; ".join(reasons),
        info={"energy_j": energy, "mean_accuracy": accuracy, **(info or {})},
    )


def edf_no_compression(problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
    """EDF, earliest-finish machine, the most accurate variant (no compression)."""
    t0 = time.perf_counter()
    choices = full_choices(problem)
    run, _ = choices.on_machines(problem)
    return finish(problem, "edf", choices, earliest_finish(problem, run), edf_rank(problem), t0)


def lightest(problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
    """EDF, earliest-finish machine, the lightest variant that meets each floor."""
    t0 = time.perf_counter()
    choices = floor_choices(problem)
    run, _ = choices.on_machines(problem)
    return finish(
        problem, "lightest", choices, earliest_finish(problem, run), edf_rank(problem), t0
    )


def energy_greedy(problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
    """Least-energy machine and variant per job, in release order, deadlines ignored."""
    t0 = time.perf_counter()
    choices = floor_choices(problem)
    _, energy = choices.on_machines(problem)
    machine = np.where(np.isfinite(energy).any(axis=1), np.argmin(energy, axis=1), -1)
    order = np.lexsort((np.arange(problem.n_jobs), problem.job_release_s))
    rank = np.empty(problem.n_jobs, dtype=np.int64)
    rank[order] = np.arange(problem.n_jobs)
    return finish(problem, "energy-greedy", choices, machine.astype(np.int64), rank, t0)


BASELINES = {
    "edf": edf_no_compression,
    "lightest": lightest,
    "energy-greedy": energy_greedy,
}
