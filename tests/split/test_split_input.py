"""Bad split and multi-stage applications: exit 2 from ``slimplace validate`` naming the
application and the reason; good ones round-trip through a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario

BASE = {
    "name": "bad-split",
    "settings": {"default_region": "FRA"},
    "nodes": [
        {
            "id": "phone",
            "tier": "device",
            "hardware": "phone-pixel1",
            "always_on": True,
            "local_only": True,
        },
        {"id": "edge", "tier": "edge", "hardware": "jetson-orin-nano"},
    ],
    "links": [{"a": "phone", "b": "edge", "kind": "wifi"}],
}


def app_doc(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "id": "cam",
        "sources": [{"node": "phone", "rate": "1/s"}],
        "request": "150 kB",
        "response": "1 kB",
        "slo": "500 ms",
    }
    doc.update(extra)
    return doc


def write(tmp_path: Path, application: dict[str, object]) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**BASE, "applications": [application]}))
    return path


STAGES_OK = [
    {"id": "det", "family": "tv-detection", "output": "30 kB"},
    {"id": "cls", "family": "mobilenet-v2", "after": ["det"], "calls": 2},
]

BAD = [
    (app_doc(family="mobilenet-v2", split={"network": "vgg99"}), "no profiled network 'vgg99'"),
    (
        app_doc(family="mobilenet-v2", split={"network": "mobilenet_v2", "cuts": ["ir99"]}),
        "cut ir99 does not exist in mobilenet_v2",
    ),
    (
        app_doc(
            stages=[
                {"id": "a", "family": "mobilenet-v2", "after": ["b"]},
                {"id": "b", "family": "mobilenet-v2", "after": ["a"]},
            ]
        ),
        "stages form a cycle",
    ),
    (
        app_doc(stages=[{"id": "a", "family": "mobilenet-v2", "after": ["zz"]}]),
        "comes after unknown stage zz",
    ),
    (app_doc(stages=STAGES_OK, slo="0.01 ms"), "is below the"),
    (
        app_doc(family="mobilenet-v2", split={"network": "mobilenet_v2"}, stages=STAGES_OK),
        "give split or stages, not both",
    ),
]


@pytest.mark.parametrize(("application", "words"), BAD)
def test_bad_split_input_exits_2_naming_the_application(
    tmp_path: Path, application: dict[str, object], words: str
) -> None:
    result = CliRunner().invoke(app, ["validate", str(write(tmp_path, application))])
    assert result.exit_code == 2, result.output
    assert "application cam" in result.output and words in result.output
    assert "Traceback" not in result.output


def test_a_stage_no_node_can_hold_is_named(tmp_path: Path) -> None:
    doc = {
        **BASE,
        "hardware": [
            {
                "name": "tiny",
                "tier": "device",
                "throughput": "1 GFLOP/s",
                "memory": "1 MB",
                "idle_power": "1 W",
                "peak_power": "2 W",
            }
        ],
    }
    doc["nodes"] = [{"id": "phone", "tier": "device", "hardware": "tiny", "local_only": True}]
    doc["links"] = []
    doc["applications"] = [app_doc(stages=STAGES_OK)]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "stage det has no admissible node" in result.output


def test_stages_compile_to_composites_cut_after_each_stage(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, app_doc(stages=STAGES_OK, slo="2 s")))
    p = compile_problem(s)
    family = p.families[-1]
    assert family.name == "stages:cam"
    det = {v.name: v for v in s.family_by_name()["tv-detection"].variants}
    cls = {v.name: v for v in s.family_by_name()["mobilenet-v2"].variants}
    for v in family.variants:
        a, b = (part.split("=", 1)[1] for part in v.name.split("+"))
        assert v.accuracy == pytest.approx(det[a].accuracy * cls[b].accuracy)
        assert v.flops == pytest.approx(det[a].flops + 2 * cls[b].flops)
    cut = np.flatnonzero(p.cand_cut >= 0)
    assert len(cut) and (p.cand_cut[cut] == 0).all()
    assert (p.cand_request_bits[cut] == 8 * 30e3).all()  # the detector's output crosses


def test_split_and_stages_round_trip(tmp_path: Path) -> None:
    from slimplace.catalog import load_catalog
    from slimplace.scenario.dump import scenario_document
    from slimplace.scenario.io import loads_scenario

    doc = {
        **BASE,
        "applications": [
            app_doc(
                family="mobilenet-v2",
                split={"network": "auto", "cuts": ["ir7"], "cut_precision": "int8"},
            ),
            {**app_doc(stages=STAGES_OK, slo="2 s"), "id": "pipe"},
        ],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    s = load_scenario(path)
    again = loads_scenario(yaml.safe_dump(scenario_document(s, load_catalog())))
    assert again.applications == s.applications
