"""Make generated scenarios solvable: SLOs drawn from what is reachable, and a witness plan.

- :func:`reachable_latency_s`: per demand, the latency (at the SLO quantile, servers at
  rho_max) of its best admissible placement: a candidate meeting the accuracy floor on a
  node that can carry the demand alone (rate x service time <= rho_max x servers).
- :func:`slo_from_reachable`: an application's SLO = the worst reachable latency of its
  sources times a slack factor, rounded up to a step; so every demand has a placement
  within its SLO, and the slack leaves the optimiser room to trade latency for energy.
- :func:`witness`: a plan proving the scenario solvable (every demand at its fastest
  usable candidate, servers sized for the load), checked by the independent evaluator;
  when it violates something, the ``greedy`` method gets a try.
"""

from __future__ import annotations

import logging
import math
from collections import Counter

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.evaluate import Evaluation, evaluate
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compiled import CompiledProblem
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
    ok = usable(problem)
    idx = np.flatnonzero(ok)
    best = np.full(problem.n_demands, -1, dtype=np.int64)
    if len(idx) == 0:
        return best
    order = idx[np.lexsort((problem.cand_latency_s[idx], problem.cand_demand[idx]))]
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


def witness(problem: CompiledProblem, seed: int) -> tuple[Plan, Evaluation]:
    """A plan that shows the problem solvable, and its evaluation (feasible or the last try)."""
    plan = plan_from_choice(problem, fastest_usable(problem), "witness")
    ev = evaluate(problem, plan)
    if ev.feasible:
        return plan, ev
    log.info("fastest-placement witness violates %s; trying greedy", violation_summary(ev))
    from slimplace.solve import solve

    result = solve(problem, "greedy", seed=seed)
    if result.evaluation.feasible:
        return result.plan, result.evaluation
    return plan, ev


def violation_summary(ev: Evaluation) -> str:
    """``"capacity x2; bandwidth x1"``: violated constraint kinds and how often."""
    counts = Counter(v.kind for v in ev.violations)
    return "; ".join(f"{kind} x{n}" for kind, n in sorted(counts.items())) or "none"
