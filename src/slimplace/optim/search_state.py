"""What one search works on: the candidates it considers, their prices, the servers and
value of an assignment, and the moves every phase shares (alternatives of a placed demand,
applying moves within memory and bandwidth).

An assignment ``chosen`` gives each demand one candidate (-1: unplaced); shares ``x``
(one per candidate) describe split demands. A :class:`SearchState` is local to one solve
call; :mod:`slimplace.optim.construction` builds assignments on it and
:mod:`slimplace.optim.local_search` improves them.
"""

from __future__ import annotations

import functools

import numpy as np

from slimplace.optim.arcs import arc_capacity_bps, arc_loads_bps
from slimplace.optim.costs import (
    BoolArray,
    CostModel,
    FloatArray,
    IntArray,
    node_dynamic_cost,
    plan_value,
)
from slimplace.optim.heads import capacity_evictions, has_heads, head_busy_of_shares
from slimplace.optim.repair import bandwidth_evictions, memory_evictions, node_busy
from slimplace.optim.segments import (
    concat_ranges,
    first_per,
    model_pairs,
    top_per_demand,
    weighted_sum,
)
from slimplace.optim.verify import verified
from slimplace.plan import Plan, Status, servers_for_load
from slimplace.problem.compiled import CompiledProblem


class SearchState:
    """The arrays one heuristic run works on. ``shortlisted``: the candidates the search
    considers (the best ``keep_per_demand`` of each demand by construction price, plus the
    best meeting an average floor)."""

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
        self.shortlisted = self._shortlist(keep_per_demand)
        self.mem_safe = self._memory_safe_nodes()

    @functools.cached_property
    def reach(self) -> FloatArray:
        """Load each node could attract: the sum over demands of the load of each demand's
        lightest candidate there (the close move's order, :mod:`slimplace.optim.close_nodes`).
        It scales with the rates, so the order it gives is the same at every load level."""
        p = self.p
        lightest = first_per(p.cand_demand * p.n_nodes + p.cand_node, self.load)
        return weighted_sum(p.cand_node[lightest], self.load[lightest], p.n_nodes)

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
        static = m.server_cost * on + self.curve_cost(busy, on)
        used = busy > 0
        new = rate.copy()
        new[used] = static[used] / busy[used]
        return new

    def curve_cost(self, busy: FloatArray, on: FloatArray) -> FloatArray:
        return node_dynamic_cost(self.p, self.model, busy, on)

    def shortlist(self, k: int) -> IntArray:
        """The best ``k`` candidates per demand within the working shortlist, plus the
        best ``k`` meeting an average floor."""
        p = self.p
        price = self.price(self.base_rate)[self.shortlisted]
        top = top_per_demand(p, self.shortlisted, price, k)
        ok = (
            self.floor_ok[self.shortlisted]
            & p.app_average[p.demand_app[p.cand_demand[self.shortlisted]]]
        )
        return np.union1d(top, top_per_demand(p, self.shortlisted[ok], price[ok], k))

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

    def servers(self, busy: FloatArray) -> FloatArray:
        """Servers on per node for load ``busy`` (all of them at always-on nodes)."""
        p = self.p
        return np.where(
            p.node_always_on, p.node_count, servers_for_load(busy, p.max_utilisation)
        ).astype(np.float64)

    def shares(self, chosen: IntArray) -> FloatArray:
        """The share vector of a one-candidate-per-demand assignment."""
        x = np.zeros(self.p.n_candidates)
        x[chosen[chosen >= 0]] = 1.0
        return x

    def value_of_shares(self, x: FloatArray) -> float:
        """Objective of shares ``x`` with the servers their load needs."""
        p = self.p
        return plan_value(p, self.model, x, self.servers(self.busy_of_shares(x)).astype(np.int64))

    def busy_of_shares(self, x: FloatArray) -> FloatArray:
        """Server-seconds per second at each node under shares ``x`` (split heads
        included, at their source devices)."""
        p = self.p
        return weighted_sum(p.cand_node, self.load * x, p.n_nodes) + head_busy_of_shares(p, x)

    def value(self, chosen: IntArray) -> float:
        """Objective of an assignment; +inf when some demand is unplaced."""
        if (chosen < 0).any():
            return float("inf")
        busy = node_busy(self.p, chosen, self.load)
        return plan_value(
            self.p, self.model, self.shares(chosen), self.servers(busy).astype(np.int64)
        )

    def plan(
        self,
        chosen: IntArray,
        x: FloatArray,
        method: str,
        seconds: float,
        *,
        deadline: float | None = None,
    ) -> Plan:
        """The plan of the final shares, with its objective, checked by the evaluator
        (:func:`~slimplace.optim.verify.verified`; ``deadline``: the method's)."""
        p = self.p
        on = self.servers(self.busy_of_shares(x)).astype(np.int64)
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
        plan = Plan(
            x,
            on,
            method,
            Status.FEASIBLE,
            objective=plan_value(p, self.model, x, on),
            seconds=seconds,
        )
        return verified(p, plan, deadline=deadline)

    def candidates_of(self, demands: BoolArray) -> IntArray:
        """Every candidate of the demands in mask ``demands``."""
        p = self.p
        d = np.nonzero(demands)[0]
        return concat_ranges(p.demand_ptr[d], p.demand_ptr[d + 1] - p.demand_ptr[d])

    def within_limits(self, x: FloatArray) -> bool:
        """Whether shares ``x`` keep every node's capacity and memory and every link."""
        p = self.p
        busy = self.busy_of_shares(x)
        if (busy > p.max_utilisation * p.node_count * (1 + 1e-9) + 1e-12).any():
            return False
        used = np.nonzero(x > 1e-9)[0]
        pairs = np.nonzero(model_pairs(p, used))[0]
        mem = weighted_sum(pairs // p.n_models, p.model_memory_bytes[pairs % p.n_models], p.n_nodes)
        if (mem > p.node_memory_bytes * (1 + 1e-9)).any():
            return False
        return self.links_ok(x)

    def links_ok(self, x: FloatArray) -> bool:
        used = np.flatnonzero(x)
        loads = arc_loads_bps(self.p, used, x[used])
        return not bool((loads > arc_capacity_bps(self.p) * (1 + 1e-9)).any())

    def node_state(self, chosen: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        p = self.p
        busy = node_busy(p, chosen, self.load)
        on = self.servers(busy)
        spare = np.maximum(p.max_utilisation * on - busy, 0.0)
        return busy, on, spare

    def marginal_cost(self, busy: FloatArray, on: FloatArray) -> FloatArray:
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

    def alternatives(
        self,
        chosen: IntArray,
        open_nodes: BoolArray,
        from_nodes: BoolArray | None = None,
        among: IntArray | None = None,
    ) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
        """Alternatives of placed demands: candidates in the shortlist (or in ``among``)
        at open nodes (or another variant at the same node), memory permitting. Returns
        the candidates, their cost change, extra load at their node and accuracy loss."""
        p, m = self.p, self.model
        c = self.shortlisted if among is None else among
        d = p.cand_demand[c]
        cur = chosen[d]
        busy, on, _ = self.node_state(chosen)
        marg = self.marginal_cost(busy, on)
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

    def keeps_floor(self, app: IntArray, loss: FloatArray) -> BoolArray:
        """Moves that cannot lower an average-floor application's accuracy."""
        return np.asarray(~self.p.app_average[app] | (loss <= 1e-15), dtype=bool)

    def accuracy_slack(self, chosen: IntArray, x: FloatArray | None = None) -> FloatArray:
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

    def apply_moves(self, chosen: IntArray, moves: IntArray) -> IntArray:
        """Apply moves, undoing those that would overfill a node's memory, overload a link
        or overfill a source device with split heads."""
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
        if has_heads(p):  # undo moves whose split heads overfill their source devices
            evict = capacity_evictions(p, new, node_busy(p, new, self.load))
            if evict.any():
                new[evict & (new != chosen)] = chosen[evict & (new != chosen)]
                if capacity_evictions(p, new, node_busy(p, new, self.load)).any():
                    return chosen
        return new
