import dataclasses

import pytest

from slimplace.problem.compile import compile_problem
from slimplace.savings import savings_vs_baselines
from slimplace.solve import compare
from slimplace.testing import tiny_scenario


@pytest.fixture(scope="module")
def tight():
    """SLOs no datacenter meets: the cloud-only baseline has no feasible plan."""
    s = tiny_scenario(8, seed=1)
    apps = tuple(dataclasses.replace(a, latency_slo_s=0.04) for a in s.applications)
    p = compile_problem(dataclasses.replace(s, applications=apps))
    methods = ["milp", "greedy", "cloud-only", "edge-first", "no-compression"]
    return p, compare(p, methods, time_limit_s=10)


def test_infeasible_baselines_are_named_never_savings(tight) -> None:
    p, results = tight
    s = savings_vs_baselines(p, results)
    bad = {b.method: b for b in s.infeasible_baselines()}
    assert (
        "cloud-only" in bad and bad["cloud-only"].saving_plan is None and bad["cloud-only"].reason
    )
    ref = s.best_feasible_baseline()
    assert ref is not None and ref.method != "cloud-only" and ref.feasible
    feasible_values = [
        r.evaluation.objective("energy")
        for r in results
        if r.evaluation.feasible and r.method in ("edge-first", "no-compression")
    ]
    assert ref.value == pytest.approx(min(feasible_values))
    text = "\n".join(s.headline())
    assert "not compared" in text and "cloud-only" in text


def test_saving_on_the_plan_part_is_larger_than_on_the_total(tight) -> None:
    p, results = tight
    s = savings_vs_baselines(p, results)
    assert s.best == "milp" and s.fixed > 0
    ref = s.best_feasible_baseline()
    assert ref is not None and ref.saving_plan is not None and ref.saving_total is not None
    assert ref.saving_plan >= ref.saving_total >= 0
    assert ref.saving_plan == pytest.approx(1 - s.best_plan / (ref.value - s.fixed))


def test_no_feasible_plan_states_no_saving(tight) -> None:
    p, results = tight
    only_bad = [r for r in results if r.method == "cloud-only"]
    s = savings_vs_baselines(p, only_bad)
    assert s.best is None and s.best_feasible_baseline() is None
    assert "no saving" in s.headline()[0]


def test_savings_json_names_the_reference_and_every_baseline(tight) -> None:
    p, results = tight
    doc = savings_vs_baselines(p, results).to_json()
    assert doc["best"] == "milp" and doc["reference_baseline"] not in (None, "cloud-only")
    by_method = {b["method"]: b for b in doc["baselines"]}
    assert set(by_method) == {"cloud-only", "edge-first", "no-compression"}
    assert by_method["cloud-only"]["saving_plan"] is None
