"""Online policies by name: the built-ins, plus any a user registers by a call or by a
``slimplace.policies`` package entry point (a function taking the registry; see
:mod:`slimplace.registry`).

A policy that plans holds a solver object; its registry entry builds that solver from
the options ``method`` (a name in a method registry; default ``greedy``) and
``time_limit_s``, so a sweep or the CLI can name it.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from slimplace.methods import default_registry
from slimplace.placement.registry import Registry
from slimplace.registry import Entry, NamedRegistry, UnknownNameError
from slimplace.sim.policies import (
    ContinuumFirstPolicy,
    HindsightPolicy,
    PeriodicPolicy,
    PredictivePolicy,
    ReactivePolicy,
    StaticPolicy,
)
from slimplace.sim.policy import Policy

#: A registered policy (name, factory, kind (unused), description).
PolicyInfo = Entry


class UnknownPolicyError(UnknownNameError):
    """A policy name nobody registered."""


class PolicyRegistry(NamedRegistry[Policy]):
    """Policies by name. The planning method and the options a sweep sets over several
    policies at once are shared settings (passed to the policies that take them)."""

    noun = "policy"
    unknown_error = UnknownPolicyError
    shared_options = (
        "method",
        "time_limit_s",
        "period_s",
        "headroom",
        "hysteresis",
        "idle_s",
        "patience_s",
        "churn",
    )


def planning(
    policy: type[Any], methods: Registry, time_limit_s: float, **fixed: Any
) -> Callable[..., Policy]:
    """A factory of ``policy`` (a dataclass with a ``solver`` field) taking the policy's
    other options plus ``method`` (a name in ``methods``, default ``greedy``) and
    ``time_limit_s`` (the solver's limit, default ``time_limit_s``) instead of a solver;
    ``fixed`` options preset (and still overridable)."""

    def factory(*, method: str | None = None, time_limit_s: float = time_limit_s, **options: Any):  # type: ignore[no-untyped-def]
        solver = methods.create(method or "greedy", time_limit_s=time_limit_s)
        return policy(solver=solver, **{**fixed, **options})

    params = [
        inspect.Parameter("method", inspect.Parameter.KEYWORD_ONLY, default=None),
        inspect.Parameter("time_limit_s", inspect.Parameter.KEYWORD_ONLY, default=time_limit_s),
    ]
    params += [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=fixed.get(f.name, f.default),
            annotation=f.type,  # a string under postponed annotations: what --set checks
        )
        for f in dataclasses.fields(policy)
        if f.default is not dataclasses.MISSING and f.init and f.name != "solver"
    ]
    factory.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return factory


def _builtins(registry: PolicyRegistry, methods: Registry) -> None:
    registry.register(
        "static",
        planning(StaticPolicy, methods, 30.0),
        description="one plan for the peak rates, all day (servers for the peak)",
    )
    registry.register(
        "periodic",
        planning(PeriodicPolicy, methods, 10.0),
        description="re-solve every period with any method, warm-started, with hysteresis",
    )
    registry.register(
        "reactive",
        planning(ReactivePolicy, methods, 30.0),
        description="peak placement; lighter variants before more servers; sleep when idle",
    )
    registry.register(
        "consolidate",
        planning(ReactivePolicy, methods, 30.0, scale_variants=False, name="consolidate"),
        description="peak placement and variants; servers follow the load, sleep when idle",
    )
    registry.register(
        "carbon-aware",
        planning(
            PeriodicPolicy,
            methods,
            10.0,
            objective="carbon",
            carbon_change=0.1,
            name="carbon-aware",
        ),
        description="re-solve for carbon at the current grid intensities (load to green regions)",
    )
    registry.register(
        "static-peak",
        planning(StaticPolicy, methods, 30.0, name="static-peak"),
        description="the plan for the trace's peak load, all day: the reference for savings",
    )
    registry.register(
        "predictive",
        planning(PredictivePolicy, methods, 30.0),
        description="MPC: forecast the next hour, wake servers ahead, re-plan warm-started",
    )
    registry.register(
        "hindsight",
        planning(HindsightPolicy, methods, 30.0),
        description="offline reference: per-step plans with perfect knowledge of the load",
    )
    registry.register(
        "continuum-first",
        ContinuumFirstPolicy,
        description="CONT greedy: own edge, else metro, else cloud; churn re-places some each step",
    )


def default_policies(methods: Registry | None = None) -> PolicyRegistry:
    """The built-in policies and every installed ``slimplace.policies`` entry point;
    planning policies find their methods in ``methods`` (default: the default registry)."""
    registry = PolicyRegistry()
    _builtins(registry, methods if methods is not None else default_registry())
    registry.load_plugins("slimplace.policies")
    return registry
