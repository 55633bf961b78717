"""A placement plan: traffic shares per candidate and servers switched on per node."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes


class Status(StrEnum):
    """How a method ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time-limit"
    INFEASIBLE = "infeasible"
    #: A plan was returned but the independent evaluator rejects it (set by
    #: :func:`slimplace.solve.solve`; never "optimal" or "feasible" then).
    VIOLATES = "violates"


class HasKind(Protocol):
    """A violation: anything with a ``kind`` (:class:`slimplace.evaluate.Violation`)."""

    @property
    def kind(self) -> str:
        """The violated constraint family ("bandwidth", "slo", ...)."""
        ...


def violation_reason(violations: Iterable[HasKind]) -> str:
    """Violated constraint kinds with their counts, in order of first appearance:
    ``"bandwidth x2; slo x5"``; empty when there are none."""
    counts = Counter(v.kind for v in violations)
    return "; ".join(f"{kind} x{n}" for kind, n in counts.items())


@dataclass(frozen=True, eq=False)
class Plan:
    """Shares ``x`` (one per candidate; each demand's sum to 1) and ``servers_on`` per node.

    ``objective`` and ``bound`` are what the method reported, in the problem's
    objective unit (average W for energy, gCO2e/h for carbon); the evaluator
    recomputes the objective independently. ``routes``: the path of every flow when
    routing is a decision (``docs/routing.md``; None: every flow on its shortest path).
    """

    x: FloatArray
    servers_on: IntArray
    method: str
    status: Status = Status.FEASIBLE
    objective: float | None = None
    bound: float | None = None
    seconds: float = 0.0
    reason: str = ""
    info: dict[str, float] = field(default_factory=dict)
    routes: FlowRoutes | None = None


def node_busy_s_per_s(
    problem: CompiledProblem, x: FloatArray, rate_per_s: FloatArray | None = None
) -> FloatArray:
    """Server-seconds of work per second arriving at each node under shares ``x``."""
    rate = problem.demand_rate_per_s if rate_per_s is None else rate_per_s
    flow = rate[problem.cand_demand] * x
    busy = np.bincount(
        problem.cand_node, weights=flow * problem.cand_service_s, minlength=problem.n_nodes
    )
    return busy.astype(np.float64, copy=False)


#: Relative excess of load over whole servers forgiven when sizing servers (the HiGHS
#: feasibility tolerance on rows of large coefficients), so a solver's plan at exactly
#: rho_max does not ask for one more server.
SERVER_LOAD_RTOL = 1e-6
#: Servers' worth of load below which a node needs none (rounding residue; far below the
#: load of one request per million seconds on the fastest server).
SERVER_LOAD_ATOL = 1e-12


def servers_for_load(
    busy_s_per_s: FloatArray, max_utilisation: float, *, headroom: float = 0.0
) -> IntArray:
    """Fewest servers that carry ``busy_s_per_s`` (server-seconds per second) at
    ``max_utilisation / (1 + headroom)`` each, forgiving :data:`SERVER_LOAD_RTOL`
    (never negative; not clipped to the servers present)."""
    busy = np.asarray(busy_s_per_s, dtype=np.float64) * (1.0 + headroom)
    need = np.ceil(busy / max_utilisation * (1 - SERVER_LOAD_RTOL) - SERVER_LOAD_ATOL)
    return np.maximum(need, 0).astype(np.int64)


def servers_needed(problem: CompiledProblem, busy_s_per_s: FloatArray) -> IntArray:
    """:func:`servers_for_load` at rho_max; always-on nodes keep all their servers.

    Not clipped to the servers present: an overloaded plan asks for more and the
    evaluator reports it.
    """
    need = servers_for_load(busy_s_per_s, problem.max_utilisation)
    return np.where(problem.node_always_on, problem.node_count, need)


def plan_from_choice(
    problem: CompiledProblem,
    chosen: IntArray,
    method: str,
    *,
    seconds: float = 0.0,
    status: Status = Status.FEASIBLE,
    reason: str = "",
) -> Plan:
    """A plan that sends each demand wholly to one candidate (``chosen``: candidate index
    per demand, -1 for none) with servers sized for the load."""
    x = np.zeros(problem.n_candidates)
    ok = chosen >= 0
    x[chosen[ok]] = 1.0
    on = np.minimum(servers_needed(problem, node_busy_s_per_s(problem, x)), problem.node_count)
    if not ok.all():
        status, reason = Status.INFEASIBLE, reason or f"{int((~ok).sum())} demand(s) unplaced"
    return Plan(x=x, servers_on=on, method=method, status=status, seconds=seconds, reason=reason)
