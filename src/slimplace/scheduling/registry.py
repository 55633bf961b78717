"""Scheduling methods by name: the built-ins plus any a user registers by a call or a
``slimplace.schedulers`` package entry point. A registry is a plain object (no
process-wide one), like :class:`slimplace.placement.registry.Registry`."""

from __future__ import annotations

from typing import Literal, Protocol, get_args

from slimplace.placement.registry import UnknownMethodError
from slimplace.registry import Entry, FunctionMethod, NamedRegistry, function_factory
from slimplace.scheduling.problem import ScheduleProblem
from slimplace.scheduling.schedule import Schedule

Kind = Literal["baseline", "heuristic", "exact"]
#: A registered scheduling method (name, factory, kind, description).
SchedulerInfo = Entry
#: Adapts ``f(problem, *, seed) -> Schedule`` to :class:`Scheduler`.
FunctionScheduler = FunctionMethod


class Scheduler(Protocol):
    """A configured method: options in the constructor, data in ``solve``."""

    def solve(self, problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
        """Return a schedule for ``problem``; deterministic for a given seed."""
        ...


class SchedulerRegistry(NamedRegistry[Scheduler]):
    """Scheduling methods by name; ``kind`` is one of :data:`Kind`."""

    noun = "scheduling method"
    unknown_error = UnknownMethodError
    kinds = get_args(Kind)
    shared_options = ("time_limit_s",)


def default_schedulers() -> SchedulerRegistry:
    """The built-in methods and every installed ``slimplace.schedulers`` entry point."""
    from slimplace.scheduling.baselines import BASELINES
    from slimplace.scheduling.heuristic import Heuristic
    from slimplace.scheduling.milp import ExactMilp

    reg = SchedulerRegistry()
    reg.register(
        "milp", ExactMilp, kind="exact", description="Disjunctive MILP on HiGHS (small instances)."
    )
    reg.register(
        "heuristic",
        Heuristic,
        kind="heuristic",
        description="EDF + repair + local search + upgrades by accuracy per joule.",
    )
    for name, function in BASELINES.items():
        doc = (function.__doc__ or "").strip().splitlines()[0]
        reg.register(name, function_factory(function), kind="baseline", description=doc)
    reg.load_plugins("slimplace.schedulers")
    return reg
