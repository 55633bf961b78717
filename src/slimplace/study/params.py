"""The parameters a sweep can set or vary, and which of them shape the scenario.

Every trial is described by a flat mapping of parameters. They fall in three
groups, which decide the seeds and the grouping of trials:

- *structure* parameters (``scenario``, ``topology``, generator options,
  ``n_devices``, ``replicate``) decide which scenario is generated; the
  scenario seed depends on them only, so every method, load level and
  objective of one replicate runs on the same generated network;
- *instance* parameters add what changes the problem but not the generated
  network (``load_scale``, ``objective``, ``variants``); trials with equal
  structure and instance parameters share an ``instance_id``, the group in
  which a gap to the best bound is measured;
- *method* parameters (``method``, ``methods``, ``time_limit_s``, and the
  simulation's ``policy``, ``steps``...) choose what runs on the instance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from slimplace.errors import InputError, Problem
from slimplace.topology.continuum import ContinuumOptions

#: Scenario sources that are not files.
BUILTIN_SCENARIOS = ("generated", "demo", "tiny")

#: What runs on an instance, with a one-line description.
METHOD_PARAMS: Mapping[str, str] = {
    "method": "a registered method (solve; simulate: the method the policy plans with)",
    "methods": "a list of method names (compare; default: every registered method)",
    "time_limit_s": "seconds each method may take (default 60)",
    "policy": "an online policy name (simulate; default static)",
    "horizon_s": "simulated time in seconds (simulate; default the scenario's horizon)",
    "step_s": "simulation step in seconds (simulate; default 300)",
    "period_s": "re-planning period of the periodic policies (simulate)",
    "headroom": "capacity headroom of the policies (simulate)",
    "hysteresis": "hysteresis of the periodic policies (simulate)",
    "idle_s": "idle time before a server sleeps (simulate, reactive)",
    "patience_s": "patience before more servers (simulate, reactive)",
    "churn": "share re-placed per step (simulate, continuum-first)",
}

#: What changes the problem but not the generated network.
INSTANCE_PARAMS: Mapping[str, str] = {
    "load_scale": "factor applied to every source's request rate (default 1)",
    "objective": "energy or carbon (default: the scenario's)",
    "variants": "variant pruning when compiling: pareto (default), cheapest or all",
    "strict": "false: record demands without any admissible placement instead of failing",
    "workload": "simulate: constant, diurnal, weekly or trace:NAME for every application",
    "carbon": "simulate: grid intensity over time, constant or solar",
}

#: What decides the scenario itself (besides every ContinuumOptions field).
STRUCTURE_PARAMS: Mapping[str, str] = {
    "scenario": "generated (default), a built-in name (demo, tiny) or a scenario file",
    "topology": "generated: zoo:<Name>, sndlib:<name>, synthetic:<n PoPs> or a file",
    "n_devices": "tiny: number of devices",
    "replicate": "replicate number (set by `seeds: N`); changes every derived seed",
}

#: Fields of :class:`ContinuumOptions` a sweep may set (scenario: generated).
GENERATOR_PARAMS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ContinuumOptions) if f.name != "settings"
)

#: Every parameter name a sweep accepts.
KNOWN_PARAMS: frozenset[str] = frozenset(
    [*METHOD_PARAMS, *INSTANCE_PARAMS, *STRUCTURE_PARAMS, *GENERATOR_PARAMS]
)


def structure_part(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters that decide the generated scenario (and so its seed)."""
    return {k: v for k, v in params.items() if k not in METHOD_PARAMS and k not in INSTANCE_PARAMS}


def instance_part(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters that decide the compiled problem a method runs on."""
    return {k: v for k, v in params.items() if k not in METHOD_PARAMS}


def number(params: Mapping[str, object], name: str, default: float) -> float:
    """Parameter ``name`` as a float (``default`` when absent); InputError if not a number."""
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError("sweep", [Problem(name, f"expected a number, got {value!r}")])
    return float(value)


def text(params: Mapping[str, object], name: str, default: str) -> str:
    """Parameter ``name`` as text (``default`` when absent); InputError if not text."""
    value = params.get(name, default)
    if not isinstance(value, str):
        raise InputError("sweep", [Problem(name, f"expected a name, got {value!r}")])
    return value
