"""The LP bound of large problems by column generation over the candidates.

The LP relaxation (with ``link`` rows) is solved over a restricted set of
candidates R (a shortlist per demand); its row duals y are extended with zeros
to the rows of the full model that R lacks, which keeps them dual feasible
except for the candidates outside R. Their reduced costs ``rc_c = k_c - a_c^T y``
are computed for *all* candidates in one vectorized pass (bandwidth duals are
summed along routes by pointer jumping), and

    LB = LP(R) + sum_d min(0, min_{c in C(d) \\ R} rc_c)

is a valid lower bound of the full LP (the Lagrangian bound of column
generation with one convexity row per demand; Lübbecke & Desrosiers,
"Selected topics in column generation", Oper. Res. 53(6), 2005, sec. 2.1).
The ``link`` rows a candidate brings with it are priced too
(:mod:`slimplace.optim.link_pricing`): without them, candidates at nodes the LP keeps
switched off look cheaper by the cost of switching a server on.
Candidates with negative reduced cost join R and the LP is solved again, until
none is left (LB = LP(R) = the full LP bound) or time runs out (LB stays valid).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from slimplace.optim.arcs import arc_capacity_bps
from slimplace.optim.costs import CostModel, FloatArray, IntArray
from slimplace.optim.formulation import Formulation, build_formulation
from slimplace.optim.highs import AT_LOWER, BASIC, HighsResult, HighsSession
from slimplace.optim.link_pricing import missing_link_duals
from slimplace.optim.lp import strengthened_lp
from slimplace.optim.mode_rows import mode_row_prices
from slimplace.optim.search_state import SearchState
from slimplace.optim.segments import concat_ranges, top_per_demand
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.routes import path_sums

log = logging.getLogger(__name__)

#: Reduced costs above -RC_TOL x (scale of the costs) count as non-negative.
RC_TOL = 1e-9

#: From this many candidates on, LPs are solved by column generation and the MILP
#: searches the generated columns (option ``columns="auto"``).
COLGEN_MIN_CANDIDATES = 50_000


def uses_generated_columns(problem: CompiledProblem, columns: str) -> bool:
    """Whether LPs of ``problem`` go by column generation under option ``columns``."""
    return columns == "generated" or (
        columns == "auto" and problem.n_candidates >= COLGEN_MIN_CANDIDATES
    )


def initial_columns(
    problem: CompiledProblem,
    model: CostModel,
    per_demand: int = 8,
    state: SearchState | None = None,
) -> IntArray:
    """A shortlist of each demand's cheapest candidates to start column generation
    (from the search ``state``, when given)."""
    if state is not None:
        return np.asarray(state.shortlist(per_demand), dtype=np.int64)
    return SearchState(problem, model, per_demand).shortlisted


@dataclass(frozen=True, eq=False)
class Restricted:
    """The problem restricted to candidates ``cands`` (sorted), with its cost model."""

    cands: IntArray
    problem: CompiledProblem
    model: CostModel


def restrict(problem: CompiledProblem, model: CostModel, cands: IntArray) -> Restricted:
    """``problem`` and ``model`` with only candidates ``cands`` (every other array shared)."""
    p = problem
    cands = np.unique(cands)
    fields = {
        f.name: getattr(p, f.name)[cands]
        for f in dataclasses.fields(p)
        if f.name.startswith("cand_")
    }
    ptr = np.searchsorted(p.cand_demand[cands], np.arange(p.n_demands + 1)).astype(np.int64)
    sub = dataclasses.replace(p, demand_ptr=ptr, **fields)
    sub_model = dataclasses.replace(
        model, cand_cost=model.cand_cost[cands], cand_load=model.cand_load[cands]
    )
    return Restricted(cands, sub, sub_model)


@dataclass(frozen=True, eq=False)
class ColumnGeneration:
    """Outcome: the valid lower bound, the last restricted LP, and its formulation.
    ``converged``: no candidate priced out, or the bound came within ``stop_gap`` of
    the restricted LP (the bound is then the full LP bound to that precision).

    ``slack`` (per candidate) and ``last_bound`` come from the last round's duals:
    every plan x of the full problem has value >= ``last_bound + sum_c slack_c x_c``
    (``slack_c = rc_c - min(0, min of rc over c's demand)``), so a plan better than U
    sends a whole demand only to candidates with ``slack_c < U - last_bound``
    (reduced-cost fixing; Nemhauser & Wolsey, "Integer and Combinatorial
    Optimization", 1988, sec. II.5.1). None when the last LP had no solution.
    """

    bound: float | None
    restricted: Restricted
    formulation: Formulation
    session: HighsSession
    lp: HighsResult
    converged: bool
    rounds: int
    slack: FloatArray | None = None
    last_bound: float | None = None


def column_generation(
    problem: CompiledProblem,
    model: CostModel,
    initial: IntArray,
    *,
    deadline: float,
    threads: int | None = None,
    seed: int = 0,
    add_per_demand: int = 32,
    max_rounds: int = 200,
    stop_gap: float = 1e-5,
) -> ColumnGeneration:
    """LP bound of ``problem`` starting from candidates ``initial`` (at least one per demand);
    stops when no candidate prices out or the bound is within ``stop_gap`` of the LP
    (relative to the LP's plan-dependent part: its value minus ``model.constant``)."""
    p = problem
    cands = np.unique(initial)
    bound: float | None = None
    rounds = 0
    big_m = artificial_cost(p, model)
    previous: _Basis | None = None
    done: ColumnGeneration | None = None  # the last round whose LP was solved
    while True:
        rounds += 1
        began = time.perf_counter()
        r = restrict(p, model, cands)
        # without batch-fill rows: they add next to nothing to the bound and slow every
        # LP down (optim.mode_rows.add_fill_rows); a new column's fill row is priced
        # at 0 anyway, so the bound stays that of the relaxation without them
        f = build_formulation(
            r.problem, r.model, relax=True, artificial_cost=big_m, fill_rows=False
        )
        strong = strengthened_lp(
            r.problem,
            f,
            deadline=deadline,
            threads=threads,
            seed=seed,
            warm=_warm_start(previous, r.cands),
        )
        session, lp, pairs = strong.session, strong.result, strong.link_keys
        previous = _snapshot(session, r.cands, pairs)
        if lp.values is None or lp.objective is None or lp.bound is None:
            # out of time in this round: the bound of the rounds before still holds, and
            # the LP of the round before is the last one solved
            if done is not None:
                return dataclasses.replace(done, bound=bound, rounds=rounds)
            return ColumnGeneration(bound, r, f, session, lp, False, rounds)
        rc = reduced_costs(p, model, r, f, session.row_duals(), pairs)
        rc += missing_link_duals(p, model, f, r.cands, session.col_duals(), lp.values, rc)
        outside = np.ones(p.n_candidates, dtype=bool)
        outside[cands] = False
        tol = RC_TOL * max(1.0, float(np.abs(model.cand_cost).max(initial=1.0)))
        neg = outside & (rc < -tol)
        worst = (
            np.minimum.reduceat(np.where(neg, rc, 0.0), p.demand_ptr[:-1])
            if p.n_demands
            else np.zeros(0)
        )
        worst = np.where(np.diff(p.demand_ptr) > 0, worst, 0.0)
        last = lp.objective + float(worst.sum())
        bound = max(bound or -np.inf, last)
        slack = rc - np.repeat(worst, np.diff(p.demand_ptr))
        log.info(
            "column generation round %d: %d columns, LP %.6g, bound %.6g, %d priced out",
            rounds,
            len(cands),
            lp.objective,
            bound,
            int(neg.sum()),
        )
        if not neg.any():
            return ColumnGeneration(lp.objective, r, f, session, lp, True, rounds, slack, last)
        # stop_gap is relative to the plan-dependent LP value (without CostModel.constant)
        if lp.objective - bound <= stop_gap * max(1.0, abs(lp.objective - model.constant)):
            return ColumnGeneration(bound, r, f, session, lp, True, rounds, slack, last)
        done = ColumnGeneration(bound, r, f, session, lp, False, rounds, slack, last)
        # a round that cannot finish before the deadline (the next one takes at least as
        # long as this one) is not started
        if rounds >= max_rounds or deadline - time.perf_counter() < time.perf_counter() - began:
            return done
        cands = np.union1d(cands, _most_negative(p, rc, neg, add_per_demand))


@dataclass(frozen=True, eq=False)
class _Basis:
    """The final basis of one round, per column and row family: (sorted keys, status)."""

    cols: dict[str, tuple[IntArray, IntArray]]
    rows: dict[str, tuple[IntArray, IntArray]]


def _keys(index: tuple[IntArray, ...]) -> IntArray:
    """One integer per column or row from its family's index arrays (ids < 2**24)."""
    key = np.asarray(index[0], dtype=np.int64)
    for more in index[1:]:
        key = key * (1 << 24) + np.asarray(more, dtype=np.int64)
    return key


def _family_keys(
    blocks: dict[str, slice], index: dict[str, tuple[IntArray, ...]], cands: IntArray
) -> dict[str, tuple[slice, IntArray]]:
    """Per family, its slice and the keys of its members (``x``: the candidate in the
    full problem, so that a column keeps its key when the restricted set grows)."""
    out = {}
    for name, sl in blocks.items():
        if name not in index:
            continue
        out[name] = (sl, cands[index[name][0]] if name == "x" else _keys(index[name]))
    return out


def _row_blocks(
    session: HighsSession, link_keys: IntArray
) -> tuple[dict[str, slice], dict[str, tuple[IntArray, ...]]]:
    f = session.f
    blocks = dict(f.rows)
    index = dict(f.row_index)
    blocks["link"] = slice(f.n_rows, f.n_rows + len(link_keys))
    index["link"] = (link_keys,)
    return blocks, index


def _snapshot(session: HighsSession, cands: IntArray, link_keys: IntArray) -> _Basis | None:
    """The basis of the session's last LP, keyed so the next round can match it."""
    statuses = session.basis()
    if statuses is None or session.n_rows != session.f.n_rows + len(link_keys):
        return None
    col_status, row_status = statuses
    out: list[dict[str, tuple[IntArray, IntArray]]] = []
    f = session.f
    for fam, status in (
        (_family_keys(f.cols, f.col_index, cands), col_status),
        (_family_keys(*_row_blocks(session, link_keys), cands), row_status),
    ):
        keyed = {}
        for name, (sl, key) in fam.items():
            order = np.argsort(key, kind="stable")
            keyed[name] = (key[order], status[sl][order])
        out.append(keyed)
    return _Basis(out[0], out[1])


def carry_statuses(
    previous: dict[str, tuple[IntArray, IntArray]],
    fam: dict[str, tuple[slice, IntArray]],
    n: int,
    default: int,
) -> IntArray:
    """Statuses for ``n`` members: the previous round's where the key matches, else ``default``."""
    status = np.full(n, default, dtype=np.int64)
    for name, (sl, key) in fam.items():
        if name not in previous or len(key) == 0:
            continue
        old_key, old_status = previous[name]
        if len(old_key) == 0:
            continue
        pos = np.minimum(np.searchsorted(old_key, key), len(old_key) - 1)
        hit = old_key[pos] == key
        block = status[sl]
        block[hit] = old_status[pos[hit]]
        status[sl] = block
    return status


def _warm_start(
    previous: _Basis | None, cands: IntArray
) -> Callable[[HighsSession, IntArray], None] | None:
    """Start a round's LP from the previous round's basis: kept columns and rows keep
    their status, new columns start nonbasic at 0, new rows with their slack basic
    (a basis of the grown LP, since every old row and column is still there; the
    restricted LPs of column generation differ by the new columns and their rows)."""
    if previous is None:
        return None
    prev = previous

    def warm(session: HighsSession, link_keys: IntArray) -> None:
        f = session.f
        cols = carry_statuses(
            prev.cols, _family_keys(f.cols, f.col_index, cands), f.n_cols, AT_LOWER
        )
        rows_fam = _family_keys(*_row_blocks(session, link_keys), cands)
        rows = carry_statuses(prev.rows, rows_fam, session.n_rows, BASIC)
        if not session.set_basis(cols, rows):
            log.debug("column generation: previous basis not usable, solving from scratch")

    return warm


def artificial_cost(p: CompiledProblem, model: CostModel) -> float:
    """Cost of leaving a demand unserved in the phase-one LP: ten times what serving it
    anywhere, with a whole node switched on for it, could cost."""
    per_server = model.server_cost.copy()
    if len(model.curve_nodes):
        per_server[model.curve_nodes] += np.nanmax(model.curve_f, axis=1)
    opening = float((per_server * p.node_count).max(initial=0.0))
    serving = float(np.abs(model.cand_cost).max(initial=0.0))
    return 10.0 * (serving + opening) + 1.0


def artificial_share(f: Formulation, values: FloatArray) -> float:
    """Total share of demands left to artificial columns (0 in a real solution)."""
    return float(values[f.cols["art"]].sum()) if "art" in f.cols else 0.0


def _most_negative(p: CompiledProblem, rc: FloatArray, neg: np.ndarray, k: int) -> IntArray:
    idx = np.nonzero(neg)[0]
    return top_per_demand(p, idx, rc[idx], k)


def reduced_costs(
    p: CompiledProblem,
    model: CostModel,
    r: Restricted,
    f: Formulation,
    duals: FloatArray,
    link_pairs: IntArray,
) -> FloatArray:
    """``k_c - a_c^T y`` of every candidate of the full problem under the restricted duals
    (a few passes over the candidates; rows whose duals are all zero are skipped)."""
    y = _row_duals(f, duals)
    counts = np.diff(p.demand_ptr)
    node_dual = np.zeros(p.n_nodes)
    for family in ("cap", "curve_load"):
        if family in f.rows:
            np.add.at(node_dual, f.row_index[family][0], y[family])
    rc = model.cand_cost - np.repeat(y["cover"], counts)
    rc -= model.cand_load * node_dual[p.cand_node]
    if "avgacc" in f.rows and np.any(y["avgacc"] != 0):
        apps = f.row_index["avgacc"][0]
        app_dual = np.zeros(len(p.app_ids))
        app_dual[apps] = y["avgacc"] / f.row_scale[f.rows["avgacc"]]
        d = np.nonzero(app_dual[p.demand_app] != 0)[0]
        idx = concat_ranges(p.demand_ptr[d], counts[d])
        dd = np.repeat(d, counts[d])
        app = p.demand_app[dd]
        rc[idx] -= (
            app_dual[app] * p.demand_rate_per_s[dd] * (p.cand_accuracy[idx] - p.app_floor[app])
        )
    if "bw" in f.rows and np.any(y["bw"] != 0):
        arc_w = np.zeros(2 * len(p.link_a))
        arcs = f.row_index["bw"][0]
        arc_w[arcs] = y["bw"] / arc_capacity_bps(p)[arcs]
        rc -= _bandwidth_price(p, arc_w)
    if len(link_pairs):
        idx, which = _pair_candidates(p, link_pairs)
        rc[idx] -= y["link"][which]
    rc -= mode_row_prices(p, model.cand_load, f.rows, f.row_index, y)  # power modes, batches
    return rc


def _pair_candidates(p: CompiledProblem, pairs: IntArray) -> tuple[IntArray, IntArray]:
    """Candidates of each (demand, node) key ``d * N + v`` and the key's position, by
    bisection within each demand's slice (candidates are sorted by demand, then node)."""
    d, v = pairs // p.n_nodes, pairs % p.n_nodes
    lo = _bisect(p.cand_node, p.demand_ptr[d], p.demand_ptr[d + 1], v, right=False)
    hi = _bisect(p.cand_node, lo, p.demand_ptr[d + 1], v, right=True)
    idx = concat_ranges(lo, hi - lo)
    return idx, np.repeat(np.arange(len(pairs)), hi - lo)


def _bisect(a: IntArray, lo: IntArray, hi: IntArray, v: IntArray, *, right: bool) -> IntArray:
    """First position in ``a[lo:hi]`` (sorted) with ``a > v`` (right) or ``a >= v`` (left)."""
    lo, hi = lo.copy(), hi.copy()
    while (lo < hi).any():
        mid = (lo + hi) // 2
        active = lo < hi
        val = a[np.minimum(mid, len(a) - 1)]
        go_right = active & ((val <= v) if right else (val < v))
        lo = np.where(go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)
    return lo


def _row_duals(f: Formulation, duals: FloatArray) -> dict[str, FloatArray]:
    out = {name: duals[s] for name, s in f.rows.items()}
    out["link"] = duals[f.n_rows :]
    if "cover" not in out:
        out["cover"] = np.zeros(0)
    return out


def _bandwidth_price(p: CompiledProblem, arc_w: FloatArray) -> FloatArray:
    """Sum of ``rate x bits x arc_w`` over the arcs each candidate's traffic crosses
    (requests toward the node, responses back; leaf link, then the route from the root).
    A candidate's request bits are ``cand_request_bits`` (a split candidate sends its cut
    tensor)."""
    r = p.routes
    counts = np.diff(p.demand_ptr)
    src = p.demand_source
    req = p.demand_rate_per_s[p.cand_demand] * p.cand_request_bits  # per candidate
    resp = p.demand_rate_per_s * p.demand_response_bits
    leaf = r.source_leaf_link[src]
    has_leaf = leaf >= 0
    lf = np.maximum(leaf, 0)
    up = np.where(p.link_a[lf] == src, 0, 1)
    w_up = np.repeat(np.where(has_leaf, arc_w[2 * lf + up], 0.0), counts)
    leaf_resp = np.where(has_leaf, resp * arc_w[2 * lf + 1 - up], 0.0)
    away = p.cand_node != np.repeat(src, counts)
    price = (req * w_up + np.repeat(leaf_resp, counts)) * away
    # path sums over the route tables' columns (user devices are folded leaves)
    pred = r.pred
    has = pred >= 0
    parent = np.where(has, r.cols[np.maximum(pred, 0)], 0)
    child = np.broadcast_to(r.cols[None, :], pred.shape)
    link = np.where(has, r.link_between(parent, child), 0)
    fwd = np.where(p.link_a[link] == parent, 0, 1)
    s_req = path_sums(pred, np.where(has, arc_w[2 * link + fwd], 0.0))
    s_resp = path_sums(pred, np.where(has, arc_w[2 * link + 1 - fwd], 0.0))
    row = r.source_root_row[src]
    core = away & (p.cand_node != np.repeat(r.roots[row], counts))
    idx = np.nonzero(core)[0]
    d = p.cand_demand[idx]
    node = r.col(p.cand_node[idx])
    price[idx] += req[idx] * s_req[row[d], node] + resp[d] * s_resp[row[d], node]
    return price
