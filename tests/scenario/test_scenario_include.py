"""``{file: path}`` items in the hardware, link_kinds and families lists."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scenario.includes import IncludePolicy, expand_includes
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
    (tmp_path / "fam").mkdir(parents=True)
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


# ------------------------------------------------------------------- security (issue 13 §4)

MINIMAL = """\
name: hostile
hardware: [{file: %s}]
nodes:
  - {id: cam, tier: device}
"""


def _hostile(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "s.yaml"
    path.write_text(MINIMAL % name)
    return path


def _refusal(path: Path, **kwargs: object) -> str:
    with pytest.raises(InputError) as err:
        load_scenario(path, **kwargs)  # type: ignore[arg-type]
    assert err.value.file == str(path)
    assert {p.path for p in err.value.problems} == {"hardware[0].file"}
    return str(err.value)


def test_absolute_path_outside_the_folder_is_refused_without_reading_it(tmp_path: Path) -> None:
    message = _refusal(_hostile(tmp_path, "/etc/passwd"))
    assert "outside the scenario's folder" in message and "root:" not in message


def test_parent_folder_escape_is_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "box.yaml").write_text(HARDWARE)
    path = _hostile(tmp_path / "sc", "../box.yaml")
    assert "outside the scenario's folder" in _refusal(path)
    scenario = load_scenario(path, include_dirs=[tmp_path])
    assert scenario.hardware_by_name()["my-box"].memory_bytes == 4e9


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "box.yaml").write_text(HARDWARE)
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "link.yaml").symlink_to(tmp_path / "box.yaml")
    assert "outside" in _refusal(_hostile(tmp_path / "sc", "link.yaml"))


def test_device_files_are_refused_even_from_an_allowed_folder(tmp_path: Path) -> None:
    path = _hostile(tmp_path, "/dev/zero")
    assert "outside" in _refusal(path)
    assert "not a regular file" in _refusal(path, include_dirs=["/dev"])


def test_fifo_and_directory_are_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    assert "not a regular file" in _refusal(_hostile(tmp_path, "pipe.yaml"))
    (tmp_path / "dir.yaml").mkdir()
    assert "not a regular file" in _refusal(_hostile(tmp_path, "dir.yaml"))


def test_oversized_include_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(HARDWARE + "#" * 100)
    data = {"hardware": [{"file": "big.yaml"}]}
    with pytest.raises(InputError, match="larger than"):
        expand_includes(data, IncludePolicy(tmp_path, max_bytes=len(HARDWARE)), "s.yaml")
    assert expand_includes(data, IncludePolicy(tmp_path), "s.yaml")["hardware"][0]["name"] == (
        "my-box"
    )


@pytest.mark.parametrize(
    "content",
    [
        "root:x:0:0:SECRET-Wq9:/root:/bin/bash\n",  # a string, not a mapping
        "SECRET-Wq9: 1\nname: b\n",  # an unknown field named by the secret
        "name: b\ntier: edge\nthroughput: SECRET-Wq9\nmemory: 1 GB\nidle_power: 1 W\n"
        "peak_power: 2 W\n",  # a value that is not a quantity
        "SECRET-Wq9: 1\nSECRET-Wq9: 2\n",  # a duplicate key (a YAML error)
        "[SECRET-Wq9\n",  # unclosed
        "name: b\n\xff SECRET-Wq9\n",  # not UTF-8
    ],
)
def test_errors_never_quote_the_included_text(tmp_path: Path, content: str) -> None:
    (tmp_path / "inc.yaml").write_bytes(content.encode("latin-1"))
    message = _refusal(_hostile(tmp_path, "inc.yaml"))
    assert "SECRET" not in message and "Wq9" not in message
    assert "inc.yaml" in message


def test_included_field_problems_name_the_field_path(tmp_path: Path) -> None:
    (tmp_path / "inc.yaml").write_text(HARDWARE.replace("memory: 4 GB", "memory: lots"))
    assert "entry 1: memory: not a quantity" in _refusal(_hostile(tmp_path, "inc.yaml"))


def test_cli_refuses_a_hostile_include_with_exit_2(tmp_path: Path) -> None:
    path = _hostile(tmp_path / "sc", "/etc/passwd")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: hardware[0].file: " in result.output and "root:" not in result.output
    assert "Traceback" not in result.output


def test_cli_allow_include_reads_the_named_folder(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "box.yaml").write_text(HARDWARE)
    path = _write(tmp_path / "sc")
    path.write_text(SCENARIO.replace("box.yaml", "../shared/box.yaml"))
    assert CliRunner().invoke(app, ["validate", str(path)]).exit_code == 2
    args = ["validate", str(path), "--allow-include", str(tmp_path / "shared")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
