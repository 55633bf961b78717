"""The static plan: solved once for the peak rates of the horizon, never changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan
from slimplace.sim.policies.common import solve_at
from slimplace.sim.policy import Context, Decision, Observation


@dataclass(frozen=True, kw_only=True)
class StaticPolicy:
    """Plan for every demand's peak rate over the horizon (x ``1 + headroom``) with
    ``solver`` (default: ``greedy`` with a 30 s limit) and keep that plan and its servers all along:
    what an operator who provisions for the peak does."""

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=30.0))
    headroom: float = 0.0
    name: str = "static"

    def start(self, context: Context, *, seed: int) -> Plan:
        """The peak plan."""
        plan, _ = solve_at(
            context,
            context.peak_rate_per_s * (1.0 + self.headroom),
            solver=self.solver,
            seed=seed,
        )
        return plan

    def decide(self, obs: Observation, memory: Plan) -> Decision:
        """The peak plan at step 0, nothing afterwards."""
        return memory if obs.step == 0 else None
