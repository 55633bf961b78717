"""The default registry of placement methods: the baselines, the optimizers and every
installed ``slimplace.methods`` entry point.

Built here, above :mod:`slimplace.placement` (the protocol and the baselines) and
:mod:`slimplace.optim` (the optimizers), so neither imports the other's registry. A
method whose optional dependency is missing is listed in ``registry.unavailable`` with
the reason (``slimplace methods`` shows it); ``greedy`` and the baselines need only numpy.
"""

from __future__ import annotations

from slimplace.optim.greedy import GreedySolver
from slimplace.placement.baselines import BASELINES
from slimplace.placement.registry import Registry
from slimplace.registry import function_factory

#: The optimizers that solve on HiGHS (the optional ``highspy`` binding).
HIGHS_METHODS = ("milp", "lp-bound", "lp-round", "decomposed")


def default_registry() -> Registry:
    """The built-in methods and every installed ``slimplace.methods`` entry point."""
    registry = Registry()
    for name, function in BASELINES.items():
        registry.register(
            name,
            function_factory(function),
            kind="baseline",
            description=(function.__doc__ or "").strip().splitlines()[0],
        )
    _register_optimizers(registry)
    registry.load_plugins("slimplace.methods")
    return registry


def _register_optimizers(registry: Registry) -> None:
    """Add ``milp`` (exact), ``lp-bound`` (bound), ``greedy``, ``lp-round`` and
    ``decomposed`` (heuristics). Without ``highspy`` only ``greedy`` is added and the
    others are listed as unavailable (any other import error is a bug and propagates)."""
    try:
        import highspy  # noqa: F401
    except ImportError as exc:
        if exc.name != "highspy":
            raise
        _register_greedy(registry)
        for name in HIGHS_METHODS:
            registry.unavailable[name] = "needs the HiGHS solver binding: pip install highspy"
        return
    from slimplace.optim.decompose import DecomposedSolver
    from slimplace.optim.lp_bound import LpBoundSolver
    from slimplace.optim.milp import MilpSolver
    from slimplace.optim.relax_round import LpRoundSolver

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
    _register_greedy(registry)
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


def _register_greedy(registry: Registry) -> None:
    registry.register(
        "greedy",
        GreedySolver,
        kind="heuristic",
        description="Energy-marginal greedy, slope scaling, consolidation, local search",
    )
