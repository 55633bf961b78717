"""slimplace.results: one row shape and one gap rule for plans, simulations and schedules."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from slimplace.evaluate import Violation, evaluate
from slimplace.methods import default_registry
from slimplace.plan import Status
from slimplace.problem.compile import compile_problem
from slimplace.results import (
    COLUMNS,
    GAP_TOLERANCE,
    fill_gaps,
    plan_row,
    plan_summary,
    plan_table,
    relative_gap,
    relative_gaps,
    row_status,
    schedule_row,
    simulation_row,
    violation_reason,
    with_legacy_names,
)
from slimplace.solve import Result, compare, solve
from slimplace.testing import tiny_scenario


@pytest.fixture(scope="module")
def problem():  # type: ignore[no-untyped-def]
    return compile_problem(tiny_scenario(6, seed=2))


def test_gap_within_tolerance_is_zero_on_both_sides_and_larger_negative_gaps_stay() -> None:
    assert relative_gap(100.0, 100.0 + 0.5 * GAP_TOLERANCE * 100) == 0.0
    assert relative_gap(100.0, 100.0 - 0.5 * GAP_TOLERANCE * 100) == 0.0
    assert relative_gap(100.0, 90.0) == pytest.approx(0.1)
    assert relative_gap(100.0, 101.0) == pytest.approx(-0.01)
    assert math.isnan(relative_gap(100.0, None))
    assert math.isnan(relative_gap(math.inf, 1.0))
    # maximising (accuracy): the bound lies above the value
    assert relative_gap(0.8, 0.88, sense="max") == pytest.approx(0.1)


def test_vectorised_gap_agrees_with_the_scalar_rule() -> None:
    values = [100.0, 100.0, 100.0, 0.0, 50.0, np.nan]
    bounds = [100.0 + 1e-4, 90.0, 101.0, 0.0, np.nan, 1.0]
    got = relative_gaps(pd.Series(values), pd.Series(bounds)).to_numpy()
    want = [
        relative_gap(v, None if np.isnan(b) else b) for v, b in zip(values, bounds, strict=True)
    ]
    np.testing.assert_allclose(got, want, equal_nan=True)


def test_reason_counts_violated_kinds_in_order() -> None:
    found = [
        Violation("bandwidth", "a-b", "x"),
        Violation("slo", "d1", "x"),
        Violation("bandwidth", "b-c", "x"),
    ] + [Violation("slo", f"d{i}", "x") for i in range(4)]
    assert violation_reason(found) == "bandwidth x2; slo x5"
    assert violation_reason([]) == ""


def test_status_agrees_with_the_evaluator() -> None:
    assert row_status("feasible", False) == "violates"
    assert row_status("optimal", False) == "violates"
    assert row_status("optimal", True) == "optimal"
    assert row_status("infeasible", False) == "infeasible"
    assert row_status("time-limit", False) == "time-limit"


def test_plan_row_has_the_columns_in_order_and_a_violating_plan_says_why(problem) -> None:  # type: ignore[no-untyped-def]
    good = solve(problem, "greedy", seed=0)
    row = plan_row(problem, good.plan, good.evaluation)
    assert list(row)[: len(COLUMNS)] == list(COLUMNS)
    assert row["feasible"] and row["status"] in ("feasible", "optimal") and row["reason"] == ""
    assert row["energy_kwh"] == pytest.approx(good.evaluation.energy_j / 3.6e6)
    # the same plan with every server off claims "feasible" but breaks capacity
    broken = replace(good.plan, servers_on=np.zeros_like(good.plan.servers_on))
    bad = plan_row(problem, broken, evaluate(problem, broken))
    assert bad["status"] == "violates" and not bad["feasible"]
    assert "capacity x" in bad["reason"]
    assert math.isnan(bad["gap"])


def test_plan_row_carries_the_fixed_and_plan_power_split(problem) -> None:  # type: ignore[no-untyped-def]
    r = solve(problem, "greedy", seed=0)
    e = r.evaluation
    row = plan_row(problem, r.plan, e)
    assert row["fixed_w"] == pytest.approx(e.fixed_w)
    assert row["plan_w"] == pytest.approx(e.plan_w)
    assert row["fixed_w"] + row["plan_w"] == pytest.approx(row["power_w"])
    kinds = {k: v for k, v in row.items() if k.startswith("plan_") and k != "plan_w"}
    assert set(kinds) == {f"plan_{k}_w" for k in e.breakdown_w}
    assert sum(kinds.values()) == pytest.approx(row["plan_w"])


def test_plan_table_gaps_use_the_best_bound_of_all_methods(problem) -> None:  # type: ignore[no-untyped-def]
    results = compare(problem, ["milp", "lp-bound", "greedy"], seed=0)
    table = plan_table(problem, results, default_registry()).set_index("method")
    bound = max(r.plan.bound for r in results if r.plan.bound is not None)
    greedy = next(r for r in results if r.method == "greedy")
    want = relative_gap(greedy.evaluation.objective(problem.objective), bound)
    assert table.loc["greedy", "gap"] == pytest.approx(want)
    assert table.loc["milp", "gap"] >= 0
    # the summary of a plan carries the same status, reason and gap as its row
    summary = plan_summary(problem, greedy)
    own = plan_row(problem, greedy.plan, greedy.evaluation)
    assert (summary["status"], summary["reason"]) == (own["status"], own["reason"])


def test_fill_gaps_uses_the_instance_best_bound_and_the_same_rule() -> None:
    frame = pd.DataFrame(
        {
            "instance_id": ["a", "a", "a", "b"],
            "method": ["milp", "greedy", "random", "greedy"],
            "feasible": [True, True, False, True],
            "objective_value": [100.0 * (1 - 1e-7), 110.0, 90.0, 50.0],
            "bound": [100.0, np.nan, np.nan, np.nan],
            "gap": [np.nan, np.nan, np.nan, np.nan],
        }
    )
    out = fill_gaps(frame)
    assert out["gap"].iloc[0] == 0.0  # a tiny negative gap is 0, as in every table
    assert out["gap"].iloc[1] == pytest.approx(10 / 110)
    assert np.isnan(out["gap"].iloc[2]) and np.isnan(out["gap"].iloc[3])


def test_legacy_column_names_are_renamed() -> None:
    old = pd.DataFrame({"slo_met_fraction": [1.0], "mean_accuracy": [0.7]})
    assert list(with_legacy_names(old).columns) == ["slo_met", "accuracy"]


def test_simulation_row_has_the_same_columns(problem) -> None:  # type: ignore[no-untyped-def]
    from slimplace.sim import default_policies, simulate

    result = simulate(
        problem, default_policies().create("static"), horizon_s=3600.0, step_s=600.0, seed=0
    )
    row = simulation_row(problem, result.summary, plan_method=None)
    assert list(row)[: len(COLUMNS)] == list(COLUMNS)
    assert row["status"] == "simulated" and row["method"] == "static"
    assert row["power_w"] == pytest.approx(result.summary.mean_power_w)
    assert row["fixed_w"] + row["plan_w"] == pytest.approx(row["power_w"], rel=1e-6)


def test_schedule_row_has_the_same_columns_and_its_own_gap() -> None:
    from slimplace.scheduling import ExactMilp, check_schedule, compile_jobs, generate_jobs

    problem = compile_jobs(generate_jobs(8, 3, seed=2))
    schedule = ExactMilp(time_limit_s=20).solve(problem)
    check = check_schedule(problem, schedule)
    row = schedule_row(problem, schedule, check)
    assert list(row)[: len(COLUMNS)] == list(COLUMNS)
    assert row["feasible"] == check.feasible
    assert row["energy_kwh"] == pytest.approx(check.energy_j / 3.6e6)
    assert row["gap"] == relative_gap(check.energy_j, schedule.bound)
    assert row["gap"] >= 0.0


def test_result_is_still_the_public_pair(problem) -> None:  # type: ignore[no-untyped-def]
    r = solve(problem, "greedy", seed=0)
    assert isinstance(r, Result) and r.plan.status in (Status.FEASIBLE, Status.OPTIMAL)


def test_reason_of_a_method_without_a_plan_is_what_it_said() -> None:
    from slimplace.results import row_reason

    found = [Violation("coverage", "d1", "x")]
    assert row_reason("infeasible", "no node meets the SLO of d1", found).startswith("no node")
    assert row_reason("infeasible", "", found) == "coverage x1"
    assert row_reason("feasible", "heuristic", found) == "coverage x1"
    assert row_reason("optimal", "", []) == ""


def test_study_modules_import_without_a_cycle() -> None:
    """study.runner imports study.simulate, never the other way (issue 14); results.py
    imports neither solve nor study."""
    import ast
    from pathlib import Path

    import slimplace

    root = Path(slimplace.__file__).parent

    def imported(module: str) -> set[str]:
        tree = ast.parse((root / module).read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    assert "slimplace.study.runner" not in imported("study/simulate.py")
    assert "slimplace.study.runner" not in imported("study/instance.py")
    assert not {
        m for m in imported("results.py") if m.startswith(("slimplace.solve", "slimplace.study"))
    }


VIOLATES = """\
name: violates
settings: {max_utilisation: 0.7, horizon: 1 h, objective: energy, default_region: FRA}
nodes:
  - {id: cam-1, tier: device}
  - {id: edge-1, tier: edge, hardware: jetson-orin-nano}
  - {id: dc, tier: cloud, hardware: xeon-server, count: 2, pue: 1.2, region: DEU}
links:
  - {a: cam-1, b: edge-1, kind: wifi}
  - {a: edge-1, b: dc, kind: wan, bandwidth: 40 Mbit/s}
applications:
  - {id: a1, family: s-mobilenet-v1, sources: [{node: cam-1, rate: 25/s}], request: 150 kB,
     response: 1 kB, slo: 500 ms, accuracy_floor: 60 %}
  - {id: a2, family: s-mobilenet-v1, sources: [{node: cam-1, rate: 25/s}], request: 150 kB,
     response: 1 kB, slo: 500 ms, accuracy_floor: 60 %}
"""


def test_solve_command_shows_the_row_status_and_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each application alone fits the 40 Mbit/s link to the cloud, both (60 Mbit/s) do
    not: cloud-only returns a plan that breaks it, shown as `violates` with the reason."""
    import json

    from typer.testing import CliRunner

    from slimplace.cli import app

    scenario, out = tmp_path / "s.yaml", tmp_path / "plan.json"
    scenario.write_text(VIOLATES)
    r = CliRunner().invoke(
        app, ["solve", str(scenario), "--method", "cloud-only", "--json", str(out)]
    )
    assert "(violates," in r.output and "(bandwidth x1)" in r.output, r.output
    summary = json.loads(out.read_text())
    assert (summary["status"], summary["reason"]) == ("violates", "bandwidth x1")
    r = CliRunner().invoke(
        app, ["compare", str(scenario), "--methods", "cloud-only,greedy"], env={"COLUMNS": "200"}
    )
    assert "violates" in r.output and "bandwidth x1" in r.output


def test_a_plan_already_marked_violates_keeps_it_and_names_the_kinds() -> None:
    from slimplace.results import row_reason

    found = [Violation("slo", "d1", "x"), Violation("slo", "d2", "x")]
    assert row_status("violates", False) == "violates"
    assert row_reason("violates", "the evaluator rejects the plan", found) == "slo x2"
