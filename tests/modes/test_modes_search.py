"""The heuristic mode search (:mod:`slimplace.optim.mode_search`) and column generation
without batch-fill rows, against brute force on scenarios small enough to enumerate
every plan (``tests/modes/modes_scenarios.py`` for the figures)."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace

import numpy as np
import pytest
from modes_scenarios import FAST, one_node, profile, scenario, two_cameras
from modes_scenarios import app as one_app

from slimplace.evaluate import evaluate
from slimplace.optim import mode_search
from slimplace.optim.colgen import column_generation, initial_columns
from slimplace.optim.costs import ObjectiveOptions, plan_value
from slimplace.optim.formulation import build_formulation
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import MilpSolver
from slimplace.plan import Plan, node_busy_s_per_s, servers_needed
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.modes import fastest_modes, mode_label, node_modes
from slimplace.scenario.model import BatchCurve, Node, PowerMode, Scenario

#: the small box of ``two_cameras`` with a half-speed mode at 1 W / 5 W
BOX_MODES = (PowerMode("fast", 1.0, 2.0, 12.0), PowerMode("slow", 0.5, 1.0, 5.0))


def batch_and_modes() -> Scenario:
    """Two cameras of 20 req/s whose batch of 8 fills only on both (as in
    ``two_cameras``) and a third of 2 req/s whose traffic cannot reach the GPU: its own
    box or the box next to it, each fast or slow. By hand: the GPU 5 W + 100 W x
    1.25 ms x 40 = 10 W; the third on a slow box 1 W + 4 W x 40 ms x 2 = 1.32 W (fast:
    2 W + 10 W x 20 ms x 2 = 2.4 W); 11.32 W."""
    box = profile("box", service_s=0.02, idle_w=2.0, peak_w=12.0, modes=BOX_MODES)
    gpu = profile(
        "gpu", service_s=0.01, idle_w=5.0, peak_w=105.0, batching=BatchCurve((1, 8), (1.0, 8.0))
    )
    nodes = (
        Node("c1", "device", region="T"),
        Node("c2", "device", region="T"),
        Node("c3", "device", region="T"),
        Node("e1", "edge", "box", region="T"),
        Node("e2", "edge", "box", region="T"),
        Node("e3", "edge", "box", region="T"),
        Node("e4", "edge", "box", region="T"),
        Node("g", "edge", "gpu", region="T"),
    )
    links = (("c1", "e1"), ("c2", "e2"), ("c3", "e3"), ("e1", "g"), ("e2", "g"), ("e3", "e4"))
    return scenario(
        (box, gpu), nodes, links, one_app((("c1", 20.0), ("c2", 20.0), ("c3", 2.0)), 0.12)
    )


def two_light_boxes() -> Scenario:
    """Two cameras of 2 req/s, each next to a box with modes, the boxes linked. By hand:
    both on one slow box 1 W + 4 W x 40 ms x 4 = 1.64 W; apart, both slow, 2.64 W."""
    box = profile("box", service_s=0.02, idle_w=2.0, peak_w=12.0, modes=BOX_MODES)
    nodes = (
        Node("c1", "device", region="T"),
        Node("c2", "device", region="T"),
        Node("e1", "edge", "box", region="T"),
        Node("e2", "edge", "box", region="T"),
    )
    links = (("c1", "e1"), ("c2", "e2"), ("e1", "e2"))
    return scenario((box,), nodes, links, one_app((("c1", 2.0), ("c2", 2.0)), 0.12))


def brute_force(p: CompiledProblem) -> float:
    """The least objective over every plan sending each demand wholly to one candidate
    that the evaluator accepts (with the servers its load needs)."""
    model = ObjectiveOptions().cost_model(p)
    best = np.inf
    ranges = [range(p.demand_ptr[d], p.demand_ptr[d + 1]) for d in range(p.n_demands)]
    for combo in itertools.product(*ranges):
        x = np.zeros(p.n_candidates)
        x[list(combo)] = 1.0
        on = np.minimum(servers_needed(p, node_busy_s_per_s(p, x)), p.node_count)
        if evaluate(p, Plan(x, on, "brute-force")).feasible:
            best = min(best, plan_value(p, model, x, on))
    return float(best)


@pytest.mark.parametrize(
    ("make", "optimum"),
    [(batch_and_modes, 11.32), (two_light_boxes, 1.64), (lambda: two_cameras(True), 10.0)],
    ids=["batch-and-modes", "two-light-boxes", "two-cameras"],
)
def test_greedy_and_milp_reach_the_brute_force_optimum(make: object, optimum: float) -> None:
    p = compile_problem(make())  # type: ignore[operator]
    assert brute_force(p) == pytest.approx(optimum, rel=1e-9)
    for solver in (
        GreedySolver(time_limit_s=10),
        MilpSolver(time_limit_s=30, columns="all"),
        MilpSolver(time_limit_s=30, columns="generated"),
    ):
        plan = solver.solve(p)
        ev = evaluate(p, plan)
        assert ev.feasible and ev.power_w == pytest.approx(optimum, rel=1e-9), solver


@pytest.mark.parametrize(
    "make", [batch_and_modes, two_light_boxes, lambda: two_cameras(True), lambda: one_node(5.0)]
)
def test_column_generation_bound_without_fill_rows_is_below_the_optimum(make: object) -> None:
    """Column generation's LPs leave the batch-fill rows out (a relaxation): the bound
    is at most the brute-force optimum, and at most the LP with them."""
    p = compile_problem(make())  # type: ignore[operator]
    model = ObjectiveOptions().cost_model(p)
    start = initial_columns(p, model)
    cg = column_generation(p, model, start, deadline=time.perf_counter() + 30)
    assert cg.converged and cg.bound is not None
    assert "fill" not in cg.formulation.rows
    assert cg.bound <= brute_force(p) * (1 + 1e-9)
    with_fill = build_formulation(p, model)
    without = build_formulation(p, model, fill_rows=False)
    assert set(without.rows) <= set(with_fill.rows)
    assert ("fill" in with_fill.rows) == bool((p.cand_fill_rate_per_s > 0).any())


def test_closing_a_light_node_moves_its_demands_to_a_node_on() -> None:
    """From the plan with each camera on its own slow box (2.64 W), closing the lighter
    box leaves both on the other: 1.64 W, accepted by the evaluator."""
    p = compile_problem(two_light_boxes())
    model = ObjectiveOptions().cost_model(p)
    slow = np.flatnonzero(np.asarray(p.mode_names) == "slow")
    mode = fastest_modes(p)
    mode[p.mode_node[slow]] = slow
    own = np.asarray(p.node_ids)[p.cand_node] == np.array(["e1", "e2"])[p.cand_demand]
    apart = np.flatnonzero(own & np.isin(p.cand_mode, slow))
    x = np.zeros(p.n_candidates)
    x[apart] = 1.0
    value, on = mode_search.support_value(p, model, apart, x[apart])
    assert value == pytest.approx(2.64, rel=1e-9)
    pins = np.full(p.n_demands, -1, dtype=np.int64)
    point = mode_search._Point(value, mode, Plan(x, on, "apart"), pins)
    closed = mode_search._close_nodes(p, model, point, mode_search._usable(p, mode))
    assert closed.plan is not None and closed.value == pytest.approx(1.64, rel=1e-9)
    assert evaluate(p, closed.plan).feasible
    assert len(set(p.cand_node[closed.plan.x > 0].tolist())) == 1


def test_twin_is_the_same_operating_point_in_the_other_mode() -> None:
    p = compile_problem(one_node(5.0))
    twins = mode_search._Twins(p)
    for c in range(p.n_candidates):
        other = int(twins.of(np.array([c]), 1 - int(p.cand_mode[c]))[0])
        assert other >= 0 and other != c
        assert p.cand_demand[other] == p.cand_demand[c] and p.cand_node[other] == p.cand_node[c]
        assert p.cand_batch[other] == p.cand_batch[c]


def test_a_shared_batch_over_a_link_too_thin_is_not_taken() -> None:
    """``two_cameras`` with 100 kbit/s between the second box and the GPU: the second
    camera's 160 kbit/s cannot reach it, the first alone cannot fill the batch of 8, so
    no move is offered and both camera stay on their boxes (12 W)."""
    base = two_cameras(True)
    thin = replace(
        base,
        links=tuple(
            replace(link, bandwidth_bps=1e5) if {link.a, link.b} == {"e2", "g"} else link
            for link in base.links
        ),
    )
    p = compile_problem(thin)
    model = ObjectiveOptions().cost_model(p)
    own = np.asarray(p.node_ids)[p.cand_node] == np.array(["e1", "e2"])[p.cand_demand]
    at = np.flatnonzero(own)
    x = np.zeros(p.n_candidates)
    x[at] = 1.0
    value, on = mode_search.support_value(p, model, at, x[at])
    pins = np.full(p.n_demands, -1, dtype=np.int64)
    point = mode_search._Point(value, fastest_modes(p), Plan(x, on, "apart"), pins)
    for idle_share in (False, True):
        assert mode_search._batch_moves(p, model, point, idle_share=idle_share) == []
    for solver in (GreedySolver(time_limit_s=10), MilpSolver(time_limit_s=30)):
        plan = solver.solve(p)
        ev = evaluate(p, plan)
        assert ev.feasible and ev.power_w == pytest.approx(12.0, rel=1e-9)


def test_the_saturated_node_keeps_its_fast_mode_in_the_search() -> None:
    """The in-place mode change is refused when the slow mode would overload the node
    (50 req/s x 20 ms = 1.0 server-s/s over rho_max 0.7)."""
    p = compile_problem(one_node(50.0, (FAST, PowerMode("slow", 0.5, 1.0, 2.0))))
    plan = GreedySolver(time_limit_s=10).solve(p)
    assert mode_label(p, node_modes(p, plan.x)[0]) == {"acc": "fast"}
    assert evaluate(p, plan).feasible
