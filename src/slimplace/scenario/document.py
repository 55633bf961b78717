"""A parsed YAML document checked against its pydantic schema, problems named by path.

Scenario files (:mod:`slimplace.scenario.schema`) and job files
(:mod:`slimplace.scheduling.schema`) both go through :func:`parse_document`: the
top level must be a mapping, then every schema error becomes a
:class:`~slimplace.errors.Problem` whose path reads like the file
(``applications[3].slo``), with close names suggested for an unknown field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from slimplace.errors import InputError, Problem

M = TypeVar("M", bound=BaseModel)

#: ``field_names_at(location)``: the field names allowed at a location of the document.
FieldNames = Callable[[tuple[int | str, ...]], list[str]]


def error_path(loc: Sequence[int | str]) -> str:
    """A pydantic location as a path: ``("nodes", 3, "id")`` -> ``nodes[3].id``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_problem(error: Mapping[str, Any], field_names_at: FieldNames) -> Problem:
    """A pydantic validation error as a :class:`Problem` naming the field's path, with
    the allowed names (``field_names_at(location)``) suggested for an unknown field."""
    loc = tuple(error["loc"])
    kind = error["type"]
    given = error.get("input")
    path = error_path(loc)
    if kind == "extra_forbidden":
        allowed = field_names_at(loc[:-1])
        name = str(loc[-1])
        close = difflib.get_close_matches(name, allowed, n=2, cutoff=0.6)
        hint = (
            "did you mean " + " or ".join(repr(c) for c in close) + "?"
            if close
            else "allowed: " + ", ".join(allowed)
        )
        return Problem(path, f"unknown field {name!r}; {hint}")
    if kind == "missing":
        return Problem(path, "missing required field")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(path, f"expected a mapping, got {type(given).__name__}")
    message = str(error["msg"])
    if kind not in ("unit", "range") and isinstance(given, (str, int, float, bool)):
        message += f" (got {given!r})"
    return Problem(path, message)


def parse_document(
    data: Any,
    file: str,
    model: type[M],
    field_names_at: FieldNames,
    *,
    what: str,
    keys: str,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> M:
    """``data`` (a YAML document) validated as ``model``; :class:`InputError` naming ``file``.

    ``what`` names the document in messages ("scenario", "job-file") and ``keys``
    shows its first keys ("name:, nodes:, ..."). ``prepare`` rewrites the top-level
    mapping before validation (a scenario expands its ``{file: ...}`` includes).
    """
    if data is None:
        raise InputError(file, [Problem("", f"the file is empty; expected a {what} mapping")])
    if not isinstance(data, dict):
        got = type(data).__name__
        message = f"the top level must be a mapping ({keys}), got a {got}"
        raise InputError(file, [Problem("", message)])
    if prepare is not None:
        data = prepare(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(file, [schema_problem(e, field_names_at) for e in exc.errors()]) from None


__all__ = ["FieldNames", "error_path", "parse_document", "schema_problem"]
