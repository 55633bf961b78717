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
import math
from collections.abc import Collection, Mapping

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


# ---------------------------------------------------------------------------- values

#: Parameters that are a duration or a factor: the least value each may take, and
#: whether that value itself is allowed.
_NUMBER_RANGES: Mapping[str, tuple[float, bool]] = {
    "time_limit_s": (0.0, False),
    "horizon_s": (0.0, False),
    "step_s": (0.0, False),
    "period_s": (0.0, False),
    "idle_s": (0.0, True),
    "patience_s": (0.0, True),
    "headroom": (0.0, True),
    "hysteresis": (0.0, True),
    "churn": (0.0, True),
    "load_scale": (0.0, False),
}
#: Parameters with a fixed set of values.
_CHOICES: Mapping[str, tuple[str, ...]] = {
    "objective": ("energy", "carbon"),
    "variants": ("pareto", "cheapest", "all"),
    "carbon": ("constant", "solar"),
}


def value_problems(
    name: str, value: object, *, methods: Collection[str], policies: Collection[str]
) -> list[str]:
    """What is wrong with ``value`` for parameter ``name`` (empty when it is fine);
    ``methods`` and ``policies`` are the registered names."""
    if name in _NUMBER_RANGES:
        low, inclusive = _NUMBER_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"expected a number, got {value!r}"]
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            return [f"must be {'at least' if inclusive else 'greater than'} {low:g}, got {value!r}"]
    elif name in _CHOICES and value not in _CHOICES[name]:
        return [f"expected {' or '.join(_CHOICES[name])}, got {value!r}"]
    elif name == "method":
        return _names_problems([value], methods, "method")
    elif name == "methods":
        if not isinstance(value, list) or not value:
            return [f"expected a list of method names, got {value!r}"]
        return _names_problems(value, methods, "method")
    elif name == "policy":
        return _names_problems([value], policies, "policy")
    elif name in ("n_devices", "replicate"):
        least = 1 if name == "n_devices" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            return [f"expected a whole number of at least {least}, got {value!r}"]
    elif name == "strict" and not isinstance(value, bool):
        return [f"expected true or false, got {value!r}"]
    return []


def _names_problems(values: list[object], known: Collection[str], what: str) -> list[str]:
    import difflib

    out = []
    for v in values:
        if isinstance(v, str) and v in known:
            continue
        close = difflib.get_close_matches(str(v), list(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        out.append(f"unknown {what} {v!r}{hint}; known: {', '.join(sorted(known))}")
    return out
