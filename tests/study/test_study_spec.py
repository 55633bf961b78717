"""Sweep specs: parsing, every problem reported with its path, paths resolved."""

from pathlib import Path

import pytest

from slimplace.errors import InputError
from slimplace.study.spec import SweepSpec, dump_spec, load_spec, loads_spec

GOOD = """
name: small
seed: 3
run: compare
parameters:
  scenario: tiny
  n_devices: 4
  methods: [cloud-only, edge-first]
axes:
  load_scale: [0.5, 1.0]
seeds: 2
"""


def test_good_spec_reads_and_round_trips() -> None:
    spec = loads_spec(GOOD)
    assert spec.run == "compare"
    assert spec.parameters["methods"] == ["cloud-only", "edge-first"]
    assert spec.axes == {"load_scale": [0.5, 1.0]}
    assert loads_spec(dump_spec(spec)) == spec


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        loads_spec(text, file="s.yaml")
    assert info.value.file == "s.yaml"
    return {p.path: p.message for p in info.value.problems}


def test_unknown_fields_and_parameters_are_named() -> None:
    problems = _problems(
        "name: x\nrun: solve\nsweeps: 3\nparameters: {n_appz: 2}\naxes: {methd: [a]}\n"
    )
    assert "unknown field" in problems["sweeps"]
    assert "unknown parameter" in problems["parameters.n_appz"]
    assert "n_apps" in problems["parameters.n_appz"]  # the known names are listed
    assert "axes.methd" in problems


def test_bad_values_are_reported_with_their_path() -> None:
    problems = _problems("name: 'bad name'\nrun: optimise\nseed: -1\naxes: {method: []}\n")
    assert set(problems) >= {"name", "run", "seed", "axes.method"}


def test_repeated_axis_value_and_seeds_with_replicate_axis() -> None:
    problems = _problems("name: x\naxes: {load_scale: [1, 1.0], replicate: [0, 1]}\nseeds: 3\n")
    assert "repeats" in problems["axes.load_scale"]
    assert "seeds" in problems


def test_not_yaml_or_not_a_mapping() -> None:
    assert _problems("name: [x\n")
    assert _problems("- a\n- b\n")


def test_scenario_files_resolve_against_the_spec_folder(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text("name: n\n")
    spec_file = tmp_path / "sweep.yaml"
    spec_file.write_text(
        "name: x\nparameters: {scenario: net.yaml}\naxes: {scenario: [tiny, net.yaml]}\n"
    )
    spec = load_spec(spec_file)
    assert spec.parameters["scenario"] == str(tmp_path / "net.yaml")
    assert spec.axes["scenario"] == ["tiny", str(tmp_path / "net.yaml")]


def test_missing_scenario_file_is_a_problem(tmp_path: Path) -> None:
    spec_file = tmp_path / "sweep.yaml"
    spec_file.write_text("name: x\naxes: {scenario: [tiny, missing.yaml]}\n")
    with pytest.raises(InputError) as info:
        load_spec(spec_file)
    assert info.value.problems[0].path == "axes.scenario[1]"


def test_spec_is_frozen() -> None:
    spec = SweepSpec(name="x")
    with pytest.raises(ValueError):
        spec.seed = 3  # type: ignore[misc]
