"""``{file: path}`` items in a scenario's hardware, link_kinds and families lists.

An item that is exactly ``{file: path}`` is replaced by the entries of that YAML
file: one entry (a mapping), or every entry of a list under the same key (as
written by ``slimplace profile`` and ``slimplace calibrate``).

A scenario file may come from someone else, so an include is read only when it is
safe to (issue 13, section 4):

- the path, relative to the scenario's folder, resolves (symbolic links followed)
  inside that folder or inside a folder the caller allows explicitly
  (``include_dirs``; ``--allow-include DIR`` on the command line): no absolute
  paths elsewhere, no ``../`` escapes;
- it is a regular file (not a directory, FIFO, socket or device such as
  ``/dev/zero``) of at most :data:`MAX_INCLUDE_BYTES`, opened without blocking;
- when it does not parse, or its entries do not fit the schema, the problem is
  named by line and column or by field path and kind only: no text of the
  included file is quoted (it could be a secret that then lands in failure
  records and shared reports).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from slimplace.errors import InputError, Problem
from slimplace.scenario import schema
from slimplace.scenario.document import FieldNames
from slimplace.scenario.yaml_text import decode_text, read_yaml

#: Sections whose items may be ``{file: path}``: a YAML file holding one such item, or a
#: document with a list under the same key (as written by ``slimplace profile`` and
#: ``slimplace calibrate``), read relative to the scenario file.
INCLUDABLE = ("hardware", "link_kinds", "families")

#: The largest include read (bytes): a measured family of many variants is well below it.
MAX_INCLUDE_BYTES = 8 * 2**20

_ENTRY_MODELS: dict[str, type[BaseModel]] = {
    "hardware": schema.HardwareModel,
    "link_kinds": schema.LinkKindModel,
    "families": schema.FamilyModel,
}


@dataclass(frozen=True, slots=True)
class IncludePolicy:
    """Where includes may be read from: the scenario's folder plus ``include_dirs``."""

    base_dir: Path
    include_dirs: tuple[Path, ...] = ()
    max_bytes: int = MAX_INCLUDE_BYTES

    @classmethod
    def of(cls, base_dir: str | Path, include_dirs: Sequence[str | Path] = ()) -> IncludePolicy:
        """The policy of a scenario in ``base_dir`` that also allows ``include_dirs``."""
        return cls(Path(base_dir), tuple(Path(d) for d in include_dirs))

    def roots(self) -> list[Path]:
        """The allowed folders, resolved."""
        return [d.resolve() for d in (self.base_dir, *self.include_dirs)]


def expand_includes(data: dict[str, Any], policy: IncludePolicy, file: str) -> dict[str, Any]:
    """``data`` with each ``{file: path}`` item replaced by the entries it holds.

    Raises :class:`InputError` naming ``file`` and ``section[i].file`` for every
    include that is refused, unreadable, not YAML or not schema-valid.
    """
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
            where = f"{section}[{i}].file"
            found: list[Problem] = []
            entries = _included_entries(section, item["file"], policy, found)
            problems += [Problem(where, p.message) for p in found]
            expanded += entries
        out[section] = expanded
    if problems:
        raise InputError(file, problems)
    return out


def _included_entries(
    section: str, name: Any, policy: IncludePolicy, problems: list[Problem]
) -> list[Any]:
    if not isinstance(name, str) or not name:
        problems.append(Problem("", "expected a file name (text)"))
        return []
    path = _allowed_path(name, policy, problems)
    if path is None:
        return []
    raw = _read_regular_file(path, name, policy.max_bytes, problems)
    if raw is None:
        return []
    loaded = _parse_quietly(raw, name, problems)
    if isinstance(loaded, dict) and isinstance(loaded.get(section), list):
        entries = list(loaded[section])
    elif isinstance(loaded, dict):
        entries = [loaded]
    else:
        if not problems:
            problems.append(Problem("", f"{name} must hold a mapping or a '{section}:' list"))
        return []
    before = len(problems)
    for k, entry in enumerate(entries):
        _check_entry(section, entry, f"{name}: entry {k + 1}", problems)
    return entries if len(problems) == before else []


def _allowed_path(name: str, policy: IncludePolicy, problems: list[Problem]) -> Path | None:
    """``name`` resolved from the scenario's folder if it lies in an allowed folder."""
    try:
        path = (policy.base_dir / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL byte
        problems.append(Problem("", f"cannot resolve {name!r}: {exc}"))
        return None
    if any(path.is_relative_to(root) for root in policy.roots()):
        return path
    message = (
        f"{name!r} is outside the scenario's folder; includes are read only from there "
        "(allow another folder with include_dirs / --allow-include DIR)"
    )
    problems.append(Problem("", message))
    return None


def _read_regular_file(
    path: Path, name: str, max_bytes: int, problems: list[Problem]
) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        problems.append(Problem("", f"cannot read {name}: {exc.strerror}"))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem("", f"{name} is not a regular file"))
            return None
        if info.st_size > max_bytes:
            limit = f"{max_bytes / 2**20:g} MiB"
            problems.append(Problem("", f"{name} is larger than the {limit} an include may be"))
            return None
        raw = _read_at_most(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        problems.append(Problem("", f"{name} grew beyond {max_bytes} bytes while read"))
        return None
    return raw


def _read_at_most(fd: int, limit: int) -> bytes:
    """Up to ``limit`` bytes from ``fd``, to its end."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _parse_quietly(raw: bytes, name: str, problems: list[Problem]) -> Any:
    """The YAML in ``raw``; on failure a problem giving the place only, never the text."""
    try:
        return read_yaml(decode_text(raw, name), name)
    except InputError as exc:
        place = _place(str(exc.problems[0].message)) if exc.problems else ""
        problems.append(Problem("", f"{name} is not valid UTF-8 YAML{place}"))
        return None


def _place(message: str) -> str:
    """`` at line L, column C`` from a YAML error message, or nothing."""
    _, sep, rest = message.partition(" at line ")
    if not sep:
        return ""
    numbers = rest.split(":", 1)[0]
    return f" (error at line {numbers})" if numbers.replace(", column ", "").isdigit() else ""


def _check_entry(section: str, entry: Any, where: str, problems: list[Problem]) -> None:
    """Schema problems of one included entry, by field path and kind only."""
    model = _ENTRY_MODELS[section]
    try:
        model.model_validate(entry)
    except ValidationError as exc:
        for error in exc.errors():
            path = _known_path(tuple(error["loc"]), model)
            problems.append(Problem("", f"{where}: {path or 'the entry'}: {_kind(error)}"))


def _known_path(loc: tuple[int | str, ...], model: type[BaseModel]) -> str:
    """The location as a path, cut before the first part that is not a field of the schema."""
    names: FieldNames = lambda at: schema.field_names_at(at, model)  # noqa: E731
    out = ""
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in names(loc[:depth]):
            out += f".{part}" if out else part
        else:
            break
    return out


def _kind(error: Any) -> str:
    """What is wrong, without the value given."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (its name is not shown: included text is never quoted)"
    if kind == "missing":
        return "missing required field"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a mapping"
    if kind == "unit":
        return "not a quantity in the expected unit"
    if kind == "range":
        return "out of range"
    return "invalid value"


__all__ = ["INCLUDABLE", "MAX_INCLUDE_BYTES", "IncludePolicy", "expand_includes"]
