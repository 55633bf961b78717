"""Infeasibility diagnosis: binding resources and competing demands, also from the CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.optim.diagnose import diagnose
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import save_scenario
from slimplace.testing import infeasible_problem, tiny_scenario


def test_capacity_conflict_names_nodes_and_demands() -> None:
    d = diagnose(infeasible_problem())
    assert not d.feasible and d.relaxation == "lp"
    capacity = [r for r in d.resources if r.kind == "capacity"]
    assert capacity and capacity[0].where == "cloud" and capacity[0].shortfall > 0
    assert capacity[0].n_demands == 6 and "detect@dev-0" in capacity[0].demands
    assert "capacity at cloud" in d.render()


def test_bandwidth_conflict_names_the_link() -> None:
    scenario = tiny_scenario(6, seed=1, rate_scale=5.0)
    narrow = tuple(
        replace(lk, bandwidth_bps=20e6) if lk.a == "dev-1" else lk for lk in scenario.links
    )
    d = diagnose(compile_problem(replace(scenario, links=narrow)))
    [bw] = [r for r in d.resources if r.kind == "bandwidth"]
    assert bw.where == "dev-1->edge-1" and bw.demands == ("detect@dev-1",)
    assert bw.unit == "Mbit/s" and 10 < bw.shortfall < 20


def test_integrality_conflict_is_found_by_the_elastic_milp() -> None:
    scenario = tiny_scenario(4, seed=2, rate_scale=3e4)
    apps = tuple(replace(a, splittable=False) for a in scenario.applications)
    links = tuple(replace(lk, bandwidth_bps=float("inf")) for lk in scenario.links)
    problem = compile_problem(replace(scenario, applications=apps, links=links))
    d = diagnose(problem)
    assert not d.feasible and d.resources


def test_feasible_problem_has_no_conflict() -> None:
    d = diagnose(compile_problem(tiny_scenario(6, seed=1)))
    assert d.feasible and not d.resources


def test_cli_prints_the_diagnosis(tmp_path: Path) -> None:
    scenario = tiny_scenario(6, seed=1, rate_scale=3e4)
    links = tuple(replace(lk, bandwidth_bps=float("inf")) for lk in scenario.links)
    path = tmp_path / "short.yaml"
    settings = replace(scenario.settings, default_region="A")
    save_scenario(replace(scenario, links=links, settings=settings), path)
    result = CliRunner().invoke(app, ["solve", str(path), "--method", "milp", "--mip-gap", "0.001"])
    assert result.exit_code == 1, result.output  # no feasible plan: exit code 1
    assert "infeasible" in result.output and "capacity at cloud" in result.output
