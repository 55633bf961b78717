"""Domain to file: a :class:`~slimplace.scenario.model.Scenario` as the mapping its file holds.

Catalog-equal entries that are used are written as references (names) only,
everything else inline; numbers are SI unit strings and fields equal to their
default are left out, so reading the mapping back gives an equal scenario. The
``*_doc`` writers of one entry are shared with job files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from slimplace.catalog import Catalog
from slimplace.scenario import schema
from slimplace.scenario.generation_io import generation_doc, llm_hardware_doc
from slimplace.scenario.model import (
    Application,
    BatchCurve,
    HardwareProfile,
    LatencyFit,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    PowerMode,
    Region,
    Scenario,
    Settings,
    SplitSpec,
    Stage,
    Variant,
)
from slimplace.units import format_si

T = TypeVar("T")


def _si(value: float, kind: str) -> str | float:
    return format_si(value, kind)


#: Default marker of fields that are always written.
_ALWAYS = object()


def _fields(pairs: Sequence[tuple[str, Any, Any]]) -> dict[str, Any]:
    """``{key: written}`` for each (key, value, default) whose value differs from the default."""
    return {k: v for k, v, d in pairs if d is _ALWAYS or v != d}


def _written(
    entries: Sequence[T],
    key: Callable[[T], str],
    used: set[str],
    catalog: Mapping[str, T],
    write: Callable[[T], dict[str, Any]],
) -> list[dict[str, Any]]:
    return [write(e) for e in entries if not (key(e) in used and catalog.get(key(e)) == e)]


def hardware_doc(h: HardwareProfile) -> dict[str, Any]:
    curve = h.power_curve
    return _fields(
        [
            ("name", h.name, _ALWAYS),
            ("tier", h.tier, _ALWAYS),
            ("throughput", _si(h.throughput_flops, "throughput"), _ALWAYS),
            ("memory", _si(h.memory_bytes, "bytes"), _ALWAYS),
            ("idle_power", _si(h.idle_power_w, "power"), _ALWAYS),
            ("peak_power", _si(h.peak_power_w, "power"), _ALWAYS),
            ("wake_time", _si(h.wake_time_s, "time"), _si(0.0, "time")),
            ("wake_energy", _si(h.wake_energy_j, "energy"), _si(0.0, "energy")),
            ("sleep_power", _si(h.sleep_power_w, "power"), _si(0.0, "power")),
            ("device_class", h.device_class, None),
            (
                "power_curve",
                None
                if curve is None
                else {
                    "utilisation": [float(u) for u in curve.utilisation],
                    "power": [_si(p, "power") for p in curve.power_w],
                },
                None,
            ),
            ("description", h.description, ""),
            ("source", h.source, ""),
            (
                "latency_fit",
                None if h.latency_fit is None else _latency_fit_doc(h.latency_fit),
                None,
            ),
            ("embodied_kg", h.embodied_kg, 0.0),
            ("lifetime_years", h.lifetime_years, 4.0),
            ("llm", None if h.llm is None else llm_hardware_doc(h.llm), None),
            ("power_modes", [_power_mode_doc(m) for m in h.power_modes], []),
            ("batching", None if h.batching is None else _batch_curve_doc(h.batching), None),
        ]
    )


def _power_mode_doc(m: PowerMode) -> dict[str, Any]:
    return _fields(
        [
            ("name", m.name, _ALWAYS),
            ("throughput_factor", m.throughput_factor, _ALWAYS),
            ("idle_power", _si(m.idle_power_w, "power"), _ALWAYS),
            ("peak_power", _si(m.peak_power_w, "power"), _ALWAYS),
            ("switch_time", _si(m.switch_time_s, "time"), _si(0.0, "time")),
            ("switch_energy", _si(m.switch_energy_j, "energy"), _si(0.0, "energy")),
            ("source", m.source, ""),
        ]
    )


def _batch_curve_doc(c: BatchCurve) -> dict[str, Any]:
    return _fields(
        [
            ("batch_sizes", [int(b) for b in c.batch_sizes], _ALWAYS),
            ("throughput_factor", [float(f) for f in c.throughput_factor], _ALWAYS),
            ("source", c.source, ""),
        ]
    )


def _latency_fit_doc(f: LatencyFit) -> dict[str, Any]:
    inf = _si(float("inf"), "bandwidth")
    return _fields(
        [
            ("overhead", _si(f.overhead_s, "time"), _ALWAYS),
            ("throughput", _si(f.flops_per_s, "throughput"), _ALWAYS),
            ("memory_bandwidth", _si(f.memory_bandwidth_bps, "bandwidth"), inf),
            ("weight_bandwidth", _si(f.weight_bandwidth_bps, "bandwidth"), inf),
            ("depthwise_bandwidth", _si(f.depthwise_bandwidth_bps, "bandwidth"), inf),
            (
                "int8_throughput",
                None if f.int8_flops_per_s is None else _si(f.int8_flops_per_s, "throughput"),
                None,
            ),
            ("batch_size", f.batch_size, 1),
            ("mape", f.mape, None),
            ("n_points", f.n_points, 0),
            ("source", f.source, ""),
        ]
    )


def link_kind_doc(k: LinkKind) -> dict[str, Any]:
    return _fields(
        [
            ("name", k.name, _ALWAYS),
            ("bandwidth", _si(k.bandwidth_bps, "bandwidth"), _ALWAYS),
            ("latency", _si(k.latency_s, "time"), _ALWAYS),
            ("energy_per_bit", _si(k.energy_j_per_bit, "energy_per_bit"), _ALWAYS),
            ("source", k.source, ""),
            ("baseload", _si(k.baseload_w, "power"), _si(0.0, "power")),
            (
                "marginal_energy_per_bit",
                None
                if k.marginal_j_per_bit is None
                else _si(k.marginal_j_per_bit, "energy_per_bit"),
                None,
            ),
            ("shared", k.shared, False),
            ("radio", k.radio, None),
            ("sleep_power", None if k.sleep_w is None else _si(k.sleep_w, "power"), None),
            ("wake_time", _si(k.wake_time_s, "time"), _si(0.0, "time")),
        ]
    )


def _variant_doc(v: Variant) -> dict[str, Any]:
    measured = [
        _fields(
            [
                ("device_class", m.device_class, _ALWAYS),
                ("latency", _si(m.latency_s, "time"), _ALWAYS),
                ("batch_size", m.batch_size, _ALWAYS),
                ("source", m.source, ""),
            ]
        )
        for m in v.measured
    ]
    return _fields(
        [
            ("name", v.name, _ALWAYS),
            ("accuracy", float(v.accuracy), _ALWAYS),
            ("flops", _si(v.flops, "flops"), _ALWAYS),
            ("params", float(v.params), _ALWAYS),
            ("memory", _si(v.memory_bytes, "bytes"), _ALWAYS),
            ("kind", v.kind, schema.default(Variant, "kind")),
            ("width", None if v.width is None else float(v.width), None),
            ("resolution", v.resolution, None),
            ("precision", v.precision, schema.default(Variant, "precision")),
            ("measured", measured, []),
            ("source", v.source, ""),
        ]
    )


def family_doc(f: ModelFamily) -> dict[str, Any]:
    return _fields(
        [
            ("name", f.name, _ALWAYS),
            ("weight_sharing", f.weight_sharing, _ALWAYS),
            ("switch_time", _si(f.switch_time_s, "time"), _ALWAYS),
            ("load_time", _si(f.load_time_s, "time"), _ALWAYS),
            ("task", f.task, schema.default(ModelFamily, "task")),
            ("source", f.source, ""),
            ("variants", [_variant_doc(v) for v in f.variants], _ALWAYS),
        ]
    )


def region_doc(r: Region) -> dict[str, Any]:
    return _fields(
        [
            ("code", r.code, _ALWAYS),
            ("carbon_intensity", _si(r.carbon_g_per_kwh, "carbon_intensity"), _ALWAYS),
            ("source", r.source, ""),
        ]
    )


def node_doc(n: Node, default_region: str) -> dict[str, Any]:
    d = schema.default
    return _fields(
        [
            ("id", n.id, _ALWAYS),
            ("tier", n.tier, _ALWAYS),
            ("hardware", n.hardware, None),
            ("count", n.count, d(Node, "count")),
            ("pue", float(n.pue), d(Node, "pue")),
            ("region", n.region, default_region),
            ("position", None if n.position is None else [float(x) for x in n.position], None),
            ("always_on", n.always_on, d(Node, "always_on")),
            ("local_only", n.local_only, d(Node, "local_only")),
            ("ownership", n.ownership, d(Node, "ownership")),
        ]
    )


def link_doc(link: Link, kinds: Mapping[str, LinkKind]) -> dict[str, Any]:
    """One ``links:`` entry; figures equal to the kind's (or left to it: NaN) are left out."""
    kind = kinds.get(link.kind)
    figures = [
        ("latency", link.latency_s, "time", None if kind is None else kind.latency_s),
        (
            "bandwidth",
            link.bandwidth_bps,
            "bandwidth",
            None if kind is None else kind.bandwidth_bps,
        ),
        (
            "energy_per_bit",
            link.energy_j_per_bit,
            "energy_per_bit",
            None if kind is None else kind.energy_j_per_bit,
        ),
    ]
    return _fields(
        [
            ("a", link.a, _ALWAYS),
            ("b", link.b, _ALWAYS),
            ("kind", link.kind, _ALWAYS),
            *(
                (key, _si(value, unit), None if default is None else _si(default, unit))
                for key, value, unit, default in figures
                if not math.isnan(value)
            ),
            ("baseload", None if link.baseload_w is None else _si(link.baseload_w, "power"), None),
            (
                "marginal_energy_per_bit",
                None
                if link.marginal_j_per_bit is None
                else _si(link.marginal_j_per_bit, "energy_per_bit"),
                None,
            ),
        ]
    )


def application_doc(a: Application) -> dict[str, Any]:
    d = schema.default
    return _fields(
        [
            ("id", a.id, _ALWAYS),
            ("family", a.family, _ALWAYS),
            (
                "sources",
                [{"node": s.node, "rate": _si(s.rate_per_s, "rate")} for s in a.sources],
                _ALWAYS,
            ),
            ("request", _si(a.request_bytes, "bytes"), _ALWAYS),
            ("response", _si(a.response_bytes, "bytes"), _ALWAYS),
            ("slo", _si(a.latency_slo_s, "time"), _ALWAYS),
            ("accuracy_floor", float(a.accuracy_floor), _ALWAYS),
            ("accuracy_mode", a.accuracy_mode, _ALWAYS),
            ("splittable", a.splittable, d(Application, "splittable")),
            ("workload", a.workload, None),
            ("generation", None if a.generation is None else generation_doc(a.generation), None),
            ("split", None if a.split is None else _split_doc(a.split), None),
            ("stages", [_stage_doc(st) for st in a.stages], []),
        ]
    )


def _split_doc(spec: SplitSpec) -> dict[str, Any]:
    return _fields(
        [
            ("network", spec.network, _ALWAYS),
            ("cuts", list(spec.cuts), []),
            ("cut_precision", spec.cut_precision, "fp32"),
            ("cut_accuracy_loss", spec.cut_accuracy_loss, None),
            ("exit_after", spec.exit_after, None),
            ("exit_rate", float(spec.exit_rate), 0.0),
            ("exit_accuracy_loss", float(spec.exit_accuracy_loss), 0.0),
        ]
    )


def _stage_doc(st: Stage) -> dict[str, Any]:
    return _fields(
        [
            ("id", st.id, _ALWAYS),
            ("family", st.family, _ALWAYS),
            ("after", list(st.after), []),
            ("output", _si(st.output_bytes, "bytes"), _si(0.0, "bytes")),
            ("calls", float(st.calls), 1.0),
        ]
    )


def settings_doc(settings: Settings) -> dict[str, Any]:
    """The ``settings:`` mapping of a scenario file."""
    doc: dict[str, Any] = {
        "max_utilisation": float(settings.max_utilisation),
        "service_cv2": float(settings.service_cv2),
        "horizon": _si(settings.horizon_s, "time"),
        "objective": settings.objective,
        "default_region": settings.default_region,
    }
    if settings.slo_quantile is not None:
        doc["slo_quantile"] = float(settings.slo_quantile)
    if settings.network_energy != Settings().network_energy:
        doc["network_energy"] = settings.network_energy
    if settings.k_paths != Settings().k_paths:
        doc["k_paths"] = settings.k_paths
    if settings.link_sleep is not None:
        doc["link_sleep"] = settings.link_sleep
    return doc


def scenario_document(s: Scenario, catalog: Catalog) -> dict[str, Any]:
    """The scenario as the mapping a file holds: catalog-equal entries used by name only."""
    settings = s.settings
    used_hardware = {n.hardware for n in s.nodes if n.hardware is not None}
    used_regions = {n.region for n in s.nodes} | {settings.default_region}
    doc: dict[str, Any] = {"name": s.name}
    if s.description:
        doc["description"] = s.description
    doc["settings"] = settings_doc(settings)
    sections: list[tuple[str, list[dict[str, Any]]]] = [
        (
            "hardware",
            _written(s.hardware, lambda h: h.name, used_hardware, catalog.hardware, hardware_doc),
        ),
        (
            "link_kinds",
            _written(
                s.link_kinds,
                lambda k: k.name,
                {lk.kind for lk in s.links},
                catalog.link_kinds,
                link_kind_doc,
            ),
        ),
        (
            "families",
            _written(
                s.families,
                lambda f: f.name,
                {a.family for a in s.applications},
                catalog.families,
                family_doc,
            ),
        ),
        (
            "regions",
            _written(s.regions, lambda r: r.code, used_regions, catalog.regions, region_doc),
        ),
    ]
    doc.update({name: entries for name, entries in sections if entries})
    doc["nodes"] = [node_doc(n, settings.default_region) for n in s.nodes]
    kinds = {k.name: k for k in s.link_kinds}
    doc["links"] = [link_doc(link, kinds) for link in s.links]
    doc["applications"] = [application_doc(a) for a in s.applications]
    return doc


__all__ = [
    "application_doc",
    "family_doc",
    "hardware_doc",
    "link_doc",
    "link_kind_doc",
    "node_doc",
    "region_doc",
    "scenario_document",
    "settings_doc",
]
