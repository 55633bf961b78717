"""Power modes and batch sizes chosen where they pay and not where they don't, on small
scenarios whose optimum is worked out by hand (see ``tests/modes/modes_scenarios.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from modes_scenarios import FAST, one_gpu, one_node, two_cameras

from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import MilpSolver
from slimplace.plan import Plan, Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import mode_label, node_modes
from slimplace.scenario.model import PowerMode

SOLVERS = [MilpSolver(time_limit_s=30), GreedySolver(time_limit_s=10)]


def _modes(p: CompiledProblem, plan: Plan) -> dict[str, str]:
    return mode_label(p, node_modes(p, plan.x)[0])


def _batches(p: CompiledProblem, plan: Plan) -> list[int]:
    return sorted(int(b) for b in p.cand_batch[plan.x > 0])


@pytest.mark.parametrize("solver", SOLVERS, ids=["milp", "greedy"])
def test_saturated_node_runs_its_fastest_mode(solver: object) -> None:
    """50 req/s at 10 ms: 0.5 of a server at full speed, 1.0 (over rho_max 0.7) in the
    slow mode; the only plan is fast: 10 W idle + 40 W x 0.5 busy = 30 W."""
    p = compile_problem(one_node(50.0))
    plan = solver.solve(p)  # type: ignore[attr-defined]
    ev = evaluate(p, plan)
    assert ev.feasible and _modes(p, plan) == {"acc": "fast"}
    assert ev.power_w == pytest.approx(30.0, rel=1e-9)


@pytest.mark.parametrize("solver", SOLVERS, ids=["milp", "greedy"])
def test_lightly_loaded_node_runs_its_efficient_mode(solver: object) -> None:
    """5 req/s: fast 10 W + 0.4 J x 5/s = 12 W; slow 5 W + 0.3 J x 5/s = 6.5 W."""
    p = compile_problem(one_node(5.0))
    plan = solver.solve(p)  # type: ignore[attr-defined]
    ev = evaluate(p, plan)
    assert ev.feasible and _modes(p, plan) == {"acc": "slow"}
    assert ev.power_w == pytest.approx(6.5, rel=1e-9)
    assert plan.objective == pytest.approx(ev.power_w, rel=1e-9)


@pytest.mark.parametrize("solver", SOLVERS, ids=["milp", "greedy"])
def test_slow_mode_that_costs_more_per_inference_is_not_chosen(solver: object) -> None:
    """A slow mode at the same idle power and 35 W peak spends 25 W x 20 ms = 0.5 J per
    inference, more than fast's 0.4 J: at 5 req/s fast (12 W) beats it (12.5 W)."""
    costly = PowerMode("slow", 0.5, 10.0, 35.0)
    p = compile_problem(one_node(5.0, (FAST, costly)))
    plan = solver.solve(p)  # type: ignore[attr-defined]
    ev = evaluate(p, plan)
    assert ev.feasible and _modes(p, plan) == {"acc": "fast"}
    assert ev.power_w == pytest.approx(12.0, rel=1e-9)


@pytest.mark.parametrize("solver", SOLVERS, ids=["milp", "greedy"])
def test_slo_that_forbids_batching_gets_batch_one(solver: object) -> None:
    """SLO 25 ms: batch 1 takes 1 ms + 10 ms + 11.7 ms M/D/1 wait at rho 0.7 = 22.7 ms;
    batch 4 already 1 + 13.3 + 15.6 = 29.9 ms before waiting to fill. 200 req/s x 10 ms
    = 2 server-s/s on 3 servers: 3 x 20 W + 100 W x 2 = 260 W."""
    p = compile_problem(one_gpu(0.025))
    assert set(p.cand_batch.tolist()) == {1}
    plan = solver.solve(p)  # type: ignore[attr-defined]
    ev = evaluate(p, plan)
    assert ev.feasible and _batches(p, plan) == [1]
    assert ev.power_w == pytest.approx(260.0, rel=1e-9)


@pytest.mark.parametrize("solver", SOLVERS, ids=["milp", "greedy"])
def test_loose_slo_batches_to_the_largest_size_it_allows(solver: object) -> None:
    """SLO 100 ms: batch 8 (5x throughput, 2 ms a request) needs 54 req/s to fill in
    time, 200 arrive: 0.4 server-s/s on one server, 20 W + 100 W x 0.4 = 60 W (batch 4:
    86.7 W, batch 1: 260 W)."""
    p = compile_problem(one_gpu(0.1))
    plan = solver.solve(p)  # type: ignore[attr-defined]
    ev = evaluate(p, plan)
    assert ev.feasible and _batches(p, plan) == [8]
    assert ev.power_w == pytest.approx(60.0, rel=1e-9)


@pytest.mark.parametrize("solver", SOLVERS, ids=["milp", "greedy"])
def test_consolidation_pays_only_because_of_batching(solver: object) -> None:
    """Two cameras of 20 req/s. Apart, each on its own box: 2 x (2 W + 10 W x 20 ms x 20)
    = 12 W. Together on the GPU at batch 1: 5 W + 100 W x 10 ms x 40 = 45 W. Batch 8 at
    8x throughput needs a stream of 36.3 req/s to fill within the 120 ms SLO: one camera
    alone cannot, both together can: 5 W + 100 W x 1.25 ms x 40 = 10 W."""
    with_batching = compile_problem(two_cameras(batching=True))
    plan = solver.solve(with_batching)  # type: ignore[attr-defined]
    ev = evaluate(with_batching, plan)
    used = plan.x > 0
    assert plan.status in (Status.OPTIMAL, Status.FEASIBLE) and ev.feasible
    assert {with_batching.node_ids[v] for v in with_batching.cand_node[used]} == {"g"}
    assert _batches(with_batching, plan) == [8, 8]
    assert ev.power_w == pytest.approx(10.0, rel=1e-9)
    need = with_batching.cand_fill_rate_per_s[used]
    assert (need > 20.0).all() and (need <= 40.0).all()  # neither demand fills it alone

    without = compile_problem(two_cameras(batching=False))
    apart = solver.solve(without)  # type: ignore[attr-defined]
    ev_apart = evaluate(without, apart)
    assert ev_apart.feasible and ev_apart.power_w == pytest.approx(12.0, rel=1e-9)
    assert {without.node_ids[v] for v in without.cand_node[apart.x > 0]} == {"e1", "e2"}


def test_a_batch_that_cannot_fill_alone_is_late_in_the_evaluator() -> None:
    """The consolidated plan with one camera moved to its box: the GPU's batch of 8 then
    fills at 20 req/s, 175 ms on average, over the 120 ms SLO."""
    p = compile_problem(two_cameras(batching=True))
    plan = MilpSolver(time_limit_s=30).solve(p)
    x = plan.x.copy()
    d0 = int(p.cand_demand[np.flatnonzero(x > 0)[0]])
    x[p.demand_ptr[d0] : p.demand_ptr[d0 + 1]] = 0.0
    box = np.flatnonzero(
        (p.cand_demand == d0) & (np.asarray(p.node_ids)[p.cand_node] == ("e1", "e2")[d0])
    )
    x[box[0]] = 1.0
    on = np.maximum(plan.servers_on, (np.asarray(p.node_ids) == ("e1", "e2")[d0]).astype(int))
    ev = evaluate(p, Plan(x, on, "moved"))
    assert not ev.feasible and {v.kind for v in ev.violations} == {"slo"}


def test_mixed_modes_at_one_node_are_a_violation() -> None:
    p = compile_problem(one_node(5.0, (FAST, PowerMode("slow", 0.5, 5.0, 20.0))))
    assert sorted(p.cand_mode.tolist()) == [0, 1]
    x = np.array([0.5, 0.5])
    ev = evaluate(p, Plan(x, np.array([0, 1]), "mixed"))
    assert "mode" in {v.kind for v in ev.violations}


@pytest.mark.parametrize(
    "make", [lambda: one_node(5.0), lambda: one_gpu(0.1), lambda: two_cameras(True)]
)
def test_column_generation_prices_mode_and_batch_rows(make: object) -> None:
    """The MILP over generated columns (column generation prices the mode, capacity-per-
    mode and stream rows) reaches the optimum of the MILP over all columns."""
    p = compile_problem(make())  # type: ignore[operator]
    full = MilpSolver(time_limit_s=30, columns="all").solve(p)
    generated = MilpSolver(time_limit_s=30, columns="generated").solve(p)
    assert full.objective is not None and generated.objective is not None
    assert generated.objective == pytest.approx(full.objective, rel=1e-9)
    assert generated.bound is not None and generated.bound <= full.objective * (1 + 1e-9)


def test_explain_measures_the_power_mode_and_batching_levers() -> None:
    """Power modes at 5 req/s buy 12 W - 6.5 W = 5.5 W; batching under a 100 ms SLO buys
    260 W - 60 W = 200 W (both worked out above)."""
    from slimplace.explain import explain

    modes = {o.name: o for o in explain(compile_problem(one_node(5.0)), time_limit_s=30).levers}
    assert modes["power-modes"].saving(6.5) == pytest.approx(5.5, rel=1e-9)
    assert modes["batching"].status == "not-applicable"
    gpu = {o.name: o for o in explain(compile_problem(one_gpu(0.1)), time_limit_s=30).levers}
    assert gpu["batching"].saving(60.0) == pytest.approx(200.0, rel=1e-9)
    assert gpu["power-modes"].status == "not-applicable"
