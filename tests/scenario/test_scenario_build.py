"""Scenarios built in Python: catalog names, link figures from the kind, checked like files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from slimplace.catalog import load_catalog
from slimplace.errors import InputError
from slimplace.problem.compile import compile_problem
from slimplace.scenario.build import build_scenario, resolve_scenario
from slimplace.scenario.io import dump_scenario, load_scenario, loads_scenario
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    Node,
    Scenario,
    Settings,
    Source,
)
from slimplace.scenario.validate import check_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CATALOG = load_catalog()


def _sections(hardware: str = "jetson-orin-nano") -> dict[str, object]:
    return {
        "nodes": [
            Node("cam-1", "device", region="FRA"),  # a Node's region defaults to "WORLD"
            Node("edge-1", "edge", hardware=hardware, region="FRA"),
            Node("dc", "cloud", hardware="xeon-server", count=2, pue=1.2, region="DEU"),
        ],
        "links": [Link("cam-1", "edge-1", "wifi"), Link("edge-1", "dc", "wan")],
        "applications": [
            Application(
                "classify", "s-mobilenet-v1", (Source("cam-1", 10.0),), 150e3, 1e3, 0.2, 0.65
            )
        ],
        "settings": Settings(max_utilisation=0.7, horizon_s=3600.0, default_region="FRA"),
        "description": "One camera, one edge box, one datacenter.",
    }


def test_built_scenario_equals_the_same_scenario_read_from_a_file() -> None:
    built = build_scenario("minimal", **_sections())  # type: ignore[arg-type]
    assert built == load_scenario(EXAMPLES / "minimal.yaml")


def test_link_figures_default_to_the_kind() -> None:
    built = build_scenario("minimal", **_sections())  # type: ignore[arg-type]
    wifi = CATALOG.link_kinds["wifi"]
    link = built.links[0]
    assert (link.bandwidth_bps, link.latency_s, link.energy_j_per_bit) == (
        wifi.bandwidth_bps,
        wifi.latency_s,
        wifi.energy_j_per_bit,
    )
    assert [k.name for k in built.link_kinds] == ["wan", "wifi"]
    assert {h.name for h in built.hardware} == {"jetson-orin-nano", "xeon-server"}


def test_a_given_link_figure_overrides_the_kind_and_the_rest_follow_it() -> None:
    sections = _sections()
    sections["links"] = [Link("cam-1", "edge-1", "wifi", 5e6), Link("edge-1", "dc", "wan")]
    link = build_scenario("x", **sections).links[0]  # type: ignore[arg-type]
    assert link.bandwidth_bps == 5e6
    assert link.latency_s == CATALOG.link_kinds["wifi"].latency_s


def test_items_may_be_written_as_in_a_file() -> None:
    sections = _sections()
    sections["links"] = [
        {"a": "cam-1", "b": "edge-1", "kind": "wifi"},
        {"a": "edge-1", "b": "dc", "kind": "wan", "bandwidth": "10 Gbit/s"},
    ]
    built = build_scenario("x", **sections)  # type: ignore[arg-type]
    assert built.links[1].bandwidth_bps == 10e9


def test_hardware_typo_gives_the_same_suggestion_as_a_file() -> None:
    with pytest.raises(InputError) as err:
        build_scenario("x", **_sections(hardware="jetson-orin-nan"))  # type: ignore[arg-type]
    problems = {p.path: p.message for p in err.value.problems}
    text = (EXAMPLES / "minimal.yaml").read_text().replace("jetson-orin-nano", "jetson-orin-nan")
    with pytest.raises(InputError) as from_file:
        loads_scenario(text)
    assert problems == {p.path: p.message for p in from_file.value.problems}
    assert "did you mean 'jetson-orin-nano'" in problems["nodes[1].hardware"]


def test_every_problem_is_reported_with_paths_of_the_lists_given() -> None:
    sections = _sections()
    sections["links"] = [Link("cam-1", "edge-1", "wfi"), Link("edge-1", "dcc", "wan")]
    sections["nodes"] = [*sections["nodes"], "not a node"]  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"nodes\[3\]: expected a Node"):
        build_scenario("x", **sections)  # type: ignore[arg-type]
    sections["nodes"] = sections["nodes"][:3]  # type: ignore[index]
    with pytest.raises(InputError) as err:
        build_scenario("x", **sections)  # type: ignore[arg-type]
    paths = {p.path for p in err.value.problems}
    assert {"links[0].kind", "links[1].b"} <= paths


def test_inline_hardware_is_checked_like_a_file() -> None:
    bad = HardwareProfile("box", "edge", 1e12, 4e9, idle_power_w=20.0, peak_power_w=10.0)
    sections = _sections(hardware="box")
    with pytest.raises(InputError, match=r"hardware\[0\]\.peak_power"):
        build_scenario("x", hardware=[bad], **sections)  # type: ignore[arg-type]


def test_resolve_scenario_completes_one_assembled_by_hand() -> None:
    s = _sections()
    raw = Scenario(
        "minimal",
        nodes=tuple(s["nodes"]),  # type: ignore[arg-type]
        links=tuple(s["links"]),  # type: ignore[arg-type]
        hardware=(),
        link_kinds=(),
        families=(),
        applications=tuple(s["applications"]),  # type: ignore[arg-type]
        regions=(),
        settings=s["settings"],  # type: ignore[arg-type]
        description=str(s["description"]),
    )
    assert any("build_scenario" in p.message for p in check_scenario(raw))
    resolved = resolve_scenario(raw)
    assert resolved == load_scenario(EXAMPLES / "minimal.yaml")
    assert check_scenario(resolved) == []
    assert compile_problem(resolved).n_demands == 1


def test_unfilled_link_figures_are_not_written_to_a_file() -> None:
    raw_link = Link("cam-1", "edge-1", "wifi")
    assert math.isnan(raw_link.bandwidth_bps)
    built = build_scenario("minimal", **_sections())  # type: ignore[arg-type]
    assert loads_scenario(dump_scenario(built)) == built
