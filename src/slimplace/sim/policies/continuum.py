"""The greedy continuum-first policy of the CONT benchmark (LEAF, EdgeSimPy, ECLYPSE).

Every demand is placed on the nearest node of the lowest tier where it fits: its own
edge server, else its metro (fog) site, else the cloud (nearest = lowest network
latency among the demand's candidates of that tier). Fitting is LEAF's rule, used
capacity plus the new load within the node's capacity (here ``rho_max`` x the servers
present). Placement is sequential in a seeded order, vectorized tier by tier: every node
of the tier accepts the longest prefix of its pending demands that fits and refuses the
first that does not; the refused demands that fit what is left are offered again in order,
and those still refused fall through to the next tier (:func:`first_fit`).

At step 0 every demand is placed. At every later step a seeded ``churn`` fraction of the
demands picks a new variant (``variant="random"``: uniformly among its family's variants,
as CONT's apps pick a width; ``"best"``: the most accurate) and is re-placed, after all of
them released their capacity. ``initial_variant`` (default: ``variant``) is the rule at step 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.arrays import BoolArray, FloatArray, IntArray
from slimplace.plan import Plan, servers_for_load
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS
from slimplace.sim.policy import Change, Context, Decision, Observation

TIER_ORDER = ("edge", "metro", "cloud")


@dataclass
class ContinuumMemory:
    """Per-run tables and scratch. Row ``d * n_slots + k`` of ``table`` holds demand d's
    candidates with variant slot k (one column per tier of :data:`TIER_ORDER`, -1 where
    there is none) followed by their nodes' indices within their tier; the same row of
    ``service_s`` their service times. Also the random generator, the servers that exist
    and the number of variants per demand (``uniform_variants``: the same for all, or 0)."""

    problem: CompiledProblem
    table: IntArray
    service_s: FloatArray
    n_variants: IntArray
    uniform_variants: int
    rng: np.random.Generator
    capacity: FloatArray
    switchable: BoolArray
    any_switchable: bool
    tiers: TierIndex
    n_slots: int
    complete: bool
    n_demands: int


@dataclass(frozen=True, kw_only=True)
class ContinuumFirstPolicy:
    """See the module docstring."""

    churn: float = 0.1
    variant: str = "random"
    initial_variant: str | None = None
    name: str = "continuum-first"

    def start(self, context: Context, *, seed: int) -> ContinuumMemory:
        """Precompute, per demand, tier and variant slot, the candidate on the nearest node."""
        p = context.problem
        table, n_var = nearest_tier_table(p)
        tiers = tier_index(p)
        rows = np.ascontiguousarray(table.transpose(0, 2, 1)).reshape(-1, table.shape[1])
        has = rows >= 0
        local = np.where(has, tiers.local[p.cand_node[rows]], -1)
        service = np.where(has, p.cand_service_s[rows], 0.0)
        switchable = (p.node_profile >= 0) & ~p.node_always_on
        uniform = int(n_var[0]) if len(n_var) and (n_var == n_var[0]).all() else 0
        return ContinuumMemory(
            p,
            np.ascontiguousarray(np.hstack([rows, local])),
            np.ascontiguousarray(service),
            n_var,
            uniform,
            np.random.default_rng(seed),
            p.max_utilisation * p.node_count.astype(np.float64),
            switchable,
            bool(switchable.any()),
            tiers,
            table.shape[2],
            bool(has.all()),
            p.n_demands,
        )

    def decide(self, obs: Observation, memory: ContinuumMemory) -> Decision:
        """Place everything at step 0; re-place the churned demands afterwards."""
        p = memory.problem
        rate = obs.rate_per_s
        if obs.step == 0:
            demands = np.arange(memory.n_demands)
            rate_d = rate
            residual = memory.capacity.copy()
        else:
            if not obs.one_entry_per_demand:
                raise ValueError("continuum-first needs a plan with one entry per demand")
            k = round(self.churn * memory.n_demands)
            if k == 0:
                return None
            demands = memory.rng.choice(memory.n_demands, k, replace=False)
            rate_d = rate.take(demands)
            residual = memory.capacity - obs.node_busy_s_per_s
            old = obs.entry_candidate.take(demands)  # entry d is demand d
            release = p.cand_service_s.take(old)
            release *= rate_d
            np.add.at(residual, p.cand_node.take(old), release)
        rule = self.initial_variant if obs.step == 0 and self.initial_variant else self.variant
        ix = demands * memory.n_slots
        ix += self._variants(memory, demands, rule)
        rows = memory.table.take(ix, axis=0)  # (k, 2 x tiers): candidates, then local nodes
        load = memory.service_s.take(ix, axis=0)
        load *= rate_d[:, None]
        n_tiers = load.shape[1]
        chosen = place_in_order(
            rows[:, :n_tiers],
            rows[:, n_tiers:],
            load,
            residual,
            memory.tiers,
            complete=memory.complete,
        )
        if obs.step == 0:
            x = np.zeros(p.n_candidates)
            x[chosen[chosen >= 0]] = 1.0
            return Plan(
                x,
                servers_for_load(self._busy_after(p, x, obs.rate_per_s), p.max_utilisation),
                self.name,
            )
        servers = None
        if memory.any_switchable:
            busy = memory.capacity - residual
            servers = np.where(
                memory.switchable,
                servers_for_load(busy, p.max_utilisation),
                obs.servers_target,
            )
        return Change(demands, chosen, servers)

    def _variants(self, memory: ContinuumMemory, demands: IntArray, rule: str) -> IntArray:
        n_var = memory.uniform_variants or memory.n_variants.take(demands)
        if rule == "random":
            slots: IntArray = (memory.rng.random(len(demands)) * n_var).astype(np.int64)
            return slots
        # "best": slots are sorted by accuracy, the last is the most accurate
        best: IntArray = memory.n_variants.take(demands) - 1
        return best

    @staticmethod
    def _busy_after(p: CompiledProblem, x: FloatArray, rate: FloatArray) -> FloatArray:
        flow = rate[p.cand_demand] * x
        busy = np.bincount(p.cand_node, weights=flow * p.cand_service_s, minlength=p.n_nodes)
        return busy.astype(np.float64)


def nearest_tier_table(p: CompiledProblem) -> tuple[IntArray, IntArray]:
    """``table[d, t, k]``: the candidate of demand d on its nearest node of tier
    ``TIER_ORDER[t]`` with the k-th variant of the demand's family in order of accuracy
    (-1 where there is none); and the number of variants of each demand's family.

    A demand whose family has variants missing on that node falls back to the closest
    available one (so every slot holds a candidate whenever the tier has one)."""
    fam = p.app_family[p.demand_app]
    n_fam = np.bincount(p.variant_family, minlength=len(p.families))
    kmax = int(n_fam.max()) if len(n_fam) else 1
    # slot of every variant within its family, by accuracy
    order = np.lexsort((p.variant_accuracy, p.variant_family))
    first = np.searchsorted(p.variant_family[order], p.variant_family[order])
    slot = np.empty(len(order), dtype=np.int64)
    slot[order] = np.arange(len(order)) - first
    tiers = np.full(len(TIERS), -1, dtype=np.int64)
    for t, name in enumerate(TIER_ORDER):
        tiers[TIERS.index(name)] = t
    ct = tiers[p.node_tier[p.cand_node]]
    ok = ct >= 0
    c = np.nonzero(ok)[0]
    # nearest node per (demand, tier): the minimum network latency (ties: lowest node index)
    group = p.cand_demand[c] * len(TIER_ORDER) + ct[c]
    o = np.lexsort((p.cand_node[c], p.cand_net_latency_s[c], group))
    g_sorted = group[o]
    head = np.ones(len(o), dtype=bool)
    head[1:] = g_sorted[1:] != g_sorted[:-1]
    best_node = np.full(p.n_demands * len(TIER_ORDER), -1, dtype=np.int64)
    best_node[g_sorted[head]] = p.cand_node[c][o][head]
    on_best = p.cand_node[c] == best_node[group]
    c = c[on_best]
    table = np.full((p.n_demands, len(TIER_ORDER), kmax), -1, dtype=np.int64)
    table[p.cand_demand[c], ct[c], slot[p.cand_variant[c]]] = c
    _fill_missing(table)
    return table, n_fam[fam]


def _fill_missing(table: IntArray) -> None:
    """Replace -1 slots by the nearest filled slot of the same (demand, tier), preferring
    the next less accurate one."""
    for k in range(1, table.shape[2]):
        hole = table[:, :, k] < 0
        table[:, :, k] = np.where(hole, table[:, :, k - 1], table[:, :, k])
    for k in range(table.shape[2] - 2, -1, -1):
        hole = table[:, :, k] < 0
        table[:, :, k] = np.where(hole, table[:, :, k + 1], table[:, :, k])


def place_in_order(
    cand: IntArray,
    local: IntArray,
    load: FloatArray,
    residual: FloatArray,
    tiers: TierIndex,
    *,
    complete: bool = False,
) -> IntArray:
    """Sequential first-fit of items (in the given order) over tiers: ``cand[i, t]`` is item
    i's candidate on tier t of ``tiers`` (-1: none), ``local[i, t]`` the index of its node
    within the tier (:attr:`TierIndex.local`) and ``load[i, t]`` its load there
    (server-s/s). ``residual`` (server-s/s left per node) is updated. Items that fit
    nowhere go to their last tier anyway (overloading it). ``complete`` says every item
    has a candidate on every tier. Returns each item's candidate.

    The work per tier is a fixed number of numpy operations on the items still pending and
    on the tier's nodes (:func:`first_fit`)."""
    n, n_tiers = cand.shape
    chosen = np.empty(n, dtype=np.int64)
    chosen.fill(-1)
    pending: IntArray | None = None  # the items not placed yet (None: all of them)
    for t in range(n_tiers):
        c, loc, ld = cand[:, t], local[:, t], load[:, t]  # columns: views
        if pending is not None:  # (column then index: cheaper than [pending, t])
            c, loc, ld = c[pending], loc[pending], ld[pending]
        idx = pending  # the items offered on this tier (None: all)
        if not complete:
            has = c >= 0
            if np.count_nonzero(has) < len(has):
                sel = has.nonzero()[0]
                idx = sel if pending is None else pending[sel]
                c, loc, ld = c[sel], loc[sel], ld[sel]
        if len(c) == 0:
            continue
        if tiers.gather[t]:
            room = residual[tiers.nodes[t]]
            fit = _first_fit(loc, ld, room)
            residual[tiers.nodes[t]] = room
        else:  # the tier's nodes are consecutive: work on the view
            fit = _first_fit(loc, ld, residual[tiers.span[t]])
        if fit is None:  # all of them fit
            if idx is None:
                return np.array(c)
            chosen[idx] = c
            if pending is not None and len(idx) == len(pending):
                return chosen
        elif idx is None:
            chosen[fit] = c[fit]
        else:
            chosen[idx[fit]] = c[fit]
        pending = (chosen < 0).nonzero()[0] if pending is None else pending[chosen[pending] < 0]
    if pending is None:
        pending = np.arange(n)
    for t in range(n_tiers - 1, -1, -1):  # overflow: the last tier that has a candidate
        c = cand[:, t][pending]
        fill = (chosen[pending] < 0) & (c >= 0)
        items = pending[fill]
        chosen[items] = c[fill]
        np.subtract.at(residual, tiers.nodes[t][local[:, t][items]], load[:, t][items])
    return chosen


@dataclass(frozen=True, eq=False)
class TierIndex:
    """The nodes of each tier of :data:`TIER_ORDER`, and every node's index within its tier.

    ``span[t]`` is the slice of node indices of tier t when they are consecutive (then the
    tier's part of a node array is a view), ``gather[t]`` says they are not."""

    nodes: tuple[IntArray, ...]
    local: IntArray
    span: tuple[slice, ...]
    gather: tuple[bool, ...]


def tier_index(p: CompiledProblem) -> TierIndex:
    """Build the :class:`TierIndex` of ``p``."""
    nodes = tuple(np.flatnonzero(p.node_tier == TIERS.index(name)) for name in TIER_ORDER)
    local = np.full(p.n_nodes, -1, dtype=np.int64)
    for members in nodes:
        local[members] = np.arange(len(members))
    span = tuple(slice(int(m[0]), int(m[-1]) + 1) if len(m) else slice(0, 0) for m in nodes)
    gather = tuple(not (len(m) == 0 or int(m[-1]) - int(m[0]) + 1 == len(m)) for m in nodes)
    return TierIndex(nodes, local, span, gather)


def first_fit(node: IntArray, load: FloatArray, residual: FloatArray) -> BoolArray:
    """Which items fit when offered one by one in the given order (``residual`` updated).

    When every node can take all its items, all are accepted. Otherwise items are grouped
    by node (stable sort) and each node takes the longest prefix of its items whose running
    total fits and refuses the first that does not (loads are >= 0, so the running total
    stays above the room from there on); the refused items that fit what is left (few: they
    share a full node with a refused item) are then offered one by one, in order."""
    accepted = _first_fit(node, load, residual)
    if accepted is None:
        return np.ones(len(node), dtype=bool)
    return accepted


def _first_fit(node: IntArray, load: FloatArray, residual: FloatArray) -> BoolArray | None:
    """:func:`first_fit`, or None when every item fits (the common case, without an array)."""
    total = np.bincount(node, weights=load, minlength=len(residual))
    room = residual * (1 + 1e-12)
    room += 1e-12
    tight = total > room
    if not np.count_nonzero(tight):  # (count_nonzero: a cheaper call than any())
        residual -= total
        return None
    order = node.argsort(kind="stable")
    ns, ls = node[order], load[order]
    # running total within the node: the running total over all items (grouped by node)
    # exceeds the node's room plus the loads of the nodes before it
    before = total.cumsum()
    before -= total
    before += room
    bad = ls.cumsum() > before[ns]
    bad &= tight[ns]  # a node that takes all its items refuses none, whatever the rounding
    ok = ~bad
    accepted = np.empty(len(node), dtype=bool)
    accepted[order] = ok
    np.subtract.at(residual, ns[ok], ls[ok])
    # refused items that fit what their node has left are offered again, in order (the first
    # refusal of a node never fits: its load exceeds what the prefix left)
    refused = bad.nonzero()[0]
    rn = ns[refused]
    rl = ls[refused]
    fits = rl <= residual[rn] * (1 + 1e-12) + 1e-12
    if not np.count_nonzero(fits):
        return accepted
    refused, rn, rl = refused[fits], rn[fits], rl[fits]
    if not np.count_nonzero(rn[1:] == rn[:-1]):  # one per node (rn is sorted): each fits
        accepted[order[refused]] = True
        residual[rn] -= rl
        return accepted
    nodes, loads, items = rn.tolist(), rl.tolist(), order[refused].tolist()
    left = dict(zip(nodes, residual[rn].tolist(), strict=True))
    taken = []
    for v, ld, item in zip(nodes, loads, items, strict=True):  # a handful, one by one
        if ld <= left[v] * (1 + 1e-12) + 1e-12:
            left[v] -= ld
            taken.append(item)
    accepted[taken] = True
    residual[list(left)] = list(left.values())
    return accepted
