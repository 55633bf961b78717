"""Compression under an energy budget: change variants by marginal accuracy per joule.

The accuracy objective is a multiple-choice knapsack over each job's options
(energy as weight, utility-weighted accuracy as value) with deadlines on top.
Its classic greedy (Sinha & Zoltners, *Oper. Res.* 27(3), 1979) takes the step of
best value per weight along each job's upper concave hull; for a splittable job
the step may stop part way (a continuous width), which is exact for the LP
relaxation. That is also the marginal-utility rule of DSCT-EA's greedy (COATI,
ICPP 2024). Here:

* :func:`downgrade` lowers variants, least accuracy lost per joule saved first,
  until the schedule fits the budget (shorter runs never break a deadline);
* :func:`upgrade` raises them, most accuracy per joule first, while the budget
  and every deadline on the machine allow;
* :func:`move_up` moves a job to another machine at a more accurate variant when
  the accuracy is worth its energy at the budget's marginal price.

Each works in place on the heuristic's :class:`~slimplace.scheduling.timeline.Timeline`
and per-job choice arrays (``lo``, ``hi``, ``alpha``, ``acc``).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from slimplace.scheduling.problem import FloatArray, IntArray, ScheduleProblem
from slimplace.scheduling.timeline import Timeline

EPS_J = 1e-9


@dataclass
class JobChoices:
    """Each job's current mix: a share ``alpha`` at ``hi``, the rest at ``lo``; accuracy."""

    lo: IntArray
    hi: IntArray
    alpha: FloatArray
    acc: FloatArray

    def set_variant(self, p: ScheduleProblem, j: int, v: int) -> None:
        """Run job ``j`` wholly at variant ``v``."""
        self.lo[j] = self.hi[j] = v
        self.alpha[j] = 0.0
        self.acc[j] = p.variant_accuracy[v]

    def set_hull_point(self, p: ScheduleProblem, j: int, profile: int, per_item_s: float) -> None:
        """Put splittable job ``j`` at the point of its hull with ``per_item_s`` seconds
        per inference (a mix of the two vertices around it)."""
        hull = _hull(p, j, profile)
        s = p.service_s[profile, hull]
        k = int(np.clip(np.searchsorted(s, per_item_s), 1, max(len(hull) - 1, 1)))
        if len(hull) == 1:
            self.set_variant(p, j, int(hull[0]))
            return
        a = float(np.clip((per_item_s - s[k - 1]) / (s[k] - s[k - 1]), 0.0, 1.0))
        self.lo[j], self.hi[j], self.alpha[j] = hull[k - 1], hull[k], a
        acc = p.variant_accuracy
        self.acc[j] = (1 - a) * acc[hull[k - 1]] + a * acc[hull[k]]


def _hull(p: ScheduleProblem, j: int, profile: int) -> IntArray:
    opt = p.option_variant[profile, p.job_family[j]]
    return opt[(opt >= 0) & p.option_hull[profile, p.job_family[j]]]


def _options(p: ScheduleProblem, j: int, profile: int) -> IntArray:
    opt = p.option_variant[profile, p.job_family[j]]
    return opt[opt >= 0]


def _steps(
    tl: Timeline, ch: JobChoices, j: int, up: bool
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Candidate variants one step up (or down) for job ``j``: variants, extra run time
    (s, signed) and extra accuracy (signed). A splittable job moves along its hull to
    the next vertex only; an unsplit one may jump to any option (floors respected)."""
    p = tl.p
    prof = int(p.machine_profile[tl.machine[j]])
    per = tl.run[j] / p.job_work[j]
    if p.job_split[j]:
        hull = _hull(p, j, prof)
        s = p.service_s[prof, hull]
        nxt = hull[s > per + 1e-15][:1] if up else hull[s < per - 1e-15][-1:]
        opts = nxt
    else:
        opts = _options(p, j, prof)
        a = p.variant_accuracy[opts]
        keep = (a > ch.acc[j] + 1e-12) if up else (a < ch.acc[j] - 1e-12)
        opts = opts[keep & (a >= p.job_floor[j] - 1e-12)]
    d_run = p.job_work[j] * p.service_s[prof, opts] - tl.run[j]
    d_acc = p.variant_accuracy[opts] - ch.acc[j]
    return opts, d_run, d_acc


def upgrade(tl: Timeline, ch: JobChoices, room_j: float, stop: float) -> tuple[float, float]:
    """Raise variants by best accuracy per joule within ``room_j``; returns the energy
    spent and the best ratio (accuracy per J) the budget turned down (0 if none)."""
    p = tl.p
    spent, price = 0.0, 0.0
    version = np.zeros(p.n_jobs, dtype=np.int64)
    heap: list[tuple[float, int, int, int]] = []

    def push(j: int, room: float = np.inf, slack: float = np.inf) -> None:
        opts, d_run, d_acc = _steps(tl, ch, j, up=True)
        d_e = d_run * p.machine_busy_w[tl.machine[j]]
        fits = (
            np.ones(len(opts), bool)
            if p.job_split[j]
            else (d_e <= room + EPS_J) & (d_run <= slack + tl.tol)
        )
        if fits.any():
            ratio = np.where(fits, p.job_utility[j] * d_acc / np.maximum(d_e, 1e-300), -np.inf)
            k = int(np.argmax(ratio))
            heapq.heappush(heap, (-float(ratio[k]), j, int(version[j]), int(opts[k])))

    for first in np.nonzero(tl.machine >= 0)[0]:
        push(int(first))
    while heap and time.perf_counter() < stop:
        _, j, ver, target = heapq.heappop(heap)
        if ver != version[j]:
            continue
        m = int(tl.machine[j])
        prof = int(p.machine_profile[m])
        d_run = p.job_work[j] * p.service_s[prof, target] - tl.run[j]
        d_e = d_run * p.machine_busy_w[m]
        room = room_j - spent
        if d_e > room + EPS_J:
            price = max(price, p.job_utility[j] * (p.variant_accuracy[target] - ch.acc[j]) / d_e)
        version[j] += 1
        if p.job_split[j]:
            share = 1.0 if d_e <= 0 else min(1.0, room / d_e)
            if d_run > 0:
                share = min(share, max(tl.slack_after(j), 0.0) / d_run)
            changes = tl.resized(j, float(tl.run[j] + share * d_run)) if share > 1e-9 else None
            if changes is None:
                continue
            tl.commit(changes)
            ch.set_hull_point(p, j, prof, float(tl.run[j] / p.job_work[j]))
            spent += share * d_e
            if share >= 1.0 - 1e-12:
                push(j)
            continue
        changes = tl.resized(j, float(tl.run[j] + d_run)) if d_e <= room + EPS_J else None
        if changes is None:
            push(j, room, max(tl.slack_after(j), 0.0))
            continue
        tl.commit(changes)
        ch.set_variant(p, j, target)
        spent += d_e
        push(j)
    return spent, price


def downgrade(tl: Timeline, ch: JobChoices, excess_j: float) -> float:
    """Lower variants, least accuracy lost per joule saved first, until ``excess_j`` is
    saved (or nothing is left above the floors); returns the energy saved."""
    p = tl.p
    saved = 0.0
    version = np.zeros(p.n_jobs, dtype=np.int64)
    heap: list[tuple[float, int, int, int]] = []

    def push(j: int) -> None:
        opts, d_run, d_acc = _steps(tl, ch, j, up=False)
        d_e = -d_run * p.machine_busy_w[tl.machine[j]]
        good = d_e > EPS_J
        if good.any():
            loss = np.where(good, p.job_utility[j] * -d_acc / np.maximum(d_e, 1e-300), np.inf)
            k = int(np.argmin(loss))
            heapq.heappush(heap, (float(loss[k]), j, int(version[j]), int(opts[k])))

    for first in np.nonzero(tl.machine >= 0)[0]:
        push(int(first))
    while heap and saved < excess_j - EPS_J:
        _, j, ver, target = heapq.heappop(heap)
        if ver != version[j]:
            continue
        version[j] += 1
        m = int(tl.machine[j])
        prof = int(p.machine_profile[m])
        d_run = p.job_work[j] * p.service_s[prof, target] - tl.run[j]  # negative
        d_e = -d_run * p.machine_busy_w[m]
        share = 1.0
        if p.job_split[j]:
            a_t = p.variant_accuracy[target]
            if a_t < p.job_floor[j]:  # stop at the floor
                share = (ch.acc[j] - p.job_floor[j]) / max(ch.acc[j] - a_t, 1e-15)
            share = min(share, (excess_j - saved) / d_e)
        changes = tl.resized(j, float(tl.run[j] + share * d_run))
        if changes is None or share <= 1e-12:
            continue
        tl.commit(changes)
        if p.job_split[j]:
            ch.set_hull_point(p, j, prof, float(tl.run[j] / p.job_work[j]))
        else:
            ch.set_variant(p, j, target)
        saved += share * d_e
        if share >= 1.0 - 1e-12:
            push(j)
    return saved


def move_up(
    tl: Timeline, ch: JobChoices, room_j: float, price: float, stop: float, tries: int = 6
) -> float | None:
    """Move jobs to another machine at a more accurate variant when the accuracy gained
    is worth more than its energy at ``price`` (accuracy per J) and fits in ``room_j``
    (the ``tries`` most valuable (machine, variant) pairs per job are tried); returns the
    energy spent, or None when nothing moved."""
    p = tl.p
    rows = np.arange(p.n_jobs)
    m_cur = tl.machine
    e_cur = tl.run * p.machine_busy_w[m_cur] + p.network_energy_j[rows, m_cur]
    top = np.zeros(len(p.family_names))
    np.maximum.at(top, p.variant_family, p.variant_accuracy)
    potential = (top[p.job_family] - ch.acc) * p.job_utility
    spent, moved = 0.0, False
    for j in np.argsort(-potential, kind="stable"):
        if time.perf_counter() > stop or potential[j] <= 1e-15:
            break
        var, run, energy, acc = p.job_options(int(j))
        ok = var >= 0
        d_e = np.where(ok, energy - e_cur[j], np.inf)
        value = np.where(
            ok, p.job_utility[j] * (acc - ch.acc[j]) - price * np.where(ok, d_e, 0), -1
        )
        good = ok & (acc > ch.acc[j] + 1e-12) & (acc >= p.job_floor[j] - 1e-12)
        good &= (d_e <= room_j - spent) & (value > 0)
        good[m_cur[j]] = False
        best: tuple[float, int, int, float] | None = None
        flat = np.flatnonzero(good)
        for idx in flat[np.argsort(-value.ravel()[flat], kind="stable")][:tries]:
            m, k = divmod(int(idx), var.shape[1])
            if tl.try_moves([(int(j), m)], _const(float(run[m, k]))) is not None:
                best = (float(value[m, k]), m, int(var[m, k]), float(d_e[m, k]))
                break
        if best is None:
            continue
        _, to, v, extra = best
        run_v = float(p.job_work[j] * p.service_s[p.machine_profile[to], v])
        changes = tl.try_moves([(int(j), to)], _const(run_v))
        if changes is None:
            continue
        tl.commit(changes)
        ch.set_variant(p, int(j), v)
        spent += extra
        moved = True
    return spent if moved else None


def _const(run_s: float) -> Callable[[int, int], float]:
    def run_of(j: int, m: int) -> float:
        return run_s

    return run_of


def fit_budget(
    tl: Timeline, ch: JobChoices, room_j: float, stop: float, moves: bool, tries: int = 6
) -> float:
    """Bring the schedule within budget (``room_j`` < 0: downgrade) and spend what is
    left on upgrades and, with ``moves``, moves up; returns the energy change."""
    change = 0.0
    if room_j < 0:
        change -= downgrade(tl, ch, -room_j)
        if room_j - change < -EPS_J:
            return change
    spent, price = upgrade(tl, ch, room_j - change, stop)
    change += spent
    for _ in range(10 if moves else 0):
        extra = move_up(tl, ch, room_j - change, price, stop, tries)
        if extra is None:
            break
        more, price = upgrade(tl, ch, room_j - change - extra, stop)
        change += extra + more
    return change


__all__ = ["JobChoices", "downgrade", "fit_budget", "move_up", "upgrade"]
