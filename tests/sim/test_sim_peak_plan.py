"""One peak plan for every policy (issue 15, online operation).

``solve_at`` falls back to greedy's best-effort plan when the solver finds none
(``milp`` on an overloaded problem), and a reference peak plan handed to the policies
through the context (:class:`slimplace.sim.policy.Context`) is what static-peak holds,
what reactive and predictive start from, and what periodic and predictive keep wherever
their own plan for a load level costs more.
"""

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.arrays import BoolArray
from slimplace.cli import app
from slimplace.evaluate import evaluate
from slimplace.methods import default_registry
from slimplace.optim.greedy import GreedySolver
from slimplace.plan import Plan, Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.rates import at_rates
from slimplace.sim import PeriodicPolicy, PredictivePolicy, ReactivePolicy, StaticPolicy, simulate
from slimplace.sim.compare import compare
from slimplace.sim.engine import context_for
from slimplace.sim.policies.common import peak_plan, resized, solve_at
from slimplace.sim.workload import build_workload
from slimplace.testing import tiny_scenario

METHODS = default_registry()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "minimal.yaml"
runner = CliRunner()
HOURS = 12


@dataclass(frozen=True)
class Avoiding:
    """``greedy`` kept off some nodes: a planner worse than ``greedy`` where those are the
    cheap ones (here: the nodes of greedy's own peak plan)."""

    avoid: BoolArray

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        count = np.where(self.avoid, 0, problem.node_count).astype(problem.node_count.dtype)
        return GreedySolver(time_limit_s=10.0).solve(replace(problem, node_count=count), seed=seed)


def _setup(trace: str = "constant"):  # type: ignore[no-untyped-def]
    problem = compile_problem(tiny_scenario(12, seed=1), variants="all")
    workload = build_workload(problem, override=trace, seed=0, aligned=True)
    workload = workload.scaled_to_peak(HOURS, 3600.0)
    context = context_for(problem, workload, n_steps=HOURS, step_s=3600.0)
    good = peak_plan(context, solver=GreedySolver(time_limit_s=10.0), seed=0)
    bad = Avoiding(avoid=np.asarray(good.servers_on > 0))
    return problem, workload, context, good, bad


def _plan_kwh(problem, workload, policy, reference):  # type: ignore[no-untyped-def]
    result = simulate(
        problem,
        policy,
        horizon_s=HOURS * 3600.0,
        step_s=3600.0,
        workload=workload,
        records="memory",
        reference_plan=reference,
    )
    steps = result.steps()
    assert result.summary.served_fraction == pytest.approx(1.0)
    return float((steps["power_w"] - steps["fixed_w"]).sum()) * 3600.0 / 3.6e6


def test_solve_at_falls_back_to_greedys_best_effort_plan_under_overload() -> None:
    problem = compile_problem(tiny_scenario(16, seed=5, rate_scale=200.0), variants="all")
    context = context_for(problem, build_workload(problem, seed=0), n_steps=2, step_s=3600.0)
    rate = problem.demand_rate_per_s
    milp = METHODS.create("milp", time_limit_s=10.0)
    greedy = METHODS.create("greedy", time_limit_s=10.0)
    none, _ = solve_at(context, rate, solver=milp, seed=0, fallback=None)
    assert none.status is Status.INFEASIBLE and none.x.sum() == 0  # milp: no plan at all
    plan, _ = solve_at(context, rate, solver=milp, seed=0)
    best_effort, _ = solve_at(context, rate, solver=greedy, seed=0)
    assert plan.status is Status.INFEASIBLE and plan.x.sum() > 0
    np.testing.assert_array_equal(plan.x, best_effort.x)
    np.testing.assert_array_equal(plan.servers_on, best_effort.servers_on)


def test_solve_at_keeps_the_solvers_plan_when_it_finds_one() -> None:
    problem = compile_problem(tiny_scenario(8, seed=2), variants="all")
    context = context_for(problem, build_workload(problem, seed=0), n_steps=2, step_s=3600.0)
    milp = METHODS.create("milp", time_limit_s=10.0)
    plan, _ = solve_at(context, problem.demand_rate_per_s, solver=milp, seed=0)
    raw, _ = solve_at(context, problem.demand_rate_per_s, solver=milp, seed=0, fallback=None)
    assert plan.status is not Status.INFEASIBLE and plan.method == raw.method
    np.testing.assert_array_equal(plan.x, raw.x)


def test_the_reference_plan_is_every_policys_peak_plan() -> None:
    problem, _, context, good, bad = _setup()
    ctx = replace(context, reference_plan=good)
    own = peak_plan(context, solver=bad, seed=0)
    at_peak = evaluate(problem, own)
    assert at_peak.feasible and at_peak.plan_w > evaluate(problem, good).plan_w  # premise
    assert peak_plan(ctx, solver=bad, seed=0) is good
    assert peak_plan(ctx, solver=bad, seed=0, headroom=0.1) is not good  # other rates
    assert StaticPolicy(solver=bad).start(ctx, seed=0) is good
    assert ReactivePolicy(solver=bad).start(ctx, seed=0).base is good
    assert PredictivePolicy(solver=bad).start(ctx, seed=0).inner.base is good


def test_reactive_holds_the_placement_cheaper_at_the_mean_load() -> None:
    # reactive holds its placement all along: of the reference and its own peak plan it
    # keeps the one that costs less at the mean rates with the servers it needs there
    problem, _, context, good, bad = _setup("constant")
    worse = peak_plan(context, solver=bad, seed=0)
    typical = at_rates(problem, context.mean_rate_per_s)
    e = [evaluate(typical, resized(typical, p)) for p in (good, worse)]
    assert e[0].feasible and e[1].feasible and e[0].plan_w < e[1].plan_w  # premise
    greedy = GreedySolver(time_limit_s=10.0)
    own = ReactivePolicy(solver=greedy).start(replace(context, reference_plan=worse), seed=0)
    np.testing.assert_array_equal(own.base.x, good.x)
    held = ReactivePolicy(solver=bad).start(replace(context, reference_plan=good), seed=0)
    assert held.base is good


@pytest.mark.parametrize("policy", [PeriodicPolicy, PredictivePolicy, ReactivePolicy])
def test_a_policy_given_the_reference_holds_it_where_its_own_plan_is_worse(
    policy: type,
) -> None:
    # the load stays at its peak: every plan a policy makes is for the peak, where the
    # weak planner's plan costs more than the reference
    problem, workload, _, good, bad = _setup("constant")
    static = _plan_kwh(problem, workload, StaticPolicy(solver=bad), good)
    alone = _plan_kwh(problem, workload, policy(solver=bad), None)
    given = _plan_kwh(problem, workload, policy(solver=bad), good)
    assert given < alone
    if policy is not ReactivePolicy:  # reactive sizes servers with headroom and SLO margin
        assert given == pytest.approx(static, rel=1e-9)


def test_compare_solves_the_peak_plan_once_for_every_policy() -> None:
    problem = compile_problem(tiny_scenario(8, seed=2), variants="all")
    c = compare(
        problem,
        "diurnal",
        horizon_s=6 * 3600.0,
        step_s=3600.0,
        policies=["static-peak", "reactive"],
        peak_solver=METHODS.create("milp", time_limit_s=10.0),
    )
    doc = c.to_dict()
    assert doc["peak_plan_seconds"] is not None and doc["peak_plan_seconds"] > 0
    assert doc["policies"]["static-peak"]["seconds"] >= doc["peak_plan_seconds"]
    assert (
        compare(
            problem, "diurnal", horizon_s=6 * 3600.0, step_s=3600.0, policies=["reactive"]
        ).to_dict()["peak_plan_seconds"]
        is None
    )


def test_simulate_cli_takes_the_peak_method(tmp_path: Path) -> None:
    scenario = tmp_path / "minimal.yaml"
    shutil.copy(EXAMPLE, scenario)
    base = ["simulate", str(scenario), "--policy", "static", "--horizon", "2h", "--step", "1h"]
    base += ["--no-plots", "--method", "greedy"]
    res = runner.invoke(app, [*base, "--peak-method", "milp", "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["served_fraction"] == pytest.approx(1.0)
    res = runner.invoke(app, [*base, "--peak-method", "oracle", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "--peak-method" in res.output
    assert "Traceback" not in res.output


def test_simulate_compare_names_an_unknown_static_method(tmp_path: Path) -> None:
    """``simulate-compare --static-method`` is checked as ``simulate --peak-method`` is
    (one function, ``cli.simulate_cmd.peak_solver``): exit 2 naming the option."""
    scenario = tmp_path / "s.yaml"
    shutil.copy(EXAMPLE, scenario)
    args = ["simulate-compare", str(scenario), "--trace", "trace:nyc_taxi", "--horizon", "1h"]
    args += ["--step", "30min", "--policies", "static-peak", "--static-method", "oracle"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "--static-method: unknown oracle" in " ".join(res.output.split())
    assert "Traceback" not in res.output
