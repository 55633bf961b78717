"""Methods by name: the built-ins, plus any a user registers by a call or by a
``slimplace.methods`` package entry point. A registry is a plain object; there is
no process-wide one, so two can coexist."""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol

from slimplace.errors import SlimplaceError
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)

Kind = Literal["baseline", "heuristic", "exact", "bound"]


class Solver(Protocol):
    """A configured method: options in the constructor, data in ``solve``."""

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Return a plan for ``problem``; deterministic for a given seed."""
        ...


@dataclass(frozen=True, slots=True)
class FunctionSolver:
    """Adapts a plain function ``f(problem, *, seed) -> Plan`` to :class:`Solver`."""

    function: Callable[..., Plan]

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Call the function."""
        return self.function(problem, seed=seed)


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """A registered method: how to build it and what it is."""

    name: str
    factory: Callable[..., Solver]
    kind: Kind
    description: str


class UnknownMethodError(SlimplaceError):
    """A method name nobody registered."""


class Registry:
    """Methods by name."""

    def __init__(self) -> None:
        self._methods: dict[str, MethodInfo] = {}

    def register(
        self, name: str, factory: Callable[..., Solver], *, kind: Kind, description: str = ""
    ) -> None:
        """Add (or replace) a method; ``factory(**options)`` builds a :class:`Solver`."""
        self._methods[name] = MethodInfo(name, factory, kind, description)

    def info(self, name: str) -> MethodInfo:
        """The entry for ``name``; unknown names get close suggestions."""
        if name not in self._methods:
            close = difflib.get_close_matches(name, self._methods, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UnknownMethodError(
                f"unknown method {name!r}{hint}; known: {', '.join(self._methods)}"
            )
        return self._methods[name]

    def create(self, name: str, **options: Any) -> Solver:
        """Build method ``name`` with the ``options`` its factory accepts (others are ignored)."""
        factory = self.info(name).factory
        try:
            params = dict(inspect.signature(factory).parameters)
        except (TypeError, ValueError):
            params = {}
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        accepted = {k: v for k, v in options.items() if takes_all or k in params}
        return factory(**accepted)

    def names(self, kind: Kind | None = None) -> list[str]:
        """Registered names, optionally of one kind, in registration order."""
        return [n for n, m in self._methods.items() if kind is None or m.kind == kind]

    def __contains__(self, name: object) -> bool:
        return name in self._methods


def _function_factory(function: Callable[..., Plan]) -> Callable[[], Solver]:
    def factory() -> Solver:
        return FunctionSolver(function)

    return factory


def default_registry() -> Registry:
    """The built-in methods and every installed ``slimplace.methods`` entry point."""
    from slimplace.placement.baselines import BASELINES

    registry = Registry()
    for name, function in BASELINES.items():
        registry.register(
            name,
            _function_factory(function),
            kind="baseline",
            description=(function.__doc__ or "").strip().splitlines()[0],
        )
    _register_optimizers(registry)
    for ep in entry_points(group="slimplace.methods"):
        try:
            ep.load()(registry)
        except Exception:  # a broken plugin must not break the built-ins
            log.exception("could not load method plugin %s", ep.name)
    return registry


def _register_optimizers(registry: Registry) -> None:
    """Hook for the optimizer package (exact, bound, heuristics) to add its methods."""
    try:
        from slimplace.optim import register as register_optimizers
    except ImportError:
        return
    register_optimizers(registry)
