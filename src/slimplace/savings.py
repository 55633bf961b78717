"""What the best plan saves against the baselines users would pick today, stated on
the plan-dependent part of the objective and against feasible baselines only.

A baseline whose plan the independent evaluator rejects (a link overloaded, an SLO
missed) is not a reference point: it is named with the constraints it breaks and
never shown as a saving (issue 13, "Results that mislead"). Fixed power, drawn
whatever the plan, is the same for every method, so a saving on the total reads
smaller the more fixed power a scenario declares; both figures are given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from slimplace.explain import UNITS, accounting
from slimplace.methods import default_registry
from slimplace.placement.registry import Registry
from slimplace.problem.compiled import CompiledProblem
from slimplace.results import violation_reason
from slimplace.solve import GAP_TOLERANCE, Result

#: Registry kinds that are not plans to compare (a bound has no integral plan).
_NOT_PLANS = ("bound",)


@dataclass(frozen=True, slots=True)
class BaselineSaving:
    """One baseline against the best plan: its objective, and the saving of the best
    plan relative to it (total and plan-dependent), or why it is not compared."""

    method: str
    feasible: bool
    reason: str
    value: float
    saving_total: float | None
    saving_plan: float | None


@dataclass(frozen=True)
class Savings:
    """The best feasible plan and the savings against every baseline."""

    objective: str
    unit: str
    best: str | None
    best_value: float
    fixed: float
    baselines: tuple[BaselineSaving, ...]

    @property
    def best_plan(self) -> float:
        """Plan-dependent objective of the best plan."""
        return self.best_value - self.fixed

    def best_feasible_baseline(self) -> BaselineSaving | None:
        """The feasible baseline with the lowest objective: the honest reference."""
        ok = [b for b in self.baselines if b.feasible]
        return min(ok, key=lambda b: b.value) if ok else None

    def infeasible_baselines(self) -> list[BaselineSaving]:
        """Baselines not compared, each with the constraints it breaks."""
        return [b for b in self.baselines if not b.feasible]

    def to_json(self) -> dict[str, object]:
        """JSON-ready: the best plan, its fixed and plan-dependent parts, the reference
        baseline and every baseline's saving (or why it is not compared)."""
        ref = self.best_feasible_baseline()
        return {
            "objective": self.objective,
            "unit": self.unit,
            "best": self.best,
            "value": self.best_value,
            "fixed": self.fixed,
            "plan": self.best_plan,
            "reference_baseline": None if ref is None else ref.method,
            "baselines": [dataclasses.asdict(b) for b in self.baselines],
        }

    def headline(self) -> list[str]:
        """Plain sentences for the CLI and the demo."""
        if self.best is None:
            return ["no method found a feasible plan; no saving is stated"]
        u = self.unit
        lines = [
            f"best feasible plan: {self.best}, {self.best_value:,.1f} {u} "
            f"({self.fixed:,.1f} {u} fixed, drawn whatever the plan; "
            f"{self.best_plan:,.1f} {u} plan-dependent)"
        ]
        ref = self.best_feasible_baseline()
        if ref is None:
            lines.append("no baseline found a feasible plan: no saving against a baseline")
        else:
            lines.append(
                f"against the best feasible baseline ({ref.method}, {ref.value:,.1f} {u}): "
                f"{_pct(ref.saving_plan)} less on the plan-dependent part, "
                f"{_pct(ref.saving_total)} less in total"
            )
        bad = self.infeasible_baselines()
        if bad:
            named = "; ".join(f"{b.method} ({b.reason})" for b in bad)
            lines.append(f"not compared, no feasible plan: {named}")
        return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _relative(best: float, other: float) -> float | None:
    return None if other <= 0 else 1.0 - best / other


def savings_vs_baselines(
    problem: CompiledProblem,
    results: Sequence[Result],
    *,
    registry: Registry | None = None,
) -> Savings:
    """Savings of the best feasible plan in ``results`` against every baseline among them
    (registry kind ``baseline``). The best plan is the lowest objective among feasible
    plans, the earliest listed within solver tolerance of it."""
    reg = registry or default_registry()
    objective = problem.objective
    kinds = {r.method: (reg.info(r.method).kind if r.method in reg else "") for r in results}
    plans = [r for r in results if kinds[r.method] not in _NOT_PLANS]
    feasible = [r for r in plans if r.evaluation.feasible]
    unit = UNITS[objective]
    if not feasible:
        rows = tuple(_row(r, objective, None, 0.0) for r in plans if kinds[r.method] == "baseline")
        return Savings(objective, unit, None, float("nan"), float("nan"), rows)
    low = min(r.evaluation.objective(objective) for r in feasible)
    best = next(
        r for r in feasible if r.evaluation.objective(objective) <= low + GAP_TOLERANCE * abs(low)
    )
    acc = accounting(problem, best.plan, best.evaluation, objective)
    rows = tuple(
        _row(r, objective, acc.value, acc.fixed) for r in plans if kinds[r.method] == "baseline"
    )
    return Savings(objective, unit, best.method, acc.value, acc.fixed, rows)


def _row(r: Result, objective: str, best: float | None, fixed: float) -> BaselineSaving:
    e = r.evaluation
    value = e.objective(objective)
    if not e.feasible or best is None:
        reason = violation_reason(e.violations) or str(r.plan.status)
        return BaselineSaving(r.method, e.feasible, reason, value, None, None)
    return BaselineSaving(
        r.method,
        True,
        "",
        value,
        _relative(best, value),
        _relative(best - fixed, value - fixed),
    )
