"""``{file: path}`` items in the hardware, link_kinds and families lists."""

from pathlib import Path

import pytest

from slimplace.errors import InputError
from slimplace.scenario.io import load_scenario, save_scenario

FAMILY = """\
name: my-slim
weight_sharing: true
variants:
  - {name: w1, accuracy: 0.9, flops: 2 MFLOP, params: 1e5, memory: 400 kB, kind: width, width: 1.0}
  - {name: w05, accuracy: 0.85, flops: 0.5 MFLOP, params: 1e5, memory: 400 kB,
     kind: width, width: 0.5}
"""

HARDWARE = """\
hardware:
  - {name: my-box, tier: edge, throughput: 1 TFLOP/s, memory: 4 GB,
     idle_power: 5 W, peak_power: 15 W}
"""

SCENARIO = """\
name: include
hardware: [{file: box.yaml}]
families: [{file: fam/slim.family.yaml}]
nodes:
  - {id: cam, tier: device}
  - {id: edge, tier: edge, hardware: my-box}
links:
  - {a: cam, b: edge, kind: wifi}
applications:
  - {id: a, family: my-slim, sources: [{node: cam, rate: 5/s}], request: 1 kB, response: 100 B,
     slo: 100 ms, accuracy_floor: 85 %}
"""


def _write(tmp_path: Path, scenario: str = SCENARIO) -> Path:
    (tmp_path / "fam").mkdir()
    (tmp_path / "fam" / "slim.family.yaml").write_text(FAMILY)
    (tmp_path / "box.yaml").write_text(HARDWARE)
    path = tmp_path / "s.yaml"
    path.write_text(scenario)
    return path


def test_included_files_resolve_relative_to_the_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path))
    assert [f.name for f in scenario.families] == ["my-slim"]
    assert scenario.family_by_name()["my-slim"].variants[1].flops == 0.5e6
    assert scenario.hardware_by_name()["my-box"].throughput_flops == 1e12
    save_scenario(scenario, tmp_path / "saved.yaml")
    assert load_scenario(tmp_path / "saved.yaml") == scenario


def test_missing_include_names_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, SCENARIO.replace("fam/slim.family.yaml", "fam/none.yaml"))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert "families[0].file" in str(err.value) and "none.yaml" in str(err.value)


def test_bad_yaml_in_include_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (tmp_path / "box.yaml").write_text("hardware: [unclosed\n")
    with pytest.raises(InputError, match=r"hardware\[0\]\.file"):
        load_scenario(path)
