"""Contract checks every placement method passes; run them on your own method.

Each ``check_*`` function raises :class:`AssertionError` with a message naming
the method and what broke; none needs pytest. :func:`check_method` runs every
check that applies to a method's kind on the problems you give it:

============================  =====  =========  =====  ========
check                         exact  heuristic  bound  baseline
============================  =====  =========  =====  ========
plan feasible (evaluator)       x        x        -       -
reported objective = evaluator  x        x      <= (1)   if any
same seed, same plan            x        x        x       x
time limit respected            x        x        x       x
infeasible scenario -> status   x        x        x       x
tempting cases: honest status   x        x        -       -
============================  =====  =========  =====  ========

(1) a bound's plan may be fractional, so its reported value (the bound) must
not exceed what the evaluator finds for it. Baselines are the policies users
pick today: they need not be feasible (a capacity-aware baseline can break an
SLO or a floor it does not look at) and need not report an objective, but they
must say "infeasible" when they leave demands unplaced. A plan whose status
is "infeasible" is exempt from the feasibility check.

The *tempting* cases (:func:`tempting_problems`) are generated continua where a
method is tempted to return a plan the evaluator rejects: links too narrow for the
cheap placements, servers nearly full, SLOs that few nodes meet; some have a
feasible plan, some none. On each, an exact or heuristic method's status must agree
with the evaluator (:func:`check_honest`): a heuristic may fail to find a plan
(status "infeasible"), but never calls a rejected plan optimal or feasible; the
exact method finds a plan whenever one exists, and no method finds one where none
exists.

:func:`check_exact_not_worse` compares methods on one problem: no feasible
plan beats an exact method's (beyond its optimality gap), and no feasible plan
is below a reported lower bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.evaluate import Evaluation, evaluate
from slimplace.placement.registry import Kind, Registry
from slimplace.plan import Plan, Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.topology import ContinuumOptions, generate_continuum, synthetic_topology

#: Relative tolerance between a reported objective and the evaluator's.
OBJECTIVE_RTOL = 1e-6


def objective_of(problem: CompiledProblem, evaluation: Evaluation) -> float:
    """The evaluator's value of the problem's objective (W or gCO2e/h)."""
    return evaluation.objective(problem.objective)


def check_feasible(
    name: str, problem: CompiledProblem, plan: Plan, evaluation: Evaluation | None = None
) -> None:
    """A plan whose status is not "infeasible" breaks no constraint of the evaluator."""
    if plan.status is Status.INFEASIBLE:
        return
    ev = evaluation or evaluate(problem, plan)
    if not ev.feasible:
        shown = "; ".join(f"{v.kind} at {v.where}: {v.message}" for v in ev.violations[:5])
        raise AssertionError(
            f"{name}: status {plan.status} but the evaluator finds {len(ev.violations)} "
            f"violation(s): {shown}"
        )


def check_reported_objective(
    name: str,
    kind: str,
    problem: CompiledProblem,
    plan: Plan,
    evaluation: Evaluation | None = None,
    rtol: float = OBJECTIVE_RTOL,
) -> None:
    """The reported objective equals the evaluator's (a bound's may only be lower)."""
    if plan.objective is None or plan.status is Status.INFEASIBLE:
        if kind in ("exact", "heuristic") and plan.status is not Status.INFEASIBLE:
            raise AssertionError(f"{name}: a {kind} method must report its objective")
        return
    ev = evaluation or evaluate(problem, plan)
    value = objective_of(problem, ev)
    tol = rtol * max(1.0, abs(value))
    if kind == "bound":
        if plan.objective > value + tol:
            raise AssertionError(
                f"{name}: bound {plan.objective:.9g} above its own plan's value {value:.9g}"
            )
    elif abs(plan.objective - value) > tol:
        raise AssertionError(
            f"{name}: reported objective {plan.objective:.9g} but the evaluator "
            f"finds {value:.9g} ({problem.objective})"
        )


def check_deterministic(
    name: str, registry: Registry, problem: CompiledProblem, *, seed: int = 0, **options: object
) -> Plan:
    """Two runs with the same seed give the same plan; returns the first."""
    first = registry.create(name, **options).solve(problem, seed=seed)
    second = registry.create(name, **options).solve(problem, seed=seed)
    if first.status is not second.status:
        raise AssertionError(f"{name}: status {first.status} then {second.status} with seed {seed}")
    if not np.allclose(first.x, second.x, rtol=0.0, atol=1e-9) or not np.array_equal(
        first.servers_on, second.servers_on
    ):
        raise AssertionError(f"{name}: two runs with seed {seed} give different plans")
    return first


def check_time_limit(
    name: str,
    registry: Registry,
    problem: CompiledProblem,
    time_limit_s: float,
    *,
    slack_s: float = 2.0,
) -> Plan:
    """A run with ``time_limit_s`` ends within it (plus ``slack_s`` and 25 %)."""
    t0 = time.perf_counter()
    plan = registry.create(name, time_limit_s=time_limit_s).solve(problem, seed=0)
    wall = time.perf_counter() - t0
    limit = time_limit_s * 1.25 + slack_s
    if wall > limit or plan.seconds > limit:
        raise AssertionError(
            f"{name}: took {max(wall, plan.seconds):.2f} s with a limit of {time_limit_s} s"
        )
    return plan


def check_infeasible(
    name: str, registry: Registry, problem: CompiledProblem, **options: object
) -> None:
    """A problem no plan can satisfy (though each demand alone has candidates) gets
    status "infeasible" and never a feasible evaluation."""
    plan = registry.create(name, **options).solve(problem, seed=0)
    if plan.status is not Status.INFEASIBLE:
        raise AssertionError(f"{name}: status {plan.status} on an infeasible problem")
    if evaluate(problem, plan).feasible:
        raise AssertionError(
            f"{name}: the evaluator finds a plan feasible on an infeasible problem"
        )


def check_honest(
    name: str,
    kind: str,
    problem: CompiledProblem,
    plan: Plan,
    *,
    has_plan: bool,
) -> None:
    """The status agrees with the evaluator on a tempting problem (``has_plan``: whether
    a feasible plan exists): no exact or heuristic method calls a rejected plan
    optimal, feasible or time-limit; the exact method finds a plan when one exists; no
    method's plan is feasible where none exists."""
    ev = evaluate(problem, plan)
    claims = plan.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
    if kind in ("exact", "heuristic") and claims and not ev.feasible:
        shown = "; ".join(f"{v.kind} at {v.where}" for v in ev.violations[:3])
        raise AssertionError(f"{name}: status {plan.status} but the evaluator rejects: {shown}")
    if kind == "exact" and has_plan and not (claims and ev.feasible):
        raise AssertionError(f"{name}: status {plan.status} where a feasible plan exists")
    if not has_plan and ev.feasible and kind != "bound":
        raise AssertionError(f"{name}: a feasible plan where none exists")
    if not has_plan and kind in ("exact", "heuristic") and plan.status is not Status.INFEASIBLE:
        raise AssertionError(f"{name}: status {plan.status} where no plan exists")


def check_exact_not_worse(
    problem: CompiledProblem, plans: Sequence[tuple[str, Kind, Plan]]
) -> None:
    """No feasible plan beats an exact method's plan (beyond the gap it proved), and no
    feasible plan lies below a reported lower bound."""
    values = {}
    for name, _, plan in plans:
        ev = evaluate(problem, plan)
        if ev.feasible and plan.status is not Status.INFEASIBLE:
            values[name] = objective_of(problem, ev)
    for name, kind, plan in plans:
        if plan.bound is not None and plan.status is not Status.INFEASIBLE:
            for other, value in values.items():
                if plan.bound > value + OBJECTIVE_RTOL * max(1.0, abs(value)):
                    raise AssertionError(
                        f"{name}: bound {plan.bound:.9g} above {other}'s {value:.9g}"
                    )
        if kind != "exact" or name not in values:
            continue
        gap = plan.info.get("mip_gap", 0.0) if plan.status is Status.OPTIMAL else np.inf
        for other, value in values.items():
            allowed = (
                values[name]
                - max(gap, 0.0) * abs(values[name])
                - OBJECTIVE_RTOL * max(1.0, abs(value))
            )
            if value < allowed:
                raise AssertionError(
                    f"{name} (optimal within {gap:.2g}): {values[name]:.9g} "
                    f"but {other} finds {value:.9g}"
                )


def check_method(
    name: str,
    registry: Registry,
    problems: Sequence[CompiledProblem],
    infeasible: CompiledProblem | None = None,
    *,
    time_limit_s: float = 5.0,
    tempting: Mapping[str, tuple[CompiledProblem, bool]] | None = None,
) -> list[Plan]:
    """Every check that applies to method ``name`` (see the table above) on ``problems``,
    if given the ``infeasible`` problem, and the ``tempting`` ones (name -> (problem,
    whether a feasible plan exists); :func:`tempting_problems`). Returns the plans (one
    per problem of ``problems``)."""
    kind = registry.info(name).kind
    plans = []
    for problem in problems:
        plan = check_deterministic(name, registry, problem, time_limit_s=time_limit_s)
        if kind in ("exact", "heuristic"):
            ev = evaluate(problem, plan)
            if plan.status is Status.INFEASIBLE:
                raise AssertionError(f"{name}: no plan for a feasible problem ({plan.reason})")
            check_feasible(name, problem, plan, ev)
            check_reported_objective(name, kind, problem, plan, ev)
        elif plan.objective is not None:
            check_reported_objective(name, kind, problem, plan)
        plans.append(plan)
    if problems:
        check_time_limit(name, registry, problems[-1], time_limit_s)
    if infeasible is not None:
        check_infeasible(name, registry, infeasible, time_limit_s=time_limit_s)
    for label, (problem, has_plan) in (tempting or {}).items():
        plan = registry.create(name, time_limit_s=time_limit_s).solve(problem, seed=0)
        try:
            check_honest(name, kind, problem, plan, has_plan=has_plan)
        except AssertionError as exc:
            raise AssertionError(f"{exc} (tempting case {label!r})") from exc
    return plans


def infeasible_problem(rate_scale: float = 3e4) -> CompiledProblem:
    """:func:`tiny_scenario` with every rate multiplied by ``rate_scale`` and links of
    unlimited bandwidth: each demand alone has admissible candidates (it compiles
    with ``strict=True``), but together they need more servers than exist, a
    conflict every capacity-aware method (baselines included) can see."""
    scenario = tiny_scenario(6, seed=1, rate_scale=rate_scale)
    links = tuple(replace(link, bandwidth_bps=math.inf) for link in scenario.links)
    return compile_problem(replace(scenario, links=links), strict=True)


def small_problem(
    seed: int = 2,
    *,
    bandwidth_scale: float = 1.0,
    rate_per_source_per_s: tuple[float, float] = (1.0, 20.0),
    slo_choices_s: tuple[float, ...] = (0.1, 0.2, 0.5),
) -> CompiledProblem:
    """A small generated continuum (5 PoPs, 40 demands, three families, a datacenter of
    servers with a measured power curve, average and hard floors, 4G/5G/WiFi access)
    that every built-in method solves in well under a second; every link's bandwidth
    times ``bandwidth_scale``, rates and SLOs drawn from the given ranges."""
    options = ContinuumOptions(
        n_demands=40,
        n_apps=3,
        n_datacenters=1,
        devices_per_antenna=3,
        families=("s-mobilenet-v2", "shufflenet-v2", "resnet"),
        slo_choices_s=slo_choices_s,
        device_access=("5g", "wifi", "4g"),
        datacenter_hardware=("xeon-server",),
        datacenter_server_count=(4, 8),
        rate_per_source_per_s=rate_per_source_per_s,
    )
    scenario = generate_continuum(
        synthetic_topology(5, seed=seed), options, seed=seed, name="small"
    )
    links = tuple(
        replace(link, bandwidth_bps=link.bandwidth_bps * bandwidth_scale) for link in scenario.links
    )
    return compile_problem(replace(scenario, links=links), strict=True)


def tempting_problems() -> dict[str, tuple[CompiledProblem, bool]]:
    """Generated cases that tempt methods into plans the evaluator rejects, by name:
    (problem, whether a feasible plan exists; the exact ``milp`` proves which).

    - ``narrow-links`` / ``narrow-links-2``: every link at 1 % / 0.5 % of its bandwidth
      (feasible: a few nodes are still reachable; the cheap placements overload links);
    - ``busy``: rates 5x (feasible, servers nearly full);
    - ``overloaded``: rates 8x (no plan: not enough servers);
    - ``tight-slo``: SLOs of 50 and 100 ms (each demand alone has a node that meets its
      SLO, not all together: no plan).
    """
    return {
        "narrow-links": (small_problem(bandwidth_scale=0.01), True),
        "narrow-links-2": (small_problem(bandwidth_scale=0.005), True),
        "busy": (small_problem(rate_per_source_per_s=(5.0, 100.0)), True),
        "overloaded": (small_problem(rate_per_source_per_s=(8.0, 160.0)), False),
        "tight-slo": (small_problem(slo_choices_s=(0.05, 0.1)), False),
    }
