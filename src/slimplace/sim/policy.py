"""The online-policy interface: what a policy sees and what it may return.

A policy is a small object configured by its constructor (keyword-only options,
no logic) with two methods:

- ``start(context, *, seed) -> memory``: per-run scratch (timers, a random
  generator, the last plan). The engine keeps it inside the simulation state, so
  the policy object itself stays immutable and can run in several simulations.
- ``decide(observation, memory) -> Plan | Change | None``: at every step. A
  :class:`~slimplace.plan.Plan` replaces the whole plan (shares over all
  candidates and servers on); a :class:`Change` reroutes some entries of the
  current plan and/or sets servers on, at a cost proportional to its size; None
  keeps everything. The first call (step 0) must return a Plan.

Observation arrays are read-only views of the state; never keep them across steps
(they change in place).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from slimplace.arrays import FloatArray, IntArray
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem

if TYPE_CHECKING:
    from slimplace.sim.workload import DemandWorkload


@dataclass(frozen=True, eq=False)
class Context:
    """What a policy knows before the first step (a policy that plans holds its own
    solver object).

    ``workload`` is the whole future load: only an offline reference (the ``hindsight``
    policy) may read it; an online policy learns rates step by step from observations.

    ``reference_plan`` is a plan for ``peak_rate_per_s`` that the harness solved once
    with a stronger planner (``milp``: static-peak's plan in
    :func:`slimplace.sim.compare.compare`, or ``simulate(peak_solver=...)``), or None. A
    policy that starts from or falls back to a peak plan uses it instead of solving its
    own (:func:`slimplace.sim.policies.common.peak_plan`): an operator running an online
    policy already has the best static plan, and a policy should never hold one worse
    than it. It is shared through the context, not solved per policy, so a 60 s ``milp``
    solve is made once per comparison instead of once per policy.
    """

    problem: CompiledProblem
    step_s: float
    n_steps: int
    peak_rate_per_s: FloatArray
    mean_rate_per_s: FloatArray
    workload: DemandWorkload | None = None
    reference_plan: Plan | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Observation:
    """The state at the start of a step, after this step's rates and grid intensities arrived.

    ``entry_*`` describe the current plan's support (one entry per (demand, candidate)
    with a positive share); ``one_entry_per_demand`` says entry i is demand i.
    ``node_busy_s_per_s`` is the load each node would carry at this step's rates under
    the current plan; ``servers_available`` counts servers ready this step (waking ones
    by the fraction of the step they are up); ``servers_target`` the current target.
    """

    step: int
    time_s: float
    step_s: float
    rate_per_s: FloatArray
    carbon_g_per_kwh: FloatArray
    entry_demand: IntArray
    entry_candidate: IntArray
    entry_share: FloatArray
    one_entry_per_demand: bool
    node_busy_s_per_s: FloatArray
    servers_available: FloatArray
    servers_target: FloatArray
    #: where mobile sources are attached, as bytes (empty without mobility;
    #: :mod:`slimplace.sim.mobility`): a plan made for other antennas is not this one's
    access_key: bytes = b""


@dataclass(frozen=True, slots=True, eq=False)
class Change:
    """An incremental decision.

    ``entries`` (indices into the current support) move to ``candidates`` (each of the
    same demand as its entry), keeping their shares; ``servers_on`` (per node) is the new
    target, or None to keep it.
    """

    entries: IntArray | None = None
    candidates: IntArray | None = None
    servers_on: FloatArray | IntArray | None = None


Decision = Plan | Change | None


@runtime_checkable
class Policy(Protocol):
    """An online policy (see the module docstring)."""

    @property
    def name(self) -> str:
        """The policy's name in records and summaries."""
        ...

    def start(self, context: Context, *, seed: int) -> Any:
        """Per-run memory, kept by the engine in the simulation state."""
        ...

    def decide(self, obs: Observation, memory: Any) -> Decision:
        """The decision for this step."""
        ...
