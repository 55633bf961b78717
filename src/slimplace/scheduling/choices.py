"""Per (job, profile) variant choices every method starts from, vectorized over jobs.

* :func:`floor_choices`: the cheapest way to meet each job's accuracy floor. On a
  profile, time and energy grow with service time, so it is the fastest Pareto
  option at or above the floor; a splittable job instead mixes the two hull
  vertices around the floor so that its mean accuracy equals the floor exactly
  (the minimum of a linear cost over the concave hull's epigraph, which is where
  a continuous width would sit).
* :func:`full_choices`: no compression, the most accurate option.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem


@dataclass(frozen=True, eq=False)
class Choices:
    """Per (job, profile): variants ``lo`` and ``hi``, share ``alpha`` of the work at
    ``hi``, service seconds per inference and mean accuracy (inf/-1 where none fits)."""

    lo: IntArray
    hi: IntArray
    alpha: FloatArray
    per_item_s: FloatArray
    accuracy: FloatArray

    def on_machines(self, problem: ScheduleProblem) -> tuple[FloatArray, FloatArray]:
        """Run time (J, M) and energy (J, M) of each job's choice on every machine,
        inf where the machine cannot run it."""
        per = self.per_item_s[:, problem.machine_profile]
        run = np.where(problem.admissible, problem.job_work[:, None] * per, np.inf)
        energy = run * problem.machine_busy_w[None, :] + problem.network_energy_j
        return run, np.where(problem.admissible, energy, np.inf)


def _empty(problem: ScheduleProblem) -> Choices:
    shape = (problem.n_jobs, len(problem.profile_names))
    return Choices(
        lo=np.full(shape, -1, dtype=np.int64),
        hi=np.full(shape, -1, dtype=np.int64),
        alpha=np.zeros(shape),
        per_item_s=np.full(shape, np.inf),
        accuracy=np.full(shape, -1.0),
    )


def _groups(problem: ScheduleProblem) -> list[tuple[int, int, IntArray, IntArray, IntArray]]:
    """(profile, family, jobs of the family, Pareto options, hull options) for every pair."""
    out = []
    for f in range(len(problem.family_names)):
        jobs = np.nonzero(problem.job_family == f)[0]
        if not len(jobs):
            continue
        for p in range(len(problem.profile_names)):
            opt = problem.option_variant[p, f]
            hull = opt[(opt >= 0) & problem.option_hull[p, f]]
            out.append((p, f, jobs, opt[opt >= 0], hull))
    return out


def floor_choices(problem: ScheduleProblem, level: float = 0.0) -> Choices:
    """The cheapest choice meeting each job's floor on each profile (see module doc).

    With ``level`` in (0, 1] the target is ``floor + level * (best - floor)`` instead
    (``best``: the family's most accurate variant; capped at what the profile runs).
    """
    c = _empty(problem)
    acc_all = problem.variant_accuracy
    best = np.zeros(len(problem.family_names))
    np.maximum.at(best, problem.variant_family, acc_all)
    for p, _, jobs, opt, hull in _groups(problem):
        if not len(opt):
            continue
        ok = problem.job_floor[jobs] <= acc_all[opt[-1]] + 1e-12
        floor = problem.job_floor[jobs]
        floor = np.minimum(
            floor + level * (best[problem.job_family[jobs]] - floor), acc_all[opt[-1]]
        )
        k = np.searchsorted(acc_all[opt], floor - 1e-12, side="left")
        kk = np.minimum(k, len(opt) - 1)
        lo = np.where(ok, opt[kk], -1)
        hi, alpha = lo.copy(), np.zeros(len(jobs))
        split = problem.job_split[jobs]
        if len(hull) and split.any():
            acc_h = acc_all[hull]
            kh = np.searchsorted(acc_h, floor - 1e-12, side="left")
            inside = split & (kh > 0) & (kh < len(hull))
            top = np.minimum(kh, len(hull) - 1)
            below = np.maximum(kh - 1, 0)
            a_lo, a_hi = acc_h[below], acc_h[top]
            mix = np.clip((floor - a_lo) / np.where(a_hi > a_lo, a_hi - a_lo, 1.0), 0.0, 1.0)
            lo = np.where(inside, hull[below], lo)
            hi = np.where(inside, hull[top], hi)
            alpha = np.where(inside, mix, alpha)
        s = problem.service_s[p]
        per = (1 - alpha) * s[np.maximum(lo, 0)] + alpha * s[np.maximum(hi, 0)]
        acc = (1 - alpha) * acc_all[np.maximum(lo, 0)] + alpha * acc_all[np.maximum(hi, 0)]
        c.lo[jobs, p], c.hi[jobs, p], c.alpha[jobs, p] = lo, hi, alpha
        c.per_item_s[jobs, p] = np.where(ok, per, np.inf)
        c.accuracy[jobs, p] = np.where(ok, acc, -1.0)
    return c


def full_choices(problem: ScheduleProblem) -> Choices:
    """The most accurate option of each job's family on each profile (no compression)."""
    c = _empty(problem)
    for p, _, jobs, opt, _ in _groups(problem):
        if not len(opt):
            continue
        top = opt[-1]
        c.lo[jobs, p] = top
        c.hi[jobs, p] = top
        c.per_item_s[jobs, p] = problem.service_s[p, top]
        c.accuracy[jobs, p] = problem.variant_accuracy[top]
    return c


def pick(choices: Choices, problem: ScheduleProblem, machine: IntArray) -> Choices:
    """Each job's choice on its machine (one entry per job; -1 machine gives -1 variants)."""
    rows = np.arange(problem.n_jobs)
    prof = problem.machine_profile[np.maximum(machine, 0)]
    placed = machine >= 0
    return Choices(
        lo=np.where(placed, choices.lo[rows, prof], -1),
        hi=np.where(placed, choices.hi[rows, prof], -1),
        alpha=np.where(placed, choices.alpha[rows, prof], 0.0),
        per_item_s=np.where(placed, choices.per_item_s[rows, prof], np.inf),
        accuracy=np.where(placed, choices.accuracy[rows, prof], -1.0),
    )


def edf_rank(problem: ScheduleProblem) -> IntArray:
    """Position of each job in earliest-deadline-first order (ties: release, then index)."""
    order = np.lexsort((np.arange(problem.n_jobs), problem.job_release_s, problem.job_deadline_s))
    rank = np.empty(problem.n_jobs, dtype=np.int64)
    rank[order] = np.arange(problem.n_jobs)
    return rank


def schedule_energy_j(problem: ScheduleProblem, machine: IntArray, run_s: FloatArray) -> float:
    """Energy of placed jobs: compute plus input transfer plus the idle constant."""
    placed = machine >= 0
    m = machine[placed]
    rows = np.nonzero(placed)[0]
    compute = float(np.sum(run_s[placed] * problem.machine_busy_w[m]))
    network = float(np.sum(problem.network_energy_j[rows, m]))
    return compute + network + problem.static_energy_j


def hull_mix(
    problem: ScheduleProblem, j: int, profile: int, accuracy: float
) -> tuple[int, int, float]:
    """The fastest mix of two adjacent hull vertices of job ``j``'s family on ``profile``
    whose mean accuracy is at least ``accuracy``: ``(lo, hi, alpha)``."""
    opt = problem.option_variant[profile, problem.job_family[j]]
    hull = opt[(opt >= 0) & problem.option_hull[profile, problem.job_family[j]]]
    acc = problem.variant_accuracy[hull]
    k = int(np.searchsorted(acc, accuracy - 1e-12, side="left"))
    if k == 0:
        return int(hull[0]), int(hull[0]), 0.0
    if k >= len(hull):
        return int(hull[-1]), int(hull[-1]), 0.0
    alpha = float(np.clip((accuracy - acc[k - 1]) / (acc[k] - acc[k - 1]), 0.0, 1.0))
    return int(hull[k - 1]), int(hull[k]), alpha
