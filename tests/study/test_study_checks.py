"""Sweeps refuse what cannot run before running it, and trial ids follow included files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from slimplace.errors import InputError
from slimplace.study import expand_trials, load_results, loads_spec, run_sweep
from slimplace.study.trials import count_trials


def _spec(body: str):  # type: ignore[no-untyped-def]
    return loads_spec("name: checks\nparameters: {scenario: tiny, n_devices: 4}\n" + body)


@pytest.mark.parametrize(
    ("body", "where", "said"),
    [
        ("axes: {method: [cloud-only, edge-frist]}", "axes.method[1]", "did you mean edge-first"),
        ("run: compare\naxes: {methods: [[greedy, nope]]}", "axes.methods[0]", "unknown method"),
        ("run: simulate\naxes: {policy: [static, reactiv]}", "axes.policy[1]", "unknown policy"),
        ("axes: {time_limit_s: [10, -1]}", "axes.time_limit_s[1]", "greater than 0"),
        ("axes: {load_scale: [0]}", "axes.load_scale[0]", "greater than 0"),
        ("axes: {objective: [energy, joules]}", "axes.objective[1]", "energy or carbon"),
        ("axes: {variants: [some]}", "axes.variants[0]", "pareto or cheapest or all"),
        ("axes: {n_devices: [0]}", "axes.n_devices[0]", "at least 1"),
        ("axes: {time_limit_s: [.inf]}", "axes.time_limit_s[0]", "greater than 0"),
    ],
)
def test_bad_values_are_refused_before_any_trial_runs(
    tmp_path: Path, body: str, where: str, said: str
) -> None:
    with pytest.raises(InputError) as err:
        run_sweep(_spec(body), tmp_path / "out", executor="serial")
    text = str(err.value)
    assert where in text and said in text, text
    assert not (tmp_path / "out" / "trials").exists()


def test_negative_seed_and_workers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="seed"):
        loads_spec("name: x\nseed: -1\n")
    with pytest.raises(InputError, match="at least 1"):
        run_sweep(_spec(""), tmp_path, executor="local", workers=0)
    with pytest.raises(InputError, match="at least 1"):
        run_sweep(_spec(""), tmp_path, executor="local", workers=-3)


def test_a_grid_of_millions_is_counted_and_refused_without_being_built(tmp_path: Path) -> None:
    values = ", ".join(str(0.5 + i / 1000) for i in range(1000))
    spec = _spec(
        f"axes: {{load_scale: [{values}], time_limit_s: [{values.replace('0.', '1.')}]}}\nseeds: 5"
    )
    assert count_trials(spec) == 5_000_000
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        run_sweep(spec, tmp_path, executor="serial")
    assert time.perf_counter() - t0 < 30  # refused by counting, not by building 5M trials
    text = str(err.value)
    assert "5,000,000 trials" in text and "1000 load_scale x 1000 time_limit_s x 5 seeds" in text
    with pytest.raises(InputError, match="at most 10"):
        expand_trials(_spec("axes: {load_scale: [0.5, 1.0]}\nseeds: 6"), max_trials=10)


HARDWARE = """\
hardware:
  - {name: my-box, tier: edge, throughput: 1 TFLOP/s, memory: 4 GB,
     idle_power: 5 W, peak_power: 15 W}
"""

SCENARIO = """\
name: include
hardware: [{file: box.yaml}]
nodes:
  - {id: cam, tier: device}
  - {id: edge, tier: edge, hardware: my-box}
links:
  - {a: cam, b: edge, kind: wifi}
applications:
  - {id: a, family: s-mobilenet-v1, sources: [{node: cam, rate: 5/s}], request: 1 kB,
     response: 100 B, slo: 300 ms, accuracy_floor: 60 %}
"""


def test_trial_ids_change_when_an_included_file_changes(tmp_path: Path) -> None:
    (tmp_path / "box.yaml").write_text(HARDWARE)
    (tmp_path / "s.yaml").write_text(SCENARIO)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("name: inc\nparameters: {scenario: s.yaml, method: greedy}\n")
    from slimplace.study import load_spec

    before = [t.trial_id for t in expand_trials(load_spec(spec_file))]
    (tmp_path / "box.yaml").write_text(HARDWARE.replace("15 W", "25 W"))
    after = [t.trial_id for t in expand_trials(load_spec(spec_file))]
    assert before != after
    # the trial runs wherever the process is: the include is read next to the scenario
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    summary = run_sweep(spec_file, elsewhere / "out", executor="serial")
    assert (summary.done, summary.failed) == (1, 0)
    assert load_results(elsewhere / "out")["feasible"].all()


def test_a_device_as_include_is_not_read_for_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("box.yaml", "/dev/zero"))
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("name: inc\nparameters: {scenario: s.yaml, method: greedy}\n")
    from slimplace.study import load_spec

    t0 = time.perf_counter()
    assert len(expand_trials(load_spec(spec_file))) == 1
    assert time.perf_counter() - t0 < 10
