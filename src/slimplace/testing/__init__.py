"""Public test helpers: small scenarios and the contract checks every method passes.

Users run the same checks on their own methods and policies.
"""

from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.testing.contracts import (
    check_deterministic,
    check_exact_not_worse,
    check_feasible,
    check_infeasible,
    check_method,
    check_reported_objective,
    check_time_limit,
    infeasible_problem,
    small_problem,
)
from slimplace.testing.policy_contracts import check_policy

__all__ = [
    "check_deterministic",
    "check_exact_not_worse",
    "check_feasible",
    "check_infeasible",
    "check_method",
    "check_policy",
    "check_reported_objective",
    "check_time_limit",
    "infeasible_problem",
    "small_problem",
    "tiny_scenario",
]
