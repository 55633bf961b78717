"""A trial's problem: its scenario built from the parameters, then compiled."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal, cast

from slimplace.errors import InputError, Problem
from slimplace.study.trials import Trial

if TYPE_CHECKING:
    from slimplace.problem.compiled import CompiledProblem

VariantPruning = Literal["pareto", "cheapest", "all"]
VARIANT_PRUNINGS: tuple[VariantPruning, ...] = ("pareto", "cheapest", "all")


def compile_trial(
    trial: Trial, *, default_variants: VariantPruning = "pareto"
) -> tuple[CompiledProblem, float]:
    """Build and compile the trial's scenario; returns the problem and the seconds it took.

    The ``variants`` parameter (default ``default_variants``) chooses the pruning."""
    from slimplace.problem.compile import compile_problem
    from slimplace.study.scenarios import build_scenario

    t0 = time.perf_counter()
    scenario = build_scenario(
        trial.params, seed=trial.scenario_seed, scenario_text=trial.scenario_text
    )
    variants = str(trial.params.get("variants", default_variants))
    if variants not in VARIANT_PRUNINGS:
        raise InputError(
            "sweep", [Problem("variants", f"expected pareto, cheapest or all, got {variants!r}")]
        )
    problem = compile_problem(
        scenario,
        variants=cast(VariantPruning, variants),
        strict=bool(trial.params.get("strict", True)),
    )
    return problem, time.perf_counter() - t0
