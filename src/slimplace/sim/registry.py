"""Online policies by name: the built-ins, plus any a user registers by a call or by a
``slimplace.policies`` package entry point (a function taking the registry; see
:mod:`slimplace.registry`)."""

from __future__ import annotations

from slimplace.registry import Entry, NamedRegistry, UnknownNameError
from slimplace.sim.policy import Policy

#: A registered policy (name, factory, kind (unused), description).
PolicyInfo = Entry


class UnknownPolicyError(UnknownNameError):
    """A policy name nobody registered."""


class PolicyRegistry(NamedRegistry[Policy]):
    """Policies by name."""

    noun = "policy"
    unknown_error = UnknownPolicyError


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
    registry.load_plugins("slimplace.policies")
    return registry
