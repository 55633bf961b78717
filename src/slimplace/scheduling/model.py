"""Domain values of a batch-scheduling instance: jobs, machines, settings.

A *job* is a batch of inferences of one model family that must run between its
release time and its deadline, optionally at a lighter variant of the family
(slimmable width, Once-for-All subnet) for less time and energy. A *machine* is
one server: a hardware profile, a PUE and where it sits (a scenario node or a
site label). Units are SI (s, J, W, bytes); times count from the instance's
time zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from slimplace.scenario.model import HardwareProfile, LinkKind, ModelFamily, Scenario

ScheduleObjective = Literal["energy", "accuracy"]
IdlePolicy = Literal["sleep", "awake"]
OBJECTIVES: tuple[ScheduleObjective, ...] = ("energy", "accuracy")


@dataclass(frozen=True, slots=True)
class Job:
    """A batch of ``work`` inferences of ``family``, due in ``[release_s, deadline_s]``.

    The input (``input_bytes`` at ``input_node``) is moved to the machine before
    the job starts there. ``accuracy_floor`` bounds the work-weighted mean
    accuracy of the job; ``weight`` scales its share of the accuracy objective.
    A ``splittable`` job may run part of its work at one variant and the rest at
    another on the same machine (for a width family this is the same as a
    continuous width between two measured widths).
    """

    id: str
    family: str
    work: float
    release_s: float
    deadline_s: float
    input_node: str | None = None
    input_bytes: float = 0.0
    accuracy_floor: float = 0.0
    weight: float = 1.0
    splittable: bool = False


@dataclass(frozen=True, slots=True)
class Machine:
    """One server. ``node`` is a scenario node (inputs are routed over its links)
    or, without a scenario, a site label (inputs from another site cross one link
    of kind ``link_kind``). ``local_only`` machines run only jobs whose input is at
    their node; ``from_scenario`` marks servers taken from the scenario's nodes."""

    id: str
    hardware: str
    pue: float = 1.0
    node: str | None = None
    link_kind: str = "wan"
    local_only: bool = False
    from_scenario: bool = False


@dataclass(frozen=True, slots=True)
class JobSettings:
    """``objective`` and energy ``budget_j`` (for the accuracy objective); ``idle``:
    "sleep" (a machine draws power only while it runs a job) or "awake" (every machine
    idles at idle power from time zero to the last deadline)."""

    objective: ScheduleObjective = "energy"
    budget_j: float | None = None
    idle: IdlePolicy = "sleep"


@dataclass(frozen=True, slots=True)
class JobSet:
    """A whole instance: jobs, machines and the profiles, families and link kinds they name."""

    name: str
    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    hardware: tuple[HardwareProfile, ...]
    families: tuple[ModelFamily, ...]
    link_kinds: tuple[LinkKind, ...]
    settings: JobSettings = field(default_factory=JobSettings)
    scenario: Scenario | None = None
    scenario_file: str | None = None
    description: str = ""

    def hardware_by_name(self) -> dict[str, HardwareProfile]:
        """Profiles keyed by name."""
        return {h.name: h for h in self.hardware}

    def family_by_name(self) -> dict[str, ModelFamily]:
        """Families keyed by name."""
        return {f.name: f for f in self.families}

    def link_kind_by_name(self) -> dict[str, LinkKind]:
        """Link kinds keyed by name."""
        return {k.name: k for k in self.link_kinds}
