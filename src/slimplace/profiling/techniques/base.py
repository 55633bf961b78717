"""The interface every compression technique implements, and what it works on.

A technique is an object with a ``name`` and ``build(bench) -> list[Candidate]``.
It reads the trained networks on the :class:`Workbench` (and the candidates
earlier techniques built, to combine with them) and returns new candidates:
runnable ``nn.Module`` objects in eval mode with a few labels. Measuring is
not its job: :mod:`slimplace.profiling.pipeline` measures every candidate the
same way. A new technique is a new module with one such class, passed in the
``techniques`` mapping of :func:`slimplace.profiling.pipeline.profile`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from torch import nn

from slimplace.profiling.data import ImageData
from slimplace.profiling.train import TrainConfig, train


@dataclass(frozen=True, eq=False)
class Candidate:
    """A variant ready to measure.

    ``kind`` is the variant kind written to the family (width, pruned,
    sparse, int8, exit, reference, base). ``shared`` marks variants that the
    weight-sharing network switches to without reloading (widths, exit
    thresholds). ``flops_from`` names the candidate whose counted FLOPs stand
    for this one (int8 kernels are invisible to the FLOP counter);
    ``dynamic`` marks data-dependent compute (FLOPs are the expectation over
    the test set). ``setting`` is the technique's knob (ratio, threshold).
    """

    name: str
    technique: str
    kind: str
    module: nn.Module
    width: float | None = None
    precision: str = "fp32"
    setting: float | None = None
    parent: str | None = None
    shared: bool = False
    flops_from: str | None = None
    dynamic: bool = False
    note: str = ""


#: Progress callback: (phase, units done, units in all).
ProgressFn = Callable[[str, int, int], None]


def _quiet(phase: str, done: int, total: int) -> None:
    return None


@dataclass(eq=False)
class Workbench:
    """The trained networks, the data and the candidates built so far (one profiling run).

    ``slim`` is the trained slimmable network (``None`` for a user's plain
    model); ``base`` the plain full network every other technique starts
    from, measured as the candidate ``base_name``.
    """

    data: ImageData
    base: nn.Module
    slim: nn.Module | None
    train: TrainConfig
    base_name: str = "base"
    seed: int = 0
    built: list[Candidate] = field(default_factory=list)
    progress: ProgressFn = _quiet

    def fine_tune(self, model: nn.Module, epochs: int, lr: float) -> None:
        """Train ``model`` in place for ``epochs`` at ``lr`` on the bench's data, with
        the rest of the bench's training settings (nothing when ``epochs`` is 0)."""
        if epochs > 0:
            train(model, self.data, dataclasses.replace(self.train, epochs=epochs, lr=lr))

    def find(self, name: str) -> Candidate | None:
        """The candidate called ``name``, if built."""
        return next((c for c in self.built if c.name == name), None)


class Technique(Protocol):
    """A compression or adjustment technique (see the module docstring)."""

    @property
    def name(self) -> str:
        """Short name, used on the command line and in the ``technique`` column."""
        ...

    def build(self, bench: Workbench) -> list[Candidate]:
        """New candidates from the networks and candidates on ``bench``."""
        ...


__all__ = ["Candidate", "ProgressFn", "Technique", "Workbench"]
