"""Realistic, solvable imports: workload mix, provisioning, SLOs from reachable latency,
witness plans, topology-derived seeds, countries from coordinates, new model families."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.catalog import load_catalog
from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario
from slimplace.solve import solve
from slimplace.topology import load_topology, synthetic_topology
from slimplace.topology.mix import (
    CAMERAS,
    DEFAULT_CLASSES,
    parse_mix,
    parse_range,
    scale_classes,
    share_apps,
    with_counts,
)
from slimplace.topology.places import countries_at, country_at
from slimplace.topology.provision import min_busy_per_pair
from slimplace.topology.realistic import RealisticOptions, generate_realistic, topology_seed
from slimplace.topology.solvable import reachable_latency_s

CATALOG = load_catalog()
SMALL = RealisticOptions(
    classes=with_counts(DEFAULT_CLASSES, {"cameras": 1, "phones": 2, "sensors": 1}),
    antennas_per_pop=1,
    n_datacenters=1,
)


def _small(seed: int = 0, n_pops: int = 4, options: RealisticOptions = SMALL):
    return generate_realistic(
        synthetic_topology(n_pops, seed=seed), options, seed=seed, catalog=CATALOG
    )


# ----------------------------------------------------------------------- countries


def test_countries_from_coordinates() -> None:
    got = countries_at([48.85, 40.71, 52.52, 47.37, 35.68], [2.35, -74.0, 13.4, 8.54, 139.69])
    assert got == ["FRA", "USA", "DEU", "CHE", "JPN"]
    assert country_at(0.0, -30.0) is None  # mid-Atlantic: no place within 300 km
    assert countries_at([], []) == []


def test_sndlib_nodes_get_regions_from_coordinates() -> None:
    graph = load_topology("sndlib:abilene")  # nodes carry lon/lat, no country
    assert {d["country"] for _, d in graph.nodes(data=True)} == {"USA"}
    assert all(d["country_from_position"] for _, d in graph.nodes(data=True))
    s = generate_realistic(graph, SMALL, seed=0, catalog=CATALOG)
    assert "WORLD" not in {n.region for n in s.nodes}


# -------------------------------------------------------------------------- catalog


def test_detection_and_segmentation_families_from_published_tables() -> None:
    fams = CATALOG.families
    yolo = {v.name: v for v in fams["yolov8"].variants}
    # ultralytics publishes FLOPs = 2 x MACs: 8.7 B for YOLOv8n is stored as 8.7e9 FLOPs
    assert yolo["yolov8n"].flops == pytest.approx(8.7e9)
    assert yolo["yolov8x"].accuracy == pytest.approx(0.539)
    # EfficientDet and torchvision count multiply-adds: stored x 2
    d0 = next(v for v in fams["efficientdet"].variants if v.name == "efficientdet-d0")
    assert d0.flops == pytest.approx(2 * 2.54e9)
    deeplab = {v.name: v for v in fams["tv-segmentation"].variants}
    assert deeplab["deeplabv3_mobilenet_v3_large"].accuracy == pytest.approx(0.603)
    assert fams["yolov5"].task == "coco-detection"
    assert fams["tv-segmentation"].task == "voc-segmentation"


# ---------------------------------------------------------------------------- mix


def test_mix_parsing_scaling_and_app_sharing() -> None:
    assert parse_mix("cameras=4, phones=0") == {"cameras": 4, "phones": 0}
    with pytest.raises(InputError, match="drones"):
        parse_mix("drones=3")
    with pytest.raises(InputError, match="whole number"):
        parse_mix("cameras=-1")
    assert parse_range("5-30", "--fps") == (5.0, 30.0)
    assert parse_range("15", "--fps") == (15.0, 15.0)
    with pytest.raises(InputError, match="--fps"):
        parse_range("30-5", "--fps")
    scaled = scale_classes(DEFAULT_CLASSES, 12)
    assert [c.per_antenna for c in scaled] == [4, 6, 2]
    shared = share_apps(DEFAULT_CLASSES, 2)
    assert [(c.n_apps, c.per_antenna) for c in shared] == [(1, 2), (1, 3), (0, 0)]


# ---------------------------------------------------------------------- generator


def test_realistic_scenario_is_solvable_and_sized() -> None:
    s = _small()
    assert s.settings.slo_quantile == 0.99
    nodes = {n.id: n for n in s.nodes}
    clouds = [n for n in s.nodes if n.tier == "cloud"]
    assert clouds and all(n.ownership == "elastic" for n in clouds)
    owned = [n for n in s.nodes if n.hardware and n.tier in ("edge", "metro")]
    assert owned and all(n.ownership == "owned" for n in owned)
    assert all(1 <= n.count <= SMALL.sizing.max_metro_servers for n in owned)
    problem = compile_problem(s)  # strict: raises if any demand has no placement
    assert problem.unservable == ()
    # SLOs come from what is reachable: at least the fastest usable placement's latency
    reach = reachable_latency_s(problem)
    assert np.all(reach <= problem.demand_slo_s + 1e-12)
    assert np.all(problem.demand_slo_s <= 3.0 * reach.max() + SMALL.slo_step_s)
    result = solve(problem, "greedy")
    assert result.evaluation.feasible
    # a device's own access link carries its requests and answers at most half loaded
    access = {lk.b: lk for lk in s.links if nodes[lk.b].tier == "device"}
    for a in s.applications:
        for src in a.sources:
            load_bps = src.rate_per_s * 8 * (a.request_bytes + a.response_bytes)
            assert load_bps <= SMALL.access_share * access[src.node].bandwidth_bps * 1.001


def test_owned_sites_are_sized_by_the_provisioning_rule() -> None:
    s = _small()
    # sizing counts every placement that meets floors and memory: loosen the SLOs
    loose = replace(s, applications=tuple(replace(a, latency_slo_s=60.0) for a in s.applications))
    problem = compile_problem(loose)
    d, n, busy = min_busy_per_pair(problem)
    ids = np.asarray(problem.node_ids, dtype=object)
    source = ids[problem.demand_source]
    rho, spare = problem.max_utilisation, SMALL.sizing.spare
    for i, node in enumerate(s.nodes):
        if node.tier != "edge" or node.hardware is None:
            continue
        antenna = node.id.rsplit(".", 1)[0]  # <pop>.a<j>.e1 -> <pop>.a<j>
        mine = np.array([str(x).startswith(antenna + ".") for x in source[d]])
        load = busy[(n == i) & mine].sum()
        expected = min(max(1, math.ceil(load * (1 + spare) / rho - 1e-9)), 8)
        assert node.count == expected, node.id


def test_package_exports_the_realistic_generator() -> None:
    import slimplace.topology as topology

    assert topology.generate_realistic is generate_realistic
    assert topology.RealisticOptions is RealisticOptions


def test_cameras_stream_frames_to_detectors() -> None:
    s = _small()
    tasks = {f.name: f.task for f in s.families}
    cams = [a for a in s.applications if a.id.startswith("cameras")]
    assert cams
    for a in cams:
        assert tasks[a.family] in ("coco-detection", "voc-segmentation")
        assert all(src.rate_per_s <= CAMERAS.rate_per_s[1] for src in a.sources)
        assert CAMERAS.request_bytes[0] <= a.request_bytes <= CAMERAS.request_bytes[1]
    phones = [a for a in s.applications if a.id.startswith("phones")]
    assert phones and all(tasks[a.family] == "imagenet-classification" for a in phones)


def test_owned_sites_follow_the_load() -> None:
    light = replace(
        SMALL, classes=with_counts(DEFAULT_CLASSES, {"cameras": 1, "phones": 0, "sensors": 0})
    )
    heavy = replace(
        light,
        classes=tuple(replace(c, rate_per_s=(30.0, 30.0), per_antenna=4) for c in light.classes),
    )
    few = sum(n.count for n in _small(options=light).nodes if n.tier == "edge" and n.hardware)
    many = sum(n.count for n in _small(options=heavy).nodes if n.tier == "edge" and n.hardware)
    assert many > few


def test_same_seed_different_topology_draws_differently() -> None:
    g1, g2 = synthetic_topology(4, seed=1), synthetic_topology(4, seed=2)
    assert topology_seed(g1, 0) != topology_seed(g2, 0)
    assert topology_seed(g1, 0) == topology_seed(synthetic_topology(4, seed=1), 0)
    s1 = generate_realistic(g1, SMALL, seed=0, catalog=CATALOG)
    s2 = generate_realistic(g2, SMALL, seed=0, catalog=CATALOG)
    r1 = sorted(src.rate_per_s for a in s1.applications for src in a.sources)
    r2 = sorted(src.rate_per_s for a in s2.applications for src in a.sources)
    assert r1 != r2
    assert generate_realistic(g1, SMALL, seed=0, catalog=CATALOG) == s1  # deterministic


def test_unknown_names_are_refused() -> None:
    bad = replace(SMALL, classes=(replace(CAMERAS, hardware=("gpu-9000",), families=("nope",)),))
    with pytest.raises(InputError) as info:
        _small(options=bad)
    assert "gpu-9000" in str(info.value) and "families" in str(info.value)


# --------------------------------------------------------------------------------- CLI


def _graphml(tmp_path: Path, n: int, seed: int) -> Path:
    graph = synthetic_topology(n, seed=seed)
    out = nx.Graph()
    for node, d in graph.nodes(data=True):
        out.add_node(node, label=node, Latitude=d["lat"], Longitude=d["lon"])
    out.add_edges_from(graph.edges)
    path = tmp_path / f"synthetic{n}.graphml"
    nx.write_graphml(out, path)
    return path


def test_cli_import_default_mix_is_solvable(tmp_path: Path) -> None:
    topo = _graphml(tmp_path, 5, seed=3)
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["import", str(topo), "-o", str(out), "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "owned edge/metro servers" in result.output
    s = load_scenario(out)
    assert {a.id.split("-")[0] for a in s.applications} == {"cameras", "phones", "sensors"}
    assert all(a.workload is None for a in s.applications)
    assert solve(compile_problem(s), "greedy").evaluation.feasible


def test_cli_import_options(tmp_path: Path) -> None:
    topo = _graphml(tmp_path, 4, seed=5)
    out = tmp_path / "s.yaml"
    args = ["import", str(topo), "-o", str(out), "--mix", "cameras=3,phones=0,sensors=0"]
    args += ["--fps", "10-10", "--antennas-per-pop", "1", "--datacenters", "1"]
    args += ["--slo-quantile", "0.95", "--families", "yolov5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    s = load_scenario(out)
    assert s.settings.slo_quantile == 0.95
    assert {a.family for a in s.applications} == {"yolov5"}
    assert len([n for n in s.nodes if n.tier == "device"]) == 4 * 3
    rates = {src.rate_per_s for a in s.applications for src in a.sources}
    assert max(rates) <= 10.0


def test_cli_import_refuses_unsolvable_and_says_what_to_change(tmp_path: Path) -> None:
    topo = _graphml(tmp_path, 3, seed=1)
    out = tmp_path / "s.yaml"
    args = ["import", str(topo), "-o", str(out), "--mix", "cameras=20,phones=0,sensors=0"]
    args += ["--fps", "900-900", "--datacenters", "0", "--antennas-per-pop", "1"]
    args += ["--families", "efficientdet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "no plan found" in result.output and "--fps" in result.output
    assert not out.exists()


def test_cli_import_bad_values_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "s.yaml"
    bad_args = (
        ["--fps", "x"],
        ["--mix", "cows=1"],
        ["--datacenters", "-1"],
        ["--families", "yolo5"],
    )
    for bad in bad_args:
        result = CliRunner().invoke(app, ["import", "sndlib:abilene", "-o", str(out), *bad])
        assert result.exit_code == 2, (bad, result.output)
        assert not out.exists()
    assert "did you mean 'yolov5'" in result.output  # the last one: a family typo


def test_cli_import_mean_slos_and_all_sites(tmp_path: Path) -> None:
    topo = _graphml(tmp_path, 3, seed=4)
    out = tmp_path / "s.yaml"
    args = ["import", str(topo), "-o", str(out), "--slo-quantile", "0", "--sites", "0"]
    args += ["--mix", "cameras=1,phones=1,sensors=0", "--antennas-per-pop", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    s = load_scenario(out)
    assert s.settings.slo_quantile is None
    assert len([n for n in s.nodes if n.id.endswith(".metro")]) == 3


def test_advice_names_the_options_for_each_violation_kind() -> None:
    from slimplace.topology.realistic import _advice

    assert "--datacenters" in _advice({"capacity"})
    assert "--slo-slack" in _advice({"slo"})
    assert "--fps" in _advice({"bandwidth"}) and "--datacenters" not in _advice({"bandwidth"})
