"""Errors that reach the user: bad input files and infeasible scenarios.

The CLI turns each into a message and exit code 2, without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in an input: where (``applications[3].slo``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SlimplaceError(Exception):
    """Base class of every error slimplace reports to users."""


class InputError(SlimplaceError):
    """An input file that cannot be used, with every problem found in it."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """All problems, one per line, each prefixed by the file name."""
        shown = self.problems[:20]
        lines = [f"{self.file}: {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"{self.file}: ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Unservable:
    """A demand no node can serve, with the tightest reason."""

    application: str
    source: str
    reason: str


class InfeasibleScenarioError(SlimplaceError):
    """Demands that have no admissible candidate at all."""

    def __init__(self, file: str, demands: Sequence[Unservable]) -> None:
        self.file = file
        self.demands = tuple(demands)
        super().__init__(self.render())

    def render(self) -> str:
        """One line per unservable demand (the first 20), with its reason."""
        head = f"{self.file}: {len(self.demands)} demand(s) have no admissible placement"
        lines = [head]
        for d in self.demands[:20]:
            lines.append(f"  application {d.application} from {d.source}: {d.reason}")
        if len(self.demands) > 20:
            lines.append(f"  ... and {len(self.demands) - 20} more")
        return "\n".join(lines)
