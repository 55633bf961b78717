"""Read and write scenario files (YAML) as :class:`~slimplace.scenario.model.Scenario` values.

Loading runs four stages and reports every problem of the stage that fails,
as an :class:`~slimplace.errors.InputError` naming the file and each path:

1. text: UTF-8, YAML syntax (with line numbers), duplicate keys, a mapping at the top;
2. schema (:mod:`slimplace.scenario.schema`): fields, types, units, single-field ranges;
3. references: hardware profiles, link kinds, model families and regions resolve
   inline first, then in the catalog (close names are suggested);
4. semantics (:mod:`slimplace.scenario.validate`): duplicates, self-links, unknown
   nodes, reachability, accuracy floors, cross-field rules.

The resulting scenario holds the inline entries plus the catalog entries it uses,
each tuple sorted by name, so files that differ only in order load equal. Saving
writes catalog-equal entries that are used as references (names) only, everything
else inline, numbers as SI unit strings, so ``loads_scenario(dump_scenario(s)) == s``.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import ValidationError

from slimplace.catalog import Catalog, load_catalog
from slimplace.errors import InputError, Problem
from slimplace.fsutil import atomic_write_text
from slimplace.scenario import schema
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    LatencyFit,
    Link,
    LinkKind,
    MeasuredLatency,
    ModelFamily,
    Node,
    PowerCurve,
    Region,
    Scenario,
    Settings,
    Source,
    Variant,
)
from slimplace.scenario.validate import check_scenario, check_structure, check_values, suggest
from slimplace.units import format_si

T = TypeVar("T")
E = TypeVar("E")


def _catalog(catalog: Catalog | None) -> Catalog:
    return load_catalog() if catalog is None else catalog


# ------------------------------------------------------------------------------- YAML

#: YAML 1.2 floats (``1e-3``, ``3.4e6``), which PyYAML's YAML 1.1 rules read as strings.
_FLOAT_12 = re.compile(r"^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)[eE][-+]?\d+$")


class _Loader(yaml.SafeLoader):
    """Safe loader that also reads YAML 1.2 exponent floats and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            with contextlib.suppress(TypeError):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


class YamlDumper(yaml.SafeDumper):
    """Safe dumper without anchors that quotes strings the loader would read as floats."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_YAML_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Double-quote (with escapes) strings holding characters YAML reads as line breaks."""
    style = '"' if any(ch in _YAML_BREAKS or not ch.isprintable() for ch in data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


YamlDumper.add_representer(str, _represent_str)

for _cls in (_Loader, YamlDumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def read_yaml(text: str, file: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        what = exc.problem or exc.context or "invalid YAML"
        start = exc.context_mark
        if exc.problem and exc.context and start is not None and start is not mark:
            what += f" ({exc.context} at line {start.line + 1})"
        raise InputError(file, [Problem("", f"YAML syntax error at {where}: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError(file, [Problem("", f"YAML syntax error: {exc}")]) from None


# ----------------------------------------------------------------------------- schema


def error_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_problem(
    error: Mapping[str, Any], field_names_at: Callable[[tuple[int | str, ...]], list[str]]
) -> Problem:
    """A pydantic validation error as a :class:`Problem` naming the field's path, with
    the allowed names (``field_names_at(location)``) suggested for an unknown field."""
    loc = tuple(error["loc"])
    kind = error["type"]
    given = error.get("input")
    path = error_path(loc)
    if kind == "extra_forbidden":
        allowed = field_names_at(loc[:-1])
        name = str(loc[-1])
        close = difflib.get_close_matches(name, allowed, n=2, cutoff=0.6)
        hint = (
            "did you mean " + " or ".join(repr(c) for c in close) + "?"
            if close
            else "allowed: " + ", ".join(allowed)
        )
        return Problem(path, f"unknown field {name!r}; {hint}")
    if kind == "missing":
        return Problem(path, "missing required field")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(path, f"expected a mapping, got {type(given).__name__}")
    message = str(error["msg"])
    if kind not in ("unit", "range") and isinstance(given, (str, int, float, bool)):
        message += f" (got {given!r})"
    return Problem(path, message)


#: Sections whose items may be ``{file: path}``: a YAML file holding one such item, or a
#: document with a list under the same key (as written by ``slimplace profile`` and
#: ``slimplace calibrate``), read relative to the scenario file.
INCLUDABLE = ("hardware", "link_kinds", "families")


def _include_files(data: dict[str, Any], base_dir: Path, file: str) -> dict[str, Any]:
    problems: list[Problem] = []
    out = dict(data)
    for section in INCLUDABLE:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        expanded: list[Any] = []
        for i, item in enumerate(items):
            if not (isinstance(item, dict) and set(item) == {"file"}):
                expanded.append(item)
                continue
            expanded += _included_items(
                section, item["file"], base_dir, f"{section}[{i}].file", problems
            )
        out[section] = expanded
    if problems:
        raise InputError(file, problems)
    return out


def _included_items(
    section: str, name: Any, base_dir: Path, where: str, problems: list[Problem]
) -> list[Any]:
    path = base_dir / str(name)
    try:
        loaded = read_yaml(path.read_text(encoding="utf-8-sig"), str(path))
    except OSError as exc:
        problems.append(Problem(where, f"cannot read {path}: {exc.strerror}"))
        return []
    except InputError as exc:
        problems += [Problem(where, f"{path}: {p}") for p in exc.problems]
        return []
    if isinstance(loaded, dict) and isinstance(loaded.get(section), list):
        return list(loaded[section])
    if isinstance(loaded, dict):
        return [loaded]
    problems.append(Problem(where, f"{path} must hold a mapping or a '{section}:' list"))
    return []


def _parse_document(data: Any, file: str, base_dir: Path | None = None) -> schema.ScenarioFile:
    if data is None:
        raise InputError(file, [Problem("", "the file is empty; expected a scenario mapping")])
    if not isinstance(data, dict):
        got = type(data).__name__
        message = f"the top level must be a mapping (name:, nodes:, ...), got a {got}"
        raise InputError(file, [Problem("", message)])
    if base_dir is not None:
        data = _include_files(data, base_dir, file)
    try:
        return schema.ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            file, [schema_problem(e, schema.field_names_at) for e in exc.errors()]
        ) from None


# ------------------------------------------------------------------------ file -> domain


def to_hardware(m: schema.HardwareModel) -> HardwareProfile:
    curve = m.power_curve
    return HardwareProfile(
        name=m.name,
        tier=m.tier,
        throughput_flops=m.throughput,
        memory_bytes=m.memory,
        idle_power_w=m.idle_power,
        peak_power_w=m.peak_power,
        wake_time_s=m.wake_time,
        wake_energy_j=m.wake_energy,
        sleep_power_w=m.sleep_power,
        device_class=m.device_class,
        power_curve=None
        if curve is None
        else PowerCurve(tuple(curve.utilisation), tuple(curve.power)),
        description=m.description,
        source=m.source,
        latency_fit=None if m.latency_fit is None else _latency_fit(m.latency_fit),
    )


def _latency_fit(m: schema.LatencyFitModel) -> LatencyFit:
    return LatencyFit(
        overhead_s=m.overhead,
        flops_per_s=m.throughput,
        memory_bandwidth_bps=m.memory_bandwidth,
        weight_bandwidth_bps=m.weight_bandwidth,
        int8_flops_per_s=m.int8_throughput,
        batch_size=m.batch_size,
        mape=m.mape,
        n_points=m.n_points,
        source=m.source,
        depthwise_bandwidth_bps=m.depthwise_bandwidth,
    )


def to_link_kind(m: schema.LinkKindModel) -> LinkKind:
    return LinkKind(m.name, m.bandwidth, m.latency, m.energy_per_bit, m.source)


def to_family(m: schema.FamilyModel) -> ModelFamily:
    variants = tuple(
        Variant(
            name=v.name,
            accuracy=v.accuracy,
            flops=v.flops,
            params=v.params,
            memory_bytes=v.memory,
            kind=v.kind,
            width=v.width,
            resolution=v.resolution,
            precision=v.precision,
            measured=tuple(
                MeasuredLatency(x.device_class, x.latency, x.batch_size, x.source)
                for x in v.measured
            ),
            source=v.source,
        )
        for v in m.variants
    )
    return ModelFamily(
        name=m.name,
        variants=variants,
        weight_sharing=m.weight_sharing,
        switch_time_s=m.switch_time,
        load_time_s=m.load_time,
        task=m.task,
        source=m.source,
    )


def _region(m: schema.RegionModel) -> Region:
    return Region(m.code, m.carbon_intensity, m.source)


class _Table(Generic[E]):
    """One kind of named entry: inline ones (with file index) over the catalog's."""

    def __init__(
        self,
        field: str,
        what: str,
        inline: Sequence[tuple[str, E]],
        catalog: Mapping[str, E],
        problems: list[Problem],
    ) -> None:
        self.field, self.what, self.catalog = field, what, catalog
        self.inline: dict[str, tuple[int, E]] = {}
        self.used: set[str] = set()
        key = "code" if field == "regions" else "name"
        for i, (name, entry) in enumerate(inline):
            if name in self.inline:
                first = self.inline[name][0]
                message = f"duplicate {what} {name!r} (also {field}[{first}])"
                problems.append(Problem(f"{field}[{i}].{key}", message))
            else:
                self.inline[name] = (i, entry)

    def resolve(self, name: str, path: str, problems: list[Problem]) -> E | None:
        """The entry called ``name``, or ``None`` after recording a problem at ``path``."""
        if name in self.inline:
            self.used.add(name)
            return self.inline[name][1]
        if name in self.catalog:
            self.used.add(name)
            return self.catalog[name]
        problems.append(Problem(path, suggest(name, [*self.inline, *self.catalog], self.what)))
        return None

    def selected(self, key: Callable[[E], str]) -> tuple[E, ...]:
        """Inline entries and used catalog entries, sorted by name."""
        chosen = {name: e for name, (_, e) in self.inline.items()}
        chosen.update({n: self.catalog[n] for n in self.used if n not in chosen})
        return tuple(sorted(chosen.values(), key=key))

    def renames(self) -> dict[str, str]:
        """Name paths of inline entries (``hardware[box]``) to file paths (``hardware[0]``)."""
        return {f"{self.field}[{n}]": f"{self.field}[{i}]" for n, (i, _) in self.inline.items()}


def _build(doc: schema.ScenarioFile, catalog: Catalog) -> tuple[Scenario, list[Problem]]:
    """Resolve references and build the domain scenario; problems from resolution and checks."""
    problems: list[Problem] = []
    hardware = _Table(
        "hardware",
        "hardware profile",
        [(m.name, to_hardware(m)) for m in doc.hardware],
        catalog.hardware,
        problems,
    )
    kinds = _Table(
        "link_kinds",
        "link kind",
        [(m.name, to_link_kind(m)) for m in doc.link_kinds],
        catalog.link_kinds,
        problems,
    )
    families = _Table(
        "families",
        "model family",
        [(m.name, to_family(m)) for m in doc.families],
        catalog.families,
        problems,
    )
    regions = _Table(
        "regions", "region", [(m.code, _region(m)) for m in doc.regions], catalog.regions, problems
    )
    st = doc.settings
    settings = Settings(
        st.max_utilisation,
        st.service_cv2,
        st.horizon,
        st.objective,
        st.default_region,
        st.slo_quantile,
        st.network_energy,
    )
    regions.resolve(settings.default_region, "settings.default_region", problems)

    nodes = []
    for i, n in enumerate(doc.nodes):
        if n.hardware is not None:
            hardware.resolve(n.hardware, f"nodes[{i}].hardware", problems)
        if n.region is not None:
            regions.resolve(n.region, f"nodes[{i}].region", problems)
        position = None if n.position is None else (float(n.position[0]), float(n.position[1]))
        region = settings.default_region if n.region is None else n.region
        nodes.append(
            Node(
                n.id,
                n.tier,
                n.hardware,
                n.count,
                n.pue,
                region,
                position,
                n.always_on,
                n.local_only,
                n.ownership,
            )
        )

    links = []
    for i, lk in enumerate(doc.links):
        kind = kinds.resolve(lk.kind, f"links[{i}].kind", problems)
        # An unknown kind leaves placeholders; the problem recorded above stops the load.
        bandwidth = (
            lk.bandwidth if lk.bandwidth is not None else kind.bandwidth_bps if kind else 1.0
        )
        latency = lk.latency if lk.latency is not None else kind.latency_s if kind else 0.0
        energy = (
            lk.energy_per_bit
            if lk.energy_per_bit is not None
            else (kind.energy_j_per_bit if kind else 0.0)
        )
        links.append(Link(lk.a, lk.b, lk.kind, bandwidth, latency, energy))

    apps = []
    for i, a in enumerate(doc.applications):
        families.resolve(a.family, f"applications[{i}].family", problems)
        sources = tuple(Source(s.node, s.rate) for s in a.sources)
        apps.append(
            Application(
                a.id,
                a.family,
                sources,
                a.request,
                a.response,
                a.slo,
                a.accuracy_floor,
                a.accuracy_mode,
                a.splittable,
                a.workload,
            )
        )

    scenario = Scenario(
        name=doc.name,
        nodes=tuple(nodes),
        links=tuple(links),
        hardware=hardware.selected(lambda h: h.name),
        link_kinds=kinds.selected(lambda k: k.name),
        families=families.selected(lambda f: f.name),
        applications=tuple(apps),
        regions=regions.selected(lambda r: r.code),
        settings=settings,
        description=doc.description,
    )
    renames = {**hardware.renames(), **kinds.renames(), **families.renames(), **regions.renames()}
    checked = check_values(scenario) + check_structure(scenario)
    problems += [_renamed(p, renames) for p in checked]
    return scenario, problems


def _renamed(problem: Problem, renames: Mapping[str, str]) -> Problem:
    head, sep, rest = problem.path.partition("].")
    prefix = head + "]" if sep else problem.path
    if prefix in renames:
        return Problem(renames[prefix] + ("." + rest if sep else ""), problem.message)
    return problem


# --------------------------------------------------------------------------- public API


def loads_scenario(
    text: str,
    *,
    file: str = "<string>",
    catalog: Catalog | None = None,
    base_dir: str | Path | None = None,
) -> Scenario:
    """Read a scenario from YAML text; raise :class:`InputError` listing every problem.

    ``file`` names the source in messages. ``catalog`` defaults to
    :func:`slimplace.catalog.load_catalog`. ``{file: path}`` items of the
    hardware, link_kinds and families lists are read relative to ``base_dir``
    (default: the current folder).
    """
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    document = _parse_document(read_yaml(text, file), file, folder)
    scenario, problems = _build(document, _catalog(catalog))
    if problems:
        raise InputError(file, problems)
    return scenario


def read_text(path: str | Path) -> str:
    """A UTF-8 input file's text; :class:`InputError` naming the file if it cannot be read."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(file, [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = (
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} (save the file as UTF-8)"
        )
        raise InputError(file, [Problem("", message)]) from None


def load_scenario(path: str | Path, *, catalog: Catalog | None = None) -> Scenario:
    """Read a scenario file; raise :class:`InputError` (file name, every problem) if it is bad."""
    file, text = str(path), read_text(path)
    return loads_scenario(text, file=file, catalog=catalog, base_dir=Path(path).parent)


def dump_scenario(scenario: Scenario, *, catalog: Catalog | None = None) -> str:
    """The scenario as YAML text that :func:`loads_scenario` reads back equal.

    Hardware profiles, link kinds, families and regions that are used and equal
    to the catalog's are written by name only; the rest are written inline.
    """
    document = _document(scenario, _catalog(catalog))
    return yaml.dump(
        document,
        Dumper=YamlDumper,
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=4096,
    )


def save_scenario(scenario: Scenario, path: str | Path, *, catalog: Catalog | None = None) -> None:
    """Write the scenario to ``path`` atomically (temporary file beside it, then rename).

    A scenario that fails :func:`check_scenario` raises :class:`InputError` and
    nothing is written.
    """
    problems = check_scenario(scenario)
    if problems:
        raise InputError(str(path), problems)
    atomic_write_text(path, dump_scenario(scenario, catalog=catalog))


# ------------------------------------------------------------------------ domain -> file


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


def _region_doc(r: Region) -> dict[str, Any]:
    return _fields(
        [
            ("code", r.code, _ALWAYS),
            ("carbon_intensity", _si(r.carbon_g_per_kwh, "carbon_intensity"), _ALWAYS),
            ("source", r.source, ""),
        ]
    )


def _node_doc(n: Node, default_region: str) -> dict[str, Any]:
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


def _link_doc(link: Link, kinds: Mapping[str, LinkKind]) -> dict[str, Any]:
    kind = kinds.get(link.kind)
    return _fields(
        [
            ("a", link.a, _ALWAYS),
            ("b", link.b, _ALWAYS),
            ("kind", link.kind, _ALWAYS),
            ("latency", _si(link.latency_s, "time"), kind and _si(kind.latency_s, "time")),
            (
                "bandwidth",
                _si(link.bandwidth_bps, "bandwidth"),
                kind and _si(kind.bandwidth_bps, "bandwidth"),
            ),
            (
                "energy_per_bit",
                _si(link.energy_j_per_bit, "energy_per_bit"),
                kind and _si(kind.energy_j_per_bit, "energy_per_bit"),
            ),
        ]
    )


def _application_doc(a: Application) -> dict[str, Any]:
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
        ]
    )


def _document(s: Scenario, catalog: Catalog) -> dict[str, Any]:
    settings = s.settings
    used_hardware = {n.hardware for n in s.nodes if n.hardware is not None}
    used_regions = {n.region for n in s.nodes} | {settings.default_region}
    doc: dict[str, Any] = {"name": s.name}
    if s.description:
        doc["description"] = s.description
    doc["settings"] = {
        "max_utilisation": float(settings.max_utilisation),
        "service_cv2": float(settings.service_cv2),
        "horizon": _si(settings.horizon_s, "time"),
        "objective": settings.objective,
        "default_region": settings.default_region,
    }
    if settings.slo_quantile is not None:
        doc["settings"]["slo_quantile"] = float(settings.slo_quantile)
    if settings.network_energy != Settings().network_energy:
        doc["settings"]["network_energy"] = settings.network_energy
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
            _written(s.regions, lambda r: r.code, used_regions, catalog.regions, _region_doc),
        ),
    ]
    doc.update({name: entries for name, entries in sections if entries})
    doc["nodes"] = [_node_doc(n, settings.default_region) for n in s.nodes]
    kinds = {k.name: k for k in s.link_kinds}
    doc["links"] = [_link_doc(link, kinds) for link in s.links]
    doc["applications"] = [_application_doc(a) for a in s.applications]
    return doc


def hardware_document(profile: HardwareProfile) -> dict[str, Any]:
    """One ``hardware:`` entry as written in scenario files (``slimplace calibrate`` uses it)."""
    return hardware_doc(profile)


__all__ = [
    "dump_scenario",
    "hardware_document",
    "load_scenario",
    "loads_scenario",
    "save_scenario",
]
