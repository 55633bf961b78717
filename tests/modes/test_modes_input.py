"""Bad power modes and batch curves: exit code 2 naming the file and field; good ones
round-trip through a scenario file; a profile without modes changes nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import MilpSolver
from slimplace.problem.compile import compile_problem
from slimplace.problem.modes import expand_operating_points
from slimplace.scenario.io import load_scenario
from slimplace.scenario.model import PowerMode
from slimplace.testing import small_problem, tiny_scenario

DATA = Path(__file__).resolve().parent / "data"

CASES = [
    ("modes_non_monotone_power.yaml", "power_modes[1].peak_power", "non-monotone power"),
    ("modes_non_monotone_throughput.yaml", "power_modes[2].throughput_factor", "non-monotone"),
    ("batch_energy_rises.yaml", "batching.throughput_factor", "energy per inference rises"),
]


@pytest.mark.parametrize(("name", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_modes_and_curves_exit_2_naming_the_field(name: str, where: str, words: str) -> None:
    path = DATA / name
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output and where in result.output and words in result.output
    with pytest.raises(InputError):
        load_scenario(path)


def test_valid_modes_and_batching_load_and_compile() -> None:
    scenario = load_scenario(DATA / "valid_modes.yaml")
    box = scenario.hardware_by_name()["box"]
    assert [m.name for m in box.power_modes] == ["fast", "slow"]
    assert box.batching is not None and box.batching.batch_sizes == (1, 4)
    p = compile_problem(scenario)
    assert set(p.mode_names) == {"fast", "slow"} and 1 in p.cand_batch


def test_a_problem_without_modes_or_batching_is_left_as_it_was() -> None:
    p = small_problem()
    assert expand_operating_points(p) is p
    assert (p.cand_mode == -1).all() and (p.cand_batch == 1).all() and p.cand_reference.all()


@pytest.mark.parametrize("solver", [MilpSolver(time_limit_s=30), GreedySolver(time_limit_s=10)])
def test_one_mode_equal_to_the_profile_gives_the_same_plan(solver: object) -> None:
    """A profile listing one mode with its own figures is the profile without modes."""
    plain = tiny_scenario()
    one = replace(
        plain,
        hardware=tuple(
            replace(h, power_modes=(PowerMode("only", 1.0, h.idle_power_w, h.peak_power_w),))
            if h.power_curve is None
            else h
            for h in plain.hardware
        ),
    )
    p0, p1 = compile_problem(plain), compile_problem(one)
    assert p1.n_candidates == p0.n_candidates and len(p1.mode_node) > 0
    for name in ("cand_service_s", "cand_latency_s", "cand_dyn_energy_j", "node_idle_w"):
        assert np.array_equal(getattr(p0, name), getattr(p1, name)), name
    a = solver.solve(p0)  # type: ignore[attr-defined]
    b = solver.solve(p1)  # type: ignore[attr-defined]
    assert np.allclose(a.x, b.x) and np.array_equal(a.servers_on, b.servers_on)
    assert evaluate(p0, a).power_w == pytest.approx(evaluate(p1, b).power_w, rel=1e-12)


def test_switching_modes_costs_the_new_modes_switch_energy_per_server() -> None:
    from modes_scenarios import FAST, one_node

    from slimplace.problem.modes import fastest_modes, resting_modes, switch_energy_j

    slow = PowerMode("slow", 0.5, 5.0, 20.0, switch_energy_j=40.0)
    p = compile_problem(one_node(5.0, (FAST, slow)))
    assert switch_energy_j(p, fastest_modes(p), resting_modes(p)) == pytest.approx(40.0)
    assert switch_energy_j(p, fastest_modes(p), fastest_modes(p)) == 0.0
