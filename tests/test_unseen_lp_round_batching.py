"""Regression from the unseen-input sweep: ``lp-round`` (and ``decomposed``, which runs it per
region) with batching hardware.

An imported network whose metro T4s are the catalog's ``t4-server-batching`` (as in
``examples/demo-modes.yaml``) has a feasible plan (greedy and milp find one), but lp-round's
rounding does not know the batch rules: its plan put a few requests on batch streams that
never fill, 7 s batch waits against 185 ms SLOs, and it reported INFEASIBLE ("slo x20") on
zoo:Nordu2010, zoo:Abilene, sndlib:polska and on examples/demo-modes.yaml. It now runs the
mode search around itself when its rounded plan breaks a mode or batch rule.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.evaluate import evaluate
from slimplace.methods import default_registry
from slimplace.plan import Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.modes import needs_mode_search
from slimplace.scenario.io import load_scenario


@pytest.fixture(scope="module")
def batching_nordu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nordu") / "nordu.yaml"
    res = CliRunner().invoke(app, ["import", "zoo:Nordu2010", "-o", str(path), "--seed", "0"])
    assert res.exit_code == 0, res.output
    text = path.read_text()
    assert "hardware: t4-server\n" in text
    path.write_text(text.replace("hardware: t4-server\n", "hardware: t4-server-batching\n"))
    return path


@pytest.mark.parametrize("method", ["lp-round", "decomposed"])
def test_lp_round_finds_a_plan_the_evaluator_accepts_with_batching(
    batching_nordu: Path, method: str
) -> None:
    problem = compile_problem(load_scenario(batching_nordu))
    assert needs_mode_search(problem)
    solver = default_registry().create(method, time_limit_s=20.0)
    plan = solver.solve(problem, seed=0)
    assert plan.status is Status.FEASIBLE, plan.reason
    result = evaluate(problem, plan)
    assert result.feasible, result.violations[:3]
    if plan.bound is not None:  # the first LP's value, with the mode rows: a lower bound
        assert plan.bound <= plan.objective + 1e-6
    greedy = default_registry().create("greedy", time_limit_s=20.0).solve(problem, seed=0)
    assert greedy.objective is not None and plan.objective is not None
    assert plan.objective <= greedy.objective * 1.05  # as good as greedy's mode search, 5 %
