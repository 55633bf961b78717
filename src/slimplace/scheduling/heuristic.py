"""The fast heuristic: EDF-based construction, repair, energy local search, then (for
the accuracy objective) compression chosen by marginal accuracy per joule.

1. *Construct*: jobs in earliest-deadline-first order, each appended to the machine
   where its cheapest floor-meeting choice (:func:`floor_choices`) costs least energy
   and still meets the deadline (numpy over machines per job). Small and medium
   instances also try regret- and largest-first orders that insert each job at the
   best position of the cheapest machine (:class:`Timeline`), plus seeded random
   orders on small ones; the best start wins.
2. *Repair*: a job that fits nowhere is inserted at the best position of some
   machine, else another job is moved away to make room.
3. *Improve*: moves of one job to a cheaper machine, ejection chains (move j to a
   cheaper machine after relocating some of its jobs) and swaps, while energy falls
   and time remains (first-improvement local search, Aarts & Lenstra, *Local Search
   in Combinatorial Optimization*, 1997).
4. *Budget* (accuracy objective; :mod:`slimplace.scheduling.upgrade`): from starts at
   three variant levels, lower variants until the budget holds, then raise the
   variant with the best accuracy gained per joule while budget and deadlines allow
   -- the marginal-utility rule of DSCT-EA's greedy (COATI, ICPP 2024) -- and move
   jobs to machines where a more accurate variant fits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from slimplace.plan import Status
from slimplace.scheduling.choices import Choices, edf_rank, floor_choices, schedule_energy_j
from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem
from slimplace.scheduling.schedule import Schedule, assemble
from slimplace.scheduling.timeline import Change, Timeline
from slimplace.scheduling.upgrade import JobChoices, fit_budget

EPS_J = 1e-9

RunOf = Callable[[int, int], float]


@dataclass
class _Outcome:
    """One start's schedule: late jobs, energy, accuracy and per-job choices."""

    late: list[int]
    energy_j: float
    accuracy: float
    reason: str
    tl: Timeline
    choices: JobChoices

    def key(self, objective: str) -> tuple[bool, int, float]:
        """Sort key: feasible first, fewest late jobs, best objective."""
        value = self.energy_j if objective == "energy" else -self.accuracy
        return (bool(self.reason), len(self.late), value)


class Heuristic:
    """EDF-based heuristic with repair, local search and budgeted upgrades.

    Effort follows the size. Small instances (at most ``small_jobs`` jobs) try
    several construction orders and insertion rules plus ``restarts`` seeded random
    orders, and search with moves, swaps and ejection chains; medium ones (at most
    ``medium_jobs``) three constructions, moves and ejections over the ``candidates``
    cheapest machines; large ones one EDF construction and moves. Outside small
    instances each local search gets a share of a tenth of ``time_limit_s``, which
    bounds the whole solve (the first construction always completes).
    """

    def __init__(
        self,
        *,
        time_limit_s: float = 60.0,
        improve: bool = True,
        small_jobs: int = 60,
        medium_jobs: int = 2000,
        candidates: int = 8,
        restarts: int = 20,
    ) -> None:
        self.time_limit_s = time_limit_s
        self.improve = improve
        self.small_jobs = small_jobs
        self.medium_jobs = medium_jobs
        self.candidates = candidates
        self.restarts = restarts

    def solve(self, problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
        """Schedule ``problem``; the same seed gives the same schedule."""
        t0 = time.perf_counter()
        stop = t0 + self.time_limit_s
        size = _size(problem.n_jobs, self.small_jobs, self.medium_jobs)
        levels = (0.0, 0.5, 1.0) if problem.objective == "accuracy" else (0.0,)
        starts: list[tuple[str, str, float]] = [("edf", "edf", 0.0)]
        if size == "small":
            starts += [(o, r, 0.0) for o in ("regret", "largest") for r in ("slack", "flow", "edf")]
            starts += [("regret", ("slack", "flow")[k % 2], 0.3) for k in range(self.restarts)]
        elif size == "medium":
            starts += [("regret", "slack", 0.0), ("largest", "flow", 0.0)]
        search_s = (
            np.inf if size == "small" else 0.1 * self.time_limit_s / len(levels) / len(starts)
        )
        rng = np.random.default_rng(seed)
        best: _Outcome | None = None
        for level in levels:
            choices = floor_choices(problem, level)
            run_b, energy_b = choices.on_machines(problem)
            for order, rule, noise in starts:
                if best is not None and time.perf_counter() > stop:
                    break
                jitter = np.exp(noise * rng.standard_normal(problem.n_jobs)) if noise else None
                out = self._start(
                    problem, choices, run_b, energy_b, (order, rule), jitter, stop, search_s, size
                )
                if best is None or out.key(problem.objective) < best.key(problem.objective):
                    best = out
        assert best is not None
        info = {
            "late_jobs": float(len(best.late)),
            "energy_j": best.energy_j,
            "mean_accuracy": best.accuracy,
        }
        tl, ch = best.tl, best.choices
        return assemble(
            problem,
            tl.machine,
            ch.lo,
            ch.hi,
            ch.alpha,
            np.where(tl.machine >= 0, tl.start, 0.0),
            method="heuristic",
            status=Status.INFEASIBLE if best.reason else Status.FEASIBLE,
            objective=best.energy_j if problem.objective == "energy" else best.accuracy,
            seconds=time.perf_counter() - t0,
            reason=best.reason,
            info=info,
        )

    def _start(
        self,
        problem: ScheduleProblem,
        choices: Choices,
        run_b: FloatArray,
        energy_b: FloatArray,
        how: tuple[str, str],
        jitter: FloatArray | None,
        stop: float,
        search_s: float,
        size: str,
    ) -> _Outcome:
        """One construction (order, insertion rule), repair, local search and budget fit."""
        order, rule = how
        tl = Timeline(problem, edf_rank(problem), 1e-6 * max(1.0, problem.horizon_s), rule)
        late = _construct(tl, run_b, energy_b, order, jitter)
        late = _repair(tl, late, run_b, energy_b)
        if self.improve and not late:
            until = min(stop, time.perf_counter() + search_s)
            _local_search(tl, run_b, energy_b, until, size, self.candidates)
        rows = np.arange(problem.n_jobs)
        prof = problem.machine_profile[np.maximum(tl.machine, 0)]
        ch = JobChoices(
            choices.lo[rows, prof].copy(),
            choices.hi[rows, prof].copy(),
            choices.alpha[rows, prof].copy(),
            choices.accuracy[rows, prof].copy(),
        )
        energy = schedule_energy_j(problem, tl.machine, tl.run)
        unplaced = int(np.sum(tl.machine < 0))
        reason = f"{len(late)} job(s) miss their deadline" if late else ""
        if unplaced:
            reason += f" ({unplaced} fit no machine)"
        if problem.objective == "accuracy" and not late:
            budget = problem.budget_j if problem.budget_j is not None else np.inf
            moves = size != "large" and self.improve
            tries = 50 if size == "small" else 6
            energy += fit_budget(tl, ch, budget - energy, stop, moves, tries)
            if energy > budget * (1 + 1e-9) + EPS_J:
                reason = f"least energy found {energy:.6g} J exceeds the budget {budget:.6g} J"
        accuracy = float(np.sum(problem.job_utility * np.where(tl.machine >= 0, ch.acc, 0.0)))
        return _Outcome(late, energy, accuracy, reason, tl, ch)


def _size(n_jobs: int, small_jobs: int, medium_jobs: int) -> str:
    if n_jobs <= small_jobs:
        return "small"
    return "medium" if n_jobs <= medium_jobs else "large"


def _construct(
    tl: Timeline,
    run_b: FloatArray,
    energy_b: FloatArray,
    order: str,
    jitter: FloatArray | None = None,
) -> list[int]:
    """Place every job; returns the jobs that miss their deadline.

    ``order="edf"``: EDF list scheduling, each job appended to the machine of least
    energy among those that meet its deadline (numpy over machines). ``"regret"``
    (largest loss if denied its best machine first) and ``"largest"`` (largest least
    energy first) insert each job at the best position of the cheapest machine
    where it fits -- packing big jobs first is what keeps efficient machines full.
    ``jitter`` multiplies the priority key (seeded random restarts).
    """
    if order != "edf":
        finite = np.where(np.isfinite(energy_b), energy_b, np.inf)
        cheapest = np.sort(finite, axis=1)
        second = cheapest[:, 1] if finite.shape[1] > 1 else cheapest[:, 0]
        key = second - cheapest[:, 0] if order == "regret" else cheapest[:, 0]
        key = np.nan_to_num(key, nan=0.0, posinf=np.finfo(float).max)
        if jitter is not None:
            key = key * jitter
        late = []
        for j in np.lexsort((tl.rank, -key)):
            if not _insert_cheapest(tl, int(j), run_b, energy_b):
                late.append(int(j))
        return late
    p = tl.p
    late = []
    for j in np.argsort(tl.rank):
        finish = np.maximum(tl.free, tl.ready[j]) + run_b[j]
        ok = finish <= p.job_deadline_s[j] + tl.tol
        if ok.any():
            cost = np.where(ok, energy_b[j], np.inf)
            best = np.flatnonzero(cost == cost.min())
            m = int(best[np.argmin(finish[best])])
        else:
            late.append(int(j))
            m = int(np.argmin(finish))
            if not np.isfinite(finish[m]):
                continue
        tl.append(int(j), m, float(run_b[j, m]))
    return late


def _insert_cheapest(tl: Timeline, j: int, run_b: FloatArray, energy_b: FloatArray) -> bool:
    """Insert job ``j`` on the cheapest machine where it fits; False if none."""

    def run_of(i: int, m: int) -> float:
        return float(run_b[i, m])

    for m in np.argsort(energy_b[j], kind="stable"):
        if not np.isfinite(energy_b[j, m]):
            return False
        changes = tl.try_moves([(j, int(m))], run_of)
        if changes is not None:
            tl.commit(changes)
            return True
    return False


def _repair(tl: Timeline, late: list[int], run_b: FloatArray, energy_b: FloatArray) -> list[int]:
    """Re-insert late jobs at a better position, or move one job away to make room."""

    def run_of(j: int, m: int) -> float:
        return float(run_b[j, m])

    still = []
    for j in late:
        changes = None
        for m in np.argsort(energy_b[j]):
            if np.isfinite(energy_b[j, m]):
                changes = tl.try_moves([(j, int(m))], run_of)
                if changes is not None:
                    break
        if changes is None:
            changes = _make_room(tl, j, run_of, energy_b)
        if changes is None:
            still.append(j)
        else:
            tl.commit(changes)
    return still


def _make_room(
    tl: Timeline, j: int, run_of: RunOf, energy_b: FloatArray
) -> dict[int, Change] | None:
    """Move one other job ``i`` off a machine so that ``j`` fits there."""
    for m in np.argsort(energy_b[j]):
        if not np.isfinite(energy_b[j, m]):
            break
        for i in tl.order[int(m)]:
            if i == j:
                continue
            for c in np.argsort(energy_b[i]):
                if c == m or not np.isfinite(energy_b[i, c]):
                    continue
                changes = tl.try_moves([(int(i), int(c)), (j, int(m))], run_of)
                if changes is not None:
                    return changes
    return None


def _local_search(
    tl: Timeline,
    run_b: FloatArray,
    energy_b: FloatArray,
    stop: float,
    size: str,
    candidates: int,
) -> None:
    """Moves, ejections (small and medium instances) and swaps (small), while energy falls."""
    p = tl.p
    rows = np.arange(p.n_jobs)
    small = size == "small"
    width = p.n_machines if small else candidates

    def run_of(j: int, m: int) -> float:
        return float(run_b[j, m])

    def gain_order() -> IntArray:
        cur = energy_b[rows, tl.machine]
        gap = cur - energy_b.min(axis=1)
        idx = np.nonzero(gap > EPS_J * np.maximum(1.0, cur))[0]
        return idx[np.argsort(-gap[idx], kind="stable")]

    for _ in range(50):
        improved = False
        for j in gain_order():
            if time.perf_counter() > stop:
                return
            cur = energy_b[j, tl.machine[j]]
            targets = np.argsort(energy_b[j], kind="stable")[:width]
            for m in targets:
                if energy_b[j, m] >= cur - EPS_J:
                    break
                changes = tl.try_moves([(int(j), int(m))], run_of)
                if changes is not None:
                    tl.commit(changes)
                    improved = True
                    break
            else:
                if size != "large" and _eject(tl, int(j), targets, run_of, energy_b):
                    improved = True
        if small and _swaps(tl, run_of, energy_b, stop):
            improved = True
        if not improved:
            return


def _eject(tl: Timeline, j: int, targets: IntArray, run_of: RunOf, energy_b: FloatArray) -> bool:
    """Ejection chain: move ``j`` to a cheaper machine ``a`` after relocating as few of
    ``a``'s jobs as needed (cheapest relocation per freed second first), if it pays."""
    p = tl.p
    cur_j = energy_b[j, tl.machine[j]]
    for a in targets:
        a = int(a)
        gain = cur_j - energy_b[j, a]
        if gain <= EPS_J:
            break
        others = tl.order[a]
        others = others[
            (others != j)
            & (p.job_release_s[others] < p.job_deadline_s[j])
            & (p.job_deadline_s[others] > p.job_release_s[j])
        ]
        alt = np.where(np.arange(p.n_machines)[None, :] == a, np.inf, energy_b[others])
        per_s = (alt.min(axis=1) - energy_b[others, a]) / tl.run[others]
        moves: list[tuple[int, int]] = []
        cost = 0.0
        for i in others[np.argsort(per_s, kind="stable")]:
            for c in np.argsort(alt[others == i][0], kind="stable"):
                extra = energy_b[i, c] - energy_b[i, a]
                if not np.isfinite(extra) or cost + extra >= gain - EPS_J:
                    break
                if tl.try_moves([*moves, (int(i), int(c))], run_of) is not None:
                    moves.append((int(i), int(c)))
                    cost += extra
                    break
            else:
                continue
            changes = tl.try_moves([*moves, (j, a)], run_of)
            if changes is not None and cost < gain - EPS_J:
                tl.commit(changes)
                return True
            if cost >= gain - EPS_J:
                break
    return False


def _swaps(tl: Timeline, run_of: RunOf, energy_b: FloatArray, stop: float) -> bool:
    """Exchange the machines of two jobs when it saves energy (best pairs first)."""
    m = tl.machine
    rows = np.arange(len(m))
    cur = energy_b[rows, m]
    gain = cur[:, None] + cur[None, :] - energy_b[:, m].T - energy_b[:, m]
    gain = np.where(m[:, None] != m[None, :], gain, -np.inf)
    gain = np.triu(np.nan_to_num(gain, nan=-np.inf, posinf=-np.inf), k=1)
    pairs = np.argwhere(gain > EPS_J)
    if not len(pairs):
        return False
    pairs = pairs[np.argsort(-gain[pairs[:, 0], pairs[:, 1]], kind="stable")]
    done = False
    for i, j in pairs:
        if time.perf_counter() > stop:
            break
        mi, mj = int(tl.machine[i]), int(tl.machine[j])
        if (
            mi == mj
            or energy_b[i, mj] + energy_b[j, mi] >= energy_b[i, mi] + energy_b[j, mj] - EPS_J
        ):
            continue
        changes = tl.try_moves([(int(i), mj), (int(j), mi)], run_of)
        if changes is not None:
            tl.commit(changes)
            done = True
    return done
