"""Compression and adjustment techniques, one module each, behind :class:`Technique`.

:func:`default_techniques` returns fresh instances keyed by CLI name, in the
order they run (int8 combines with the width and pruning candidates built
before it).
"""

from __future__ import annotations

from slimplace.profiling.techniques.base import Candidate, ProgressFn, Technique, Workbench
from slimplace.profiling.techniques.early_exit import EarlyExitTechnique
from slimplace.profiling.techniques.int8 import Int8Technique
from slimplace.profiling.techniques.prune import PruneTechnique
from slimplace.profiling.techniques.sparse import SparseTechnique
from slimplace.profiling.techniques.width import WidthTechnique

#: Technique names in the order they run.
TECHNIQUE_NAMES = ("width", "prune", "sparse", "int8", "exit")


def default_techniques() -> dict[str, Technique]:
    """A fresh instance of every built-in technique, keyed by name, in running order."""
    made: list[Technique] = [
        WidthTechnique(),
        PruneTechnique(),
        SparseTechnique(),
        Int8Technique(),
        EarlyExitTechnique(),
    ]
    return {t.name: t for t in made}


__all__ = [
    "TECHNIQUE_NAMES",
    "Candidate",
    "EarlyExitTechnique",
    "Int8Technique",
    "ProgressFn",
    "PruneTechnique",
    "SparseTechnique",
    "Technique",
    "WidthTechnique",
    "Workbench",
    "default_techniques",
]
