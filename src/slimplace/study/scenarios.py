"""Building a trial's scenario from its parameters (a pure function of them and a seed)."""

from __future__ import annotations

import dataclasses
import importlib
import typing
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from slimplace.errors import InputError, Problem
from slimplace.scenario.model import Scenario
from slimplace.study.params import GENERATOR_PARAMS
from slimplace.topology.continuum import ContinuumOptions


def build_scenario(
    params: Mapping[str, Any], *, seed: int, scenario_text: str | None = None
) -> Scenario:
    """The scenario of a trial: generated, built-in or read from ``scenario_text``,
    then with its load scaled by ``load_scale`` and its objective set by ``objective``."""
    source = str(params.get("scenario", "generated"))
    if source == "generated":
        scenario = generated_scenario(params, seed=seed)
    elif source == "tiny":
        from slimplace.benchmarks.tiny import tiny_scenario

        scenario = tiny_scenario(int(params.get("n_devices", 6)), seed=seed)
    elif source == "demo":
        scenario = _demo_scenario(seed)
    else:
        from slimplace.scenario.io import loads_scenario

        if scenario_text is None:
            raise InputError(source, [Problem("", "scenario file contents missing")])
        # includes ({file: ...}) are read next to the scenario file, wherever this runs
        scenario = loads_scenario(scenario_text, file=source, base_dir=Path(source).parent)
    scale = float(params.get("load_scale", 1.0))
    if scale != 1.0:
        scenario = scale_load(scenario, scale)
    if "objective" in params:
        objective = params["objective"]
        if objective not in ("energy", "carbon"):
            raise InputError(
                "sweep", [Problem("objective", f"expected energy or carbon, got {objective!r}")]
            )
        scenario = replace(scenario, settings=replace(scenario.settings, objective=objective))
    return scenario


def generated_scenario(params: Mapping[str, Any], *, seed: int) -> Scenario:
    """A continuum grown by :func:`slimplace.topology.generate_continuum` on ``topology``
    (``synthetic:<n>`` is a seeded :func:`slimplace.topology.synthetic_topology`)."""
    from slimplace.topology import generate_continuum, load_topology, synthetic_topology

    topology = str(params.get("topology", "synthetic:8"))
    kind, _, arg = topology.partition(":")
    if kind == "synthetic":
        try:
            n_pops = int(arg)
        except ValueError:
            raise InputError(
                "sweep",
                [Problem("topology", f"expected synthetic:<number of PoPs>, got {topology!r}")],
            ) from None
        graph = synthetic_topology(n_pops, seed=seed)
    else:
        graph = load_topology(topology)
    options = continuum_options(params)
    return generate_continuum(graph, options, seed=seed, name=f"{topology}-s{seed}")


def continuum_options(params: Mapping[str, Any]) -> ContinuumOptions:
    """:class:`ContinuumOptions` from the generator parameters (lists become tuples)."""
    hints = typing.get_type_hints(ContinuumOptions)
    values: dict[str, Any] = {}
    problems = []
    for name in GENERATOR_PARAMS:
        if name not in params:
            continue
        value = params[name]
        if isinstance(value, list):
            value = tuple(value)
        expected = hints[name]
        if "tuple" in str(expected) and not isinstance(value, tuple):
            problems.append(Problem(name, f"expected a list, got {value!r}"))
        values[name] = value
    if problems:
        raise InputError("sweep", problems)
    fields = {f.name for f in dataclasses.fields(ContinuumOptions)}
    return ContinuumOptions(**{k: v for k, v in values.items() if k in fields})


def scale_load(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with every source's request rate multiplied by ``factor``."""
    if factor <= 0:
        raise InputError("sweep", [Problem("load_scale", f"must be positive, got {factor}")])
    apps = tuple(
        replace(a, sources=tuple(replace(s, rate_per_s=s.rate_per_s * factor) for s in a.sources))
        for a in scenario.applications
    )
    return replace(scenario, applications=apps)


def _demo_scenario(seed: int) -> Scenario:
    """``slimplace.demo.demo_scenario(seed=...)``, looked up at run time."""
    try:
        make = importlib.import_module("slimplace.demo").demo_scenario
    except (ImportError, AttributeError):
        raise InputError(
            "sweep", [Problem("scenario", "the built-in demo scenario is not available")]
        ) from None
    scenario: Scenario = make(seed=seed)
    return scenario
