"""Column generation over candidates in the routing MILP (docs/routing.md, Scale)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.optim import routing_milp
from slimplace.optim.colgen import initial_columns, restrict
from slimplace.optim.costs import ObjectiveOptions
from slimplace.optim.routing_milp import (
    RoutingMilpSolver,
    _restricted_session,
    pricing,
    problem_flows,
    routed_costs,
    routing_formulation,
)
from slimplace.plan import Plan, Status
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.paths import FlowRoutes
from slimplace.problem.routing import flow_paths, with_k_paths
from slimplace.scenario.io import load_scenario

HERE = Path(__file__).parent
TRIANGLE = HERE / "data" / "triangle.yaml"
ABILENE = HERE.parent.parent / "examples" / "sndlib-abilene.yaml"


def _routed(path: Path, k: int = 3) -> CompiledProblem:
    return with_k_paths(compile_problem(load_scenario(path)), k)


@pytest.fixture
def colgen_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Column generation from one candidate per demand on every problem."""
    monkeypatch.setattr(routing_milp, "COLGEN_MIN_CANDIDATES", 0)
    monkeypatch.setattr(routing_milp, "COLGEN_START_PER_DEMAND", 1)
    monkeypatch.setattr(routing_milp, "COLGEN_TIME_SHARE", 0.9)


def _brute_force(p: CompiledProblem) -> float:
    """Least evaluated power over every choice of (candidate, admissible path) per demand
    (unsplittable demands: every plan is one such choice), feasible plans only."""
    per_demand = []
    for d in range(p.n_demands):
        options = []
        for c in range(p.demand_ptr[d], p.demand_ptr[d + 1]):
            v = int(p.cand_node[c])
            fp = flow_paths(p, np.array([d]), np.array([v]))
            options += [(c, int(r)) for r in fp.rank[fp.admissible]]
        per_demand.append(options)
    best = np.inf
    for choice in itertools.product(*per_demand):
        x = np.zeros(p.n_candidates)
        cands = np.array([c for c, _ in choice])
        x[cands] = 1.0
        on = np.where(p.node_always_on, p.node_count, 0)
        on[p.cand_node[cands]] = p.node_count[p.cand_node[cands]]
        routes = FlowRoutes(
            demand=p.cand_demand[cands].astype(np.int64),
            node=p.cand_node[cands].astype(np.int64),
            rank=np.array([r for _, r in choice], dtype=np.int64),
            share=np.ones(len(cands)),
        )
        e = evaluate(p, Plan(x, on, "brute", Status.FEASIBLE, routes=routes))
        if e.feasible:
            best = min(best, e.power_w)
    return float(best)


@pytest.mark.usefixtures("colgen_always")
def test_colgen_bound_and_plan_against_brute_force_on_the_triangle() -> None:
    """On the hand-worked triangle (6 candidates, 3 paths per flow) the bound of column
    generation is at most the brute-force optimum, and the plan is that optimum (as the
    model with every candidate finds)."""
    p = _routed(TRIANGLE)
    best = _brute_force(p)
    plan = RoutingMilpSolver(time_limit_s=30).solve(p)
    assert plan.info["colgen_rounds"] >= 1
    assert plan.bound is not None and plan.bound <= best + 1e-6
    assert evaluate(p, plan).power_w == pytest.approx(best, rel=1e-9)
    assert plan.objective == pytest.approx(best, rel=1e-9)


def test_pricing_gives_the_lp_reduced_costs_of_the_candidates_in_the_model() -> None:
    """The reduced costs that price the candidates left out (placement duals plus the
    route row's dual) are, for the candidates in the restricted LP, HiGHS's own."""
    p = _routed(ABILENE)
    model = ObjectiveOptions().cost_model(p)
    scope = problem_flows(p, model)
    r = restrict(p, model, initial_columns(p, model, 2))
    rf = routing_formulation(r.problem, r.model, scope)
    session, link_keys = _restricted_session(r, rf, None, 0)
    lp = session.solve(time_limit_s=60)
    assert lp.values is not None
    rc = pricing(p, routed_costs(model, scope), scope, r, rf, session, lp, link_keys)
    own = session.col_duals()[rf.f.cols["x"]]
    np.testing.assert_allclose(rc[r.cands], own, atol=1e-7)
    assert (rc < -1e-6).any()  # some candidate left out prices out


@pytest.mark.usefixtures("colgen_always")
def test_colgen_bound_is_the_whole_lp_and_below_the_optimum_on_abilene(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Abilene at k = 3 (4,164 candidates, 48 demands): column generation from one
    candidate per demand converges to the LP of the model with every candidate (same
    rows), which is at most the optimum that model's MILP proves; its plan is feasible
    and within its own reported gap."""
    p = _routed(ABILENE)
    model = ObjectiveOptions().cost_model(p)
    r = restrict(p, model, np.arange(p.n_candidates))
    rf = routing_formulation(r.problem, r.model)
    session, _ = _restricted_session(r, rf, None, 0)
    whole_lp = session.solve(time_limit_s=120)
    assert whole_lp.objective is not None
    plan = RoutingMilpSolver(time_limit_s=60, warm_start=None).solve(p)
    assert plan.bound == pytest.approx(whole_lp.objective, rel=1e-7)
    assert plan.info["candidates_in_model"] < p.n_candidates
    monkeypatch.setattr(routing_milp, "COLGEN_MIN_CANDIDATES", p.n_candidates + 1)
    best = RoutingMilpSolver(time_limit_s=60, warm_start=None).solve(p)
    assert "colgen_rounds" not in best.info  # every candidate in the model
    assert str(best.status) == "optimal"
    assert plan.bound is not None and best.objective is not None and plan.objective is not None
    assert plan.bound <= best.objective + 1e-6
    e = evaluate(p, plan)
    assert e.feasible
    assert e.power_w == pytest.approx(plan.objective, rel=1e-9)
    assert e.power_w >= best.objective - 1e-6


def test_restricted_flows_keep_the_whole_problems_path_admissibility() -> None:
    """A path is admissible when every variant of the flow meets the SLO over it: with
    only the fastest variant of every (demand, node) in the model, the restricted flows
    still open only the paths the whole problem does (their own candidates would open
    more, and the MIP could route a flow on a path that breaks a slower variant's SLO)."""
    p = _routed(ABILENE)
    model = ObjectiveOptions().cost_model(p)
    scope = problem_flows(p, model)
    key = p.cand_demand * p.n_nodes + p.cand_node
    order = np.lexsort((p.cand_latency_s, key))
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    r = restrict(p, model, order[first])
    own = problem_flows(r.problem, r.model)
    kept = problem_flows(r.problem, r.model, scope)

    def rows(fl: routing_milp.Flows) -> set[tuple[int, int]]:
        flow = fl.key[fl.rm.row_flow]
        return set(zip(flow.tolist(), fl.rm.row_rank.tolist(), strict=True))

    assert rows(kept) == rows(scope)  # every flow of the whole problem is in r here
    assert rows(own) > rows(scope)  # the fast variants alone would open more paths


@pytest.mark.usefixtures("colgen_always")
def test_colgen_reports_infeasible_only_when_the_whole_lp_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Phase one by artificial columns: a restricted LP is feasible whatever its
    candidates; when the converged LP still needs them (here the one server of the
    triangle cannot take 300 times the traffic) the plan is infeasible, as the model
    with every candidate says."""
    sc = load_scenario(TRIANGLE)
    app = sc.applications[0]
    heavy = tuple(replace(s, rate_per_s=s.rate_per_s * 300) for s in app.sources)
    sc = replace(sc, applications=(replace(app, sources=heavy),))
    p = with_k_paths(compile_problem(sc), 3)
    plan = RoutingMilpSolver(time_limit_s=30, warm_start=None).solve(p)
    assert plan.status is Status.INFEASIBLE
    with monkeypatch.context() as m:
        m.setattr(routing_milp, "COLGEN_MIN_CANDIDATES", p.n_candidates + 1)
        every = RoutingMilpSolver(time_limit_s=30, warm_start=None).solve(p)
    assert every.status is Status.INFEASIBLE
    q = _routed(TRIANGLE)
    ok = RoutingMilpSolver(time_limit_s=30, warm_start=None).solve(q)
    assert ok.status is not Status.INFEASIBLE and evaluate(q, ok).feasible


def test_the_columns_option_picks_the_whole_model_or_column_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``columns="all"`` holds every candidate whatever the size (its MIP bound is the
    bound), ``"generated"`` prices them in whatever the size; ``"auto"`` goes by size.
    Before, the routing MILP went by size alone and ignored the option."""
    p = _routed(TRIANGLE)
    monkeypatch.setattr(routing_milp, "COLGEN_MIN_CANDIDATES", 0)  # "auto": generated
    rounds = {
        columns: RoutingMilpSolver(time_limit_s=30, columns=columns).solve(p).info
        for columns in ("all", "generated", "auto")
    }
    assert "colgen_rounds" not in rounds["all"]
    assert rounds["generated"]["colgen_rounds"] >= 1
    assert rounds["auto"]["colgen_rounds"] >= 1
    monkeypatch.setattr(routing_milp, "COLGEN_MIN_CANDIDATES", p.n_candidates + 1)
    assert "colgen_rounds" not in RoutingMilpSolver(time_limit_s=30).solve(p).info
    generated = RoutingMilpSolver(time_limit_s=30, columns="generated").solve(p)
    assert generated.info["colgen_rounds"] >= 1
    whole = RoutingMilpSolver(time_limit_s=30, columns="all").solve(p)
    assert generated.objective == pytest.approx(whole.objective, rel=1e-6)


def test_auto_follows_column_generation_with_the_whole_model_in_the_middle_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From ``COLGEN_FIRST_MIN_CANDIDATES`` to ``COLGEN_MIN_CANDIDATES``, ``"auto"`` runs
    column generation, then the whole model warm-started from its plan: on Abilene column
    generation alone stops above its LP bound, the whole model's MIP bound proves the
    optimum, and the plan is the whole model's optimum."""
    p = _routed(ABILENE)
    monkeypatch.setattr(routing_milp, "COLGEN_FIRST_MIN_CANDIDATES", 0)
    generated = RoutingMilpSolver(time_limit_s=60, columns="generated").solve(p)
    whole = RoutingMilpSolver(time_limit_s=60, columns="all").solve(p)
    auto = RoutingMilpSolver(time_limit_s=60).solve(p)
    assert generated.status is not Status.OPTIMAL  # the LP bound alone proves nothing here
    assert whole.status is Status.OPTIMAL
    assert auto.info["colgen_rounds"] >= 1 and auto.info["whole_after_columns"] == 1.0
    assert auto.status is Status.OPTIMAL
    assert auto.objective == pytest.approx(whole.objective, rel=2e-4)
    assert auto.bound is not None and auto.bound <= whole.objective * (1 + 1e-9)
    assert evaluate(p, auto).feasible
