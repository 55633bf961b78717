"""Placement methods by name: the built-ins, plus any a user registers by a call or by a
``slimplace.methods`` package entry point (:mod:`slimplace.registry`)."""

from __future__ import annotations

from typing import Literal, Protocol, get_args

from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.registry import (
    Entry,
    FunctionMethod,
    NamedRegistry,
    UnknownNameError,
    function_factory,
)

#: A registered method (name, factory, kind, description).
MethodInfo = Entry
#: Adapts a plain function ``f(problem, *, seed) -> Plan`` to :class:`Solver`.
FunctionSolver = FunctionMethod

Kind = Literal["baseline", "heuristic", "exact", "bound"]


class Solver(Protocol):
    """A configured method: options in the constructor, data in ``solve``."""

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Return a plan for ``problem``; deterministic for a given seed."""
        ...


class UnknownMethodError(UnknownNameError):
    """A method name nobody registered."""


class Registry(NamedRegistry[Solver]):
    """Placement methods by name; ``kind`` is one of :data:`Kind`."""

    noun = "method"
    unknown_error = UnknownMethodError
    kinds = get_args(Kind)


def default_registry() -> Registry:
    """The built-in methods and every installed ``slimplace.methods`` entry point."""
    from slimplace.placement.baselines import BASELINES

    registry = Registry()
    for name, function in BASELINES.items():
        registry.register(
            name,
            function_factory(function),
            kind="baseline",
            description=(function.__doc__ or "").strip().splitlines()[0],
        )
    _register_optimizers(registry)
    registry.load_plugins("slimplace.methods")
    return registry


def _register_optimizers(registry: Registry) -> None:
    """Hook for the optimizer package (exact, bound, heuristics) to add its methods."""
    try:
        from slimplace.optim import register as register_optimizers
    except ImportError:
        return
    register_optimizers(registry)
