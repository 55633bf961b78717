import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.explain import (
    BREAKDOWN_KINDS,
    POWER_KINDS,
    Lever,
    NotApplicable,
    accounting,
    default_levers,
    explain,
    restrict_candidates,
)
from slimplace.explain_plot import waterfall_figure
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import save_scenario
from slimplace.solve import GAP_TOLERANCE
from slimplace.testing import tiny_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def energy_explained():
    return explain(compile_problem(tiny_scenario(8, seed=1)), time_limit_s=20)


@pytest.fixture(scope="module")
def carbon_explained():
    return explain(compile_problem(tiny_scenario(8, seed=1)), objective="carbon", time_limit_s=20)


def _assert_no_ablation_below_bound(ex) -> None:
    assert ex.bound is not None and ex.gap is not None
    floor = ex.bound - GAP_TOLERANCE * abs(ex.full.value)
    for o in ex.levers:
        if o.feasible:
            assert o.value >= floor, o.name
    assert ex.consistent and ex.below_bound() == []


def test_exact_method_no_ablation_below_the_full_plan(energy_explained, carbon_explained) -> None:
    for ex in (energy_explained, carbon_explained):
        assert ex.feasible and ex.status == "optimal"
        _assert_no_ablation_below_bound(ex)


def test_every_lever_of_issue_12_is_reported(energy_explained) -> None:
    levers = {o.name: o for o in energy_explained.levers}
    assert list(levers)[:4] == ["placement", "compression", "sleep", "carbon"]
    for name in ("power-modes", "batching"):  # issue 18: no modes or batching here
        assert levers[name].status == "not-applicable"
    assert levers["routing"].status == "not-applicable"  # fixed routes (k_paths = 1)
    assert (
        levers["placement"].feasible and levers["placement"].saving(energy_explained.full.value) > 0
    )
    assert levers["sleep"].feasible and levers["sleep"].value > energy_explained.full.value
    assert levers["carbon"].status == "not-applicable" and levers["carbon"].value is None
    assert levers["carbon"].saving(energy_explained.full.value) is None


def test_carbon_lever_plans_for_energy_and_measures_carbon(carbon_explained) -> None:
    ex = carbon_explained
    carbon = {o.name: o for o in ex.levers}["carbon"]
    assert carbon.feasible and carbon.value is not None
    assert carbon.gap is None  # the energy plan has no proven gap in carbon
    assert carbon.value >= ex.full.value * (1 - GAP_TOLERANCE)
    assert ex.unit == "gCO2e/h"


def test_accounting_splits_the_objective_into_fixed_and_plan_dependent(energy_explained) -> None:
    acc = energy_explained.full
    assert acc.fixed > 0 and acc.plan > 0
    assert acc.value == pytest.approx(acc.fixed + acc.plan)
    assert sum(acc.breakdown[k] for k in POWER_KINDS) == pytest.approx(acc.plan, rel=1e-9)
    assert acc.breakdown["embodied"] is None  # carbon only


def test_carbon_accounting_breakdown_sums_to_the_plan_part(carbon_explained) -> None:
    acc = carbon_explained.full
    total = sum(v for v in acc.breakdown.values() if v is not None)
    assert total == pytest.approx(acc.plan, rel=1e-9)


def test_fixed_part_is_the_least_any_plan_draws() -> None:
    p = compile_problem(tiny_scenario(6, seed=3))
    from slimplace.solve import solve

    for method in ("milp", "greedy", "edge-first", "cloud-only"):
        r = solve(p, method, time_limit_s=10)
        acc = accounting(p, r.plan, r.evaluation, "energy")
        assert acc.plan >= -1e-9, method
        assert acc.fixed == pytest.approx(
            float(
                (
                    p.node_pue
                    * np.where(p.node_always_on, p.node_idle_w, p.node_sleep_w)
                    * p.node_count
                ).sum()
            )
        )


def test_transformations_restrict_the_problem_only() -> None:
    p = compile_problem(tiny_scenario(8, seed=1))
    levers = {lv.name: lv for lv in default_levers()}
    cloud = levers["placement"].remove(p, "energy")
    assert not isinstance(cloud, NotApplicable)
    assert set(cloud.node_tier[cloud.cand_node]) == {3}
    assert cloud.demand_ptr[-1] == cloud.n_candidates
    compressed = levers["compression"].remove(p, "energy")
    assert not isinstance(compressed, NotApplicable)
    assert len(np.unique(compressed.cand_variant)) < len(np.unique(p.cand_variant))
    on = levers["sleep"].remove(p, "energy")
    assert not isinstance(on, NotApplicable)
    assert on.node_always_on[p.node_ids.index("cloud")] and not p.node_always_on.all()
    assert isinstance(levers["carbon"].remove(p, "energy"), NotApplicable)
    assert levers["carbon"].remove(p, "carbon").objective == "energy"


def test_ablation_without_candidates_is_infeasible_not_a_saving() -> None:
    # SLOs only edge and metro nodes can meet: cloud-only has no candidate
    s = tiny_scenario(8, seed=1)
    apps = tuple(dataclasses.replace(a, latency_slo_s=0.04) for a in s.applications)
    p = compile_problem(dataclasses.replace(s, applications=apps))
    ex = explain(p, time_limit_s=20)
    placement = {o.name: o for o in ex.levers}["placement"]
    assert not placement.feasible and placement.status == "infeasible"
    assert "no admissible candidate" in placement.reason
    assert placement.saving(ex.full.value) is None
    assert "placement" not in ex.ranking()
    assert ex.to_json()["levers"]["placement"]["saving"] is None


def test_ablation_the_solver_cannot_place_is_infeasible() -> None:
    def overloaded(q, objective):
        return dataclasses.replace(q, demand_rate_per_s=q.demand_rate_per_s * 1e4)

    p = compile_problem(tiny_scenario(6, seed=1))
    ex = explain(
        p, levers=[Lever("load", "ten thousand times the load", overloaded)], time_limit_s=10
    )
    (o,) = ex.levers
    assert not o.feasible and o.value is None and o.reason
    assert o.status in ("infeasible", "time-limit", "violates")


def test_waterfall_shows_only_feasible_savings(energy_explained) -> None:
    import matplotlib.pyplot as plt

    fig = waterfall_figure(energy_explained)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "every lever" and "no carbon" not in labels
    assert "no placement" in labels and labels[-1].startswith("sum")
    plt.close(fig)


def test_cli_explain_table_json_and_plot(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(tiny_scenario(6, seed=2), scenario)
    out = tmp_path / "json" / "levers.json"
    result = runner.invoke(
        app,
        [
            "explain",
            str(scenario),
            "--time-limit",
            "10",
            "--json",
            str(out),
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "what each lever buys" in result.output and "consistent" in result.output
    doc = json.loads(out.read_text())
    assert {"objective", "unit", "value", "fixed", "breakdown", "levers"} <= set(doc)
    assert set(doc["breakdown"]) == set(BREAKDOWN_KINDS)
    for lever in doc["levers"].values():
        assert {"value", "feasible", "status", "reason"} <= set(lever)
    assert (tmp_path / "o" / "waterfall.png").stat().st_size > 0


def test_cli_explain_json_to_stdout(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(tiny_scenario(6, seed=2), scenario)
    result = runner.invoke(
        app,
        ["explain", str(scenario), "--objective", "carbon", "--time-limit", "10", "--json", "-"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["objective"] == "carbon" and doc["levers"]["carbon"]["feasible"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "milpp"], "milp"),
        (["--objective", "co2"], "energy or carbon"),
        (["--time-limit", "0"], "positive"),
    ],
)
def test_cli_explain_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(tiny_scenario(6, seed=2), scenario)
    result = runner.invoke(app, ["explain", str(scenario), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_explain_refuses_an_output_folder_that_is_a_file(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    save_scenario(tiny_scenario(6, seed=2), scenario)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["explain", str(scenario), "-o", str(blocker)])
    assert result.exit_code == 2 and "expected a folder" in result.output


def test_restrict_candidates_keeps_demands() -> None:
    p = compile_problem(tiny_scenario(6, seed=1))
    keep = np.zeros(p.n_candidates, dtype=bool)
    keep[p.demand_ptr[:-1]] = True
    sub = restrict_candidates(p, keep)
    assert sub.n_demands == p.n_demands and sub.n_candidates == p.n_demands
    assert (np.diff(sub.demand_ptr) == 1).all()


def test_no_saving_is_stated_against_an_infeasible_full_plan() -> None:
    p = compile_problem(tiny_scenario(6, seed=1, rate_scale=30))
    ex = explain(p, time_limit_s=10)
    assert not ex.feasible
    assert all(ex.saving(o) is None for o in ex.levers)
    assert ex.ranking() == []
    assert all(v["saving"] is None for v in ex.to_json()["levers"].values())


def test_a_method_without_bound_is_not_called_consistent() -> None:
    p = compile_problem(tiny_scenario(6, seed=1))
    ex = explain(p, method="greedy", time_limit_s=10)
    assert ex.bound is None and ex.consistent is None
    assert ex.to_json()["consistent"] is None
    assert all(isinstance(name, str) for name in ex.below_full())


def test_ranking_leaves_out_savings_within_the_gap(carbon_explained) -> None:
    ex = carbon_explained
    carbon = {o.name: o for o in ex.levers}["carbon"]
    # on the tiny scenario the energy plan is the carbon plan: the lever buys nothing
    assert abs(ex.saving(carbon)) <= ex.resolution()
    assert "carbon" not in ex.ranking()
    assert ex.ranking()[0] == "sleep"


def test_sleep_lever_leaves_elastic_capacity_alone() -> None:
    s = tiny_scenario(6, seed=1)
    nodes = tuple(
        dataclasses.replace(n, ownership="elastic") if n.tier == "cloud" else n for n in s.nodes
    )
    p = compile_problem(dataclasses.replace(s, nodes=nodes))
    cloud = p.node_ids.index("cloud")
    on = {lv.name: lv for lv in default_levers()}["sleep"].remove(p, "energy")
    assert not isinstance(on, NotApplicable)
    assert not on.node_always_on[cloud] and on.node_always_on[p.node_ids.index("metro")]
    ex = explain(p, time_limit_s=10)
    assert ex.full.fixed == pytest.approx(ex.result.evaluation.fixed_w)
    assert ex.consistent
