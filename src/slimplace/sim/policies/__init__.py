"""The built-in online policies (see :mod:`slimplace.sim.registry` for them by name)."""

from slimplace.sim.policies.continuum import ContinuumFirstPolicy
from slimplace.sim.policies.hindsight import HindsightPolicy
from slimplace.sim.policies.periodic import PeriodicPolicy
from slimplace.sim.policies.predictive import PredictivePolicy
from slimplace.sim.policies.reactive import ReactivePolicy
from slimplace.sim.policies.static import StaticPolicy

__all__ = [
    "ContinuumFirstPolicy",
    "HindsightPolicy",
    "PeriodicPolicy",
    "PredictivePolicy",
    "ReactivePolicy",
    "StaticPolicy",
]
