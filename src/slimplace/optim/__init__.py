"""Optimizers: the exact MILP on HiGHS, its LP bound, heuristics that scale, a
decomposition by region, and the diagnosis of infeasible scenarios.

:func:`register` adds them to a :class:`~slimplace.placement.registry.Registry`
(:func:`~slimplace.placement.registry.default_registry` calls it).
"""

from __future__ import annotations

from slimplace.optim.costs import ObjectiveWeights, cost_model, objective_weights, plan_value
from slimplace.optim.decompose import DecomposedSolver
from slimplace.optim.diagnose import Diagnosis, diagnose
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import LpBoundSolver, MilpSolver
from slimplace.optim.relax_round import LpRoundSolver
from slimplace.placement.registry import Registry

__all__ = [
    "DecomposedSolver",
    "Diagnosis",
    "GreedySolver",
    "LpBoundSolver",
    "LpRoundSolver",
    "MilpSolver",
    "ObjectiveWeights",
    "cost_model",
    "diagnose",
    "objective_weights",
    "plan_value",
    "register",
]


def register(registry: Registry) -> None:
    """Add ``milp`` (exact), ``lp-bound`` (bound), ``greedy``, ``lp-round`` and
    ``decomposed`` (heuristics) to ``registry``."""
    registry.register(
        "milp",
        MilpSolver,
        kind="exact",
        description="MILP on HiGHS: optimal plan, or incumbent with bound and gap",
    )
    registry.register(
        "lp-bound",
        LpBoundSolver,
        kind="bound",
        description="LP relaxation: the lower bound every gap is measured against",
    )
    registry.register(
        "greedy",
        GreedySolver,
        kind="heuristic",
        description="Energy-marginal greedy, slope scaling, consolidation, local search",
    )
    registry.register(
        "lp-round",
        LpRoundSolver,
        kind="heuristic",
        description="LP relaxation (column generation when large) rounded, then local search",
    )
    registry.register(
        "decomposed",
        DecomposedSolver,
        kind="heuristic",
        description="Regions solved separately (lp-round by default), merged and repaired",
    )
