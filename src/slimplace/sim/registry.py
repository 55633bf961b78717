"""Online policies by name: the built-ins, plus any a user registers by a call or by a
``slimplace.policies`` package entry point (a function taking the registry). A registry
is a plain object; there is no process-wide one."""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from slimplace.errors import SlimplaceError
from slimplace.sim.policy import Policy

log = logging.getLogger(__name__)


class UnknownPolicyError(SlimplaceError):
    """A policy name nobody registered."""


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """A registered policy: how to build it and what it does."""

    name: str
    factory: Callable[..., Policy]
    description: str


class PolicyRegistry:
    """Policies by name."""

    def __init__(self) -> None:
        self._policies: dict[str, PolicyInfo] = {}

    def register(self, name: str, factory: Callable[..., Policy], *, description: str = "") -> None:
        """Add (or replace) a policy; ``factory(**options)`` builds it."""
        self._policies[name] = PolicyInfo(name, factory, description)

    def info(self, name: str) -> PolicyInfo:
        """The entry for ``name``; unknown names get close suggestions."""
        if name not in self._policies:
            close = difflib.get_close_matches(name, self._policies, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UnknownPolicyError(
                f"unknown policy {name!r}{hint}; known: {', '.join(self._policies)}"
            )
        return self._policies[name]

    def create(self, name: str, **options: Any) -> Policy:
        """Build policy ``name`` with the ``options`` its factory accepts (others are ignored)."""
        factory = self.info(name).factory
        try:
            params = inspect.signature(factory).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        accepted = {k: v for k, v in options.items() if takes_all or k in params}
        return factory(**accepted)

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._policies)

    def __contains__(self, name: object) -> bool:
        return name in self._policies


def _builtins(registry: PolicyRegistry) -> None:
    from functools import partial

    from slimplace.sim.policies import (
        ContinuumFirstPolicy,
        PeriodicPolicy,
        ReactivePolicy,
        StaticPolicy,
    )

    registry.register(
        "static",
        StaticPolicy,
        description="one plan for the peak rates, all day (servers for the peak)",
    )
    registry.register(
        "periodic",
        PeriodicPolicy,
        description="re-solve every period with any method, warm-started, with hysteresis",
    )
    registry.register(
        "reactive",
        ReactivePolicy,
        description="peak placement; lighter variants before more servers; sleep when idle",
    )
    registry.register(
        "consolidate",
        partial(ReactivePolicy, scale_variants=False, name="consolidate"),
        description="peak placement and variants; servers follow the load, sleep when idle",
    )
    registry.register(
        "carbon-aware",
        partial(PeriodicPolicy, objective="carbon", carbon_change=0.1, name="carbon-aware"),
        description="re-solve for carbon at the current grid intensities (load to green regions)",
    )
    registry.register(
        "continuum-first",
        ContinuumFirstPolicy,
        description="CONT greedy: own edge, else metro, else cloud; churn re-places some each step",
    )


def default_policies() -> PolicyRegistry:
    """The built-in policies and every installed ``slimplace.policies`` entry point."""
    registry = PolicyRegistry()
    _builtins(registry)
    for ep in entry_points(group="slimplace.policies"):
        try:
            ep.load()(registry)
        except Exception:  # a broken plugin must not break the built-ins
            log.exception("could not load policy plugin %s", ep.name)
    return registry
