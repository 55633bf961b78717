"""Job files: the example loads, save/load round-trips, scenario machines and routes, and
every bad file gives an InputError naming the path, and exit code 2 from the CLI with
nothing written and no traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from slimplace.catalog import load_catalog
from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scheduling import compile_jobs, dump_jobs, generate_jobs, load_jobs, loads_jobs

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jobs-small.yaml"

BASE: dict[str, Any] = {
    "name": "t",
    "machines": [
        {"id": "edge", "hardware": "jetson-agx-orin", "node": "campus"},
        {"id": "dc", "hardware": "a100-server", "pue": 1.2, "node": "dc"},
    ],
    "jobs": [
        {"id": "a", "family": "us-mobilenet-v1", "work": 1e6, "deadline": "1 h",
         "accuracy_floor": "65 %", "split": True},
        {"id": "b", "family": "s-mobilenet-v1", "work": "2e6", "release": "10 min",
         "deadline": "2 h", "input": {"node": "dc", "size": "1 GB"}},
    ],
}  # fmt: skip


def _doc(edit: Any = None) -> str:
    doc = copy.deepcopy(BASE)
    if edit is not None:
        edit(doc)
    return yaml.safe_dump(doc, sort_keys=False)


def _set(path: str, value: Any) -> Any:
    def edit(doc: Any) -> None:
        *head, last = path.split(".")
        node = doc
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return edit


_DELETE = object()

SCENARIO = """
name: net
nodes:
  - {id: cam, tier: device}
  - {id: edge, tier: edge, hardware: jetson-orin-nano}
  - {id: dc, tier: cloud, hardware: xeon-server, count: 2}
links:
  - {a: cam, b: edge, kind: wifi}
  - {a: edge, b: dc, kind: wan}
"""

BAD_BOX = {"name": "box", "tier": "edge", "throughput": "1 TFLOP/s", "memory": "4 GB",
           "idle_power": "9 W", "peak_power": "5 W"}  # fmt: skip

# (edit of BASE or raw text, path inside the file, words of the message)
CASES: list[tuple[Any, str, str]] = [
    ("jobs: [\n  - {id: a\n", "", "YAML syntax error"),
    ("", "", "empty"),
    ("- a\n- b\n", "", "top level must be a mapping"),
    ("name: t\nname: u\njobs: []\n", "", "duplicate key 'name'"),
    (_set("jobs.0.colour", "red"), "jobs[0].colour", "unknown field 'colour'"),
    (_set("jobs.0.deadline", _DELETE), "jobs[0].deadline", "missing"),
    (_set("jobs.0.deadline", "5 kB"), "jobs[0].deadline", "'5 kB' is not a time"),
    (_set("jobs.0.deadline", "soon"), "jobs[0].deadline", "cannot read 'soon'"),
    (_set("jobs.0.work", -3), "jobs[0].work", "greater than 0"),
    (_set("jobs.0.accuracy_floor", 1.5), "jobs[0].accuracy_floor", "between 0 and 1"),
    (_set("jobs.1.release", "3 h"), "jobs[1].deadline", "must be after the release"),
    (_set("jobs.1.id", "a"), "jobs[1].id", "duplicate job id 'a'"),
    (_set("jobs.0.family", "us-mobilenet-v9"), "jobs[0].family", "unknown model family"),
    (_set("jobs.0.accuracy_floor", 0.9), "jobs[0].accuracy_floor", "its best is '1.0x' at 0.718"),
    (_set("jobs.1.input.size", _DELETE), "jobs[1].input.size", "missing"),
    (_set("jobs.1.input.size", "3 s"), "jobs[1].input.size", "is not a size"),
    (_set("jobs", []), "jobs", "at least 1"),
    (_set("machines.0.hardware", "jetson-agx"), "machines[0].hardware", "did you mean"),
    (_set("machines.1.link", "lann"), "machines[1].link", "unknown link kind 'lann'"),
    (_set("machines.1.id", "edge"), "machines[1].id", "duplicate machine id 'edge'"),
    (_set("machines.0.count", 0), "machines[0].count", "1 or more"),
    (_set("machines.1.pue", 0.8), "machines[1].pue", "1 or more"),
    (_set("machines", []), "machines", "no machines"),
    (_set("settings", {"budget": "5 W"}), "settings.budget", "is not an energy"),
    (_set("settings", {"objective": "speed"}), "settings.objective", "'energy' or 'accuracy'"),
    (_set("settings", {"idle": "off"}), "settings.idle", "'sleep' or 'awake'"),
    (_set("scenario", "missing.yaml"), "scenario", "no scenario file"),
    (_set("hardware", [BAD_BOX]), "hardware[0].peak_power", "at least idle_power"),
]


def _write(tmp_path: Path, case: Any) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(case if isinstance(case, str) else _doc(case), encoding="utf-8")
    return path


@pytest.mark.parametrize(("case", "where", "words"), CASES)
def test_bad_job_file_names_path_and_problem(tmp_path: Path, case: Any, where: str, words: str):
    path = _write(tmp_path, case)
    with pytest.raises(InputError) as info:
        load_jobs(path)
    assert info.value.file == str(path)
    problems = {p.path: p.message for p in info.value.problems}
    assert where in problems, problems
    assert words in problems[where], problems[where]


@pytest.mark.parametrize(("case", "where", "words"), CASES)
def test_bad_job_file_exits_2_and_writes_nothing(tmp_path: Path, case: Any, where: str, words: str):
    path = _write(tmp_path, case)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["schedule", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_not_utf8_file(tmp_path: Path):
    path = tmp_path / "jobs.yaml"
    path.write_bytes(b"name: t\xff\n")
    with pytest.raises(InputError, match="UTF-8"):
        load_jobs(path)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--budget", "5 W"], "is not an energy"),
        (["--budget", "-3 J"], "greater than 0"),
        (["--objective", "speed"], "energy or accuracy"),
        (["--method", "milpp"], "did you mean milp"),
        (["--objective", "accuracy"], "needs an energy budget"),
        (["--points", "1", "--pareto"], "at least 2"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], words: str):
    path = _write(tmp_path, None)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["schedule", str(path), "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert not out.exists()


def test_example_loads_with_units_and_counts():
    jobs = load_jobs(EXAMPLE)
    assert [m.id for m in jobs.machines] == ["edge#1", "edge#2", "metro-t4", "dc-a100"]
    footage = jobs.jobs[0]
    assert footage.deadline_s == 8 * 3600 and footage.input_bytes == 40e9
    assert footage.accuracy_floor == pytest.approx(0.68) and footage.splittable
    assert jobs.settings.budget_j == 3e6
    assert jobs.jobs[3].weight == 2.0


def test_dump_then_load_is_equal():
    original = generate_jobs(6, 3, seed=4, n_sites=2, bytes_per_inference=1e3)
    again = loads_jobs(dump_jobs(original))
    assert again.jobs == original.jobs
    assert again.machines == original.machines
    assert again.hardware == original.hardware
    assert again.families == original.families


def test_inline_family_round_trips():
    text = _doc(
        lambda d: d.update(
            families=[{"name": "tiny", "variants": [
                {"name": "big", "accuracy": 0.8, "flops": 2e9, "params": 1, "memory": "4 MB"},
                {"name": "small", "accuracy": 0.7, "flops": 1e9, "params": 1, "memory": "2 MB"},
            ]}],
            jobs=[{"id": "x", "family": "tiny", "work": 1000, "deadline": "1 h"}],
        )
    )  # fmt: skip
    jobs = loads_jobs(text)
    assert loads_jobs(dump_jobs(jobs)).families == jobs.families


def test_scenario_servers_become_machines_and_inputs_are_routed(tmp_path: Path):
    (tmp_path / "net.yaml").write_text(SCENARIO, encoding="utf-8")
    text = _doc(
        lambda d: d.update(
            scenario="net.yaml",
            machines=[{"id": "extra", "hardware": "t4-server", "node": "edge"}],
            jobs=[{"id": "j", "family": "s-mobilenet-v1", "work": 1e4, "deadline": "1 h",
                   "input": {"node": "cam", "size": "100 MB"}}],
        )
    )  # fmt: skip
    path = tmp_path / "jobs.yaml"
    path.write_text(text, encoding="utf-8")
    jobs = load_jobs(path)
    assert [m.id for m in jobs.machines] == ["edge", "dc#1", "dc#2", "extra"]
    p = compile_jobs(jobs)
    bits = 8 * 100e6
    kinds = load_catalog().link_kinds
    wifi, wan = kinds["wifi"], kinds["wan"]
    to_edge = wifi.latency_s + bits / wifi.bandwidth_bps
    assert p.transfer_s[0, 0] == pytest.approx(to_edge)
    assert p.transfer_s[0, 3] == pytest.approx(to_edge)  # the extra machine sits at the edge
    assert p.transfer_s[0, 1] == pytest.approx(to_edge + wan.latency_s + bits / wan.bandwidth_bps)
    assert p.network_energy_j[0, 1] == pytest.approx(
        bits * (wifi.energy_j_per_bit + wan.energy_j_per_bit)
    )
    only = yaml.safe_load(text)
    only["machines"] = []
    alone = loads_jobs(yaml.safe_dump(only), base_dir=tmp_path)
    assert compile_jobs(alone).transfer_s[0, 0] == pytest.approx(to_edge)
    bad = text.replace("node: cam", "node: camm")
    with pytest.raises(InputError) as info:
        loads_jobs(bad, base_dir=tmp_path)
    assert "did you mean 'cam'" in info.value.problems[0].message
