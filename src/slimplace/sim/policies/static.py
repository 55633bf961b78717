"""The static plan: solved once for the peak rates of the horizon, never changed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan, Status
from slimplace.sim.policies.common import FALLBACK, peak_plan
from slimplace.sim.policy import Context, Decision, Observation

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class StaticPolicy:
    """Plan for every demand's peak rate over the horizon (x ``1 + headroom``) with
    ``solver`` (default: ``greedy`` with a 30 s limit) and keep that plan and its servers all along:
    what an operator who provisions for the peak does. With ``headroom`` 0 and a
    ``reference_plan`` in the context (the harness's peak plan, solved once with a
    stronger planner, :class:`~slimplace.sim.policy.Context`), that plan is held.

    When ``solver`` finds no plan that serves every request at the peak (``milp`` proves
    the overload infeasible and returns none), the best-effort plan of ``fallback`` is
    held instead (``greedy`` places what fits; the rule of every policy's planning,
    :func:`~slimplace.sim.policies.common.solve_at`), so that an overloaded run still
    compares what each policy served (:mod:`slimplace.sim.compare`)."""

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=30.0))
    headroom: float = 0.0
    name: str = "static"
    fallback: Solver | None = field(default_factory=lambda: FALLBACK)

    def start(self, context: Context, *, seed: int) -> Plan:
        """The peak plan."""
        plan = peak_plan(
            context, solver=self.solver, seed=seed, headroom=self.headroom, fallback=self.fallback
        )
        if plan.status is Status.INFEASIBLE:
            log.warning("%s: %s; holding a best-effort plan", self.name, plan.reason)
        return plan

    def decide(self, obs: Observation, memory: Plan) -> Decision:
        """The peak plan at step 0, nothing afterwards."""
        return memory if obs.step == 0 else None
