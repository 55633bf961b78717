"""What splitting saves: the best plan against the best whole-model plan.

The reference is ``milp`` on the same problem with every split candidate removed (each
application's whole model at one node, as without split computing), evaluated by the
same evaluator. The saving is stated on the plan-dependent part of the objective
(:func:`slimplace.results.objective_fixed` is the same for both plans) and only when
the whole-model plan is feasible; otherwise the reason is given instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from slimplace.explain import restrict_candidates
from slimplace.plan import violation_reason
from slimplace.problem.compiled import CompiledProblem
from slimplace.results import objective_fixed
from slimplace.solve import Result, solve


@dataclass(frozen=True, slots=True)
class SplitSaving:
    """The best plan's plan-dependent objective against the whole-model plan's."""

    unit: str
    best_method: str
    best_plan: float
    whole_feasible: bool
    whole_plan: float | None
    #: 1 - best / whole on the plan-dependent part (None when the whole-model plan is
    #: infeasible or draws nothing)
    saving_plan: float | None
    reason: str
    split_demands: int

    def headline(self) -> str:
        """One sentence for the CLI."""
        if not self.whole_feasible:
            return (
                f"splitting: whole-model placement has no feasible plan ({self.reason}); "
                f"{self.split_demands} demand(s) use a split"
            )
        saving = "n/a" if self.saving_plan is None else f"{self.saving_plan:.1%}"
        return (
            f"splitting ({self.best_method}, {self.split_demands} demand(s) split): "
            f"{self.best_plan:,.2f} {self.unit} plan-dependent against {self.whole_plan:,.2f} "
            f"{self.unit} for the best whole-model plan (milp without split candidates): "
            f"{saving} less"
        )

    def to_json(self) -> dict[str, object]:
        """JSON-ready fields."""
        return asdict(self)


def split_saving(
    problem: CompiledProblem, results: Sequence[Result], *, time_limit_s: float = 60.0
) -> SplitSaving | None:
    """The saving of the best feasible plan in ``results`` against the best whole-model
    plan, or None when the problem has no split candidate or no result is feasible."""
    split = problem.cand_cut >= 0
    feasible = [r for r in results if r.evaluation.feasible and (r.plan.x > 0).any()]
    if not split.any() or not feasible:
        return None
    objective = problem.objective
    fixed = objective_fixed(problem)
    best = min(feasible, key=lambda r: r.evaluation.objective(objective))
    whole = solve(restrict_candidates(problem, ~split), "milp", time_limit_s=time_limit_s)
    best_plan = best.evaluation.objective(objective) - fixed
    used = (best.plan.x > 1e-9) & split
    n_split = len(set(problem.cand_demand[used].tolist()))
    unit = "W" if objective == "energy" else "gCO2e/h"
    if not whole.evaluation.feasible:
        reason = _why_not_whole(problem, split) or (
            violation_reason(whole.evaluation.violations) or whole.plan.reason
        )
        return SplitSaving(unit, best.method, best_plan, False, None, None, reason, n_split)
    whole_plan = whole.evaluation.objective(objective) - fixed
    saving = None if whole_plan <= 0 else 1.0 - best_plan / whole_plan
    return SplitSaving(unit, best.method, best_plan, True, whole_plan, saving, "", n_split)


def _why_not_whole(problem: CompiledProblem, split: object) -> str:
    """The demands that only a split can serve, named."""
    p = problem
    whole = np.bincount(p.cand_demand[~np.asarray(split)], minlength=p.n_demands)
    alone = np.flatnonzero(whole == 0)
    if len(alone) == 0:
        return ""
    names = ", ".join(p.demand_label(int(d)) for d in alone[:5])
    return f"no whole-model candidate meets the SLO and floor of {names}"


__all__ = ["SplitSaving", "split_saving"]
