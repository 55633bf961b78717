"""Contract checks every scheduling method must pass, public so that a user can run them
on their own method (in the spirit of scikit-learn's ``check_estimator``).

>>> from slimplace.scheduling import compile_jobs, generate_jobs
>>> from slimplace.scheduling.heuristic import Heuristic
>>> problem = compile_jobs(generate_jobs(6, 2, seed=3))
>>> check_scheduler("heuristic", Heuristic(time_limit_s=5), problem)

Like the placement checks (:mod:`slimplace.testing.contracts`) and the policy checks
(:func:`slimplace.testing.check_policy`), it returns nothing and raises
:class:`AssertionError` naming the method and everything that broke.
"""

from __future__ import annotations

import time

import numpy as np

from slimplace.plan import Status
from slimplace.scheduling.check import check_schedule
from slimplace.scheduling.problem import ScheduleProblem
from slimplace.scheduling.registry import Scheduler
from slimplace.scheduling.schedule import Schedule


def same_schedule(a: Schedule, b: Schedule) -> bool:
    """Whether two schedules have identical pieces."""
    fields = ("job", "machine", "variant", "fraction", "start_s", "end_s")
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields)


def check_scheduler(
    name: str,
    scheduler: Scheduler,
    problem: ScheduleProblem,
    *,
    seed: int = 0,
    slack_s: float = 2.0,
) -> None:
    """Raise :class:`AssertionError` naming method ``name`` and every failure of
    ``scheduler`` on ``problem``, of these checks:

    * a schedule it calls optimal or feasible passes the independent checker;
    * the objective it reports equals the checker's (relative 1e-6);
    * a bound, if reported, is on the right side of the objective;
    * a second run with the same seed gives the same schedule;
    * it stops within its ``time_limit_s`` (if it has one) plus ``slack_s``.
    """
    failures = []
    t0 = time.perf_counter()
    first = scheduler.solve(problem, seed=seed)
    took = time.perf_counter() - t0
    check = check_schedule(problem, first)
    claims = first.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
    if claims and first.n_pieces and not check.feasible:
        kinds = sorted({v.kind for v in check.violations})
        failures.append(f"status {first.status} but the checker finds {', '.join(kinds)}")
    if first.n_pieces and first.objective is not None:
        measured = check.objective(problem.objective)
        if not np.isclose(first.objective, measured, rtol=1e-6, atol=1e-9):
            failures.append(f"reported objective {first.objective!r}, checker {measured!r}")
    if first.bound is not None and first.objective is not None:
        sense = 1.0 if problem.objective == "energy" else -1.0
        if sense * (first.bound - first.objective) > 1e-6 * max(1.0, abs(first.objective)):
            failures.append(f"bound {first.bound!r} beyond objective {first.objective!r}")
    if not same_schedule(first, scheduler.solve(problem, seed=seed)):
        failures.append("not deterministic under a fixed seed")
    limit = getattr(scheduler, "time_limit_s", None)
    if limit is not None and took > float(limit) + slack_s:
        failures.append(f"took {took:.2f} s with a time limit of {limit} s")
    if failures:
        raise AssertionError(f"{name}: " + "; ".join(failures))


__all__ = ["check_scheduler", "same_schedule"]
