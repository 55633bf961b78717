"""The operate job: a time-stepped simulation of a continuum under an online policy.

``simulate(problem, policy, horizon_s=..., step_s=...)`` runs one policy over changing
request rates (:mod:`~slimplace.sim.workload`) and grid intensities
(:mod:`~slimplace.sim.carbon`) on the same compiled problem and energy/latency model as
the planner, charging server wake-ups and model switches, and streams one record per
step to Parquet. Policies (:mod:`~slimplace.sim.policy`) are small objects found by name
in a :class:`~slimplace.sim.registry.PolicyRegistry`.
"""

from slimplace.sim.carbon import CarbonSeries, build_carbon
from slimplace.sim.engine import PolicyError, SimResult, Summary, n_steps_for, simulate
from slimplace.sim.model import StepModel, build_step_model
from slimplace.sim.policies import (
    ContinuumFirstPolicy,
    HindsightPolicy,
    PeriodicPolicy,
    PredictivePolicy,
    ReactivePolicy,
    StaticPolicy,
)
from slimplace.sim.policy import Change, Context, Decision, Observation, Policy
from slimplace.sim.registry import PolicyRegistry, UnknownPolicyError, default_policies
from slimplace.sim.workload import DemandWorkload, build_workload, builtin_traces

__all__ = [
    "CarbonSeries",
    "Change",
    "Context",
    "ContinuumFirstPolicy",
    "Decision",
    "DemandWorkload",
    "HindsightPolicy",
    "Observation",
    "PeriodicPolicy",
    "Policy",
    "PolicyError",
    "PolicyRegistry",
    "PredictivePolicy",
    "ReactivePolicy",
    "SimResult",
    "StaticPolicy",
    "StepModel",
    "Summary",
    "UnknownPolicyError",
    "build_carbon",
    "build_step_model",
    "build_workload",
    "builtin_traces",
    "default_policies",
    "n_steps_for",
    "simulate",
]
