"""Public test helpers: small scenarios and the contract checks every method passes.

Users run the same checks on their own placement methods (:func:`check_method`),
policies (:func:`check_policy`) and scheduling methods (:func:`check_scheduler`); each
check returns nothing and raises :class:`AssertionError` naming the method.
"""

from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.scheduling.contract import check_scheduler
from slimplace.testing.contracts import (
    check_deterministic,
    check_exact_not_worse,
    check_feasible,
    check_honest,
    check_infeasible,
    check_method,
    check_reported_objective,
    check_time_limit,
    infeasible_problem,
    small_problem,
    tempting_problems,
)
from slimplace.testing.policy_contracts import check_policy

__all__ = [
    "check_deterministic",
    "check_exact_not_worse",
    "check_feasible",
    "check_honest",
    "check_infeasible",
    "check_method",
    "check_policy",
    "check_reported_objective",
    "check_scheduler",
    "check_time_limit",
    "infeasible_problem",
    "small_problem",
    "tempting_problems",
    "tiny_scenario",
]
