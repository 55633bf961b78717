"""The placement-method protocol and its registry type.

The default registry (built-ins plus ``slimplace.methods`` entry points) is built
above this package and the optimizers, in :func:`slimplace.methods.default_registry`.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Literal, Protocol, TypeVar, get_args

from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.registry import Entry, FunctionMethod, NamedRegistry, UnknownNameError

#: A registered method (name, factory, kind, description).
MethodInfo = Entry
#: Adapts a plain function ``f(problem, *, seed) -> Plan`` to :class:`Solver`.
FunctionSolver = FunctionMethod

Kind = Literal["baseline", "heuristic", "exact", "bound"]


class Solver(Protocol):
    """A configured method: options in the constructor, data in ``solve``.

    A method that can start from a known plan (a warm start) also takes
    ``start: Plan | None`` in ``solve`` (see :func:`takes_start`).
    """

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """Return a plan for ``problem``; deterministic for a given seed."""
        ...


def takes_start(solver: Solver) -> bool:
    """Whether ``solver.solve`` takes a warm-start plan (a ``start`` keyword)."""
    try:
        return "start" in inspect.signature(solver.solve).parameters
    except (TypeError, ValueError):
        return False


S = TypeVar("S")


def reconfigured(solver: S, **options: Any) -> S:
    """A copy of ``solver`` (a dataclass) with the ``options`` it has as fields changed;
    the others are left out (a composite method sets its part's time limit and objective
    this way). A solver that is not a dataclass is returned as it is."""
    if not dataclasses.is_dataclass(solver) or isinstance(solver, type):
        return solver
    names = {f.name for f in dataclasses.fields(solver) if f.init}
    return dataclasses.replace(solver, **{k: v for k, v in options.items() if k in names})


class UnknownMethodError(UnknownNameError):
    """A method name nobody registered."""


class Registry(NamedRegistry[Solver]):
    """Placement methods by name; ``kind`` is one of :data:`Kind`. A time limit and a
    MIP gap are shared settings: offered to every method, passed to those that take them."""

    noun = "method"
    unknown_error = UnknownMethodError
    kinds = get_args(Kind)
    shared_options = ("time_limit_s", "mip_gap")
