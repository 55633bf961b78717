"""Public test helpers: small scenarios and the contract checks every method passes.

Users run the same checks on their own methods and policies.
"""

from slimplace.testing.scenarios import tiny_scenario

__all__ = ["tiny_scenario"]
