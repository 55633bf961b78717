"""Column generation: reduced costs of every candidate and the bound it proves."""

from __future__ import annotations

import time

import numpy as np
import pytest

from slimplace.optim.colgen import column_generation, initial_columns, reduced_costs, restrict
from slimplace.optim.costs import cost_model, objective_weights
from slimplace.optim.formulation import build_formulation
from slimplace.optim.lp import strengthened_lp
from slimplace.problem.compiled import CompiledProblem
from slimplace.testing import small_problem


@pytest.fixture(scope="module")
def small() -> CompiledProblem:
    return small_problem()


def test_reduced_costs_match_the_solver(small: CompiledProblem) -> None:
    model = cost_model(small, objective_weights(small))
    r = restrict(small, model, np.arange(small.n_candidates))
    f = build_formulation(r.problem, r.model, relax=True)
    strong = strengthened_lp(r.problem, f, deadline=time.perf_counter() + 30, threads=None, seed=0)
    session, pairs = strong.session, strong.link_keys
    rc = reduced_costs(small, model, r, f, session.row_duals(), pairs)
    assert np.allclose(rc, session.col_duals()[f.cols["x"]], atol=1e-7)


def test_bound_is_valid_at_every_round_and_exact_at_the_end(small: CompiledProblem) -> None:
    model = cost_model(small, objective_weights(small))
    f = build_formulation(small, model, relax=True)
    full = strengthened_lp(small, f, deadline=time.perf_counter() + 30, threads=None, seed=0).result
    start = initial_columns(small, model, per_demand=2)
    early = column_generation(small, model, start, deadline=time.perf_counter() + 30, max_rounds=1)
    assert early.bound is not None and early.bound <= full.objective * (1 + 1e-9)
    # stop_gap=0: run until no column prices out (the default 1e-5 is relative to the whole
    # objective, which includes the fixed network baseload of energy model v2)
    done = column_generation(small, model, start, deadline=time.perf_counter() + 30, stop_gap=0.0)
    assert done.bound == pytest.approx(full.objective, rel=1e-6)
    assert len(done.restricted.cands) < small.n_candidates


def test_bandwidth_duals_price_along_routes() -> None:
    from dataclasses import replace

    from slimplace.problem.compile import compile_problem
    from slimplace.testing import tiny_scenario

    scenario = tiny_scenario(6, seed=1, rate_scale=5.0)
    # a device uplink and the edge-0 uplink to the PoP (a core link) are narrow
    narrow = tuple(
        replace(lk, bandwidth_bps=10e6) if lk.a in ("dev-3", "edge-0") else lk
        for lk in scenario.links
    )
    problem = compile_problem(replace(scenario, links=narrow))
    model = cost_model(problem, objective_weights(problem))
    r = restrict(problem, model, np.arange(problem.n_candidates))
    f = build_formulation(r.problem, r.model, relax=True)
    strong = strengthened_lp(r.problem, f, deadline=time.perf_counter() + 30, threads=None, seed=0)
    session, pairs = strong.session, strong.link_keys
    duals = session.row_duals()
    bw = duals[f.rows["bw"]]
    links = f.row_index["bw"][0] // 2
    names = {problem.node_ids[problem.link_a[k]] for k in links[np.abs(bw) > 0]}
    assert names == {"dev-3", "edge-0"}  # both bind: leaf and core prices are exercised
    rc = reduced_costs(problem, model, r, f, duals, pairs)
    assert np.allclose(rc, session.col_duals()[f.cols["x"]], atol=1e-7)


def test_rounds_start_from_the_previous_basis_and_reach_the_same_bound(
    small: CompiledProblem, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slimplace.optim.highs import HighsSession

    model = cost_model(small, objective_weights(small))
    f = build_formulation(small, model, relax=True)
    full = strengthened_lp(small, f, deadline=time.perf_counter() + 30, threads=None, seed=0).result
    accepted: list[bool] = []
    original = HighsSession.set_basis

    def spy(self: HighsSession, cols: np.ndarray, rows: np.ndarray) -> bool:
        ok = original(self, cols, rows)
        accepted.append(ok)
        return ok

    monkeypatch.setattr(HighsSession, "set_basis", spy)
    start = initial_columns(small, model, per_demand=1)
    done = column_generation(small, model, start, deadline=time.perf_counter() + 30, stop_gap=0.0)
    assert done.rounds > 1 and accepted and all(accepted)
    assert done.bound == pytest.approx(full.objective, rel=1e-6)


def test_stop_gap_is_relative_to_the_plan_dependent_part(small: CompiledProblem) -> None:
    from dataclasses import replace

    model = cost_model(small, objective_weights(small))
    start = initial_columns(small, model, per_demand=1)
    deadline = time.perf_counter() + 30
    plain = column_generation(small, model, start, deadline=deadline, stop_gap=1e-6)
    # a huge constant (fixed power) must not loosen the stopping rule
    inflated = replace(model, constant=model.constant + 1e9)
    big = column_generation(small, inflated, start, deadline=deadline, stop_gap=1e-6)
    assert plain.bound is not None and big.bound is not None
    assert plain.rounds > 1 and big.rounds == plain.rounds
    assert big.bound - 1e9 == pytest.approx(plain.bound, rel=1e-6)
