"""Column generation prices the ``link`` rows a candidate brings with it
(slimplace.optim.link_pricing): the raised reduced costs keep the bound valid, stay
within each node's budget, and the bound still reaches the full LP."""

from __future__ import annotations

import time

import numpy as np
import pytest

from slimplace.optim.colgen import column_generation, initial_columns, reduced_costs, restrict
from slimplace.optim.costs import cost_model, objective_weights
from slimplace.optim.formulation import build_formulation
from slimplace.optim.link_pricing import missing_link_duals
from slimplace.optim.lp import strengthened_lp
from slimplace.problem.compiled import CompiledProblem
from slimplace.testing import small_problem


@pytest.fixture(scope="module")
def small() -> CompiledProblem:
    return small_problem()


def _full_lp(p: CompiledProblem) -> float:
    model = cost_model(p, objective_weights(p))
    f = build_formulation(p, model, relax=True)
    out = strengthened_lp(p, f, deadline=time.perf_counter() + 30, threads=None, seed=0).result
    assert out.objective is not None
    return out.objective


def _round(p: CompiledProblem, cands: np.ndarray) -> tuple:
    """One restricted LP over ``cands``: its value, reduced costs and link-row duals."""
    model = cost_model(p, objective_weights(p))
    r = restrict(p, model, cands)
    f = build_formulation(r.problem, r.model, relax=True, artificial_cost=1e6)
    s = strengthened_lp(r.problem, f, deadline=time.perf_counter() + 30, threads=None, seed=0)
    assert s.result.values is not None and s.result.objective is not None
    rc = reduced_costs(p, model, r, f, s.session.row_duals(), s.link_keys)
    mu = missing_link_duals(p, model, f, r.cands, s.session.col_duals(), s.result.values, rc)
    return model, r, f, s, rc, mu


def _bound(p: CompiledProblem, lp: float, rc: np.ndarray, outside: np.ndarray) -> float:
    worst = np.minimum.reduceat(np.where(outside, np.minimum(rc, 0.0), 0.0), p.demand_ptr[:-1])
    return lp + float(worst.sum())


@pytest.mark.parametrize("per_demand", [1, 2, 4])
def test_priced_link_rows_keep_the_bound_valid_and_within_budget(
    small: CompiledProblem, per_demand: int
) -> None:
    p = small
    model = cost_model(p, objective_weights(p))
    cands = initial_columns(p, model, per_demand=per_demand)
    model, r, f, s, rc, mu = _round(p, cands)
    outside = np.ones(p.n_candidates, dtype=bool)
    outside[r.cands] = False
    # only pairs without a candidate in the restricted set, only switchable nodes
    key = p.cand_demand * p.n_nodes + p.cand_node
    inside = np.isin(key, key[r.cands])
    assert (mu[inside] == 0).all()
    assert (mu[~model.switchable[p.cand_node]] == 0).all()
    assert (mu >= 0).all()
    # one mu per (demand, node) pair, and per node at most the reduced cost of n_v at 0
    pairs, first = np.unique(key, return_index=True)
    for k, c in zip(pairs, first, strict=True):
        assert np.all(mu[key == k] == mu[c])
    per_node = np.bincount(p.cand_node[first], weights=mu[first], minlength=p.n_nodes)
    n_nodes = f.col_index["n"][0]
    values, duals = s.result.values[f.cols["n"]], s.session.col_duals()[f.cols["n"]]
    budget = np.where(model.switchable, model.server_cost, 0.0)
    budget[n_nodes] = np.where(values <= 1e-9, np.maximum(duals, 0.0), 0.0)
    assert (per_node <= budget + 1e-9).all()
    # the bound with the raised reduced costs is valid, and no weaker than without them
    full = _full_lp(p)
    lp = float(s.result.objective)
    with_mu = _bound(p, lp, rc + mu, outside)
    assert with_mu <= full + 1e-7 * abs(full)
    assert with_mu >= _bound(p, lp, rc, outside) - 1e-9


def test_column_generation_still_reaches_the_full_lp(small: CompiledProblem) -> None:
    model = cost_model(small, objective_weights(small))
    start = initial_columns(small, model, per_demand=1)
    done = column_generation(small, model, start, deadline=time.perf_counter() + 30, stop_gap=0.0)
    assert done.converged
    assert done.bound == pytest.approx(_full_lp(small), rel=1e-7)


def test_a_node_without_columns_shares_its_on_cost_among_the_demands_it_tempts(
    small: CompiledProblem,
) -> None:
    """A switchable node with no candidate in the restricted LP has no server column: its
    budget is the cost of one server on. Each demand there gets what it needs to price
    at 0 (``-min rc``) when their needs together are within that cost, else the cost is
    shared in proportion to the needs."""
    p = small
    model = cost_model(p, objective_weights(p))
    model, r, _, _, rc, mu = _round(p, initial_columns(p, model, per_demand=1))
    present = np.zeros(p.n_nodes, dtype=bool)
    present[p.cand_node[r.cands]] = True
    absent = np.flatnonzero(model.switchable & ~present)
    assert len(absent), "the instance should leave some switchable node out"
    for v in absent:
        at = np.flatnonzero(p.cand_node == v)
        low = np.zeros(p.n_demands)
        np.minimum.at(low, p.cand_demand[at], rc[at])
        need = -low
        share = min(1.0, model.server_cost[v] * (1 - 1e-9) / need.sum()) if need.sum() else 0.0
        np.testing.assert_allclose(mu[at], (need * share)[p.cand_demand[at]], rtol=1e-9, atol=1e-12)


def test_a_round_out_of_time_returns_the_last_lp_solved(
    small: CompiledProblem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The LP of a round interrupted by the deadline has no solution: column generation
    returns the round before (its LP, shares and duals), with the best bound so far."""
    from dataclasses import replace

    from slimplace.optim import colgen

    model = cost_model(small, objective_weights(small))
    start = initial_columns(small, model, per_demand=1)
    calls = []
    solve = colgen.strengthened_lp

    def second_times_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = solve(*args, **kwargs)
        calls.append(out)
        if len(calls) == 2:
            return replace(out, result=replace(out.result, values=None, objective=None))
        return out

    monkeypatch.setattr(colgen, "strengthened_lp", second_times_out)
    cg = column_generation(small, model, start, deadline=time.perf_counter() + 30, stop_gap=0.0)
    assert len(calls) == 2 and cg.rounds == 2 and not cg.converged
    assert cg.lp is calls[0].result and cg.lp.values is not None
    assert cg.bound is not None and cg.bound <= _full_lp(small) + 1e-7


def test_a_mip_search_starts_only_with_time_for_its_root_lp() -> None:
    from slimplace.optim.milp import ROOT_LP_FACTOR, root_fits

    now = time.perf_counter()
    assert root_fits(1.0, now + ROOT_LP_FACTOR * 1.0 + 1.0)
    assert not root_fits(1.0, now + ROOT_LP_FACTOR * 1.0 - 0.5)
