"""``greedy``: energy-marginal construction, consolidation and local search, vectorized.

1. *Construction.* Every candidate is priced at its cost per inference plus the
   idle power of the servers it occupies, amortised over a server at its most
   efficient utilisation (rho_max for linear power; the best point of a
   measured curve), so opening a server is paid for. Demands are placed by
   regret-ordered deferred acceptance (:mod:`slimplace.optim.rounds`) with node
   capacity; memory and bandwidth are then repaired (:mod:`slimplace.optim.repair`).
   Average-floor applications start on variants that meet the floor.
2. *Dynamic slope scaling* (Kim & Pardalos, "A solution approach to the fixed
   charge network flow problem using a dynamic slope scaling procedure",
   Oper. Res. Letters 24, 1999): each node is re-priced at the idle cost it
   actually incurred per unit of load, so lightly used nodes lose their
   demands to well used ones; the best of a few rounds is kept.
3. *Local search* in vectorized rounds: moves of demands into spare capacity of
   servers already on (or to a cheaper variant on the same node); consolidation,
   which empties the last server of lightly used nodes into spare capacity
   elsewhere when the idle power saved exceeds the extra cost; and, for
   average-floor applications, downgrades to cheaper variants in order of
   saving per accuracy point while the average holds (the last one partial
   when the application is splittable).

Heuristics work on the best ``keep_per_demand`` candidates of each demand (by
the construction price) and fall back to all candidates for demands that do
not fit there.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from slimplace.optim.costs import CostModel, ObjectiveOptions, plan_value
from slimplace.optim.milp import servers_for_load
from slimplace.optim.network import (
    arc_capacity_bps,
    arc_loads_bps,
    candidate_arcs,
    concat_ranges,
)
from slimplace.optim.repair import bandwidth_evictions, memory_evictions, node_busy, repair
from slimplace.optim.rounds import (
    BoolArray,
    FloatArray,
    IntArray,
    argmin_segments,
    assign_rounds,
    first_per,
    model_pairs,
    top_per_demand,
    weighted_sum,
)
from slimplace.placement.assign import accept_in_order, cumsum_in_groups, fits
from slimplace.plan import Plan, Status
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class GreedySolver(ObjectiveOptions):
    """Energy-marginal greedy with slope scaling, consolidation and local search.

    Options: ``time_limit_s`` (checked between phases), ``objective`` /
    ``carbon_weight`` (as for ``milp``), ``scaling_rounds``, ``local_search``,
    ``keep_per_demand`` (candidates per demand the search works on).
    """

    scaling_rounds: int = 6
    price_rounds: int = 60
    local_search: bool = True
    keep_per_demand: int = 24

    def solve(self, problem: CompiledProblem, *, seed: int = 0) -> Plan:
        """A feasible plan, or status infeasible when some demand could not be placed."""
        t0 = time.perf_counter()
        deadline = t0 + self.time_limit_s
        model = self.cost_model(problem)
        search = Search(problem, model, self.keep_per_demand)
        rate = search.base_rate
        # prices after the usual and after four times as many subgradient rounds: which
        # construction is better depends on the instance, so both start
        prices = search.multipliers(rate, (self.price_rounds, 4 * self.price_rounds))
        starts = [search.construct(rate, mu, lam) for mu, lam in prices]
        values = [search.value(c) for c in starts]
        mu, lam = prices[int(np.argmin(values))]
        starts.append(search.construct(rate))
        values.append(search.value(starts[-1]))
        for _ in range(self.scaling_rounds):
            if time.perf_counter() > deadline * 0.5 + t0 * 0.5:
                break
            rate = search.scaled_rate(starts[int(np.argmin(values))], rate)
            starts.append(search.construct(rate, mu, lam))
            values.append(search.value(starts[-1]))
        # local search from the two best starts: a worse start can end better
        best = starts[int(np.argmin(values))]
        x = search.shares(best)
        if self.local_search and (best >= 0).all():
            finals: list[tuple[float, IntArray, FloatArray]] = []
            for i in np.argsort(values, kind="stable")[:2]:
                if not np.isfinite(values[i]) or (finals and time.perf_counter() > deadline):
                    continue
                left = deadline - time.perf_counter()
                chosen, shares = search.improve(
                    starts[i], time.perf_counter() + left / (2 - len(finals))
                )
                finals.append((search.value_of_shares(shares), chosen, shares))
            _, best, x = min(finals, key=lambda f: f[0])
        return search.plan(best, x, "greedy", time.perf_counter() - t0)


class Search:
    """The arrays one greedy run works on (an object local to one solve call)."""

    def __init__(self, problem: CompiledProblem, model: CostModel, keep_per_demand: int) -> None:
        p = problem
        self.p = p
        self.model = model
        self.load = model.cand_load
        app = p.demand_app[p.cand_demand]
        self.floor_ok = ~p.app_average[app] | (p.cand_accuracy >= p.app_floor[app] - 1e-12)
        rate = p.demand_rate_per_s[p.cand_demand]
        self.acc_gain = np.where(
            p.app_average[app], rate * (p.cand_accuracy - p.app_floor[app]), 0.0
        )
        self.base_rate = self._full_rate()
        self.sub = self._shortlist(keep_per_demand)
        self.mem_safe = self._memory_safe_nodes()

    # -- pricing

    def _full_rate(self) -> FloatArray:
        """Cost per server-second of work at the most efficient utilisation of each node."""
        m, p = self.model, self.p
        rate = m.server_cost / p.max_utilisation
        if len(m.curve_nodes):
            u = np.where(m.curve_u > 0, m.curve_u, np.nan)
            avg = (m.server_cost[m.curve_nodes][:, None] + m.curve_f) / u
            rate[m.curve_nodes] = np.nanmin(avg, axis=1)
        return np.asarray(rate, dtype=np.float64)

    def price(self, rate: FloatArray) -> FloatArray:
        """Construction price of every candidate under node rates ``rate``."""
        return self.model.cand_cost + self.load * rate[self.p.cand_node]

    def scaled_rate(self, chosen: IntArray, rate: FloatArray) -> FloatArray:
        """Slope scaling: the idle (and curve) cost each used node incurred per unit of load."""
        p, m = self.p, self.model
        busy = node_busy(p, chosen, self.load)
        on = self.servers(busy)
        static = m.server_cost * on + self._curve_cost(busy, on)
        used = busy > 0
        new = rate.copy()
        new[used] = static[used] / busy[used]
        return new

    def _curve_cost(self, busy: FloatArray, on: FloatArray) -> FloatArray:
        from slimplace.optim.costs import node_dynamic_cost

        return node_dynamic_cost(self.p, self.model, busy, on)

    def shortlist(self, k: int) -> IntArray:
        """The best ``k`` candidates per demand within the working shortlist, plus the
        best ``k`` meeting an average floor."""
        p = self.p
        price = self.price(self.base_rate)[self.sub]
        top = top_per_demand(p, self.sub, price, k)
        ok = self.floor_ok[self.sub] & p.app_average[p.demand_app[p.cand_demand[self.sub]]]
        return np.union1d(top, top_per_demand(p, self.sub[ok], price[ok], k))

    def _shortlist(self, k: int) -> IntArray:
        """The best ``k`` candidates of each demand by the construction price, plus the
        best ``k`` of those meeting an average floor (construction starts on those)."""
        p = self.p
        price = self.price(self.base_rate)
        top = top_per_demand(p, np.arange(p.n_candidates), price, k)
        avg = np.nonzero(p.app_average[p.demand_app[p.cand_demand]] & self.floor_ok)[0]
        return np.union1d(top, top_per_demand(p, avg, price[avg], k))

    def _memory_safe_nodes(self) -> BoolArray:
        """Nodes where every model that could run there fits at once."""
        p = self.p
        pairs = np.nonzero(model_pairs(p, np.arange(p.n_candidates)))[0]
        need = weighted_sum(
            pairs // p.n_models, p.model_memory_bytes[pairs % p.n_models], p.n_nodes
        )
        return np.asarray(need <= p.node_memory_bytes * (1 + 1e-9), dtype=bool)

    # -- state

    def servers(self, busy: FloatArray) -> FloatArray:
        """Servers on per node for load ``busy`` (all of them at always-on nodes)."""
        p = self.p
        return np.where(p.node_always_on, p.node_count, servers_for_load(p, busy)).astype(
            np.float64
        )

    def shares(self, chosen: IntArray) -> FloatArray:
        """The share vector of a one-candidate-per-demand assignment."""
        x = np.zeros(self.p.n_candidates)
        x[chosen[chosen >= 0]] = 1.0
        return x

    def value_of_shares(self, x: FloatArray) -> float:
        """Objective of shares ``x`` with the servers their load needs."""
        p = self.p
        busy = weighted_sum(p.cand_node, self.load * x, p.n_nodes)
        return plan_value(p, self.model, x, self.servers(busy).astype(np.int64))

    def value(self, chosen: IntArray) -> float:
        """Objective of an assignment; +inf when some demand is unplaced."""
        if (chosen < 0).any():
            return float("inf")
        busy = node_busy(self.p, chosen, self.load)
        return plan_value(
            self.p, self.model, self.shares(chosen), self.servers(busy).astype(np.int64)
        )

    def plan(self, chosen: IntArray, x: FloatArray, method: str, seconds: float) -> Plan:
        """The plan of the final shares, with its objective."""
        p = self.p
        busy = weighted_sum(p.cand_node, self.load * x, p.n_nodes)
        on = self.servers(busy).astype(np.int64)
        if (chosen < 0).any():
            missing = int((chosen < 0).sum())
            return Plan(
                x,
                on,
                method,
                Status.INFEASIBLE,
                seconds=seconds,
                reason=f"{missing} demand(s) could not be placed within capacity, memory "
                "and bandwidth",
            )
        return Plan(
            x,
            on,
            method,
            Status.FEASIBLE,
            objective=plan_value(p, self.model, x, on),
            seconds=seconds,
        )

    # -- construction

    def multipliers(
        self, rate: FloatArray, checkpoints: tuple[int, ...]
    ) -> list[tuple[FloatArray, FloatArray]]:
        """Scarcity price of capacity per node (objective per server-second of work) and
        price of accuracy per average-floor application, by subgradient steps on the
        relaxation where every demand takes its cheapest shortlisted candidate (the
        multiplier adjustment of Fisher, Jaikumar & Van Wassenhove, Management
        Science 32(9), 1986): demands then compete for scarce nodes by what they
        save per unit of capacity, and trade accuracy where it is cheapest. Returns
        the prices after each number of rounds in ``checkpoints``."""
        p = self.p
        c = self.sub
        d = p.cand_demand[c]
        node, app = p.cand_node[c], p.demand_app[d]
        load, gain = self.load[c], self.acc_gain[c]
        base = self.price(rate)[c]
        cap = p.max_utilisation * p.node_count.astype(np.float64)
        rate_a = weighted_sum(p.demand_app, p.demand_rate_per_s, len(p.app_ids))
        first = np.searchsorted(d, np.unique(d))
        mu, lam = np.zeros(p.n_nodes), np.zeros(len(p.app_ids))
        rounds = max(checkpoints, default=0)
        if len(c) == 0 or rounds <= 0:
            return [(mu, lam) for _ in checkpoints]
        out: dict[int, tuple[FloatArray, FloatArray]] = {0: (mu, lam)}
        mu_scale = float(np.median(np.abs(base) / np.maximum(load, 1e-12)))
        spread = np.abs(gain) > 0
        lam_scale = (
            float(np.median(np.abs(base[spread]) / np.abs(gain[spread]))) if spread.any() else 0.0
        )
        for t in range(rounds):
            price = base + load * mu[node] - lam[app] * gain
            best = first + argmin_segments(price, first)
            use = weighted_sum(node[best], load[best], p.n_nodes)
            over = (use - cap) / np.maximum(cap, 1e-12)
            step = 0.5 / (1.0 + t)
            mu = np.maximum(0.0, mu + step * mu_scale * np.clip(over, -1.0, 1.0))
            short = -weighted_sum(app[best], gain[best], len(p.app_ids))
            short = np.where(p.app_average, short / np.maximum(rate_a, 1e-12), 0.0)
            lam = np.maximum(0.0, lam + step * lam_scale * np.clip(short / 0.01, -1.0, 1.0))
            if t + 1 in checkpoints:
                out[t + 1] = (mu, lam)
        return [out[max(0, k)] for k in checkpoints]

    def construct(
        self, rate: FloatArray, mu: FloatArray | None = None, lam: FloatArray | None = None
    ) -> IntArray:
        """Place every demand under node rates ``rate`` (plus capacity prices ``mu`` and
        accuracy prices ``lam``); repair memory, bandwidth and average floors."""
        p = self.p
        price = self.price(rate)
        if mu is not None:
            price = price + self.load * mu[p.cand_node]
        if lam is not None:
            price = price - lam[p.demand_app[p.cand_demand]] * self.acc_gain
        else:  # without accuracy prices, average-floor apps start on variants meeting the floor
            price = np.where(self.floor_ok, price, np.inf)
        residual = p.max_utilisation * p.node_count.astype(np.float64)
        cands = self.sub[np.isfinite(price[self.sub])]
        chosen, residual = assign_rounds(p, cands, price[cands], self.load[cands], residual)
        score = np.where(np.isfinite(price), price, 1e300)
        chosen = repair(p, chosen, score, self.load, cands)
        if (chosen < 0).any():  # fall back to every candidate for the demands left
            rest = self.all_of(chosen < 0)
            rest = rest[np.isfinite(price[rest])]
            residual = p.max_utilisation * p.node_count - node_busy(p, chosen, self.load)
            more, _ = assign_rounds(p, rest, price[rest], self.load[rest], residual)
            chosen = repair(p, np.where(more >= 0, more, chosen), score, self.load, rest)
        if p.app_average.any() and (chosen >= 0).all():
            chosen = self.restore_floors(chosen)
        return chosen

    def all_of(self, demands: BoolArray) -> IntArray:
        """Every candidate of the demands in mask ``demands``."""
        p = self.p
        d = np.nonzero(demands)[0]
        return concat_ranges(p.demand_ptr[d], p.demand_ptr[d + 1] - p.demand_ptr[d])

    def restore_floors(self, chosen: IntArray) -> IntArray:
        """Raise every average-floor application back to its floor: moves to more
        accurate candidates (same node, or spare capacity of servers on), cheapest
        per accuracy point first; demands of apps still short go to their most
        accurate candidate that fits."""
        p = self.p
        for _ in range(3):
            slack = self._slack(chosen)
            short = p.app_average & (slack < -1e-9 * np.maximum(1.0, np.abs(slack)))
            if not short.any():
                return chosen
            _, on, spare = self._state(chosen)
            c, delta, extra, loss = self._options(chosen, on > 0)
            app = p.demand_app[p.cand_demand[c]]
            sel = short[app] & (loss < -1e-15) & fits(extra, spare[p.cand_node[c]])
            c, delta, extra, loss, app = c[sel], delta[sel], extra[sel], loss[sel], app[sel]
            key = delta / -loss
            best = first_per(p.cand_demand[c], key)
            c, extra, loss, app, key = c[best], extra[best], loss[best], app[best], key[best]
            order = np.lexsort((key, app))
            before = cumsum_in_groups(app[order], -loss[order]) + loss[order]
            need = -slack[app[order]]
            take = np.zeros(len(order), dtype=bool)
            take[order] = before < need
            take &= (extra <= 0) | accept_in_order(p.cand_node[c], np.maximum(extra, 0), key, spare)
            chosen = self._apply(chosen, c[take])
        slack = self._slack(chosen)
        short = p.app_average & (slack < -1e-9 * np.maximum(1.0, np.abs(slack)))
        if short.any():
            chosen = self._floor_fallback(chosen, short)
        return chosen

    def _floor_fallback(self, chosen: IntArray, short: BoolArray) -> IntArray:
        """Re-place the demands of short applications on variants meeting the floor."""
        p = self.p
        out = chosen.copy()
        evict = short[p.demand_app]
        out[evict] = -1
        residual = p.max_utilisation * p.node_count - node_busy(p, out, self.load)
        cands = self.all_of(evict)
        cands = cands[self.floor_ok[cands]]
        placed, _ = assign_rounds(
            p, cands, self.price(self.base_rate)[cands], self.load[cands], residual
        )
        return np.where(evict, placed, out)

    # -- local search

    def improve(self, chosen: IntArray, deadline: float) -> tuple[IntArray, FloatArray]:
        """Moves, consolidation and downgrades until nothing improves or time is up."""
        value = self.value(chosen)
        for _ in range(20):
            if time.perf_counter() > deadline:
                break
            chosen = self._moves(chosen, downgrade=False)
            chosen = self._open_nodes(chosen)
            chosen = self._consolidate(chosen)
            if self.p.app_average.any():
                chosen = self._moves(chosen, downgrade=True)
            new = self.value(chosen)
            if not new < value - 1e-9 * abs(value):
                break
            value = new
        x = self.shares(chosen)
        if self.p.app_splittable.any():
            x = self._checked(x, self._split_moves(chosen, x))
        if self.p.app_average.any():
            x = self._checked(x, self._partial_downgrade(chosen, x))
        return chosen, x

    def _checked(self, before: FloatArray, after: FloatArray) -> FloatArray:
        """``after`` if it keeps capacity, memory and links within limits, else ``before``."""
        return after if self.within_limits(after) else before

    def within_limits(self, x: FloatArray) -> bool:
        """Whether shares ``x`` keep every node's capacity and memory and every link."""
        p = self.p
        busy = weighted_sum(p.cand_node, self.load * x, p.n_nodes)
        if (busy > p.max_utilisation * p.node_count * (1 + 1e-9) + 1e-12).any():
            return False
        used = np.nonzero(x > 1e-9)[0]
        pairs = np.nonzero(model_pairs(p, used))[0]
        mem = weighted_sum(pairs // p.n_models, p.model_memory_bytes[pairs % p.n_models], p.n_nodes)
        if (mem > p.node_memory_bytes * (1 + 1e-9)).any():
            return False
        return self._links_ok(x)

    def _open_nodes(self, chosen: IntArray) -> IntArray:
        """Switch on more servers (at closed nodes, or beside those on at open ones) when
        the demands that gain by moving there save more than the idle cost of the servers
        they add (best saving per unit of load first): the *add* move of facility-location
        local search (Arya et al., SIAM J. Comput. 33(3), 2004), opposite of
        :meth:`_consolidate`."""
        p, m = self.p, self.model
        busy, on, _ = self._state(chosen)
        room = m.switchable & (on < p.node_count)
        if not room.any():
            return chosen
        c, delta, extra, loss = self._options(chosen, room)
        app = p.demand_app[p.cand_demand[c]]
        node = p.cand_node[c]
        sel = room[node] & (node != p.cand_node[chosen[p.cand_demand[c]]])
        sel &= (delta < 0) & self._keeps_floor(app, loss)
        c, delta, extra = c[sel], delta[sel], extra[sel]
        key = delta / np.maximum(extra, 1e-12)
        best = first_per(p.cand_demand[c], key)
        c, delta, extra, key = c[best], delta[best], extra[best], key[best]
        cap = np.maximum(p.max_utilisation * p.node_count - busy, 0.0)
        take = accept_in_order(p.cand_node[c], extra, key, cap)
        c, delta, extra = c[take], delta[take], extra[take]
        node = p.cand_node[c]
        gain = -weighted_sum(node, delta, p.n_nodes)
        after = busy + weighted_sum(node, extra, p.n_nodes)
        servers = self.servers(after)
        cost = (
            m.server_cost * (servers - on)
            + self._curve_cost(after, servers)
            - self._curve_cost(busy, on)
        )
        worth = gain - cost > 1e-9 * max(1.0, float(gain.max(initial=0.0)))
        return self._apply(chosen, c[worth[node]])

    def _split_moves(self, chosen: IntArray, x: FloatArray, rounds: int = 3) -> FloatArray:
        """Fill spare capacity of servers already on (devices included) with parts of
        splittable demands that are cheaper there: each round moves part of every
        demand's costliest share, a fractional knapsack per node by saving per unit
        of load; moves that would overfill memory or a link are dropped."""
        for _ in range(rounds):
            y = self._split_round(chosen, x)
            if y is x:
                break
            x = y
        return x

    def _split_round(self, chosen: IntArray, x: FloatArray) -> FloatArray:
        p, m = self.p, self.model
        busy = weighted_sum(p.cand_node, self.load * x, p.n_nodes)
        on = self.servers(busy)
        spare = np.maximum(p.max_utilisation * on - busy, 0.0)
        used = np.flatnonzero(x)
        unit = m.cand_cost[used] + self.load[used] * self._marginal(busy, on)[p.cand_node[used]]
        source = chosen.copy()
        costly = first_per(p.cand_demand[used], -unit)
        source[p.cand_demand[used[costly]]] = used[costly]
        c, delta, extra, loss = self._options(source, on > 0)
        app = p.demand_app[p.cand_demand[c]]
        sel = (delta < 0) & (extra > 0) & p.app_splittable[app] & self._keeps_floor(app, loss)
        sel &= x[c] == 0  # a new place for the demand
        c, delta, extra = c[sel], delta[sel], extra[sel]
        if len(c) == 0:
            return x
        ratio = delta / extra
        best = first_per(p.cand_demand[c], ratio)
        c, extra, ratio = c[best], extra[best], ratio[best]
        src = source[p.cand_demand[c]]
        share = np.minimum(_knapsack_share(p.cand_node[c], extra, ratio, spare), x[src])
        keep = share > 1e-6
        c, src, share = c[keep], src[keep], share[keep]
        for _ in range(3):
            y = x.copy()
            y[src] -= share
            y[c] += share
            y = np.where(y < 1e-12, 0.0, y)
            bad = self._conflicting(y, c)
            if not bad.any():
                return y
            c, src, share = c[~bad], src[~bad], share[~bad]
        return x

    def _conflicting(self, x: FloatArray, moved: IntArray) -> BoolArray:
        """Which of the candidates ``moved`` into sit at an over-full node (capacity or
        memory) or cross an overloaded arc under shares ``x``."""
        p = self.p
        busy = weighted_sum(p.cand_node, self.load * x, p.n_nodes)
        bad_node = busy > p.max_utilisation * p.node_count * (1 + 1e-9) + 1e-12
        used = np.flatnonzero(x > 1e-9)
        pairs = np.nonzero(model_pairs(p, used))[0]
        memory = p.model_memory_bytes[pairs % p.n_models]
        bad_node |= weighted_sum(pairs // p.n_models, memory, p.n_nodes) > p.node_memory_bytes * (
            1 + 1e-9
        )
        bad = bad_node[p.cand_node[moved]]
        loads = arc_loads_bps(p, np.flatnonzero(x), x[np.flatnonzero(x)])
        over = loads > arc_capacity_bps(p) * (1 + 1e-9)
        if over.any():
            pos, arc, _ = candidate_arcs(p, moved)
            hit = np.zeros(len(moved), dtype=bool)
            hit[pos[over[arc]]] = True
            bad |= hit
        return bad

    def _links_ok(self, x: FloatArray) -> bool:
        used = np.flatnonzero(x)
        loads = arc_loads_bps(self.p, used, x[used])
        return not bool((loads > arc_capacity_bps(self.p) * (1 + 1e-9)).any())

    def _state(self, chosen: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        p = self.p
        busy = node_busy(p, chosen, self.load)
        on = self.servers(busy)
        spare = np.maximum(p.max_utilisation * on - busy, 0.0)
        return busy, on, spare

    def _marginal(self, busy: FloatArray, on: FloatArray) -> FloatArray:
        """Dynamic cost per extra server-second of work at curve nodes (segment slope)."""
        m = self.model
        marg = np.zeros(self.p.n_nodes)
        if len(m.curve_nodes) == 0:
            return marg
        v = m.curve_nodes
        util = np.where(on[v] > 0, busy[v] / np.maximum(on[v], 1), 0.0)
        slope = np.diff(m.curve_f, axis=1) / np.diff(m.curve_u, axis=1)
        n_seg = (~np.isnan(m.curve_u)).sum(axis=1) - 1
        j = np.array(
            [
                min(
                    int(np.searchsorted(m.curve_u[i, : n_seg[i] + 1], util[i], side="right")) - 1,
                    n_seg[i] - 1,
                )
                for i in range(len(v))
            ]
        )
        marg[v] = slope[np.arange(len(v)), np.maximum(j, 0)]
        return marg

    def _loaded_pairs(self, chosen: IntArray) -> IntArray:
        p = self.p
        c = chosen[chosen >= 0]
        return np.unique(p.cand_node[c] * p.n_models + p.variant_model[p.cand_variant[c]])

    def _options(
        self,
        chosen: IntArray,
        open_nodes: BoolArray,
        from_nodes: BoolArray | None = None,
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        """Alternatives of placed demands: candidates in the shortlist at open nodes
        (or another variant at the same node), memory permitting. Returns the
        candidates, their cost change, extra load at their node and accuracy loss."""
        p, m = self.p, self.model
        c = self.sub
        d = p.cand_demand[c]
        cur = chosen[d]
        busy, on, _ = self._state(chosen)
        marg = self._marginal(busy, on)
        same = p.cand_node[c] == p.cand_node[cur]
        ok = (c != cur) & (open_nodes[p.cand_node[c]] | same)
        if from_nodes is not None:
            ok &= from_nodes[p.cand_node[cur]] & ~same
        pair = p.cand_node[c] * p.n_models + p.variant_model[p.cand_variant[c]]
        loaded = self._loaded_pairs(chosen)
        free = p.node_memory_bytes - weighted_sum(
            loaded // p.n_models, p.model_memory_bytes[loaded % p.n_models], p.n_nodes
        )
        ok &= (
            self.mem_safe[p.cand_node[c]]
            | np.isin(pair, loaded)
            | (
                p.model_memory_bytes[p.variant_model[p.cand_variant[c]]]
                <= free[p.cand_node[c]] * (1 + 1e-9)
            )
        )
        c, cur, same = c[ok], cur[ok], same[ok]
        delta = (
            m.cand_cost[c]
            + self.load[c] * marg[p.cand_node[c]]
            - m.cand_cost[cur]
            - self.load[cur] * marg[p.cand_node[cur]]
        )
        extra = self.load[c] - np.where(same, self.load[cur], 0.0)
        rate = p.demand_rate_per_s[p.cand_demand[c]]
        loss = rate * (p.cand_accuracy[cur] - p.cand_accuracy[c])
        return c, delta, extra, loss

    def _moves(self, chosen: IntArray, *, downgrade: bool) -> IntArray:
        """One round of improving moves into spare capacity (downgrade: average-floor
        apps trading accuracy for cost while each app's average holds)."""
        p = self.p
        _, on, spare = self._state(chosen)
        c, delta, extra, loss = self._options(chosen, on > 0)
        app = p.demand_app[p.cand_demand[c]]
        if downgrade:
            sel = (
                (delta < 0)
                & (loss > 1e-15)
                & p.app_average[app]
                & fits(extra, spare[p.cand_node[c]])
            )
            key = np.where(sel, delta / np.maximum(loss, 1e-300), 0.0)
        else:
            sel = (
                (delta < -1e-12) & self._keeps_floor(app, loss) & fits(extra, spare[p.cand_node[c]])
            )
            key = delta
        c, delta, extra, loss, key, app = (
            c[sel],
            delta[sel],
            extra[sel],
            loss[sel],
            key[sel],
            app[sel],
        )
        best = first_per(p.cand_demand[c], key)
        c, delta, extra, loss, key, app = (
            c[best],
            delta[best],
            extra[best],
            loss[best],
            key[best],
            app[best],
        )
        if downgrade:
            keep = self._within_slack(chosen, app, key, loss)
            c, delta, extra, key = c[keep], delta[keep], extra[keep], key[keep]
        take = (extra <= 0) | accept_in_order(p.cand_node[c], np.maximum(extra, 0), key, spare)
        return self._apply(chosen, c[take])

    def _keeps_floor(self, app: IntArray, loss: FloatArray) -> BoolArray:
        """Moves that cannot lower an average-floor application's accuracy."""
        return np.asarray(~self.p.app_average[app] | (loss <= 1e-15), dtype=bool)

    def _within_slack(
        self, chosen: IntArray, app: IntArray, key: FloatArray, loss: FloatArray
    ) -> BoolArray:
        """Moves that keep each average-floor application at or above its floor."""
        slack = self._slack(chosen)
        order = np.lexsort((key, app))
        used = cumsum_in_groups(app[order], loss[order])
        keep = np.zeros(len(order), dtype=bool)
        keep[order] = used <= slack[app[order]] * (1 - 1e-9)
        return keep

    def _slack(self, chosen: IntArray, x: FloatArray | None = None) -> FloatArray:
        """Accuracy slack of each application: sum of rate x (accuracy - floor)."""
        p = self.p
        if x is None:
            c, share = chosen[chosen >= 0], np.ones(int((chosen >= 0).sum()))
        else:
            c = np.nonzero(x)[0]
            share = x[c]
        d = p.cand_demand[c]
        app = p.demand_app[d]
        return weighted_sum(
            app,
            p.demand_rate_per_s[d] * share * (p.cand_accuracy[c] - p.app_floor[app]),
            len(p.app_ids),
        )

    def _apply(self, chosen: IntArray, moves: IntArray) -> IntArray:
        """Apply moves, undoing those that would overfill a node's memory or overload a link."""
        if len(moves) == 0:
            return chosen
        p = self.p
        new = chosen.copy()
        new[p.cand_demand[moves]] = moves
        evict, _ = memory_evictions(p, new, self.load)
        if evict.any():
            moved = new != chosen
            new[evict & moved] = chosen[evict & moved]
            if memory_evictions(p, new, self.load)[0].any():
                return chosen
        evict, _ = bandwidth_evictions(p, new)
        if evict.any():
            new[evict] = chosen[evict]
            evict, _ = bandwidth_evictions(p, new)
            if evict.any():
                return chosen
        return new

    def _consolidate(self, chosen: IntArray) -> IntArray:
        """Empty the last server of lightly used nodes into spare capacity elsewhere."""
        p, m = self.p, self.model
        for threshold in (0.25, 0.5, 1.0):
            busy, on, spare = self._state(chosen)
            frag = busy / p.max_utilisation - (on - 1)
            donors = m.switchable & (on > 0) & (m.server_cost > 0) & (frag <= threshold)
            if not donors.any():
                continue
            receivers = (on > 0) & ~donors
            c, delta, extra, loss = self._options(chosen, receivers, from_nodes=donors)
            keep = self._keeps_floor(p.demand_app[p.cand_demand[c]], loss)
            c, delta, extra = c[keep], delta[keep], extra[keep]
            best = first_per(p.cand_demand[c], delta)
            c, delta, extra = c[best], delta[best], extra[best]
            take = accept_in_order(p.cand_node[c], extra, delta, np.where(receivers, spare, 0.0))
            c, delta = c[take], delta[take]
            src = p.cand_node[chosen[p.cand_demand[c]]]
            moved = weighted_sum(src, self.load[chosen[p.cand_demand[c]]], p.n_nodes)
            cost = weighted_sum(src, delta, p.n_nodes)
            new_on = self.servers(np.maximum(busy - moved, 0.0))
            curve_before = self._curve_cost(busy, on)
            curve_after = self._curve_cost(np.maximum(busy - moved, 0.0), new_on)
            saving = m.server_cost * (on - new_on) + curve_before - curve_after - cost
            good = saving[src] > 1e-9 * max(1.0, float(np.abs(saving).max()))
            chosen = self._apply(chosen, c[good])
        return chosen

    def _partial_downgrade(self, chosen: IntArray, x: FloatArray) -> FloatArray:
        """Use each splittable average-floor app's remaining slack on one partial move."""
        p = self.p
        busy = weighted_sum(p.cand_node, self.load * x, p.n_nodes)
        on = self.servers(busy)
        spare = np.maximum(p.max_utilisation * on - busy, 0.0)
        c, delta, extra, loss = self._options(chosen, on > 0)
        app = p.demand_app[p.cand_demand[c]]
        sel = (delta < 0) & (loss > 1e-15) & p.app_average[app] & p.app_splittable[app]
        c, delta, extra, loss, app = c[sel], delta[sel], extra[sel], loss[sel], app[sel]
        if len(c) == 0:
            return x
        best = first_per(app, delta / loss)
        c, extra, loss, app = c[best], extra[best], loss[best], app[best]
        slack = self._slack(chosen, x)[app]
        share = np.clip(slack * (1 - 1e-9) / loss, 0.0, 1.0)
        room = spare[p.cand_node[c]]
        share = np.where(
            extra > 0, np.minimum(share, room / np.maximum(extra, 1e-300) * (1 - 1e-9)), share
        )
        share = np.where(share > 1e-6, share, 0.0)
        # one move per node and demand: moves already differ by application, keep one per node
        node_first = first_per(p.cand_node[c], -share)
        c, share = c[node_first], share[node_first]
        cur = chosen[p.cand_demand[c]]
        share = np.minimum(share, x[cur])
        y = x.copy()
        y[cur] -= share
        y[c] += share
        y = np.where(y < 1e-12, 0.0, y)
        return y if self._links_ok(y) else x


def _knapsack_share(
    node: IntArray, load: FloatArray, ratio: FloatArray, room: FloatArray
) -> FloatArray:
    """Share of each item a node takes, best ``ratio`` first, while its ``room`` lasts
    (the fractional knapsack; the last item taken may be partial)."""
    share = np.zeros(len(node))
    if len(node) == 0:
        return share
    order = np.lexsort((ratio, node))
    before = cumsum_in_groups(node[order], load[order]) - load[order]
    left = np.maximum(room[node[order]] * (1 - 1e-9) - before, 0.0)
    share[order] = np.minimum(1.0, left / load[order])
    return share
