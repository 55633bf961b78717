"""Named factories: the one registry behind placement methods, simulation policies and
scheduling methods.

A registry is a plain object (there is no process-wide one, so two can coexist). Each
entry builds a configured object from keyword options; :meth:`NamedRegistry.create`
raises :class:`UnknownOptionError` naming any option the factory does not take,
except the registry's *shared settings* (``shared_options``, e.g. a time limit),
which are offered to every entry and passed to those that take them. Users add entries
by a call or by a package entry point (a function taking the registry), loaded with
:meth:`NamedRegistry.load_plugins`.
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar, Generic, TypeVar

from slimplace.errors import SlimplaceError

log = logging.getLogger(__name__)

T = TypeVar("T")


class UnknownNameError(SlimplaceError):
    """A name nobody registered."""


class UnknownOptionError(SlimplaceError):
    """An option the named entry does not take."""


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """A registered factory: how to build it and what it is."""

    name: str
    factory: Callable[..., T]
    kind: str
    description: str


class NamedRegistry(Generic[T]):
    """Factories by name, in registration order."""

    #: What an entry is called in messages ("method", "policy").
    noun: ClassVar[str] = "entry"
    #: The error raised for an unknown name.
    unknown_error: ClassVar[type[SlimplaceError]] = UnknownNameError
    #: The kinds an entry may have (empty: any).
    kinds: ClassVar[tuple[str, ...]] = ()
    #: Settings offered to every entry: passed where the factory takes them, else ignored.
    shared_options: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._entries: dict[str, Entry[T]] = {}
        #: Entries that could not be registered (name -> why), e.g. a missing optional
        #: dependency; listed by ``slimplace methods`` instead of vanishing.
        self.unavailable: dict[str, str] = {}

    def register(
        self, name: str, factory: Callable[..., T], *, kind: str = "", description: str = ""
    ) -> None:
        """Add (or replace) ``name``; ``factory(**options)`` builds it."""
        if self.kinds and kind not in self.kinds:
            raise ValueError(f"{self.noun} {name!r}: kind must be one of {', '.join(self.kinds)}")
        self._entries[name] = Entry(name, factory, kind, description)

    def info(self, name: str) -> Entry[T]:
        """The entry for ``name``; unknown names get close suggestions."""
        if name not in self._entries:
            close = difflib.get_close_matches(name, self._entries, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            known = ", ".join(self._entries)
            raise self.unknown_error(f"unknown {self.noun} {name!r}{hint}; known: {known}")
        return self._entries[name]

    def create(self, name: str, **options: Any) -> T:
        """Build ``name`` with ``options``; an option its factory does not take raises
        :class:`UnknownOptionError` naming it, except the shared settings
        (:attr:`shared_options`), which are dropped where not taken."""
        factory = self.info(name).factory
        accepted = accepted_options(factory, options)
        unknown = sorted(set(options) - set(accepted) - set(self.shared_options))
        if unknown:
            takes = sorted(option_names(factory) or ())
            raise UnknownOptionError(
                f"{self.noun} {name!r} takes no option {', '.join(map(repr, unknown))}"
                f"; it takes: {', '.join(takes) or 'none'}"
            )
        return factory(**accepted)

    def names(self, kind: str | None = None) -> list[str]:
        """Registered names, optionally of one kind, in registration order."""
        return [n for n, e in self._entries.items() if kind is None or e.kind == kind]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def load_plugins(self, group: str) -> None:
        """Call every installed entry point of ``group`` with this registry; a broken
        plugin is logged and skipped, so it cannot break the built-ins."""
        for ep in entry_points(group=group):
            try:
                ep.load()(self)
            except Exception:
                log.exception("could not load %s plugin %s", self.noun, ep.name)


@dataclass(frozen=True, slots=True)
class FunctionMethod:
    """Adapts a plain function ``f(problem, *, seed)`` to an object with
    ``solve(problem, *, seed)``, the interface of placement and scheduling methods."""

    function: Callable[..., Any]

    def solve(self, problem: Any, *, seed: int = 0) -> Any:
        """Call the function."""
        return self.function(problem, seed=seed)


def function_factory(function: Callable[..., Any]) -> Callable[[], FunctionMethod]:
    """A factory (taking no options) of :class:`FunctionMethod` over ``function``."""

    def factory() -> FunctionMethod:
        return FunctionMethod(function)

    return factory


def option_names(factory: Callable[..., Any]) -> set[str] | None:
    """Keyword options ``factory`` takes (None: any, it takes ``**kwargs``; empty when
    its signature cannot be inspected)."""
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return set()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    keyword = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return {p.name for p in params if p.kind in keyword}


def accepted_options(factory: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``options`` that ``factory``'s signature accepts (all of them if it
    takes ``**kwargs``; none if its signature cannot be inspected)."""
    names = option_names(factory)
    if names is None:
        return dict(options)
    return {k: v for k, v in options.items() if k in names}
