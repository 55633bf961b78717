"""Topology import (Topology Zoo, SNDlib, tricky files), synthetic graphs, continuum generator."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scenario.model import (
    HardwareProfile,
    LinkKind,
    ModelFamily,
    Region,
    Scenario,
    Variant,
)
from slimplace.scenario.validate import check_scenario
from slimplace.topology import (
    ContinuumOptions,
    generate_continuum,
    haversine_km,
    list_builtin_topologies,
    load_topology,
    read_graphml,
    read_sndlib,
    synthetic_topology,
)
from slimplace.topology.geo import DEFAULT_HOP_LATENCY_S, fibre_latency_s

DATA = Path(__file__).parents[1] / "data" / "topologies"
ZOO = [s for s in list_builtin_topologies() if s.startswith("zoo:")]
SNDLIB = [s for s in list_builtin_topologies() if s.startswith("sndlib:")]


# ------------------------------------------------------------------------ fake catalog


def _hw(name: str, tier: str, flops: float) -> HardwareProfile:
    return HardwareProfile(
        name=name,
        tier=tier,  # type: ignore[arg-type]
        throughput_flops=flops,
        memory_bytes=8e9,
        idle_power_w=10.0,
        peak_power_w=100.0,
    )


def _family(name: str, accs: tuple[float, ...]) -> ModelFamily:
    variants = tuple(
        Variant(name=f"{name}-{i}", accuracy=a, flops=1e9 * (i + 1), params=1e6, memory_bytes=4e6)
        for i, a in enumerate(accs)
    )
    return ModelFamily(name=name, variants=variants)


@dataclass(frozen=True)
class FakeCatalog:
    hardware: dict[str, HardwareProfile] = field(
        default_factory=lambda: {
            h.name: h
            for h in (
                _hw("raspberry-pi-4", "device", 1e10),
                _hw("phone-pixel1", "device", 1e10),
                _hw("jetson-orin-nano", "edge", 2e12),
                _hw("edge-mini-pc", "edge", 5e11),
                _hw("t4-server", "metro", 8e12),
                _hw("xeon-server", "cloud", 2e12),
                _hw("a100-server", "cloud", 1e14),
            )
        }
    )
    link_kinds: dict[str, LinkKind] = field(
        default_factory=lambda: {
            k: LinkKind(name=k, bandwidth_bps=1e9, latency_s=0.002, energy_j_per_bit=1e-8)
            for k in ("5g", "4g", "wifi", "fibre-access", "metro", "core", "ethernet", "wan")
        }
    )
    families: dict[str, ModelFamily] = field(
        default_factory=lambda: {
            "alpha": _family("alpha", (0.6, 0.7, 0.75)),
            "beta": _family("beta", (0.5, 0.8)),
            "unused": _family("unused", (0.9,)),
        }
    )
    regions: dict[str, Region] = field(
        default_factory=lambda: {
            r.code: r for r in (Region("WORLD", 475.0), Region("FRA", 56.0), Region("DEU", 381.0))
        }
    )


CATALOG = FakeCatalog()


# ------------------------------------------------------------------------------ import


def test_builtin_list_names_zoo_and_sndlib() -> None:
    assert len(ZOO) == 20
    assert "zoo:Renater2010" in ZOO
    assert {"sndlib:abilene", "sndlib:geant"} <= set(SNDLIB)


@pytest.mark.parametrize("spec", ZOO + SNDLIB)
def test_every_builtin_topology_loads(spec: str) -> None:
    graph = load_topology(spec)
    assert type(graph) is nx.Graph
    assert graph.number_of_nodes() >= 2
    assert nx.is_connected(graph)
    assert nx.number_of_selfloops(graph) == 0
    assert all(isinstance(n, str) and n for n in graph.nodes)
    for _, _, data in graph.edges(data=True):
        assert math.isfinite(data["latency_s"]) and data["latency_s"] >= 0
        if "bandwidth_bps" in data:
            assert data["bandwidth_bps"] > 0
    assert graph.graph["name"] == spec.split(":", 1)[1]


def test_zoo_attributes_and_estimated_positions() -> None:
    graph = load_topology("zoo:Renater2010")
    assert graph.nodes["Bordeaux"]["country"] == "FRA"
    assert all("lat" in d and "lon" in d for _, d in graph.nodes(data=True))
    estimated = [n for n, d in graph.nodes(data=True) if d.get("position_estimated")]
    assert estimated  # Renater has 6 nodes without coordinates
    assert all("bandwidth_bps" in d for _, _, d in graph.edges(data=True))
    for u, v, d in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        assert d["length_km"] == pytest.approx(haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]))
        assert d["latency_s"] == pytest.approx(d["length_km"] * 1e3 / 2e8, rel=2e-3)


def test_zoo_without_any_coordinates_uses_default_hop(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        graph = load_topology("zoo:Internet2")
    assert "no node has coordinates" in caplog.text
    assert {d["latency_s"] for *_, d in graph.edges(data=True)} == {DEFAULT_HOP_LATENCY_S}


def test_builtin_spec_is_case_insensitive_and_unknown_suggests() -> None:
    assert load_topology("zoo:renater2010").graph["name"] == "Renater2010"
    with pytest.raises(InputError, match="did you mean zoo:Renater2010"):
        load_topology("zoo:Renater2011")


def test_sndlib_abilene_and_geant_counts() -> None:
    abilene = load_topology("sndlib:abilene")
    assert (abilene.number_of_nodes(), abilene.number_of_edges()) == (12, 15)
    # pre-installed capacity 9920 MBITPERSEC on ATLAM5-ATLAng
    assert abilene.edges["ATLAM5", "ATLAng"]["bandwidth_bps"] == pytest.approx(9.92e9)
    assert len(abilene.graph["demands"]) == 132  # 12 x 11 directed pairs
    geant = load_topology("sndlib:geant")
    assert (geant.number_of_nodes(), geant.number_of_edges()) == (22, 36)
    assert geant.nodes["de1-de"]["country"] == "DEU"


def test_sndlib_planar_coordinates_are_discarded() -> None:
    france = load_topology("sndlib:france")
    assert all("lat" not in d for _, d in france.nodes(data=True))
    assert all("bandwidth_bps" not in d for *_, d in france.edges(data=True))  # no unit given
    assert all(d["capacity"] > 0 for *_, d in france.edges(data=True))


def test_sndlib_small_file_capacity_rule_and_gzip() -> None:
    for path in (DATA / "tiny_sndlib.txt", DATA / "tiny_sndlib.txt.gz"):
        graph = read_sndlib(path)
        assert graph.graph["name"] == "tiny_sndlib"
        # parallel links merged: pre-installed 100 beats the 40 module of the other link
        assert graph.edges["Paris", "London"]["bandwidth_bps"] == pytest.approx(100e9)
        # no pre-installed capacity: largest module
        assert graph.edges["Paris", "Berlin"]["bandwidth_bps"] == pytest.approx(2.5e9)
        assert graph.graph["demands"] == [("Paris", "Berlin", 5.0)]


def test_haversine_paris_london() -> None:
    km = haversine_km(48.8566, 2.3522, 51.5074, -0.1278)
    assert km == pytest.approx(344, abs=2)
    assert fibre_latency_s(km) == pytest.approx(1.72e-3, rel=0.01)


def test_no_coordinates_fixture() -> None:
    graph = read_graphml(DATA / "no_coordinates.graphml")
    assert sorted(graph.nodes) == ["Alpha", "Beta", "Gamma"]
    assert all("lat" not in d for _, d in graph.nodes(data=True))
    assert all(d["latency_s"] == DEFAULT_HOP_LATENCY_S for *_, d in graph.edges(data=True))


def test_duplicate_and_missing_labels_hyperedge_and_countries() -> None:
    graph = read_graphml(DATA / "duplicate_labels.graphml")
    assert list(graph.nodes) == ["Paris", "Paris-2", "Zurich-Hbf", "node-3", "hyperedge-4"]
    assert graph.nodes["Paris-2"]["label"] == "Paris"
    assert graph.nodes["Zurich-Hbf"]["label"] == "Zürich Hbf"
    assert graph.nodes["Zurich-Hbf"]["country"] == "CHE"  # from the alpha-2 code
    # "Atlantis" is no country: the node's coordinates (London) give it one
    assert graph.nodes["node-3"]["country"] == "GBR"
    assert graph.nodes["node-3"]["country_from_position"]
    assert "country_from_position" not in graph.nodes["Zurich-Hbf"]
    hyper = graph.nodes["hyperedge-4"]
    assert hyper["hyperedge"] and hyper["position_estimated"]
    # mean of its geolocated neighbours node-3 (London) and Zurich
    assert hyper["lat"] == pytest.approx((51.5074 + 47.3779) / 2)
    assert hyper["lon"] == pytest.approx((-0.1278 + 8.5403) / 2)


def test_parallel_edges_merge_with_max_bandwidth_and_self_loop_dropped() -> None:
    graph = read_graphml(DATA / "parallel_edges.graphml")
    assert graph.number_of_edges() == 1
    data = graph.edges["London", "Paris"]
    assert data["bandwidth_bps"] == 10e9
    assert data["length_km"] == pytest.approx(344, abs=2)


def test_disconnected_keeps_largest_component(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        graph = read_graphml(DATA / "disconnected.graphml")
    assert sorted(graph.nodes) == ["A", "B", "C"]
    assert "dropped 3: D, E, Lonely" in caplog.text


def test_no_connected_pair_is_refused() -> None:
    with pytest.raises(InputError, match=r"isolated_only\.graphml.*no two nodes are connected"):
        read_graphml(DATA / "isolated_only.graphml")


def test_odd_attribute_types() -> None:
    graph = read_graphml(DATA / "odd_types.graphml")  # directed, numbers as strings
    assert type(graph) is nx.Graph
    assert set(graph.nodes) == {"7", "8", "node-n2", "node-n3"}
    assert graph.nodes["8"]["position_estimated"]  # "unknown" latitude
    assert graph.nodes["node-n2"]["position_estimated"]  # latitude 999 out of range
    assert graph.nodes["node-n2"]["internal"] is False
    assert graph.edges["7", "8"]["bandwidth_bps"] == 10e9  # "10" "G"; "fast" ignored


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("garbage.graphml", "not well-formed XML"),
        ("not_graphml.graphml", "not usable GraphML"),
        ("missing.graphml", "file not found"),
        ("bad_sndlib.txt", "line 4"),
    ],
)
def test_malformed_files_raise_input_error_naming_file(name: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_topology(str(DATA / name))
    assert info.value.file.endswith(name)
    assert message in str(info.value)


def test_unknown_extension_and_non_sndlib_text(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown topology source"):
        load_topology(str(tmp_path / "net.json"))
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(InputError, match="not an SNDlib native file"):
        load_topology(str(text))


# --------------------------------------------------------------------------- synthetic


def test_synthetic_topology_connected_and_seeded() -> None:
    g1 = synthetic_topology(200, seed=3)
    g2 = synthetic_topology(200, seed=3)
    g3 = synthetic_topology(200, seed=4)
    assert g1.number_of_nodes() == 200 and nx.is_connected(g1)
    assert list(g1.edges(data=True)) == list(g2.edges(data=True))
    assert list(g1.edges) != list(g3.edges)
    mean_degree = 2 * g1.number_of_edges() / 200
    assert 2.5 < mean_degree < 5
    assert all(35 <= d["lat"] <= 60 for _, d in g1.nodes(data=True))
    with pytest.raises(InputError):
        synthetic_topology(1, seed=0)


# --------------------------------------------------------------------------- generator


def _demands(s: Scenario) -> int:
    return sum(len(a.sources) for a in s.applications)


def test_continuum_is_deterministic() -> None:
    graph = load_topology("zoo:Renater2010")
    opts = ContinuumOptions(n_apps=6)
    a = generate_continuum(graph, opts, seed=7, catalog=CATALOG)
    b = generate_continuum(graph, opts, seed=7, catalog=CATALOG)
    c = generate_continuum(graph, opts, seed=8, catalog=CATALOG)
    assert a == b
    assert a != c


def test_continuum_structure_and_validity() -> None:
    graph = load_topology("zoo:Renater2010")
    opts = ContinuumOptions(
        antennas_per_pop=2,
        devices_per_antenna=3,
        n_datacenters=3,
        n_apps=5,
        families=("alpha", "beta"),
    )
    s = generate_continuum(graph, opts, seed=1, catalog=CATALOG, name="renater")
    assert check_scenario(s) == []
    nodes = {n.id: n for n in s.nodes}
    pops = [
        n for n, d in graph.nodes(data=True) if not d.get("hyperedge") and d.get("internal", True)
    ]
    by_tier: dict[str, list[str]] = {}
    for n in s.nodes:
        by_tier.setdefault(n.tier, []).append(n.id)
    assert len(by_tier["cloud"]) == 3
    assert len(by_tier["device"]) == len(pops) * 2 * 3
    assert len([n for n in by_tier["edge"] if nodes[n].hardware is None]) == len(pops) * 2
    assert all(nodes[p].hardware is None and nodes[p].tier == "metro" for p in graph.nodes)
    assert all(nodes[f"{p}.metro"].hardware in opts.metro_hardware for p in pops)
    for d in by_tier["device"]:
        assert nodes[d].always_on and nodes[d].local_only and nodes[d].count == 1
    # datacenters at the highest-degree PoPs
    top = sorted(pops, key=lambda p: -graph.degree[p])[:3]
    assert {f"{p}.dc" for p in top} == set(by_tier["cloud"])
    assert {nodes[c].hardware for c in by_tier["cloud"]} == {"a100-server", "xeon-server"}
    assert all(1.1 <= nodes[c].pue <= 1.2 for c in by_tier["cloud"])
    # links: kinds and the core latency from the graph
    kinds = {(lk.a, lk.b): lk.kind for lk in s.links}
    assert {kinds[(u, v)] for u, v in graph.edges} == {"core"}
    core = next(lk for lk in s.links if lk.kind == "core")
    assert core.latency_s == graph.edges[core.a, core.b]["latency_s"]
    assert {lk.kind for lk in s.links if lk.b.endswith(".d1")} <= {"5g", "4g", "wifi"}
    # every source is a device, reachable from every datacenter
    net = nx.Graph((lk.a, lk.b) for lk in s.links)
    assert nx.is_connected(net)
    for a in s.applications:
        assert a.family in {"alpha", "beta"}
        assert all(nodes[src.node].tier == "device" for src in a.sources)
        assert all(1 <= src.rate_per_s <= 20 for src in a.sources)
        assert a.latency_slo_s in opts.slo_choices_s
        accs = [v.accuracy for v in CATALOG.families[a.family].variants]
        assert min(accs) <= a.accuracy_floor <= max(accs)
    # regions from the PoP country
    assert nodes["Bordeaux.a1.d1"].region == "FRA"
    # canonical: exactly what is used, sorted
    assert [h.name for h in s.hardware] == sorted({n.hardware for n in s.nodes if n.hardware})
    assert [k.name for k in s.link_kinds] == sorted({lk.kind for lk in s.links})
    assert [f.name for f in s.families] == sorted({a.family for a in s.applications})
    assert [r.code for r in s.regions] == sorted({n.region for n in s.nodes} | {"WORLD"})


def test_continuum_unknown_country_falls_back_to_default_region() -> None:
    graph = load_topology("zoo:Aarnet")  # Australia: not in the fake catalog
    s = generate_continuum(graph, ContinuumOptions(n_apps=1), seed=0, catalog=CATALOG)
    assert {n.region for n in s.nodes} == {"WORLD"}


def test_continuum_n_demands_exact_on_synthetic_graph() -> None:
    graph = synthetic_topology(50, seed=0)
    opts = ContinuumOptions(n_demands=2000, n_apps=3, families=("alpha",))
    start = time.perf_counter()
    s = generate_continuum(graph, opts, seed=0, catalog=CATALOG)
    elapsed = time.perf_counter() - start
    assert _demands(s) == 2000
    devices = 50 * 2 * 4
    assert len(s.applications) == math.ceil(2000 / devices)  # more apps than asked
    for a in s.applications:
        nodes = [src.node for src in a.sources]
        assert len(set(nodes)) == len(nodes)
    assert elapsed < 5  # generous; the benchmark reports the real figure


def test_continuum_without_devices_uses_antennas_as_sources() -> None:
    graph = load_topology("sndlib:abilene")
    opts = ContinuumOptions(devices_per_antenna=0, n_apps=2)
    s = generate_continuum(graph, opts, seed=2, catalog=CATALOG)
    assert check_scenario(s) == []
    ids = {n.id: n for n in s.nodes}
    assert all(ids[src.node].hardware is None for a in s.applications for src in a.sources)


def test_continuum_rejects_unknown_names() -> None:
    graph = load_topology("sndlib:abilene")
    opts = ContinuumOptions(edge_hardware=("gpu-9000",), families=("nope",), pops=("Mars",))
    with pytest.raises(InputError) as info:
        generate_continuum(graph, opts, seed=0, catalog=CATALOG)
    text = str(info.value)
    assert "edge_hardware[0]" in text and "gpu-9000" in text
    assert "families[0]" in text and "pops[0]" in text


def test_continuum_options_are_frozen_and_keyword_only() -> None:
    opts = ContinuumOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.n_apps = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        ContinuumOptions(5)  # type: ignore[misc]


def test_generator_with_builtin_catalog() -> None:
    graph = load_topology("zoo:Geant2012")
    s = generate_continuum(graph, ContinuumOptions(), seed=0)
    assert check_scenario(s) == []
    assert len({n.region for n in s.nodes}) > 5


# -------------------------------------------------------------------------------- CLI


def test_cli_list() -> None:
    result = CliRunner().invoke(app, ["import", "--list"])
    assert result.exit_code == 0
    assert "zoo:Renater2010" in result.output and "sndlib:abilene" in result.output


def test_cli_bad_source_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["import", str(DATA / "garbage.graphml"), "--out", str(out)])
    assert result.exit_code == 2
    assert "garbage.graphml" in result.output
    assert not out.exists()
    result = CliRunner().invoke(app, ["import", "zoo:Nowhere", "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()


def test_cli_import_writes_scenario(tmp_path: Path) -> None:
    from slimplace.scenario import io

    out = tmp_path / "s.yaml"
    args = ["import", "zoo:Abilene", "--out", str(out), "--apps", "2", "--seed", "3"]
    result = CliRunner().invoke(app, [*args, "--devices-per-antenna", "2", "--datacenters", "1"])
    assert result.exit_code == 0, result.output
    scenario = io.load_scenario(out)
    assert len([n for n in scenario.nodes if n.tier == "cloud"]) == 1
    assert len(scenario.applications) == 2
