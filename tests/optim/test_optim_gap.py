"""OR-Library generalized assignment instances through the placement MILP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from slimplace.benchmarks.generalized_assignment import gap_problem, read_orlib_gap
from slimplace.errors import InputError
from slimplace.evaluate import evaluate
from slimplace.optim.milp import MilpSolver
from slimplace.plan import Status

DATA = Path(__file__).resolve().parents[1] / "data" / "gap"


def _optima() -> dict[str, float]:
    rows = (DATA / "optima.csv").read_text().splitlines()[1:]
    return {r.split(",")[0].split("/")[-1]: float(r.split(",")[6]) for r in rows}


def test_reads_one_instance_per_file() -> None:
    [inst] = read_orlib_gap(DATA / "gap1-0")
    assert (inst.name, inst.n_agents, inst.n_jobs) == ("gap1-0", 5, 15)
    assert inst.cost[0, 0] == 17 and inst.capacity.tolist() == [36, 34, 38, 27, 33]


@pytest.mark.parametrize("name", ["gap1-0", "gap1-1", "gap4-2", "gap12-4"])
def test_milp_reaches_the_published_optimum(name: str) -> None:
    [inst] = read_orlib_gap(DATA / name)
    problem = gap_problem(inst)
    plan = MilpSolver(time_limit_s=20, mip_gap=1e-6).solve(problem)
    ev = evaluate(problem, plan)
    assert plan.status is Status.OPTIMAL and ev.feasible
    assert ev.power_w == pytest.approx(_optima()[name], abs=1e-6)


def test_multi_problem_file_and_bad_input(tmp_path: Path) -> None:
    one = (DATA / "gap1-0").read_text()
    two = (DATA / "gap1-1").read_text()
    both = tmp_path / "gapx.txt"
    both.write_text(f" 2\n{one}{two}")
    names = [inst.name for inst in read_orlib_gap(both)]
    assert names == ["gapx-0", "gapx-1"]
    bad = tmp_path / "bad.txt"
    bad.write_text("5 15\n1 2 3\n")
    with pytest.raises(InputError):
        read_orlib_gap(bad)


def test_benchmark_script_reports_and_writes_json(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    benchmark_script: Callable[[str], ModuleType],
) -> None:
    module = benchmark_script("gap_orlib")
    out = tmp_path / "gap.json"
    code = module.main(
        [
            str(DATA / "gap1-0"),
            str(DATA / "gap4-2"),
            "--optima",
            str(DATA / "optima.csv"),
            "--json",
            str(out),
            "--time-limit",
            "10",
        ]
    )
    assert code == 0
    assert "2/2 at the known optimum" in capsys.readouterr().out
    rows = json.loads(out.read_text())
    assert [r["instance"] for r in rows] == ["gap1-0", "gap4-2"]
    assert set(rows[0]) == {"instance", "value", "optimum", "gap", "seconds", "status"}
    assert rows[1]["value"] == rows[1]["optimum"] == 426
