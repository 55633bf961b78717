"""The job file format: pydantic models of what a YAML job file may hold.

Same conventions as scenario files (:mod:`slimplace.scenario.schema`): unknown
fields are errors, unit-bearing fields take a unit string (``"6 h"``, ``"30 GB"``,
``"2 MJ"``) or a bare number in SI units, single-field ranges are checked here and
cross-field rules in :mod:`slimplace.scheduling.io`.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from slimplace.scenario import validate as rules
from slimplace.scenario.schema import (
    Energy,
    FamilyModel,
    Fraction,
    HardwareModel,
    LinkKindModel,
    Name,
    PositiveTime,
    Size,
    Time,
    _rule,
    _unit,
)
from slimplace.scheduling.model import IdlePolicy, ScheduleObjective


def finite_positive(value: float) -> str | None:
    """Rule: a finite number greater than 0 (a count of inferences, a weight)."""
    if not math.isfinite(value):
        return f"must be a finite number, got {value:g}"
    return rules.positive(value)


PositiveCount = Annotated[float, _unit("count"), _rule(finite_positive)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputModel(_Model):
    """Where a job's input data lies and how large it is."""

    node: Name
    size: Size


class JobModel(_Model):
    """One job (``jobs:`` list)."""

    id: Name
    family: Name
    work: PositiveCount
    release: Time = 0.0
    deadline: PositiveTime
    input: InputModel | None = None
    accuracy_floor: Fraction = 0.0
    weight: PositiveCount = 1.0
    split: bool = False


class MachineModel(_Model):
    """Servers of one profile (``machines:`` list); ``count`` makes ``id#1``, ``id#2``, ..."""

    id: Name
    hardware: Name
    count: Annotated[int, _rule(rules.at_least_one)] = 1
    pue: Annotated[float, _unit("count"), _rule(rules.pue)] = 1.0
    node: Name | None = None
    link: Name = "wan"
    local_only: bool = False


class SettingsModel(_Model):
    """``settings:`` objective, energy budget and idle policy."""

    objective: ScheduleObjective = "energy"
    budget: Energy | None = None
    idle: IdlePolicy = "sleep"


class JobFile(_Model):
    """A whole job file."""

    name: Name
    description: str = ""
    scenario: Name | None = None
    settings: SettingsModel = SettingsModel()
    hardware: list[HardwareModel] = []
    families: list[FamilyModel] = []
    link_kinds: list[LinkKindModel] = []
    machines: list[MachineModel] = []
    jobs: Annotated[list[JobModel], Field(min_length=1)]


def field_names_at(loc: tuple[int | str, ...]) -> list[str]:
    """The fields allowed in the mapping at ``loc`` (a pydantic error location), or []."""
    from slimplace.scenario.schema import field_names_at as fields_in

    return fields_in(loc, JobFile)


__all__ = ["InputModel", "JobFile", "JobModel", "MachineModel", "SettingsModel", "field_names_at"]
