"""Per-machine job sequences for the heuristic: insertion at the best position,
moves of several jobs at once, and resizing a job, each checked against deadlines.

A machine runs its jobs in an explicit order, each as early as its ready time
and its predecessor allow (:func:`slimplace.scheduling.schedule.sequence_times`).
Inserting a job evaluates every position at once: row q of an (n+1) x (n+1)
array is the sequence with the job at position q, timed by the max-plus
recurrence along the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem
from slimplace.scheduling.schedule import sequence_times


def insertion_position(
    ready: FloatArray,
    run: FloatArray,
    deadline: FloatArray,
    new: tuple[float, float, float],
    preferred: int,
    tol: float,
    rule: str = "edf",
    max_positions: int = 48,
) -> int:
    """Where to insert a job (ready, run, deadline) into a sequence so that every
    deadline holds, or -1. Rules among the feasible positions: ``"edf"`` the
    ``preferred`` one if it works, else the one leaving the most slack; ``"slack"``
    the most slack; ``"flow"`` the least sum of end times. Positions whose
    predecessor ends too late are skipped; on long sequences only the
    ``max_positions`` nearest ``preferred`` are tried."""
    n = len(ready)
    r_new, p_new, d_new = new
    end0 = sequence_times(ready, run)[1] if n else np.zeros(0)
    q_hi = int(np.searchsorted(end0, d_new - p_new + tol, side="right"))
    cand = np.arange(q_hi + 1)
    if len(cand) > max_positions:
        cand = cand[np.argsort(np.abs(cand - preferred), kind="stable")[:max_positions]]
        cand.sort()
    q0 = int(cand[0])
    t0 = end0[q0 - 1] if q0 > 0 else 0.0
    q = cand[:, None]
    col = np.arange(q0, n + 1)[None, :]
    src = np.clip(np.where(col < q, col, col - 1), 0, max(n - 1, 0))
    at = col == q

    def table(old: FloatArray, value: float) -> FloatArray:
        base = old[src] if n else np.zeros(at.shape)
        return np.where(at, value, base)

    r, p, d = table(ready, r_new), table(run, p_new), table(deadline, d_new)
    c = np.cumsum(p, axis=1)
    end = c + np.maximum(np.maximum.accumulate(r - (c - p), axis=1), t0)
    slack = np.min(d - end, axis=1)
    ok = slack >= -tol
    if not ok.any():
        return -1
    hit = np.nonzero(cand == preferred)[0]
    if rule == "edf" and len(hit) and ok[hit[0]]:
        return preferred
    if rule == "flow":
        return int(cand[np.argmin(np.where(ok, end.sum(axis=1), np.inf))])
    return int(cand[np.argmax(np.where(ok, slack, -np.inf))])


@dataclass
class Change:
    """A new order and times for one machine, not yet committed."""

    order: IntArray
    run: FloatArray
    start: FloatArray
    end: FloatArray


class Timeline:
    """Mutable sequences of one solve (never shared): order, run time, start and end."""

    def __init__(
        self, problem: ScheduleProblem, rank: IntArray, tol: float, rule: str = "edf"
    ) -> None:
        self.p = problem
        self.rule = rule
        self.ready = problem.ready_s
        self.rank = rank
        self.tol = tol
        self.order: list[IntArray] = [np.zeros(0, np.int64) for _ in range(problem.n_machines)]
        self.machine = np.full(problem.n_jobs, -1, dtype=np.int64)
        self.run = np.full(problem.n_jobs, np.inf)
        self.start = np.full(problem.n_jobs, np.nan)
        self.end = np.full(problem.n_jobs, np.nan)
        self.free = np.zeros(problem.n_machines)

    def append(self, j: int, m: int, run: float) -> None:
        """Put job ``j`` last on machine ``m`` (construction in EDF order)."""
        start = max(self.free[m], self.ready[j, m])
        self.order[m] = np.append(self.order[m], j)
        self.machine[j], self.run[j] = m, run
        self.start[j], self.end[j] = start, start + run
        self.free[m] = start + run

    def slack_ok(self, order: IntArray, end: FloatArray) -> bool:
        """Whether every job of a sequence meets its deadline."""
        return bool(np.all(end <= self.p.job_deadline_s[order] + self.tol))

    def try_moves(
        self, moves: list[tuple[int, int]], run_of: Callable[[int, int], float]
    ) -> dict[int, Change] | None:
        """New sequences if every job ``j`` of ``moves`` goes to machine ``m`` (inserted
        at its best position, in the order given); ``None`` if some deadline breaks."""
        work: dict[int, tuple[IntArray, FloatArray]] = {}

        def seq(m: int) -> tuple[IntArray, FloatArray]:
            if m not in work:
                o = self.order[m]
                work[m] = (o, self.run[o])
            return work[m]

        for j, _ in moves:
            old = int(self.machine[j])
            if old >= 0:
                o, r = seq(old)
                keep = o != j
                work[old] = (o[keep], r[keep])
        for j, m in moves:
            o, r = seq(m)
            run = run_of(j, m)
            if not np.isfinite(run):
                return None
            pref = int(np.searchsorted(self.rank[o], self.rank[j]))
            pos = insertion_position(
                self.ready[o, m],
                r,
                self.p.job_deadline_s[o],
                (float(self.ready[j, m]), run, float(self.p.job_deadline_s[j])),
                pref,
                self.tol,
                self.rule,
            )
            if pos < 0:
                return None
            work[m] = (np.insert(o, pos, j), np.insert(r, pos, run))
        out = {}
        for m, (o, r) in work.items():
            start, end = sequence_times(self.ready[o, m], r)
            if not self.slack_ok(o, end):
                return None
            out[m] = Change(o, r, start, end)
        return out

    def resized(self, j: int, run: float) -> dict[int, Change] | None:
        """Job ``j``'s machine with ``j`` taking ``run`` seconds, or ``None`` if late."""
        m = int(self.machine[j])
        o = self.order[m]
        r = self.run[o].copy()
        r[o == j] = run
        start, end = sequence_times(self.ready[o, m], r)
        return {m: Change(o, r, start, end)} if self.slack_ok(o, end) else None

    def slack_after(self, j: int) -> float:
        """How much longer job ``j`` may run without a deadline breaking on its machine
        (exact when the machine has no idle gap after ``j``; a lower bound otherwise)."""
        m = int(self.machine[j])
        o = self.order[m]
        q = int(np.nonzero(o == j)[0][0])
        tail = o[q:]
        return float(np.min(self.p.job_deadline_s[tail] - self.end[tail]))

    def commit(self, changes: dict[int, Change]) -> None:
        """Apply new sequences (from :meth:`try_moves` or :meth:`resized`)."""
        for m, c in changes.items():
            self.order[m] = c.order
            self.machine[c.order] = m
            self.run[c.order] = c.run
            self.start[c.order] = c.start
            self.end[c.order] = c.end
            self.free[m] = c.end[-1] if len(c.end) else 0.0
