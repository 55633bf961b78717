"""Sweep specifications: a YAML file read into a pydantic model (``extra="forbid"``).

A spec names the sweep, its seed, what each trial runs, fixed ``parameters``
and ``axes`` (every combination of their values is one trial, times ``seeds``
replicates)::

    name: small
    seed: 7
    run: solve                      # solve | compare | simulate
    parameters:                     # every trial; an axis overrides
      scenario: generated           # generated | demo | tiny | path/to/scenario.yaml
      topology: synthetic:6
      n_demands: 12
    axes:
      method: [cloud-only, edge-first, nearest-feasible]
      load_scale: [0.5, 1.0]
    seeds: 10                       # replicates 0..9

Scenario file paths are resolved against the spec file's folder when it is read.
Parameter names are checked against :mod:`slimplace.study.params`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from slimplace.errors import InputError, Problem
from slimplace.study.params import BUILTIN_SCENARIOS, KNOWN_PARAMS, value_problems

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
#: A parameter value: a scalar, or a list (``methods``, a generator range such as ``[1, 20]``).
ParamValue = Scalar | list[Scalar]

RunKind = Literal["solve", "compare", "simulate"]


class SweepSpec(BaseModel):
    """A sweep: what runs, on which grid of parameters, with which seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    description: str = ""
    seed: int = Field(0, ge=0)
    run: RunKind = "solve"
    parameters: dict[str, ParamValue] = Field(default_factory=dict)
    axes: dict[str, list[ParamValue]] = Field(default_factory=dict)
    seeds: int = Field(1, ge=1, le=100_000)


def load_spec(path: str | Path) -> SweepSpec:
    """Read a sweep spec file; raise :class:`InputError` naming every problem.

    Relative scenario file paths become absolute (resolved against the file's folder).
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(file, [Problem("", f"cannot read the sweep spec: {exc}")]) from None
    return loads_spec(text, file=file, base_dir=Path(path).resolve().parent)


def loads_spec(text: str, *, file: str = "<string>", base_dir: Path | None = None) -> SweepSpec:
    """Read a sweep spec from YAML text (see :func:`load_spec`)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise InputError(file, [Problem(where, f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise InputError(file, [Problem("", "expected a mapping (name, run, parameters, axes)")])
    return parse_spec(data, file=file, base_dir=base_dir)


def parse_spec(data: dict[str, Any], *, file: str, base_dir: Path | None = None) -> SweepSpec:
    """Validate a spec mapping; resolve scenario paths against ``base_dir``."""
    problems = _check_names(data)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(file, [_problem(e) for e in exc.errors()] + problems) from None
    if problems:
        raise InputError(file, problems)
    spec, path_problems = _resolve_paths(spec, base_dir or Path.cwd())
    problems += path_problems
    if problems:
        raise InputError(file, problems)
    return spec


def dump_spec(spec: SweepSpec) -> str:
    """The spec as YAML text that :func:`loads_spec` reads back equal."""
    return yaml.safe_dump(spec.model_dump(), sort_keys=False, allow_unicode=True, width=4096)


def _problem(error: Any) -> Problem:
    loc = ".".join(str(p) for p in error["loc"] if not _is_type_tag(p))
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown field; expected name, description, seed, run, parameters, axes, seeds"
    return Problem(loc, message)


def _is_type_tag(part: object) -> bool:
    """pydantic puts union member names (``str``, ``list[str]``) in error locations."""
    return isinstance(part, str) and (
        part in ("bool", "int", "float", "str") or part.startswith("list[")
    )


def _check_names(data: dict[str, Any]) -> list[Problem]:
    """Parameter names and axis values, checked on the raw mapping (so these problems
    are reported together with pydantic's)."""
    problems = []
    known = ", ".join(sorted(KNOWN_PARAMS))
    parameters, axes = data.get("parameters"), data.get("axes")
    for where, names in (("parameters", parameters), ("axes", axes)):
        for name in names if isinstance(names, dict) else ():
            if name not in KNOWN_PARAMS:
                problems.append(Problem(f"{where}.{name}", f"unknown parameter; known: {known}"))
    for name, values in axes.items() if isinstance(axes, dict) else ():
        if not isinstance(values, list):
            continue
        if not values:
            problems.append(Problem(f"axes.{name}", "needs at least one value"))
        if len({_key(v) for v in values}) < len(values):
            problems.append(Problem(f"axes.{name}", "repeats a value"))
    seeds = data.get("seeds", 1)
    if isinstance(axes, dict) and "replicate" in axes and isinstance(seeds, int) and seeds > 1:
        problems.append(Problem("seeds", "give either seeds or an axis named replicate"))
    return problems


def _key(value: object) -> str:
    """Values equal once numbers become floats (as :func:`trials.grid` makes them) match."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(float(value))
    return repr(value)


def _resolve_paths(spec: SweepSpec, base_dir: Path) -> tuple[SweepSpec, list[Problem]]:
    """Make scenario file paths absolute; report the ones that do not exist."""
    problems: list[Problem] = []

    def resolve(value: Any, where: str) -> Any:
        if not isinstance(value, str) or value in BUILTIN_SCENARIOS:
            if not isinstance(value, str):
                problems.append(Problem(where, "expected a scenario name or file path"))
            return value
        path = Path(value).expanduser()
        path = path if path.is_absolute() else (base_dir / path).resolve()
        if not path.is_file():
            problems.append(Problem(where, f"no scenario file {path}"))
        return str(path)

    params = dict(spec.parameters)
    if "scenario" in params:
        params["scenario"] = resolve(params["scenario"], "parameters.scenario")
    axes = dict(spec.axes)
    if "scenario" in axes:
        axes["scenario"] = [
            resolve(v, f"axes.scenario[{i}]") for i, v in enumerate(axes["scenario"])
        ]
    return spec.model_copy(update={"parameters": params, "axes": axes}), problems


def check_values(spec: SweepSpec, *, file: str) -> None:
    """Refuse a spec whose parameter or axis values cannot run (an unknown method or
    policy, a negative time limit, a load scale of 0...) before any trial starts;
    :class:`InputError` names each ``parameters.NAME`` or ``axes.NAME[i]``."""
    from slimplace.methods import default_registry
    from slimplace.sim import default_policies

    methods, policies = default_registry().names(), default_policies().names()
    problems = [
        Problem(f"parameters.{name}", message)
        for name, value in spec.parameters.items()
        for message in value_problems(name, value, methods=methods, policies=policies)
    ]
    problems += [
        Problem(f"axes.{name}[{i}]", message)
        for name, values in spec.axes.items()
        for i, value in enumerate(values)
        for message in value_problems(name, value, methods=methods, policies=policies)
    ]
    if problems:
        raise InputError(file, problems)
