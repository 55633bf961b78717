"""What each lever buys: the scenario solved with every lever, then with each lever
removed in turn (an ablation study of the plan-dependent objective).

A :class:`Lever` is removed by transforming the :class:`CompiledProblem` (restricting
its candidates as :func:`slimplace.optim.colgen.restrict` does, forcing servers on,
changing the objective the method plans for); the same method then solves the
transformed problem, so no solver has a code path of its own for an ablation. Every
ablation is a restriction of the full problem, so its optimum cannot lie below the
full optimum: with an exact method a value below the full plan's proven lower bound
(beyond solver tolerance) is an inconsistency and is reported as such.

Levers of issue 12: placement (cloud-only), compression (most accurate variant
only), sleep (every owned server on), carbon (plan for energy, measured in carbon).
New levers (routing and power modes, issue 18) are added by appending a
:class:`Lever` to :func:`default_levers` (or passing ``levers=`` to :func:`explain`):
a name, a description and a transformation returning the problem without the lever
or a :class:`NotApplicable` saying why it cannot be removed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slimplace.arrays import BoolArray
from slimplace.energy import accounting as energy_accounting
from slimplace.evaluate import BREAKDOWN_KINDS as POWER_BREAKDOWN_KINDS
from slimplace.evaluate import Evaluation
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import fastest_modes, mode_choice_nodes
from slimplace.results import objective_fixed, relative_gap, row_reason, row_status
from slimplace.scenario.model import TIERS, Objective
from slimplace.solve import GAP_TOLERANCE, Result, solve

log = logging.getLogger(__name__)


CLOUD = TIERS.index("cloud")
DEVICE = TIERS.index("device")
S_PER_H = 3600.0

#: Kinds measured in power (W): the evaluator's plan-dependent kinds.
POWER_KINDS = POWER_BREAKDOWN_KINDS
#: Kinds of the plan-dependent objective, in the order reports show them (``embodied``
#: is carbon only).
BREAKDOWN_KINDS = (*POWER_KINDS, "embodied")
UNITS: dict[str, str] = {"energy": "W", "carbon": "gCO2e/h"}


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """Why a lever cannot be removed from a problem (e.g. the carbon lever under the
    energy objective)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Lever:
    """A decision the optimizer may use, and how to take it away.

    ``remove`` maps a problem (and the objective being explained) to the same
    problem without the lever, or to :class:`NotApplicable`.
    """

    name: str
    description: str
    remove: Callable[[CompiledProblem, Objective], CompiledProblem | NotApplicable]


# ---------------------------------------------------------------- transformations


def restrict_candidates(problem: CompiledProblem, keep: BoolArray) -> CompiledProblem:
    """``problem`` with only the candidates where ``keep`` holds (every demand kept,
    ``demand_ptr`` recomputed): the subsetting column generation uses
    (:func:`slimplace.optim.colgen.restrict`)."""
    from slimplace.optim.colgen import restrict
    from slimplace.optim.costs import ObjectiveOptions

    model = ObjectiveOptions().cost_model(problem)
    return restrict(problem, model, np.flatnonzero(keep)).problem


def owned_servers(problem: CompiledProblem) -> BoolArray:
    """Nodes with switchable servers that the operator owns (``ownership: owned``);
    elastic capacity is charged only for the servers used, so it has no sleep lever."""
    p = problem
    return np.asarray(
        energy_accounting.switchable(p) & (p.node_profile >= 0) & ~p.node_elastic, dtype=bool
    )


def _cloud_only(problem: CompiledProblem, objective: Objective) -> CompiledProblem | NotApplicable:
    if not (problem.node_tier == CLOUD).any():
        return NotApplicable("the scenario has no cloud-tier node")
    return restrict_candidates(problem, problem.node_tier[problem.cand_node] == CLOUD)


def _most_accurate_only(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    """Only the most accurate admissible variant of each application (the rule of the
    ``no-compression`` baseline)."""
    p = problem
    app = p.demand_app[p.cand_demand]
    best = np.full(len(p.app_ids), -np.inf)
    np.maximum.at(best, app, p.cand_accuracy)
    return restrict_candidates(p, p.cand_accuracy >= best[app] - 1e-12)


def _every_server_on(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    owned = owned_servers(problem)
    if not owned.any():
        return NotApplicable("no owned switchable server")
    return dataclasses.replace(problem, node_always_on=problem.node_always_on | owned)


def _fixed_routes(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    """Every flow on its shortest path; idle links sleep as in the full problem
    (docs/routing.md): what routing buys beyond link sleep."""
    from slimplace.problem.routing import with_k_paths

    if problem.paths is None or problem.paths.k == 1:
        return NotApplicable("routes are fixed (k_paths = 1; try --k-paths 3)")
    return with_k_paths(problem, 1, sleep=problem.paths.sleep)


def _every_link_on(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    """Every link on, routes still chosen over the same k paths (docs/routing.md)."""
    from slimplace.problem.routing import can_sleep, with_k_paths

    if problem.paths is None or not problem.paths.sleep:
        return NotApplicable("links do not sleep (try --link-sleep)")
    if not can_sleep(problem).any():
        return NotApplicable("no link can sleep (no sleep power below its baseload)")
    return with_k_paths(problem, problem.paths.k, sleep=False)


def _plan_for_energy(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    if objective != "carbon":
        return NotApplicable("only with --objective carbon")
    return dataclasses.replace(problem, objective="energy")


def _fastest_mode_only(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    """Every node with power modes in its fastest (full power) mode."""
    if len(mode_choice_nodes(problem)) == 0:
        return NotApplicable("no node chooses among power modes")
    first = fastest_modes(problem)
    mode = problem.cand_mode
    return restrict_candidates(problem, (mode < 0) | (mode == first[problem.cand_node]))


def _batch_one_only(
    problem: CompiledProblem, objective: Objective
) -> CompiledProblem | NotApplicable:
    """Requests served one at a time (batch 1) everywhere."""
    if not (problem.cand_batch > 1).any():
        return NotApplicable("no node batches within the SLOs")
    return restrict_candidates(problem, problem.cand_batch == 1)


def default_levers() -> tuple[Lever, ...]:
    """The levers of issues 12 and 18."""
    return (
        Lever("placement", "cloud-only: candidates on cloud-tier nodes only", _cloud_only),
        Lever("compression", "most accurate variant only per application", _most_accurate_only),
        Lever("sleep", "every owned server on", _every_server_on),
        Lever("carbon", "plan for energy, measured in carbon", _plan_for_energy),
        Lever("power-modes", "every accelerator in its fastest power mode", _fastest_mode_only),
        Lever("batching", "requests served one at a time (batch 1)", _batch_one_only),
        Lever("link-sleep", "every link on (routes as in the full problem)", _every_link_on),
        Lever(
            "routing",
            "fixed shortest paths (k > 1 beyond sleep; idle links still sleep)",
            _fixed_routes,
        ),
    )


def lever_names(levers: Sequence[Lever] | None = None) -> tuple[str, ...]:
    """Names of ``levers`` (default: :func:`default_levers`)."""
    return tuple(lv.name for lv in (levers or default_levers()))


def format_value(value: float) -> str:
    """A figure for tables and plots: thousands separators above 100, else 3 significant digits."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


# ---------------------------------------------------------------- accounting


@dataclass(frozen=True, slots=True)
class Accounting:
    """A plan's objective split into what any plan draws (``fixed``) and what this
    plan controls (``plan``, broken down by kind), in the objective's unit."""

    value: float
    fixed: float
    breakdown: dict[str, float | None]

    @property
    def plan(self) -> float:
        """Plan-dependent part: ``value - fixed``."""
        return self.value - self.fixed


def accounting(
    problem: CompiledProblem,
    plan: Plan,
    evaluation: Evaluation,
    objective: Objective,
) -> Accounting:
    """Split ``evaluation``'s objective into fixed and plan-dependent parts, the
    plan-dependent part by kind (:mod:`slimplace.energy.accounting`'s rules, read from
    the :class:`Evaluation` fields ``fixed_w``, ``breakdown_w``, ``carbon_fixed_g_per_h``,
    ``embodied_g_per_h`` and ``embodied_fixed_g_per_h``).

    Carbon by kind: servers' static and compute power at their node's grid intensity;
    the rest of the plan-dependent operational carbon (device radios, network) is split
    over those kinds in proportion to their power (exact when they draw in one region).
    """
    e = evaluation
    value = e.objective(objective)
    watts = {k: float(e.breakdown_w.get(k, 0.0)) for k in POWER_KINDS}
    if objective == "energy":
        out: dict[str, float | None] = dict(watts)
        out["embodied"] = None
        return Accounting(value, e.fixed_w, out)
    p = problem
    g_per_h = p.node_carbon_g_per_j() * S_PER_H
    on = np.where(p.node_always_on, p.node_count, plan.servers_on).astype(np.float64)
    static_w = energy_accounting.server_static_w(p, on)
    servers_g = float((static_w - energy_accounting.server_fixed_w(p)) @ g_per_h)
    compute_g = float(np.maximum(e.node_power_w - static_w, 0.0) @ g_per_h)
    rest_g = e.carbon_plan_g_per_h - servers_g - compute_g
    net_kinds = ("device_radio", "network_baseload", "network_marginal")
    net_w = sum(watts[k] for k in net_kinds)
    out = {"servers_static": servers_g, "compute": compute_g}
    for k in net_kinds:
        out[k] = rest_g * watts[k] / net_w if net_w > 0 else 0.0
    out["embodied"] = e.embodied_g_per_h
    return Accounting(value, e.carbon_fixed_g_per_h + e.embodied_fixed_g_per_h, out)


# ---------------------------------------------------------------- the study


@dataclass(frozen=True, slots=True)
class LeverOutcome:
    """The scenario solved without one lever, measured in the explained objective."""

    name: str
    description: str
    status: str
    feasible: bool
    value: float | None
    reason: str = ""
    gap: float | None = None
    #: the ablated plan and its evaluation (None when no solve ran)
    result: Result | None = field(default=None, repr=False, compare=False)

    def saving(self, full: float) -> float | None:
        """What the lever buys: objective without it minus with it (None if no plan)."""
        return None if self.value is None or not self.feasible else self.value - full


@dataclass(frozen=True)
class Explanation:
    """The full plan, its accounting and one outcome per lever."""

    scenario: str
    objective: Objective
    method: str
    status: str
    feasible: bool
    full: Accounting
    bound: float | None
    gap: float | None
    levers: tuple[LeverOutcome, ...]
    result: Result = field(repr=False)

    @property
    def unit(self) -> str:
        """Unit of every value: W (energy) or gCO2e/h (carbon)."""
        return UNITS[self.objective]

    def below_bound(self) -> list[str]:
        """Levers whose feasible value lies below the full plan's proven lower bound
        (beyond :data:`slimplace.solve.GAP_TOLERANCE`): impossible for an exact method,
        since every ablation restricts the full problem."""
        if self.bound is None:
            return []
        floor = self.bound - GAP_TOLERANCE * abs(self.full.value)
        return [
            o.name for o in self.levers if o.feasible and o.value is not None and o.value < floor
        ]

    def below_full(self) -> list[str]:
        """Levers whose feasible value lies below the full plan's own value (beyond
        solver tolerance): a method without a proven bound found a better plan with
        fewer levers, so its savings are not meaningful."""
        floor = self.full.value - GAP_TOLERANCE * abs(self.full.value)
        return [
            o.name for o in self.levers if o.feasible and o.value is not None and o.value < floor
        ]

    @property
    def consistent(self) -> bool | None:
        """No ablation below the full plan beyond its proven gap; None when the method
        proves no bound (nothing to check against)."""
        if self.bound is None:
            return None
        return not self.below_bound()

    def saving(self, lever: LeverOutcome) -> float | None:
        """What ``lever`` buys: the objective without it minus the full plan's; None when
        either plan is not feasible (no saving is stated against a plan that breaks a
        constraint)."""
        return lever.saving(self.full.value) if self.feasible else None

    def resolution(self) -> float:
        """The smallest saving that is measured, not noise: the full plan's proven gap (or
        the solver tolerance) times its plan-dependent value, the part the gap is
        measured on."""
        return abs(self.full.plan) * max(GAP_TOLERANCE, self.gap or 0.0)

    def ranking(self) -> list[str]:
        """Levers whose ablation is feasible and costs more than :meth:`resolution`,
        largest saving first (a lever that buys nothing measurable is not ranked)."""
        floor = self.resolution()
        rated: list[tuple[float, str]] = []
        for o in self.levers:
            saving = self.saving(o)
            if saving is not None and saving > floor:
                rated.append((saving, o.name))
        return [name for _, name in sorted(rated, key=lambda r: r[0], reverse=True)]

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``slimplace explain --json``."""
        return {
            "scenario": self.scenario,
            "objective": self.objective,
            "unit": self.unit,
            "method": self.method,
            "status": self.status,
            "feasible": self.feasible,
            "value": self.full.value,
            "fixed": self.full.fixed,
            "plan": self.full.plan,
            "bound": self.bound,
            "gap": self.gap,
            "breakdown": dict(self.full.breakdown),
            "consistent": self.consistent,
            "levers": {
                o.name: {
                    "value": o.value,
                    "feasible": o.feasible,
                    "status": o.status,
                    "reason": o.reason,
                    "description": o.description,
                    "saving": self.saving(o),
                    "plan": None if o.value is None else o.value - self.full.fixed,
                    "gap": o.gap,
                }
                for o in self.levers
            },
        }


def _gap(problem: CompiledProblem, plan: Plan, value: float) -> float | None:
    """The plan's proven gap by the one rule of every results table
    (:func:`slimplace.results.relative_gap`: on the part of ``problem``'s objective a plan
    controls); None without a bound."""
    if plan.bound is None:
        return None
    gap = relative_gap(value, plan.bound, fixed=objective_fixed(problem))
    return None if np.isnan(gap) else gap


def _no_candidate(problem: CompiledProblem) -> str:
    """Demands the transformation left without a candidate, named (the first three)."""
    empty = np.flatnonzero(np.diff(problem.demand_ptr) == 0)
    if len(empty) == 0:
        return ""
    names = ", ".join(problem.demand_label(int(d)) for d in empty[:3])
    more = f" and {len(empty) - 3} more" if len(empty) > 3 else ""
    return f"{len(empty)} demand(s) have no admissible candidate: {names}{more}"


def _run_lever(
    problem: CompiledProblem,
    lever: Lever,
    objective: Objective,
    method: str,
    options: Mapping[str, Any],
    seed: int,
) -> LeverOutcome:
    ablated = lever.remove(problem, objective)
    if isinstance(ablated, NotApplicable):
        return LeverOutcome(
            lever.name, lever.description, "not-applicable", False, None, ablated.reason
        )
    missing = _no_candidate(ablated)
    if missing:
        return LeverOutcome(lever.name, lever.description, "infeasible", False, None, missing)
    log.info("solving without %s", lever.name)
    result = solve(ablated, method, seed=seed, **options)
    e, plan = result.evaluation, result.plan
    status = row_status(str(plan.status), e.feasible)
    if not e.feasible:
        reason = row_reason(status, plan.reason, e.violations)
        reason = reason or f"{method} found no feasible plan"
        return LeverOutcome(
            lever.name, lever.description, status, False, None, reason, None, result
        )
    value = e.objective(objective)
    gap = _gap(ablated, plan, value) if ablated.objective == objective else None
    return LeverOutcome(
        lever.name, lever.description, status, True, value, plan.reason, gap, result
    )


def explain(
    problem: CompiledProblem,
    *,
    method: str = "milp",
    objective: Objective | None = None,
    levers: Sequence[Lever] | None = None,
    seed: int = 0,
    **options: Any,
) -> Explanation:
    """Solve ``problem`` with every lever, then once without each lever, by ``method``
    (``options`` are passed to it, e.g. ``time_limit_s``)."""
    obj: Objective = objective or problem.objective
    p = problem if obj == problem.objective else dataclasses.replace(problem, objective=obj)
    full = solve(p, method, seed=seed, **options)
    value = full.evaluation.objective(obj)
    acc = accounting(p, full.plan, full.evaluation, obj)
    outcomes = tuple(
        _run_lever(p, lever, obj, method, options, seed) for lever in (levers or default_levers())
    )
    return Explanation(
        scenario=p.scenario.name,
        objective=obj,
        method=full.method,
        status=row_status(str(full.plan.status), full.evaluation.feasible),
        feasible=full.evaluation.feasible,
        full=acc,
        bound=full.plan.bound,
        gap=_gap(p, full.plan, value),
        levers=outcomes,
        result=full,
    )
