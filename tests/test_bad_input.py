"""Bad scenario files: exit code 2 from ``slimplace validate``, the file and the path named,
no traceback; the same problems from the API as an InputError."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scenario.io import load_scenario, loads_scenario

DATA = Path(__file__).resolve().parent / "data" / "scenarios"

# (fixture, path inside the file, words of the message)
CASES = [
    ("syntax_error.yaml", "", "line 19"),
    ("duplicate_key.yaml", "", "duplicate key 'slo'"),
    ("empty.yaml", "", "empty"),
    ("not_utf8.yaml", "", "UTF-8"),
    ("top_list.yaml", "", "top level must be a mapping"),
    ("unknown_field.yaml", "nodes[2].colour", "unknown field 'colour'"),
    ("missing_field.yaml", "applications[0].slo", "missing"),
    ("wrong_unit.yaml", "applications[0].slo", "'5 kB' is not a time"),
    ("missing_unit.yaml", "applications[0].slo", "has no unit"),
    ("negative_rate.yaml", "applications[0].sources[0].rate", "greater than 0"),
    ("zero_rate.yaml", "applications[0].sources[0].rate", "greater than 0"),
    ("zero_count.yaml", "nodes[1].count", "1 or more"),
    ("zero_throughput.yaml", "hardware[0].throughput", "greater than 0"),
    ("negative_memory.yaml", "hardware[0].memory", "greater than 0"),
    ("zero_bandwidth.yaml", "links[0].bandwidth", "greater than 0"),
    ("pue_below_one.yaml", "nodes[1].pue", "1 or more"),
    ("accuracy_above_one.yaml", "families[0].variants[0].accuracy", "between 0 and 1"),
    ("floor_negative.yaml", "applications[0].accuracy_floor", "between 0 and 1"),
    ("idle_above_peak.yaml", "hardware[0].peak_power", "at least idle_power"),
    ("unknown_hardware.yaml", "nodes[1].hardware", "did you mean 'box'?"),
    ("unknown_catalog_hardware.yaml", "nodes[1].hardware", "did you mean 'jetson-orin-nano'"),
    ("unknown_family.yaml", "applications[0].family", "unknown model family 'famm'"),
    ("unknown_region.yaml", "nodes[0].region", "unknown region 'TTS'"),
    ("unknown_link_node.yaml", "links[1].b", "unknown node 'edgy'; did you mean 'edge'?"),
    ("unknown_link_kind.yaml", "links[1].kind", "unknown link kind 'lann'"),
    ("duplicate_node.yaml", "nodes[2].id", "duplicate node id 'edge'"),
    ("duplicate_application.yaml", "applications[1].id", "duplicate application id 'app'"),
    ("duplicate_link.yaml", "links[2]", "duplicate link"),
    ("self_link.yaml", "links[2].b", "self-link"),
    ("unreachable_source.yaml", "applications[0].sources[0].node", "cannot reach"),
    ("local_only_server.yaml", "applications[0].sources[0].node", "cannot reach"),
    ("floor_above_best.yaml", "applications[0].accuracy_floor", "its best is 'big' at 0.8"),
]


def _problems(path: Path) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.file == str(path)
    return {p.path: p.message for p in info.value.problems}


@pytest.mark.parametrize(("name", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_validate_command_reports_bad_input(name: str, where: str, words: str) -> None:
    path = DATA / name
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert str(path) in result.output
    assert words in result.output
    if where:
        assert f"{path}: {where}: " in result.output


@pytest.mark.parametrize(("name", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_api_raises_input_error(name: str, where: str, words: str) -> None:
    found = _problems(DATA / name)
    assert where in found, found
    assert words in found[where]


def test_schema_problems_are_reported_together() -> None:
    found = _problems(DATA / "many_problems.yaml")
    assert set(found) == {
        "hardware[0].memory",
        "nodes[2].colour",
        "applications[0].sources[0].rate",
        "applications[0].slo",
    }


def test_reference_problems_are_reported_together_without_cascades() -> None:
    found = _problems(DATA / "many_semantic_problems.yaml")
    assert set(found) == {"nodes[1].hardware", "applications[0].family", "links[1].b"}


def test_a_hardware_less_source_is_fine() -> None:
    scenario = load_scenario(DATA / "valid.yaml")
    assert scenario.nodes[0].hardware is None
    assert scenario.applications[0].sources[0].node == "cam"


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = CliRunner().invoke(app, ["validate", str(missing)])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output and "Traceback" not in result.output


def test_loads_names_the_given_file() -> None:
    with pytest.raises(InputError) as info:
        loads_scenario("name: x\nnodes: [{id: a, tier: space}]\n", file="mem.yaml")
    assert str(info.value).startswith("mem.yaml: nodes[0].tier: ")


def test_numbers_of_the_wrong_type_are_reported() -> None:
    text = (DATA / "valid.yaml").read_text().replace("slo: 100 ms", "slo: [1, 2]")
    with pytest.raises(InputError) as info:
        loads_scenario(text, file="t.yaml")
    assert [p.path for p in info.value.problems] == ["applications[0].slo"]


def test_nodes_that_are_not_mappings_are_reported() -> None:
    with pytest.raises(InputError) as info:
        loads_scenario("name: x\nnodes: [cam]\n")
    assert str(info.value) == "<string>: nodes[0]: expected a mapping, got str"
