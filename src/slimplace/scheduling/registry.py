"""Scheduling methods by name: the built-ins plus any a user registers by a call or a
``slimplace.schedulers`` package entry point. A registry is a plain object (no
process-wide one), like :class:`slimplace.placement.registry.Registry`."""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol

from slimplace.placement.registry import UnknownMethodError
from slimplace.scheduling.problem import ScheduleProblem
from slimplace.scheduling.schedule import Schedule

log = logging.getLogger(__name__)

Kind = Literal["baseline", "heuristic", "exact"]


class Scheduler(Protocol):
    """A configured method: options in the constructor, data in ``solve``."""

    def solve(self, problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
        """Return a schedule for ``problem``; deterministic for a given seed."""
        ...


@dataclass(frozen=True, slots=True)
class FunctionScheduler:
    """Adapts ``f(problem, *, seed) -> Schedule`` to :class:`Scheduler`."""

    function: Callable[..., Schedule]

    def solve(self, problem: ScheduleProblem, *, seed: int = 0) -> Schedule:
        """Call the function."""
        return self.function(problem, seed=seed)


@dataclass(frozen=True, slots=True)
class SchedulerInfo:
    """A registered method: how to build it and what it is."""

    name: str
    factory: Callable[..., Scheduler]
    kind: Kind
    description: str


class SchedulerRegistry:
    """Scheduling methods by name."""

    def __init__(self) -> None:
        self._methods: dict[str, SchedulerInfo] = {}

    def register(
        self, name: str, factory: Callable[..., Scheduler], *, kind: Kind, description: str = ""
    ) -> None:
        """Add (or replace) a method; ``factory(**options)`` builds a :class:`Scheduler`."""
        self._methods[name] = SchedulerInfo(name, factory, kind, description)

    def info(self, name: str) -> SchedulerInfo:
        """The entry for ``name``; unknown names get close suggestions."""
        if name not in self._methods:
            close = difflib.get_close_matches(name, self._methods, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            known = ", ".join(self._methods)
            raise UnknownMethodError(f"unknown scheduling method {name!r}{hint}; known: {known}")
        return self._methods[name]

    def create(self, name: str, **options: Any) -> Scheduler:
        """Build ``name`` with the ``options`` its factory accepts (others are ignored)."""
        factory = self.info(name).factory
        try:
            params = list(inspect.signature(factory).parameters.values())
        except (TypeError, ValueError):
            params = []
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        names = {p.name for p in params}
        return factory(**{k: v for k, v in options.items() if takes_all or k in names})

    def names(self, kind: Kind | None = None) -> list[str]:
        """Registered names, optionally of one kind, in registration order."""
        return [n for n, m in self._methods.items() if kind is None or m.kind == kind]

    def __contains__(self, name: object) -> bool:
        return name in self._methods


def _function(function: Callable[..., Schedule]) -> Callable[[], Scheduler]:
    def factory() -> Scheduler:
        return FunctionScheduler(function)

    return factory


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
        reg.register(name, _function(function), kind="baseline", description=doc)
    for ep in entry_points(group="slimplace.schedulers"):
        try:
            ep.load()(reg)
        except Exception:  # a broken plugin must not break the built-ins
            log.exception("could not load scheduler plugin %s", ep.name)
    return reg
