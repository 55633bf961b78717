"""The accuracy-energy front: maximise accuracy under a sweep of energy budgets.

Each point solves the accuracy objective at one budget between the least energy
that meets every floor and the energy of the most accurate schedule the method
finds; the checker measures every point. The front is compared with a reference
schedule (EDF without compression) as COATI's DSCT-EA does (ICPP 2024: "up to
70 % of the energy saved for 2 % of accuracy lost"): the energy saved at a given
accuracy loss is ``1 - E(A_ref - loss) / E_ref`` where ``E(A)`` is the least
budget whose schedule reaches mean accuracy ``A`` (found by bisection).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from slimplace.scheduling.check import check_schedule
from slimplace.scheduling.problem import ScheduleProblem
from slimplace.scheduling.registry import Scheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FrontPoint:
    """One solve: the budget asked, the energy and mean accuracy the checker measured."""

    budget_j: float
    energy_j: float
    mean_accuracy: float
    status: str
    feasible: bool
    seconds: float


@dataclass(frozen=True)
class Front:
    """Points sorted by energy (feasible, non-dominated) and the reference schedule."""

    points: tuple[FrontPoint, ...]
    reference_method: str
    reference_energy_j: float
    reference_accuracy: float
    reference_feasible: bool

    def energy_at(self, accuracy: float) -> float:
        """Least energy among front points whose accuracy reaches ``accuracy`` (inf if none)."""
        hits = [pt.energy_j for pt in self.points if pt.mean_accuracy >= accuracy - 1e-12]
        return min(hits) if hits else float("inf")

    def saved_at(self, loss: float = 0.02) -> float:
        """Energy saved against the reference when losing ``loss`` of mean accuracy."""
        energy = self.energy_at(self.reference_accuracy - loss)
        return 1.0 - energy / self.reference_energy_j


def _point(
    problem: ScheduleProblem, scheduler: Scheduler, budget_j: float, seed: int
) -> FrontPoint:
    p = problem.with_objective("accuracy", budget_j)
    s = scheduler.solve(p, seed=seed)
    c = check_schedule(p, s)
    return FrontPoint(budget_j, c.energy_j, c.mean_accuracy, str(s.status), c.feasible, s.seconds)


def non_dominated(points: list[FrontPoint]) -> tuple[FrontPoint, ...]:
    """Feasible points no other feasible point beats in both energy and accuracy."""
    ok = sorted((pt for pt in points if pt.feasible), key=lambda q: (q.energy_j, -q.mean_accuracy))
    front: list[FrontPoint] = []
    for pt in ok:
        if not front or pt.mean_accuracy > front[-1].mean_accuracy + 1e-12:
            front.append(pt)
    return tuple(front)


def sweep(
    problem: ScheduleProblem,
    scheduler: Scheduler,
    reference: Scheduler,
    *,
    n_points: int = 12,
    seed: int = 0,
    reference_name: str = "edf",
) -> Front:
    """The front from ``n_points`` budgets evenly spaced from the least energy to the
    energy of the most accurate schedule, with ``reference`` measured beside it."""
    low = scheduler.solve(problem.with_objective("energy"), seed=seed)
    low_check = check_schedule(problem.with_objective("energy"), low)
    if not low_check.feasible:
        raise ValueError(f"no schedule meets every deadline and floor: {low.reason}")
    top = _point(problem, scheduler, np.inf, seed)
    budgets = np.linspace(low_check.energy_j, top.energy_j, max(n_points, 2))
    points = [_point(problem, scheduler, float(b * (1 + 1e-9)), seed) for b in budgets]
    ref_problem = problem.with_objective("energy")
    ref = check_schedule(ref_problem, reference.solve(ref_problem, seed=seed))
    return Front(
        points=non_dominated([*points, top]),
        reference_method=reference_name,
        reference_energy_j=ref.energy_j,
        reference_accuracy=ref.mean_accuracy,
        reference_feasible=ref.feasible,
    )


def energy_for_accuracy(
    problem: ScheduleProblem,
    scheduler: Scheduler,
    target: float,
    low_j: float,
    high_j: float,
    *,
    iterations: int = 12,
    seed: int = 0,
) -> FrontPoint | None:
    """The cheapest schedule found whose mean accuracy reaches ``target``: bisection on
    the budget in ``[low_j, high_j]`` (the accuracy a method reaches grows with it)."""
    best: FrontPoint | None = None
    for _ in range(iterations):
        mid = 0.5 * (low_j + high_j)
        pt = _point(problem, scheduler, mid, seed)
        if pt.feasible and pt.mean_accuracy >= target - 1e-12:
            if best is None or pt.energy_j < best.energy_j:
                best = pt
            high_j = mid
        else:
            low_j = mid
    return best


def at_full_accuracy(problem: ScheduleProblem) -> ScheduleProblem:
    """The same instance with every floor raised to its family's best accuracy (no
    compression), to measure what compression alone saves."""
    best = np.zeros(len(problem.family_names))
    np.maximum.at(best, problem.variant_family, problem.variant_accuracy)
    return replace(problem, job_floor=best[problem.job_family], objective="energy", budget_j=None)


__all__ = [
    "Front",
    "FrontPoint",
    "at_full_accuracy",
    "energy_for_accuracy",
    "non_dominated",
    "sweep",
]
