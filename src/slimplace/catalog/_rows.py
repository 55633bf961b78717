"""Reading the catalog's CSV files (package data) with every problem reported at once.

Each file is a list of rows (dicts of strings). A :class:`RowParser` converts
fields to numbers and collects problems as ``<stem>[<row>].<column>`` paths, so
a broken data file names every bad cell (:class:`slimplace.errors.InputError`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from importlib import resources

from slimplace.errors import InputError, Problem

Row = Mapping[str, str]


def read_rows(filename: str) -> list[dict[str, str]]:
    """Rows of the packaged catalog file ``filename`` (``src/slimplace/data/catalog/``)."""
    path = resources.files("slimplace").joinpath("data", "catalog", filename)
    text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


class RowParser:
    """Typed access to the cells of one file's rows, collecting problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.stem = file.rsplit("/", 1)[-1].removesuffix(".csv")
        self.problems: list[Problem] = []

    def path(self, index: int, column: str) -> str:
        """Where a cell is: ``hardware[3].tier``."""
        return f"{self.stem}[{index}].{column}"

    def problem(self, index: int, column: str, message: str) -> None:
        """Record a problem with one cell."""
        self.problems.append(Problem(self.path(index, column), message))

    def text(self, row: Row, index: int, column: str, *, required: bool = True) -> str:
        """A stripped string cell; empty is a problem when ``required``."""
        value = (row.get(column) or "").strip()
        if required and not value:
            self.problem(index, column, "is empty")
        return value

    def number(
        self, row: Row, index: int, column: str, *, minimum: float = 0.0, strict: bool = False
    ) -> float:
        """A finite float >= ``minimum`` (> when ``strict``); NaN after recording a problem."""
        raw = self.text(row, index, column)
        if not raw:
            return math.nan
        try:
            value = float(raw)
        except ValueError:
            self.problem(index, column, f"expected a number, got {raw!r}")
            return math.nan
        bad = value <= minimum if strict else value < minimum
        if not math.isfinite(value) or bad:
            op = ">" if strict else ">="
            self.problem(index, column, f"expected a finite number {op} {minimum:g}, got {raw}")
        return value

    def optional_number(self, row: Row, index: int, column: str) -> float | None:
        """A positive float, or None when the cell is empty."""
        if not (row.get(column) or "").strip():
            return None
        return self.number(row, index, column, strict=True)

    def boolean(self, row: Row, index: int, column: str) -> bool:
        """``true`` or ``false``."""
        raw = self.text(row, index, column).lower()
        if raw not in ("true", "false"):
            self.problem(index, column, f"expected true or false, got {raw!r}")
        return raw == "true"

    def raise_if_any(self) -> None:
        """Raise :class:`InputError` listing every problem found so far."""
        if self.problems:
            raise InputError(self.file, self.problems)
