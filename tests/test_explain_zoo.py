"""benchmarks/explain_zoo.py on a small generated topology."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="module")
def bench(benchmark_script: Callable[[str], ModuleType]) -> ModuleType:
    return benchmark_script("explain_zoo")


def test_zoo_rows_are_refused_with_a_reason_or_consistent(
    bench: ModuleType, tmp_path: Path
) -> None:
    out = tmp_path / "zoo.json"
    code = bench.main(
        ["--topologies", "synth:8", "--skip-carbon", "--time-limit", "10", "--json", str(out)]
    )
    doc = json.loads(out.read_text())
    rows = doc["zoo"]
    assert [r["network_energy"] for r in rows] == ["power-model", "attributional"]
    for r in rows:
        if r["status"] == "refused":
            assert r["reason"]
            continue
        assert set(r["levers"]) >= {"placement", "compression", "sleep", "carbon"}
        assert r["fixed_w"] + r["plan_w"] == pytest.approx(r["value_w"])
        if r["feasible"]:
            assert r["consistent"] and r["below_bound"] == []
    assert code == 0


def test_carbon_experiment_reports_the_cut_on_the_plan_dependent_part(bench: ModuleType) -> None:
    r = bench.carbon_experiment("synth:8", 3, 0, 10.0)
    assert r["datacenters"] == 3 and r["datacenter_regions"]
    if r["status"] == "refused":
        assert r["reason"]
        return
    if not r["carbon_plan_feasible"]:
        assert r["reason"] and r["status"] in ("infeasible", "time-limit", "violates")
        assert bench.carbon_lines(r)[-1] == r["reason"]
        return
    assert r["consistent"]
    if "cut_plan_dependent" in r:
        # the carbon-optimal plan never emits more than the energy-optimal one
        assert r["energy_plan_g_per_h"] >= r["carbon_plan_g_per_h"] * (1 - 1e-5)
        if r["cut_total"] > 0:
            assert r["cut_plan_dependent"] >= r["cut_total"]
        lines = bench.carbon_lines(r)
        assert any("of the plan-dependent carbon" in line for line in lines)
