"""Public test helpers: small scenarios and the contract checks every method passes.

Users run the same checks on their own methods and policies.
"""

from slimplace.testing.policy_contracts import check_policy
from slimplace.testing.scenarios import tiny_scenario

__all__ = ["check_policy", "tiny_scenario"]
