"""``{file: path}`` items in a scenario's hardware, link_kinds and families lists.

An item that is exactly ``{file: path}`` is replaced by the entries of that YAML
file: one entry (a mapping), or every entry of a list under the same key (as
written by ``slimplace profile`` and ``slimplace calibrate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slimplace.errors import InputError, Problem
from slimplace.scenario.yaml_text import read_yaml

#: Sections whose items may be ``{file: path}``: a YAML file holding one such item, or a
#: document with a list under the same key (as written by ``slimplace profile`` and
#: ``slimplace calibrate``), read relative to the scenario file.
INCLUDABLE = ("hardware", "link_kinds", "families")


def expand_includes(data: dict[str, Any], base_dir: Path, file: str) -> dict[str, Any]:
    """``data`` with each ``{file: path}`` item replaced by the entries it holds."""
    problems: list[Problem] = []
    out = dict(data)
    for section in INCLUDABLE:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        expanded: list[Any] = []
        for i, item in enumerate(items):
            if not (isinstance(item, dict) and set(item) == {"file"}):
                expanded.append(item)
                continue
            expanded += _included_items(
                section, item["file"], base_dir, f"{section}[{i}].file", problems
            )
        out[section] = expanded
    if problems:
        raise InputError(file, problems)
    return out


def _included_items(
    section: str, name: Any, base_dir: Path, where: str, problems: list[Problem]
) -> list[Any]:
    path = base_dir / str(name)
    try:
        loaded = read_yaml(path.read_text(encoding="utf-8-sig"), str(path))
    except OSError as exc:
        problems.append(Problem(where, f"cannot read {path}: {exc.strerror}"))
        return []
    except InputError as exc:
        problems += [Problem(where, f"{path}: {p}") for p in exc.problems]
        return []
    if isinstance(loaded, dict) and isinstance(loaded.get(section), list):
        return list(loaded[section])
    if isinstance(loaded, dict):
        return [loaded]
    problems.append(Problem(where, f"{path} must hold a mapping or a '{section}:' list"))
    return []


__all__ = ["INCLUDABLE", "expand_includes"]
