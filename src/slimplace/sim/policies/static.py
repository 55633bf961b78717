"""The static plan: solved once for the peak rates of the horizon, never changed."""

from __future__ import annotations

from dataclasses import dataclass

from slimplace.plan import Plan
from slimplace.sim.policies.common import solve_at
from slimplace.sim.policy import Context, Decision, Observation


@dataclass(frozen=True, kw_only=True)
class StaticPolicy:
    """Plan for every demand's peak rate over the horizon (x ``1 + headroom``) with
    ``method`` (default: the best registered) and keep that plan and its servers all along:
    what an operator who provisions for the peak does."""

    method: str | None = None
    headroom: float = 0.0
    time_limit_s: float = 30.0
    name: str = "static"

    def start(self, context: Context, *, seed: int) -> Plan:
        """The peak plan."""
        plan, _ = solve_at(
            context,
            context.peak_rate_per_s * (1.0 + self.headroom),
            method=self.method,
            seed=seed,
            time_limit_s=self.time_limit_s,
        )
        return plan

    def decide(self, obs: Observation, memory: Plan) -> Decision:
        """The peak plan at step 0, nothing afterwards."""
        return memory if obs.step == 0 else None
