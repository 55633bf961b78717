"""Scenario files: loading into domain values, saving back, round trips, semantic checks."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from slimplace.catalog import Catalog, load_catalog
from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scenario import schema
from slimplace.scenario.io import dump_scenario, load_scenario, loads_scenario, save_scenario
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
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
from slimplace.scenario.validate import check_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PI = HardwareProfile("pi", "device", 13.5e9, 4e9, 2.7, 6.4, device_class="rpi4")
ORIN = HardwareProfile("orin", "edge", 2e12, 8e9, 5.0, 15.0, wake_time_s=30.0)
WIFI = LinkKind("wifi", 100e6, 3e-3, 100e-9)
FIBRE = LinkKind("fibre", 1e9, 1e-3, 10e-9)
NET = ModelFamily(
    "net",
    (Variant("w1.0", 0.72, 600e6, 3.4e6, 14e6), Variant("w0.5", 0.65, 200e6, 2e6, 8e6)),
    weight_sharing=True,
)
WORLD = Region("WORLD", 475.0)
FRA = Region("FRA", 56.0)


def small_catalog() -> Catalog:
    """A catalog of two of each kind, independent of the packaged data."""
    return Catalog(
        hardware={h.name: h for h in (PI, ORIN)},
        link_kinds={k.name: k for k in (WIFI, FIBRE)},
        families={NET.name: NET},
        regions={r.code: r for r in (WORLD, FRA)},
    )


CAT = small_catalog()

TEXT = """
name: demo
description: One camera, one edge box, a router.
settings: {max_utilisation: 0.8, service_cv2: 1, horizon: 2 h, objective: carbon,
           default_region: WORLD}
hardware:
  - {name: box, tier: edge, throughput: 2 TFLOP/s, memory: 8 GB, idle_power: 10 W,
     peak_power: 30 W, wake_time: 30 s, wake_energy: 600 J, sleep_power: 1 W,
     power_curve: {utilisation: [0, 0.5, 1], power: [10 W, 22 W, 30 W]}, source: me}
families:
  - name: mine
    weight_sharing: true
    switch_time: 1 ms
    load_time: 2 s
    variants:
      - {name: w1.0, accuracy: 72 %, flops: 600 MFLOP, params: 3.4e6, memory: 14 MB,
         kind: width, width: 1.0, measured: [{device_class: pixel1, latency: 74 ms}]}
regions:
  - {code: FRA, carbon_intensity: 50 g/kWh}
nodes:
  - {id: cam, tier: device, hardware: pi, region: FRA, always_on: true, local_only: true}
  - {id: paris, tier: metro, position: [48.85, 2.35]}
  - {id: edge, tier: edge, hardware: orin, count: 4, pue: 1.1}
  - {id: edge2, tier: edge, hardware: box}
links:
  - {a: cam, b: edge, kind: wifi}
  - {a: edge, b: paris, kind: fibre, latency: 2 ms, bandwidth: 10 Gbit/s, energy_per_bit: 5e-9}
  - {a: edge2, b: paris, kind: fibre}
applications:
  - id: detect
    family: net
    sources: [{node: cam, rate: 20/s}, {node: paris, rate: 5/s}]
    request: 150 kB
    response: 1 kB
    slo: 100 ms
    accuracy_floor: 70 %
    accuracy_mode: average
    splittable: false
    workload: diurnal
  - {id: other, family: mine, sources: [{node: paris, rate: 1}], request: 1 kB, response: 0,
     slo: 1e-1}
"""


def test_load_converts_units_and_fills_defaults() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    assert s.settings == Settings(0.8, 1.0, 7200.0, "carbon", "WORLD")
    cam, paris, edge, _ = s.nodes
    assert cam == Node("cam", "device", "pi", 1, 1.0, "FRA", None, True, True)
    assert paris.region == "WORLD" and paris.hardware is None and paris.position == (48.85, 2.35)
    assert (edge.count, edge.pue) == (4, 1.1)
    # link values default to the kind's, given ones override
    assert s.links[0] == Link("cam", "edge", "wifi", 100e6, 3e-3, 100e-9)
    assert s.links[1] == Link("edge", "paris", "fibre", 10e9, 2e-3, 5e-9)
    detect, other = s.applications
    assert detect == Application(
        "detect",
        "net",
        (Source("cam", 20.0), Source("paris", 5.0)),
        150e3,
        1e3,
        0.1,
        0.7,
        "average",
        False,
        "diurnal",
    )
    assert (other.latency_slo_s, other.response_bytes, other.accuracy_mode) == (0.1, 0.0, "hard")
    box = s.hardware_by_name()["box"]
    assert box.power_curve == PowerCurve((0.0, 0.5, 1.0), (10.0, 22.0, 30.0))
    assert (box.wake_energy_j, box.sleep_power_w, box.source) == (600.0, 1.0, "me")
    mine = s.family_by_name()["mine"]
    assert mine.variants[0].measured == (MeasuredLatency("pixel1", 0.074, 1),)
    assert mine.variants[0].params == 3.4e6 and mine.load_time_s == 2.0


def test_load_holds_used_and_inline_entries_sorted() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    assert [h.name for h in s.hardware] == ["box", "orin", "pi"]
    assert [k.name for k in s.link_kinds] == ["fibre", "wifi"]
    assert [f.name for f in s.families] == ["mine", "net"]
    # the inline FRA overrides the catalog's; WORLD is the default region
    assert s.regions == (Region("FRA", 50.0), WORLD)


def test_unused_catalog_entries_are_left_out() -> None:
    text = TEXT.replace("hardware: pi, ", "").replace("kind: wifi", "kind: fibre")
    s = loads_scenario(text, catalog=CAT)
    assert "pi" not in s.hardware_by_name()
    assert [k.name for k in s.link_kinds] == ["fibre"]


def test_order_of_inline_entries_does_not_matter() -> None:
    extra = (
        "  - {name: a, tier: cloud, throughput: 1e15, memory: 1e11, idle_power: 1, peak_power: 2}\n"
    )
    first = TEXT.replace("hardware:\n", "hardware:\n" + extra)
    at_end = TEXT.replace("families:\n", extra + "families:\n")
    assert loads_scenario(first, catalog=CAT) == loads_scenario(at_end, catalog=CAT)


def test_yaml_12_exponent_floats_are_numbers() -> None:
    s = loads_scenario(TEXT.replace("energy_per_bit: 5e-9", "energy_per_bit: 1e-9"), catalog=CAT)
    assert s.links[1].energy_j_per_bit == 1e-9


def test_dump_round_trips_and_references_catalog_entries() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    text = dump_scenario(s, catalog=CAT)
    assert loads_scenario(text, catalog=CAT) == s
    assert "name: box" in text and "name: mine" in text  # custom entries inline
    assert "name: orin" not in text and "name: net" not in text  # catalog ones by name
    assert "code: FRA" in text and "code: WORLD" not in text
    # link values equal to the kind's are not repeated
    assert "{a: cam, b: edge, kind: wifi}" in text


def test_changed_catalog_entry_is_written_inline() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    faster = dataclasses.replace(ORIN, throughput_flops=3e12)
    changed = dataclasses.replace(
        s, hardware=tuple(faster if h.name == "orin" else h for h in s.hardware)
    )
    text = dump_scenario(changed, catalog=CAT)
    assert "name: orin" in text
    assert loads_scenario(text, catalog=CAT) == changed


def test_unused_catalog_entry_in_a_scenario_survives_a_round_trip() -> None:
    s = loads_scenario(TEXT.replace("hardware: pi, ", ""), catalog=CAT)
    assert "pi" not in s.hardware_by_name()
    with_extra = dataclasses.replace(s, hardware=(*s.hardware, PI))  # "pi" sorts last
    text = dump_scenario(with_extra, catalog=CAT)
    assert "name: pi" in text
    assert loads_scenario(text, catalog=CAT) == with_extra


def test_save_is_atomic_and_reloads(tmp_path: Path) -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    target = tmp_path / "s.yaml"
    save_scenario(s, target, catalog=CAT)
    assert load_scenario(target, catalog=CAT) == s
    assert os.listdir(tmp_path) == ["s.yaml"]


def test_save_writes_nothing_on_an_invalid_scenario(tmp_path: Path) -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    bad = dataclasses.replace(s, nodes=(*s.nodes, s.nodes[0]))
    target = tmp_path / "s.yaml"
    target.write_text("old")
    with pytest.raises(InputError) as info:
        save_scenario(bad, target, catalog=CAT)
    assert "nodes[4].id" in str(info.value)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["s.yaml"]


def test_save_keeps_the_old_file_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    target = tmp_path / "s.yaml"
    target.write_text("old")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_scenario(s, target, catalog=CAT)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["s.yaml"]


# ----------------------------------------------------------------- check_scenario directly


def test_check_scenario_accepts_a_loaded_scenario() -> None:
    assert check_scenario(loads_scenario(TEXT, catalog=CAT)) == []


def test_check_scenario_reports_references_with_suggestions() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    nodes = (dataclasses.replace(s.nodes[0], hardware="orn", region="FRAA"), *s.nodes[1:])
    apps = (dataclasses.replace(s.applications[0], family="nett"), *s.applications[1:])
    links = (dataclasses.replace(s.links[0], kind="wif"), *s.links[1:])
    bad = dataclasses.replace(s, nodes=nodes, applications=apps, links=links)
    found = {p.path: p.message for p in check_scenario(bad)}
    assert "did you mean 'orin'" in found["nodes[0].hardware"]
    assert "did you mean 'FRA'" in found["nodes[0].region"]
    assert "did you mean 'net'" in found["applications[0].family"]
    assert "did you mean 'wifi'" in found["links[0].kind"]


def test_check_scenario_reports_values_by_entry_name() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    hot = dataclasses.replace(ORIN, idle_power_w=20.0)
    bad = dataclasses.replace(
        s,
        hardware=tuple(hot if h.name == "orin" else h for h in s.hardware),
        settings=dataclasses.replace(s.settings, max_utilisation=1.5),
    )
    paths = {p.path for p in check_scenario(bad)}
    assert paths == {"hardware[orin].peak_power", "settings.max_utilisation"}


def test_check_scenario_local_only_node_serves_only_itself() -> None:
    s = loads_scenario(TEXT, catalog=CAT)
    # paris reaches only cam (local_only) once the edge servers are gone
    nodes = tuple(dataclasses.replace(n, hardware=None) if n.tier == "edge" else n for n in s.nodes)
    found = check_scenario(dataclasses.replace(s, nodes=nodes))
    assert [p.path for p in found] == [
        "applications[0].sources[1].node",
        "applications[1].sources[0].node",
    ]
    # cam itself has hardware, so it may serve its own requests


# ------------------------------------------------------------------- generated round trips

NAMES = st.text(alphabet="abcnoyes-_.019eE", min_size=1, max_size=6)
POS = st.floats(min_value=1e-12, max_value=1e15, allow_nan=False, allow_infinity=False)
NONNEG = st.one_of(st.just(0.0), POS)
FRACTION = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def hardware_profiles(draw: st.DrawFn, name: str) -> HardwareProfile:
    idle = draw(NONNEG)
    curve = draw(
        st.one_of(
            st.none(),
            st.lists(NONNEG, min_size=2, max_size=4).map(
                lambda p: PowerCurve(tuple(i / (len(p) - 1) for i in range(len(p))), tuple(p))
            ),
        )
    )
    return HardwareProfile(
        name=name,
        tier=draw(st.sampled_from(["device", "edge", "metro", "cloud"])),
        throughput_flops=draw(POS),
        memory_bytes=draw(POS),
        idle_power_w=idle,
        peak_power_w=idle + draw(NONNEG),
        wake_time_s=draw(NONNEG),
        wake_energy_j=draw(NONNEG),
        sleep_power_w=idle * draw(FRACTION),
        device_class=draw(st.one_of(st.none(), NAMES)),
        power_curve=curve,
        description=draw(st.text(max_size=10)),
        source=draw(st.text(max_size=10)),
    )


@st.composite
def families(draw: st.DrawFn, name: str) -> ModelFamily:
    variant_names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    variants = tuple(
        Variant(
            name=v,
            accuracy=draw(FRACTION),
            flops=draw(POS),
            params=draw(NONNEG),
            memory_bytes=draw(POS),
            kind=draw(st.sampled_from(["model", "width", "pruned"])),
            width=draw(st.one_of(st.none(), POS)),
            resolution=draw(st.one_of(st.none(), st.integers(1, 512))),
            precision=draw(st.sampled_from(["fp32", "int8"])),
            measured=tuple(
                MeasuredLatency(c, draw(POS), draw(st.integers(1, 64)), draw(st.text(max_size=5)))
                for c in draw(st.lists(NAMES, max_size=2))
            ),
        )
        for v in variant_names
    )
    return ModelFamily(
        name=name,
        variants=variants,
        weight_sharing=draw(st.booleans()),
        switch_time_s=draw(NONNEG),
        load_time_s=draw(NONNEG),
        task=draw(st.sampled_from(["imagenet-classification", "detection"])),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Valid scenarios over CAT with inline entries (some overriding catalog names)."""
    inline_hw = [draw(hardware_profiles(n)) for n in draw(st.lists(NAMES, max_size=2, unique=True))]
    inline_kinds = [
        LinkKind(n, draw(POS), draw(NONNEG), draw(NONNEG))
        for n in draw(st.lists(st.sampled_from(["wifi", "lan", "5g"]), max_size=2, unique=True))
    ]
    inline_families = [draw(families(n)) for n in draw(st.lists(NAMES, max_size=2, unique=True))]
    inline_regions = [
        Region(c, draw(NONNEG))
        for c in draw(st.lists(st.sampled_from(["FRA", "XYZ"]), unique=True))
    ]

    def merged(inline: list, catalog: dict, key: str) -> dict:
        return {**catalog, **{getattr(e, key): e for e in inline}}

    hw = merged(inline_hw, dict(CAT.hardware), "name")
    kinds = merged(inline_kinds, dict(CAT.link_kinds), "name")
    fams = merged(inline_families, dict(CAT.families), "name")
    regs = merged(inline_regions, dict(CAT.regions), "code")
    default_region = draw(st.sampled_from(sorted(regs)))
    ids = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    nodes = []
    for i, node_id in enumerate(ids):
        hardware = (
            draw(st.sampled_from(sorted(hw)))
            if i == 0
            else draw(st.one_of(st.none(), st.sampled_from(sorted(hw))))
        )
        nodes.append(
            Node(
                id=node_id,
                tier=draw(st.sampled_from(["device", "edge", "metro", "cloud"])),
                hardware=hardware,
                count=draw(st.integers(1, 50)),
                pue=draw(st.floats(1.0, 3.0)),
                region=draw(st.sampled_from(sorted(regs))),
                position=draw(
                    st.one_of(st.none(), st.tuples(st.floats(-90, 90), st.floats(-180, 180)))
                ),
                always_on=draw(st.booleans()),
                local_only=i > 0 and draw(st.booleans()),
            )
        )
    links = []
    for i in range(1, len(ids)):  # a tree: every node reaches node 0, which serves anyone
        kind = kinds[draw(st.sampled_from(sorted(kinds)))]
        custom = draw(st.booleans())
        links.append(
            Link(
                ids[draw(st.integers(0, i - 1))],
                ids[i],
                kind.name,
                draw(POS) if custom else kind.bandwidth_bps,
                kind.latency_s,
                draw(NONNEG) if custom else kind.energy_j_per_bit,
            )
        )
    apps = []
    for app_id in draw(st.lists(NAMES, max_size=3, unique=True)):
        family = fams[draw(st.sampled_from(sorted(fams)))]
        best = max(v.accuracy for v in family.variants)
        sources = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        apps.append(
            Application(
                id=app_id,
                family=family.name,
                sources=tuple(Source(n, draw(POS)) for n in sources),
                request_bytes=draw(NONNEG),
                response_bytes=draw(NONNEG),
                latency_slo_s=draw(POS),
                accuracy_floor=best * draw(FRACTION),
                accuracy_mode=draw(st.sampled_from(["hard", "average"])),
                splittable=draw(st.booleans()),
                workload=draw(st.one_of(st.none(), NAMES)),
            )
        )
    used_hw = {n.hardware for n in nodes} | {h.name for h in inline_hw}
    used_kinds = {lk.kind for lk in links} | {k.name for k in inline_kinds}
    used_fams = {a.family for a in apps} | {f.name for f in inline_families}
    used_regs = {n.region for n in nodes} | {default_region} | {r.code for r in inline_regions}
    return Scenario(
        name=draw(NAMES),
        nodes=tuple(nodes),
        links=tuple(links),
        hardware=tuple(hw[n] for n in sorted(used_hw - {None})),
        link_kinds=tuple(kinds[n] for n in sorted(used_kinds)),
        families=tuple(fams[n] for n in sorted(used_fams)),
        applications=tuple(apps),
        regions=tuple(regs[c] for c in sorted(used_regs)),
        settings=Settings(
            max_utilisation=draw(st.floats(0.01, 1.0)),
            service_cv2=draw(NONNEG),
            horizon_s=draw(POS),
            objective=draw(st.sampled_from(["energy", "carbon"])),
            default_region=default_region,
        ),
        description=draw(st.text(max_size=20)),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_generated_scenarios_round_trip_exactly(scenario: Scenario) -> None:
    assert check_scenario(scenario) == []
    text = dump_scenario(scenario, catalog=CAT)
    assert loads_scenario(text, catalog=CAT) == scenario


# ------------------------------------------------------------------------------ examples

#: Scenario examples; sweep specs (sweep-*.yaml) and job files (jobs-*.yaml) have their own tests.
EXAMPLE_FILES = sorted(
    p for p in EXAMPLES.glob("*.yaml") if not p.name.startswith(("sweep-", "jobs-"))
)


def test_minimal_example_loads_its_values_in_si_units() -> None:
    catalog = load_catalog()
    s = load_scenario(EXAMPLES / "minimal.yaml", catalog=catalog)
    assert (s.name, s.settings.max_utilisation, s.settings.horizon_s) == ("minimal", 0.7, 3600.0)
    assert [(n.id, n.tier, n.hardware, n.count, n.pue, n.region) for n in s.nodes] == [
        ("cam-1", "device", None, 1, 1.0, "FRA"),
        ("edge-1", "edge", "jetson-orin-nano", 1, 1.0, "FRA"),
        ("dc", "cloud", "xeon-server", 2, 1.2, "DEU"),
    ]
    wifi = catalog.link_kinds["wifi"]
    assert s.links[0] == Link(
        "cam-1", "edge-1", "wifi", wifi.bandwidth_bps, wifi.latency_s, wifi.energy_j_per_bit
    )
    (app,) = s.applications
    assert (app.request_bytes, app.response_bytes, app.latency_slo_s) == (150e3, 1e3, 0.2)
    assert (app.accuracy_floor, app.sources) == (0.65, (Source("cam-1", 10.0),))
    # the catalog entries it uses, equal to the catalog's, and nothing else
    assert s.hardware == (catalog.hardware["jetson-orin-nano"], catalog.hardware["xeon-server"])
    assert s.families == (catalog.families["s-mobilenet-v1"],)
    assert [r.code for r in s.regions] == ["DEU", "FRA"]


def test_full_example_loads_inline_entries_and_overrides() -> None:
    s = load_scenario(EXAMPLES / "full.yaml")
    box = s.hardware_by_name()["campus-gpu-box"]
    assert (box.throughput_flops, box.memory_bytes, box.wake_energy_j) == (8e12, 16 * 2**30, 4.5e3)
    assert box.power_curve is not None and box.power_curve.power_w[-1] == 180.0
    assert box.latency_fit is not None and box.latency_fit.depthwise_bandwidth_bps == 0.8e12
    cam2 = next(link for link in s.links if link.a == "cam-2")
    assert (cam2.bandwidth_bps, cam2.latency_s) == (300e6, 4e-3)
    assert cam2.energy_j_per_bit == pytest.approx(200e-9, rel=1e-12)
    assert s.region_by_code()["FRA"].carbon_g_per_kwh == 52.0  # inline override of the catalog
    assert (s.settings.slo_quantile, s.settings.objective, s.settings.horizon_s) == (
        0.95,
        "carbon",
        86400.0,
    )
    detector = s.family_by_name()["campus-detector"]
    assert detector.variant("half-width").accuracy == 0.58
    assert detector.variant("full").measured[0].latency_s == 6e-3
    assert next(n for n in s.nodes if n.id == "cloud-dc").ownership == "elastic"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_validates_on_the_command_line(path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_save_load_round_trip(path: Path, tmp_path: Path) -> None:
    catalog = load_catalog()
    scenario = load_scenario(path, catalog=catalog)
    assert scenario.nodes and check_scenario(scenario) == []
    save_scenario(scenario, tmp_path / path.name, catalog=catalog)
    again = load_scenario(tmp_path / path.name, catalog=catalog)
    assert again == scenario
    # the written text is a fixed point: writing the reloaded scenario gives the same bytes
    assert dump_scenario(again, catalog=catalog) == (tmp_path / path.name).read_text()


def _fields_set(value: object, seen: dict[type, set[str]]) -> None:
    if isinstance(value, BaseModel):
        seen.setdefault(type(value), set()).update(value.model_fields_set)
        for name in type(value).model_fields:
            _fields_set(getattr(value, name), seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _fields_set(item, seen)


def test_full_example_uses_every_optional_field() -> None:
    data = yaml.safe_load((EXAMPLES / "full.yaml").read_text())
    seen: dict[type, set[str]] = {}
    _fields_set(schema.ScenarioFile.model_validate(data), seen)
    models = [
        m for m in vars(schema).values() if isinstance(m, type) and m.__module__ == schema.__name__
    ]
    models = [m for m in models if issubclass(m, BaseModel) and not m.__name__.startswith("_")]
    assert len(models) == 18
    for model in models:
        missing = set(model.model_fields) - seen.get(model, set())
        assert not missing, f"{model.__name__} fields not used in full.yaml: {sorted(missing)}"


def test_io_keeps_the_names_other_modules_import() -> None:
    from slimplace.scenario import document, dump, io, resolve, yaml_text

    assert io.read_yaml is yaml_text.read_yaml and io.read_text is yaml_text.read_text
    assert io.schema_problem is document.schema_problem
    assert io.to_hardware is resolve.to_hardware and io.hardware_doc is dump.hardware_doc
    assert set(io.__all__) <= set(vars(io))
