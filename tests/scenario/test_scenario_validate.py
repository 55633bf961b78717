"""``slimplace validate`` runs compile's admissibility checks; the access-link bandwidth check."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InfeasibleScenarioError
from slimplace.problem.access import access_unservable
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import loads_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINIMAL = (EXAMPLES / "minimal.yaml").read_text()

#: Two cameras on 4G (20 Mbit/s each way); the second sends 30 frames of 150 kB a second.
ACCESS = """\
name: access
nodes:
  - {id: cam-ok, tier: device}
  - {id: cam-busy, tier: device}
  - {id: edge, tier: edge, hardware: jetson-orin-nano}
links:
  - {a: cam-ok, b: edge, kind: 4g}
  - {a: cam-busy, b: edge, kind: 4g}
applications:
  - {id: classify, family: s-mobilenet-v1, request: 150 kB, response: 1 kB, slo: 2 s,
     accuracy_floor: 60 %, sources: [{node: cam-ok, rate: 1/s}, {node: cam-busy, rate: 30/s}]}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def _validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_unmeetable_slo_exits_2_naming_the_demand(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("slo: 200 ms", "slo: 1 ms"))
    code, output = _validate(str(path))
    assert code == 2
    assert f"{path}: application classify from cam-1: SLO 1.0 ms" in output


def test_schema_only_keeps_the_old_behaviour(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("slo: 200 ms", "slo: 1 ms"))
    code, output = _validate(str(path), "--schema-only")
    assert code == 0 and "valid" in output


def test_memory_reason_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("hardware: jetson-orin-nano", "hardware: tiny").replace(
        "hardware: xeon-server, ", "hardware: tiny, "
    )
    text += (
        "hardware:\n  - {name: tiny, tier: edge, throughput: 1 TFLOP/s, memory: 1 kB,"
        " idle_power: 1 W, peak_power: 2 W}\n"
    )
    code, output = _validate(str(_write(tmp_path, text)))
    assert code == 2 and "application classify from cam-1: memory" in output


def test_access_bandwidth_names_only_the_overloaded_source(tmp_path: Path) -> None:
    code, output = _validate(str(_write(tmp_path, ACCESS)))
    assert code == 2
    assert "application classify from cam-busy: access bandwidth" in output
    # 30/s x 150 kB x 8 = 36 Mbit/s over one 20 Mbit/s 4G link
    assert "36 Mbit/s" in output and "20 Mbit/s" in output
    assert "cam-ok" not in output


def test_compile_refuses_an_overloaded_access_link() -> None:
    scenario = loads_scenario(ACCESS)
    with pytest.raises(InfeasibleScenarioError) as err:
        compile_problem(scenario)
    assert [(d.application, d.source) for d in err.value.demands] == [("classify", "cam-busy")]
    loose = compile_problem(scenario, strict=False)
    assert [d.source for d in loose.unservable] == ["cam-busy"]


def test_access_sums_every_application_and_every_link_of_a_source() -> None:
    # 20/s x 150 kB = 24 Mbit/s: over one 4G link, within two.
    one_app = ACCESS.replace("rate: 30/s", "rate: 20/s")
    assert [d.source for d in access_unservable(loads_scenario(one_app))] == ["cam-busy"]
    two_links = one_app.replace(
        "  - {a: cam-busy, b: edge, kind: 4g}\n",
        "  - {a: cam-busy, b: edge, kind: 4g}\n  - {a: cam-busy, b: cam-ok, kind: 4g}\n",
    )
    assert access_unservable(loads_scenario(two_links)) == []
    # 2 x 10/s x 150 kB = 24 Mbit/s from two applications, each alone within the link.
    split = ACCESS.replace("rate: 30/s", "rate: 10/s").replace(
        "applications:\n",
        "applications:\n  - {id: other, family: s-mobilenet-v1, request: 150 kB, response: 1 kB,"
        " slo: 2 s, accuracy_floor: 60 %, sources: [{node: cam-busy, rate: 10/s}]}\n",
    )
    found = access_unservable(loads_scenario(split))
    assert sorted((d.application, d.source) for d in found) == [
        ("classify", "cam-busy"),
        ("other", "cam-busy"),
    ]


def test_responses_are_checked_on_the_way_back() -> None:
    text = ACCESS.replace("request: 150 kB, response: 1 kB", "request: 1 kB, response: 150 kB")
    found = access_unservable(loads_scenario(text))
    assert [d.source for d in found] == ["cam-busy"] and "responses" in found[0].reason


def test_a_source_with_hardware_may_serve_itself() -> None:
    text = ACCESS.replace(
        "{id: cam-busy, tier: device}", "{id: cam-busy, tier: device, hardware: raspberry-pi-4}"
    )
    assert access_unservable(loads_scenario(text)) == []


def test_a_demand_with_another_reason_is_named_once(tmp_path: Path) -> None:
    text = ACCESS.replace("slo: 2 s", "slo: 1 ms")
    loose = compile_problem(loads_scenario(text), strict=False)
    sources = [d.source for d in loose.unservable]
    assert sorted(sources) == ["cam-busy", "cam-ok"]
    assert all("SLO" in d.reason for d in loose.unservable)


@pytest.mark.parametrize("name", ["minimal.yaml", "full.yaml", "demo.yaml", "sndlib-abilene.yaml"])
def test_examples_pass_the_admissibility_checks(name: str) -> None:
    code, output = _validate(str(EXAMPLES / name))
    assert code == 0, output
