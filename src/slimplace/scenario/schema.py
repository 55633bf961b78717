"""The scenario file format: pydantic models of what a YAML scenario file may hold.

This is the boundary. Each model forbids unknown fields; unit-bearing fields
accept a unit string (``"5 ms"``, ``"10 Gbit/s"``) or a bare number taken as SI,
and hold the SI float after validation (:func:`slimplace.units.parse`).
Single-field ranges (positive rates, PUE >= 1, accuracies in [0, 1]) are
checked here so that pydantic reports them all at once; cross-field and
cross-entity rules live in :mod:`slimplace.scenario.validate`.
Defaults come from the domain dataclasses in :mod:`slimplace.scenario.model`.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

from slimplace.scenario import validate as rules
from slimplace.scenario.fields import rule as _rule
from slimplace.scenario.fields import unit as _unit
from slimplace.scenario.generation_io import GenerationModel, LlmFamilyModel, LlmHardwareModel
from slimplace.scenario.model import (
    AccuracyMode,
    Application,
    CutPrecision,
    LatencyFit,
    MeasuredLatency,
    ModelFamily,
    NetworkEnergy,
    Node,
    Objective,
    Ownership,
    Settings,
    SplitSpec,
    Stage,
    Tier,
    Variant,
)


def default(cls: type, name: str) -> Any:
    """The default of field ``name`` of dataclass ``cls`` (one source of truth for defaults)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
    raise KeyError(name)


Name = Annotated[str, Field(min_length=1)]
Time = Annotated[float, _unit("time"), _rule(rules.non_negative)]
PositiveTime = Annotated[float, _unit("time"), _rule(rules.positive)]
Rate = Annotated[float, _unit("rate"), _rule(rules.positive)]
Size = Annotated[float, _unit("bytes"), _rule(rules.non_negative)]
Memory = Annotated[float, _unit("bytes"), _rule(rules.positive)]
Bandwidth = Annotated[float, _unit("bandwidth"), _rule(rules.positive)]
EnergyPerBit = Annotated[float, _unit("energy_per_bit"), _rule(rules.non_negative)]
Power = Annotated[float, _unit("power"), _rule(rules.non_negative)]
Energy = Annotated[float, _unit("energy"), _rule(rules.non_negative)]
Flops = Annotated[float, _unit("flops"), _rule(rules.positive)]
Throughput = Annotated[float, _unit("throughput"), _rule(rules.positive)]
CarbonIntensity = Annotated[float, _unit("carbon_intensity"), _rule(rules.non_negative)]
Fraction = Annotated[float, _unit("fraction"), _rule(rules.fraction)]
Count = Annotated[float, _unit("count"), _rule(rules.non_negative)]
Utilisation = Annotated[float, _unit("fraction"), _rule(rules.utilisation_cap)]
NonNegative = Annotated[float, _unit("count"), _rule(rules.non_negative)]
PositiveNumber = Annotated[float, _unit("count"), _rule(rules.positive)]


def _position(value: tuple[float, float] | None) -> tuple[float, float] | None:
    if value is not None and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
        raise PydanticCustomError(
            "range", "must be [latitude, longitude] in degrees, latitude within +-90"
        )
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SettingsModel(_Model):
    """``settings:`` modelling settings (see :class:`~slimplace.scenario.model.Settings`)."""

    max_utilisation: Utilisation = default(Settings, "max_utilisation")
    service_cv2: NonNegative = default(Settings, "service_cv2")
    horizon: PositiveTime = default(Settings, "horizon_s")
    objective: Objective = default(Settings, "objective")
    default_region: Name = default(Settings, "default_region")
    slo_quantile: Annotated[float, _unit("fraction"), _rule(rules.quantile)] | None = None
    network_energy: NetworkEnergy = default(Settings, "network_energy")
    k_paths: Annotated[int, Strict(), _rule(rules.at_least_one)] = default(Settings, "k_paths")
    link_sleep: bool | None = None


class PowerCurveModel(_Model):
    """``power_curve:`` measured power against utilisation (same lengths, 0 to 1)."""

    utilisation: list[Annotated[float, _rule(rules.fraction)]]
    power: list[Power]


class LatencyFitModel(_Model):
    """``latency_fit:`` calibrated latency parameters (``slimplace calibrate`` writes them)."""

    overhead: Time
    throughput: Throughput
    memory_bandwidth: Bandwidth = default(LatencyFit, "memory_bandwidth_bps")
    weight_bandwidth: Bandwidth = default(LatencyFit, "weight_bandwidth_bps")
    depthwise_bandwidth: Bandwidth = default(LatencyFit, "depthwise_bandwidth_bps")
    int8_throughput: Throughput | None = None
    batch_size: Annotated[int, Field(ge=1)] = default(LatencyFit, "batch_size")
    mape: NonNegative | None = None
    n_points: Annotated[int, Field(ge=0)] = 0
    source: str = ""


class PowerModeModel(_Model):
    """One entry of ``power_modes:`` (see :class:`~slimplace.scenario.model.PowerMode`)."""

    name: Name
    throughput_factor: PositiveNumber
    idle_power: Power
    peak_power: Power
    switch_time: Time = 0.0
    switch_energy: Energy = 0.0
    source: str = ""


class BatchCurveModel(_Model):
    """``batching:`` throughput against batch size, relative to batch 1
    (see :class:`~slimplace.scenario.model.BatchCurve`)."""

    batch_sizes: list[Annotated[int, Field(ge=1)]]
    throughput_factor: list[PositiveNumber]
    source: str = ""


class HardwareModel(_Model):
    """An inline hardware profile (``hardware:`` list)."""

    name: Name
    tier: Tier
    throughput: Throughput
    memory: Memory
    idle_power: Power
    peak_power: Power
    wake_time: Time = 0.0
    wake_energy: Energy = 0.0
    sleep_power: Power = 0.0
    device_class: str | None = None
    power_curve: PowerCurveModel | None = None
    description: str = ""
    source: str = ""
    latency_fit: LatencyFitModel | None = None
    #: embodied carbon of one server (kgCO2e) and its lifetime (years); omitted: the
    #: catalog's figures for a profile of that name, else none
    embodied_kg: NonNegative | None = None
    lifetime_years: PositiveNumber | None = None
    #: language-model speed (docs/llm.md); omitted: serves no generation application
    llm: LlmHardwareModel | None = None
    power_modes: list[PowerModeModel] = []
    batching: BatchCurveModel | None = None


class LinkKindModel(_Model):
    """An inline link kind (``link_kinds:`` list): ``energy_per_bit`` is the attributional
    figure; ``baseload``/``marginal_energy_per_bit`` the power model's (absent marginal:
    ``energy_per_bit``); ``shared``: one site per hub node serves all its links of the
    kind; ``radio``: the device radio model a request leaving a device on it pays."""

    name: Name
    bandwidth: Bandwidth
    latency: Time
    energy_per_bit: EnergyPerBit
    source: str = ""
    baseload: Power = 0.0
    marginal_energy_per_bit: EnergyPerBit | None = None
    shared: bool = False
    radio: Name | None = None
    #: power asleep (absent: links of the kind never sleep) and time to wake
    sleep_power: Power | None = None
    wake_time: Time = 0.0


class MeasuredModel(_Model):
    """A measured latency of a variant on a device class (``measured:`` list)."""

    device_class: Name
    latency: PositiveTime
    batch_size: Annotated[int, _rule(rules.at_least_one)] = default(MeasuredLatency, "batch_size")
    source: str = ""


class VariantModel(_Model):
    """One variant of an inline family."""

    name: Name
    accuracy: Fraction
    flops: Flops
    params: Count
    memory: Memory
    kind: Name = default(Variant, "kind")
    width: Annotated[float, Field(gt=0)] | None = None
    resolution: Annotated[int, Field(gt=0)] | None = None
    precision: Name = default(Variant, "precision")
    measured: list[MeasuredModel] = []
    source: str = ""


class FamilyModel(_Model):
    """An inline model family (``families:`` list)."""

    name: Name
    variants: Annotated[list[VariantModel], Field(min_length=1)]
    weight_sharing: bool = default(ModelFamily, "weight_sharing")
    switch_time: Time = default(ModelFamily, "switch_time_s")
    load_time: Time = default(ModelFamily, "load_time_s")
    task: Name = default(ModelFamily, "task")
    source: str = ""


class RegionModel(_Model):
    """A region added or overridden (``regions:`` list)."""

    code: Name
    carbon_intensity: CarbonIntensity
    source: str = ""


class NodeModel(_Model):
    """A node; ``region`` defaults to ``settings.default_region``."""

    id: Name
    tier: Tier
    hardware: Name | None = default(Node, "hardware")
    count: Annotated[int, _rule(rules.at_least_one)] = default(Node, "count")
    pue: Annotated[float, _unit("count"), _rule(rules.pue)] = default(Node, "pue")
    region: Name | None = None
    position: Annotated[tuple[float, float] | None, AfterValidator(_position)] = None
    always_on: bool = default(Node, "always_on")
    local_only: bool = default(Node, "local_only")
    ownership: Ownership = default(Node, "ownership")


class LinkModel(_Model):
    """A link; latency, bandwidth and energy per bit default to its kind's."""

    a: Name
    b: Name
    kind: Name
    latency: Time | None = None
    bandwidth: Bandwidth | None = None
    energy_per_bit: EnergyPerBit | None = None
    baseload: Power | None = None
    marginal_energy_per_bit: EnergyPerBit | None = None


class SourceModel(_Model):
    """Where requests of an application enter, and how many per second."""

    node: Name
    rate: Rate


class SplitModel(_Model):
    """Split computing of an application's model (``split:``; :class:`SplitSpec`)."""

    network: Name
    cuts: list[Name] = []
    cut_precision: CutPrecision = default(SplitSpec, "cut_precision")
    cut_accuracy_loss: Fraction | None = default(SplitSpec, "cut_accuracy_loss")
    exit_after: Name | None = default(SplitSpec, "exit_after")
    exit_rate: Fraction = default(SplitSpec, "exit_rate")
    exit_accuracy_loss: Fraction = default(SplitSpec, "exit_accuracy_loss")


class StageModel(_Model):
    """One model of a multi-stage application (``stages:``; :class:`Stage`)."""

    id: Name
    family: Name
    after: list[Name] = []
    output: Size = default(Stage, "output_bytes")
    calls: PositiveNumber = default(Stage, "calls")


class ApplicationModel(_Model):
    """An application: a request stream with an SLO and an accuracy floor."""

    id: Name
    #: the model family (a multi-stage application may leave it out: its first stage's)
    family: Name | None = None
    sources: Annotated[list[SourceModel], Field(min_length=1)]
    #: request and response sizes; a generation application may leave them to its tokens
    request: Size | None = None
    response: Size | None = None
    slo: PositiveTime
    accuracy_floor: Fraction = default(Application, "accuracy_floor")
    accuracy_mode: AccuracyMode = default(Application, "accuracy_mode")
    splittable: bool = default(Application, "splittable")
    workload: Name | None = default(Application, "workload")
    split: SplitModel | None = None
    stages: list[StageModel] = []
    generation: GenerationModel | None = None


class ScenarioFile(_Model):
    """A whole scenario file."""

    name: Name
    description: str = ""
    settings: SettingsModel = SettingsModel()
    hardware: list[HardwareModel] = []
    link_kinds: list[LinkKindModel] = []
    families: list[FamilyModel] = []
    llm_families: list[LlmFamilyModel] = []
    regions: list[RegionModel] = []
    nodes: Annotated[list[NodeModel], Field(min_length=1)]
    links: list[LinkModel] = []
    applications: list[ApplicationModel] = []


def field_names_at(loc: tuple[int | str, ...], root: type[BaseModel] | None = None) -> list[str]:
    """The fields allowed in the mapping at ``loc`` (a pydantic error location in a
    document of ``root``, by default :class:`ScenarioFile`), or []."""
    model: type[BaseModel] | None = root or ScenarioFile
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part) if model is not None else None
        if info is None:
            return []
        model = _model_in(info.annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    return _model_in(origin) if origin is not None and origin is not annotation else None


__all__ = [
    "ApplicationModel",
    "FamilyModel",
    "HardwareModel",
    "LatencyFitModel",
    "LinkKindModel",
    "LinkModel",
    "MeasuredModel",
    "NodeModel",
    "PowerCurveModel",
    "RegionModel",
    "ScenarioFile",
    "SettingsModel",
    "SourceModel",
    "SplitModel",
    "StageModel",
    "VariantModel",
    "default",
    "field_names_at",
]
