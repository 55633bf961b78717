"""Make generated scenarios solvable: SLOs drawn from what is reachable, and a witness plan.

- :func:`reachable_latency_s`: per demand, the latency (at the SLO quantile, servers at
  rho_max) of its best admissible placement: a candidate meeting the accuracy floor on a
  node that can carry the demand alone (rate x service time <= rho_max x servers).
- :func:`slo_from_reachable`: an application's SLO = the worst reachable latency of its
  sources times a slack factor, rounded up to a step; so every demand has a placement
  within its SLO, and the slack leaves the optimiser room to trade latency for energy.
- :func:`slos_at_quantile`: SLOs stated for the mean response time moved onto the
  ``settings.slo_quantile`` tail (used by :func:`slimplace.topology.generate_continuum`).
- :func:`witness`: a plan proving the scenario solvable (every demand at its fastest
  usable candidate, servers sized for the load), checked by the independent evaluator;
  when it violates something, the nearest usable candidates, ``greedy`` and then ``milp``
  (time-limited) get a try.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.evaluate import Evaluation, evaluate
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import Scenario
from slimplace.topology.provision import floor_ok

log = logging.getLogger(__name__)


def usable(problem: CompiledProblem) -> npt.NDArray[np.bool_]:
    """Candidates meeting the floor on a node that can carry their demand alone."""
    rho = problem.max_utilisation
    busy = problem.demand_rate_per_s[problem.cand_demand] * problem.cand_service_s
    fits = busy <= rho * problem.node_count[problem.cand_node] + 1e-12
    return np.asarray(floor_ok(problem) & fits)


def fastest_usable(problem: CompiledProblem) -> IntArray:
    """Per demand, the usable candidate of least latency (-1 when none)."""
    return _best_usable(problem, problem.cand_latency_s)


def nearest_usable(problem: CompiledProblem) -> IntArray:
    """Per demand, the usable candidate of least network latency (ties: least latency),
    so that traffic stays as local as it can (-1 when none)."""
    return _best_usable(problem, problem.cand_net_latency_s, problem.cand_latency_s)


def _best_usable(problem: CompiledProblem, *keys: FloatArray) -> IntArray:
    """Per demand, the usable candidate first in ``keys`` order (-1 when none)."""
    ok = usable(problem)
    idx = np.flatnonzero(ok)
    best = np.full(problem.n_demands, -1, dtype=np.int64)
    if len(idx) == 0:
        return best
    order = idx[np.lexsort((*(k[idx] for k in reversed(keys)), problem.cand_demand[idx]))]
    d = problem.cand_demand[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = d[1:] != d[:-1]
    best[d[first]] = order[first]
    return best


def reachable_latency_s(problem: CompiledProblem) -> FloatArray:
    """Per demand, the latency of its fastest usable candidate (inf when none)."""
    best = fastest_usable(problem)
    lat = np.full(problem.n_demands, np.inf)
    ok = best >= 0
    lat[ok] = problem.cand_latency_s[best[ok]]
    return lat


def slo_from_reachable(
    reachable_s: FloatArray, demand_app: IntArray, n_apps: int, slack: FloatArray, step_s: float
) -> FloatArray:
    """Per application: ceil(max reachable latency of its demands x slack / step) x step."""
    worst = np.full(n_apps, 0.0)
    np.maximum.at(worst, demand_app, reachable_s)
    raw = worst * slack
    return np.array([round(math.ceil(x / step_s - 1e-9) * step_s, 9) for x in raw])


def witness(
    problem: CompiledProblem, seed: int, exact_time_limit_s: float = 30.0
) -> tuple[Plan, Evaluation]:
    """A plan that shows the problem solvable, and its evaluation (feasible, or the
    fastest-placement plan's when no try is): the fastest usable placements, else the
    nearest ones (least network latency: traffic stays off narrow core links), else
    ``greedy``, else ``milp`` within ``exact_time_limit_s``."""
    plan = plan_from_choice(problem, fastest_usable(problem), "witness")
    ev = evaluate(problem, plan)
    if ev.feasible:
        return plan, ev
    near = plan_from_choice(problem, nearest_usable(problem), "witness")
    near_ev = evaluate(problem, near)
    if near_ev.feasible:
        return near, near_ev
    from slimplace.solve import solve

    for method in ("greedy", "milp"):
        log.info("witness violates %s; trying %s", violation_summary(ev), method)
        if method == "milp":
            result = solve(problem, method, seed=seed, time_limit_s=exact_time_limit_s)
        else:
            result = solve(problem, method, seed=seed)
        if result.evaluation.feasible:
            return result.plan, result.evaluation
    return plan, ev


def violation_summary(ev: Evaluation, examples: int = 0) -> str:
    """``"capacity x2; bandwidth x1"``: violated constraint kinds and how often, then the
    first ``examples`` violations (where and what)."""
    counts = Counter(v.kind for v in ev.violations)
    text = "; ".join(f"{kind} x{n}" for kind, n in sorted(counts.items())) or "none"
    shown = [f"{v.kind} at {v.where}: {v.message}" for v in ev.violations[:examples]]
    return text + (f" (e.g. {'; '.join(shown)})" if shown else "")


#: SLO the scenario is compiled with to measure reachable latency (s): loose enough to
#: admit every placement that meets floors and memory.
LOOSE_SLO_S = 60.0


def _loose(scenario: Scenario, quantile: float | None) -> CompiledProblem:
    """The scenario compiled with every SLO at :data:`LOOSE_SLO_S` and ``quantile``."""
    from slimplace.problem.compile import compile_problem

    loose = replace(
        scenario,
        applications=tuple(replace(a, latency_slo_s=LOOSE_SLO_S) for a in scenario.applications),
        settings=replace(scenario.settings, slo_quantile=quantile),
    )
    return compile_problem(loose, strict=False)


def _cand_keys(p: CompiledProblem) -> list[tuple[int, int, int, int]]:
    return list(
        zip(
            p.demand_app[p.cand_demand].tolist(),
            p.demand_source[p.cand_demand].tolist(),
            p.cand_node.tolist(),
            p.cand_variant.tolist(),
            strict=True,
        )
    )


def tail_allowance_s(scenario: Scenario) -> FloatArray:
    """Per application (scenario order): the least widening of its SLO that keeps every
    demand the SLO serves on the mean servable at ``settings.slo_quantile`` (0 without a
    quantile): the largest, over its demands, of the smallest excess over the SLO of the
    tail latency of a placement the SLO admits on the mean.

    A placement (candidate) is admitted on the mean when its response time at rho_max
    (:attr:`CompiledProblem.cand_latency_s`, mean M/G/1 wait) is within the application's
    SLO; its tail latency uses the exponential-tail wait of
    :func:`slimplace.problem.latency.mg1_response_time_s` at the same utilisation.
    """
    q = scenario.settings.slo_quantile
    out = np.zeros(len(scenario.applications))
    if q is None or not scenario.applications:
        return out
    mean, tail = _loose(scenario, None), _loose(scenario, q)
    same = (
        mean.n_candidates == tail.n_candidates
        and np.array_equal(mean.cand_demand, tail.cand_demand)
        and np.array_equal(mean.cand_node, tail.cand_node)
        and np.array_equal(mean.cand_variant, tail.cand_variant)
        and np.array_equal(mean.demand_app, tail.demand_app)
    )
    if same:
        tail_lat = tail.cand_latency_s
    else:  # join on (application, source, node, variant)
        at = dict(zip(_cand_keys(tail), tail.cand_latency_s.tolist(), strict=True))
        tail_lat = np.array([at.get(k, np.inf) for k in _cand_keys(mean)])
    slo = np.array([a.latency_slo_s for a in scenario.applications])
    app = mean.demand_app[mean.cand_demand]
    admitted = (mean.cand_latency_s <= slo[app]) & np.isfinite(tail_lat)
    # per demand: the least widening that keeps one of its admitted placements
    need = np.full(mean.n_demands, np.inf)
    np.minimum.at(
        need,
        mean.cand_demand[admitted],
        np.maximum(tail_lat[admitted] - slo[app[admitted]], 0.0),
    )
    served = np.isfinite(need)
    np.maximum.at(out, mean.demand_app[served], need[served])
    return out


def slos_at_quantile(scenario: Scenario, step_s: float = 0.001) -> Scenario:
    """The scenario with each application's SLO, drawn as a budget on the mean response
    time, moved onto the tail ``settings.slo_quantile`` bounds: SLO + its
    :func:`tail_allowance_s`, rounded up to ``step_s``. The tail setting then makes
    no demand unservable that the mean serves, and no SLO is widened by more than that
    needs, so the scenario stays as tight as the drawn budgets meant. Unchanged when no
    quantile is set.
    """
    if scenario.settings.slo_quantile is None:
        return scenario
    extra = tail_allowance_s(scenario)
    apps = tuple(
        replace(
            a,
            latency_slo_s=round(math.ceil((a.latency_slo_s + x) / step_s - 1e-9) * step_s, 9),
        )
        for a, x in zip(scenario.applications, extra, strict=True)
    )
    return replace(scenario, applications=apps)
