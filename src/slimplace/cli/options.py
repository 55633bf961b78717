"""Conventions every command shares: exit codes, the default seed, option types with
their ranges, ``--json FILE`` (``-`` for standard output), output paths checked
before the work starts, and user text escaped before rich prints it.

Kept free of heavy imports (numpy, scipy, pandas) so that ``slimplace --help`` and the
light commands start fast.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from slimplace.errors import InputError, Problem, SlimplaceError

#: Exit codes: success; no feasible plan, failed trials, a violating plan; bad input or usage.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

#: The seed every command uses unless ``--seed`` says otherwise.
DEFAULT_SEED = 0

#: ``--json -`` writes to standard output.
STDOUT = "-"

SeedOpt = Annotated[
    int, typer.Option("--seed", min=0, help="Seed of every random choice (0 or more).")
]
TimeLimitOpt = Annotated[
    float, typer.Option("--time-limit", min=0.0, help="Seconds each method may take.")
]
MipGapOpt = Annotated[
    float,
    typer.Option(
        "--mip-gap", min=0.0, help="Relative gap at which milp stops (optimal within it)."
    ),
]
JsonOpt = Annotated[
    str | None,
    typer.Option("--json", help="Write the result as JSON to FILE ('-': standard output)."),
]


def text(value: object) -> str:
    """User text (names, paths, messages) made safe for rich markup: ``classify[bold]``
    prints as written."""
    return escape(str(value))


def human_console(json_target: str | None, console: Console, err_console: Console) -> Console:
    """Where the human-readable output goes: standard error when the JSON goes to
    standard output (so ``--json - | jq`` reads pure JSON)."""
    return err_console if json_target == STDOUT else console


class OutputError(SlimplaceError):
    """An output path that cannot be written (a folder given as a file, a file where a
    folder is expected, a read-only folder, a full disk)."""

    def __init__(self, path: str | Path, reason: str, option: str = "") -> None:
        self.path = str(path)
        super().__init__(f"{option + ' ' if option else ''}{path}: cannot write: {reason}")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (read-only folder?)"
    return exc.strerror or str(exc)


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor."""
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output_file(path: str | Path | None, option: str = "") -> None:
    """Refuse (before any work) a file output that cannot be written: an existing
    folder, a parent that is a file, a read-only folder. ``-`` and None pass."""
    if path is None or str(path) == STDOUT:
        return
    target = Path(path)
    if target.is_dir():
        raise OutputError(target, "is a folder, expected a file", option)
    _check_parent(target.parent, target, option)


def check_output_dir(path: str | Path | None, option: str = "") -> None:
    """Refuse (before any work) an output folder that is a file, lies under a file,
    or cannot be written."""
    if path is None:
        return
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(target, "is a file, expected a folder", option)
    _check_parent(target, target, option)


def _check_parent(folder: Path, target: Path, option: str) -> None:
    base = _first_existing(folder)
    if not base.is_dir():
        raise OutputError(target, f"{base} is a file, not a folder", option)
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(target, f"{base} is not writable", option)


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn an OSError while writing ``path`` into an :class:`OutputError`."""
    try:
        yield
    except OSError as exc:
        raise OutputError(getattr(exc, "filename", None) or path, _reason(exc)) from None


def write_json(target: str, document: Any, console: Console) -> None:
    """Write ``document`` to ``target`` (``-``: standard output) atomically.

    Non-finite numbers (a gap without a bound, a rate of an empty run) are written as
    ``null``: ``NaN`` and ``Infinity`` are not JSON (RFC 8259, section 6) and strict readers
    (``jq``, JavaScript's ``JSON.parse``) reject the whole file.
    """
    body = dumps_finite(document)
    if target == STDOUT:
        sys.stdout.write(body + "\n")
        sys.stdout.flush()
        return
    from slimplace.fsutil import atomic_write_text

    with writing(target):
        atomic_write_text(target, body + "\n")
    console.print(f"JSON written to {text(target)}", highlight=False)


def write_with(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` atomically through ``write(tmp)``; OS errors become messages."""
    from slimplace.fsutil import atomic_write

    with writing(path):
        atomic_write(path, write)


def dumps_finite(document: Any) -> str:
    """``document`` as indented JSON with every non-finite number as ``null``."""
    return json.dumps(_finite(document), indent=2, allow_nan=False)


def _finite(value: Any) -> Any:
    """A copy of ``value`` with JSON types only and ``None`` for NaN and +-inf."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if value is None or isinstance(value, str | bool | int):
        return value
    return _finite(_plain(value))


def _plain(value: Any) -> Any:
    """JSON for numpy scalars and arrays and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return float(value)


def free_bytes(folder: str | Path) -> int:
    """Free space where ``folder`` (or its nearest existing ancestor) lives."""
    return shutil.disk_usage(_first_existing(Path(folder))).free


def bad_option(option: str, message: str) -> InputError:
    """An :class:`InputError` about a command-line option."""
    return InputError(option, [Problem("", message)])


def resolve_user_path(value: str) -> str:
    """A relative path as the user means it: from the current folder when a file is
    there (made absolute), else unchanged, so the reader then tries the scenario's
    folder; names that are not files (``diurnal``, ``trace:NAME``) pass unchanged."""
    if value.startswith("requests:"):  # a request log: its file resolved the same way
        return "requests:" + resolve_user_path(value.removeprefix("requests:"))
    candidate = Path(value)
    if candidate.is_absolute() or ":" in value:
        return value
    if candidate.exists():
        return str(candidate.absolute())
    return value
