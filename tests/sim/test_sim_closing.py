"""The closing search after every policy solve and the capacitated lower bound, on a
hand-worked network: one camera stream that either an elastic A100 (281.3 W on, fast)
or an owned T4 (60.1 W on, slow) can serve."""

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest

from slimplace.energy.accounting import server_on_w
from slimplace.evaluate import evaluate
from slimplace.methods import default_registry
from slimplace.plan import Plan, Status, servers_for_load
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.rates import at_rates
from slimplace.scenario.io import load_scenario
from slimplace.sim.bounds import capacity_lower_bound_w, min_dynamic_slope_w
from slimplace.sim.policies.common import close_nodes

SCENARIO = """\
name: closing
settings: {max_utilisation: 0.7, service_cv2: 0.0, objective: energy, default_region: USA,
           slo_quantile: 0.99}
nodes:
- {id: core, tier: metro, region: USA, position: [34.5, -85.5]}
- {id: dc, tier: cloud, hardware: a100-server, pue: 1.154, region: USA,
   position: [34.5, -85.5], ownership: elastic}
- {id: metro, tier: metro, hardware: t4-server, pue: 1.5, region: USA, position: [34.5, -85.5]}
- {id: ant, tier: edge, region: USA, position: [34.5, -85.5]}
- {id: cam, tier: device, hardware: raspberry-pi-4, region: USA, position: [34.5, -85.5],
   always_on: true, local_only: true}
links:
- {a: core, b: dc, kind: metro}
- {a: core, b: metro, kind: metro}
- {a: core, b: ant, kind: fibre-access}
- {a: ant, b: cam, kind: 4g}
applications:
- id: cameras
  family: tv-segmentation
  sources: [{node: cam, rate: 20/s}]
  request: 79278.0 B
  response: 1695.0 B
  slo: 0.32 s
  accuracy_floor: 0.6223
  accuracy_mode: hard
"""
DC, METRO = 1, 2


@pytest.fixture(scope="module")
def problem(tmp_path_factory: pytest.TempPathFactory) -> CompiledProblem:
    path = Path(tmp_path_factory.mktemp("closing")) / "closing.yaml"
    path.write_text(SCENARIO)
    p = compile_problem(load_scenario(path), variants="all")
    assert set(p.cand_node.tolist()) == {DC, METRO}  # the camera itself cannot serve
    return p


@dataclass
class Fastest:
    """A toy heuristic with greedy's blind spot: every demand on its fastest candidate at
    a node with servers (the A100 whenever it is there), servers sized to the load."""

    calls: list[np.ndarray] = field(default_factory=list)

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        p = problem
        self.calls.append(p.node_count.copy())
        open_ = p.node_count[p.cand_node] > 0
        service = np.where(open_, p.cand_service_s, np.inf)
        x = np.zeros(len(p.cand_node))
        for d in range(p.n_demands):
            c = np.flatnonzero(p.cand_demand == d)
            x[c[np.argmin(service[c])]] = 1.0
        busy = np.asarray(
            np.bincount(
                p.cand_node,
                weights=x * p.demand_rate_per_s[p.cand_demand] * p.cand_service_s,
                minlength=p.n_nodes,
            ),
            dtype=np.float64,
        )
        on = servers_for_load(busy, p.max_utilisation)
        on = np.where(p.node_always_on, p.node_count, on)
        return Plan(x, on.astype(np.int64), "fastest")


def _on(plan: Plan) -> list[int]:
    return [int(plan.servers_on[DC]), int(plan.servers_on[METRO])]


def test_closing_finds_the_small_server_at_low_load(problem: CompiledProblem) -> None:
    q = at_rates(problem, problem.demand_rate_per_s * 0.05)  # 1 request/s
    solver = Fastest()
    first = solver.solve(q)
    assert _on(first) == [1, 0]  # the A100 carries 1 request/s
    best = close_nodes(q, first, solver=solver, seed=0, tries=3)
    assert _on(best) == [0, 1]  # closing the A100, the T4 carries it
    e_first, e_best = evaluate(q, first), evaluate(q, best)
    assert e_best.feasible
    # servers: 281.29 W (A100, PUE 1.154) against 60.08 W (T4, PUE 1.5); the compute the
    # T4 costs more per request does not make up the difference at 1 request/s
    on_w = server_on_w(q)
    assert on_w[DC] - on_w[METRO] == pytest.approx(281.2875 - 60.075)
    assert e_first.breakdown_w["servers_static"] == pytest.approx(on_w[DC])
    assert e_best.breakdown_w["servers_static"] == pytest.approx(on_w[METRO])
    assert e_best.plan_w < e_first.plan_w - 150.0
    # the rounds: the A100 closed, then the T4 too (nothing serves: infeasible), then stop
    assert [c[[DC, METRO]].tolist() for c in solver.calls[1:]] == [[0, 1], [0, 0]]
    # the MILP's optimum at this load is the same plan's power
    milp = default_registry().create("milp", time_limit_s=10).solve(q, seed=0)
    assert e_best.plan_w == pytest.approx(evaluate(q, milp).plan_w, rel=1e-6)


def test_closing_keeps_the_solver_plan_when_no_trial_beats_it(problem: CompiledProblem) -> None:
    # no A100: the T4 plan; closing the T4 leaves nothing that serves the demand
    q = replace(
        problem, node_count=np.where(np.arange(problem.n_nodes) == DC, 0, problem.node_count)
    )
    solver = Fastest()
    first = solver.solve(q)
    assert close_nodes(q, first, solver=solver, seed=0) is first
    # at the peak the A100 (one server) beats the T4 (one server) on compute: kept
    q = problem
    first = solver.solve(q)
    assert _on(first) == [1, 0]
    best = close_nodes(q, first, solver=solver, seed=0)
    e_first, e_best = evaluate(q, first), evaluate(q, best)
    assert e_best.plan_w <= e_first.plan_w


def test_closing_leaves_proven_optima_and_tries_zero_alone(problem: CompiledProblem) -> None:
    q = at_rates(problem, problem.demand_rate_per_s * 0.05)
    solver = Fastest()
    plan = solver.solve(q)
    proven = replace(plan, status=Status.OPTIMAL)
    assert close_nodes(q, proven, solver=solver, seed=0) is proven
    assert close_nodes(q, plan, solver=solver, seed=0, tries=0) is plan
    gap0 = replace(plan, objective=100.0, bound=100.0)
    assert close_nodes(q, gap0, solver=solver, seed=0) is gap0
    assert len(solver.calls) == 1


def _by_hand_w(p: CompiledProblem, rate: float, step_s: float) -> float:
    """min over the two nodes of max(on_w x busy, cost of being up) + compute + network,
    with the least cost and the least service time over the node's candidates."""
    slope = min_dynamic_slope_w(p)
    cost = (
        p.node_pue[p.cand_node] * p.cand_service_s * slope[p.cand_node]
        + p.cand_net_energy_j
        - p.cand_radio_j
        + p.cand_extra_j
        - p.cand_radio_delta_j
    )
    on_w = server_on_w(p)
    best = np.inf
    for v in (DC, METRO):
        c = p.cand_node == v
        s = float(p.cand_service_s[c].min())
        if rate * s > p.node_count[v]:
            continue
        saved = 0.0 if p.node_elastic[v] else p.node_sleep_w[v] * p.node_wake_time_s[v]
        up_w = min(on_w[v], p.node_pue[v] * (p.node_wake_energy_j[v] - saved) / step_s)
        best = min(best, max(on_w[v] * rate * s, up_w) + rate * float(cost[c].min()))
    return best


@pytest.mark.parametrize("scale", [0.05, 0.5, 1.0])
def test_capacity_bound_hand_worked_and_below_the_optimum(
    problem: CompiledProblem, scale: float
) -> None:
    q = at_rates(problem, problem.demand_rate_per_s * scale)
    rate = float(q.demand_rate_per_s[0])
    step_s = 300.0
    mip = capacity_lower_bound_w(q, q.demand_rate_per_s, step_s=step_s, integer_s=5.0)
    lp = capacity_lower_bound_w(q, q.demand_rate_per_s, step_s=step_s, integer_s=0.0)
    assert mip == pytest.approx(_by_hand_w(q, rate, step_s), rel=2e-6)  # 1e-6 margin
    assert lp <= mip * (1 + 1e-9)
    # the optimum over plans (MILP, proven) costs at least the bound, radio excluded
    plan = default_registry().create("milp", time_limit_s=10).solve(q, seed=0)
    e = evaluate(q, plan)
    assert e.feasible
    assert mip <= e.plan_w - e.breakdown_w.get("device_radio", 0.0) + 1e-6


def test_capacity_bound_without_capacity_is_zero(problem: CompiledProblem) -> None:
    # nobody can carry 10^6 requests/s: no step serves everything, the bound says 0
    q = at_rates(problem, problem.demand_rate_per_s * 5e4)
    assert capacity_lower_bound_w(q, q.demand_rate_per_s, step_s=300.0, integer_s=0.0) == 0.0


def test_closing_skips_one_of_many_small_servers(problem: CompiledProblem) -> None:
    # the A100 is 82 % of the plan's server power: closed; with share 0.9, not tried
    q = at_rates(problem, problem.demand_rate_per_s * 0.05)
    both = np.where(problem.node_always_on, problem.node_count, 0)
    both[[DC, METRO]] = 1
    solver = Fastest()
    plan = replace(solver.solve(q), servers_on=both.astype(np.int64))
    assert close_nodes(q, plan, solver=solver, seed=0, share=0.9) is plan
    assert len(solver.calls) == 1
    close_nodes(q, plan, solver=solver, seed=0, share=0.5)
    assert solver.calls[1][[DC, METRO]].tolist() == [0, 1]


def test_periodic_keeps_the_peak_plan_when_a_level_plan_costs_more(
    problem: CompiledProblem,
) -> None:
    from slimplace.sim import PeriodicPolicy, StaticPolicy, build_workload, simulate

    @dataclass
    class PeakIsBest:
        """The T4 plan for the peak (20/s), the A100 plan below it: a heuristic whose
        plan for less load costs more."""

        def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
            x = np.zeros(problem.n_candidates)
            peak = problem.demand_rate_per_s[0] >= 20.0 - 1e-9
            node = METRO if peak else DC
            c = np.flatnonzero(problem.cand_node == node)
            x[c[np.argmin(problem.cand_service_s[c])]] = 1.0
            on = np.where(np.arange(problem.n_nodes) == node, 1, 0)
            on = np.where(problem.node_always_on, problem.node_count, on)
            return Plan(x, on.astype(np.int64), "peak-is-best")

    n, step = 48, 1800.0
    wl = build_workload(problem, override="diurnal", seed=0, aligned=True).scaled_to_peak(n, step)
    solver = PeakIsBest()
    periodic = simulate(
        problem,
        PeriodicPolicy(solver=solver, headroom=0.0),
        horizon_s=n * step,
        step_s=step,
        workload=wl,
    ).summary
    static = simulate(
        problem, StaticPolicy(solver=solver), horizon_s=n * step, step_s=step, workload=wl
    ).summary
    # every level plan (A100) costs more than the peak plan (T4) at its load: the T4 stays
    assert periodic.wake_ups == 0 and periodic.moves == 0
    assert periodic.plan_energy_j == pytest.approx(static.plan_energy_j, rel=1e-9)
    assert periodic.policy_report["placement_solves"] >= 2


def test_hindsight_fills_dips_shorter_than_the_hold() -> None:
    from slimplace.sim.policies.hindsight import fill_dips

    level = np.array([[5, 5, 2, 2, 5, 5, 1, 1, 1, 1, 1, 5, 3, 3]]).T
    # a dip of 2 steps under a 3-step hold is filled; one of 5 is not; the end stays
    assert fill_dips(level, 3).ravel().tolist() == [5, 5, 5, 5, 5, 5, 1, 1, 1, 1, 1, 5, 3, 3]
    assert fill_dips(level, 1).ravel().tolist() == level.ravel().tolist()
    # every column alone, never below the level
    two = np.hstack([level, level[::-1]])
    out = fill_dips(two, 3)
    assert (out >= two).all()
    assert out[:, 1].tolist() == fill_dips(level[::-1], 3).ravel().tolist()
