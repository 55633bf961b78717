"""The greedy continuum-first policy of the CONT benchmark (LEAF, EdgeSimPy, ECLYPSE).

Every demand is placed on the nearest node of the lowest tier where it fits: its own
edge server, else its metro (fog) site, else the cloud (nearest = lowest network
latency among the demand's candidates of that tier). Fitting is LEAF's rule, used
capacity plus the new load within the node's capacity (here ``rho_max`` x the servers
present). Placement is sequential in a seeded order, vectorized by rounds: in each round
every node accepts the longest prefix of its pending demands that fits, rejects the first
that does not (it falls through to the next tier) and retries the rest.

At step 0 every demand is placed. At every later step a seeded ``churn`` fraction of the
demands picks a new variant (``variant="random"``: uniformly among its family's variants,
as CONT's apps pick a width; ``"best"``: the most accurate) and is re-placed, after all of
them released their capacity. ``initial_variant`` (default: ``variant``) is the rule at step 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import TIERS
from slimplace.sim.policy import Change, Context, Decision, Observation

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TIER_ORDER = ("edge", "metro", "cloud")


@dataclass
class ContinuumMemory:
    """The candidate table (row ``d * n_slots + k``: demand d's candidates with variant slot
    k, one column per tier), the random generator and the servers that exist."""

    problem: CompiledProblem
    table: IntArray
    n_variants: IntArray
    rng: np.random.Generator
    capacity: FloatArray
    switchable: BoolArray
    any_switchable: bool
    tiers: TierIndex
    n_slots: int
    complete: bool


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
        switchable = (p.node_profile >= 0) & ~p.node_always_on
        return ContinuumMemory(
            p,
            np.ascontiguousarray(table.transpose(0, 2, 1)).reshape(-1, table.shape[1]),
            n_var,
            np.random.default_rng(seed),
            p.max_utilisation * p.node_count.astype(np.float64),
            switchable,
            bool(switchable.any()),
            tier_index(p),
            table.shape[2],
            bool((table >= 0).all()),
        )

    def decide(self, obs: Observation, memory: ContinuumMemory) -> Decision:
        """Place everything at step 0; re-place the churned demands afterwards."""
        p = memory.problem
        if obs.step == 0:
            demands = np.arange(p.n_demands)
            residual = memory.capacity.copy()
        else:
            if not obs.one_entry_per_demand:
                raise ValueError("continuum-first needs a plan with one entry per demand")
            k = round(self.churn * p.n_demands)
            if k == 0:
                return None
            demands = memory.rng.choice(p.n_demands, k, replace=False)
            residual = memory.capacity - obs.node_busy_s_per_s
            old = obs.entry_candidate[demands]
            np.add.at(residual, p.cand_node[old], obs.rate_per_s[demands] * p.cand_service_s[old])
        rule = self.initial_variant if obs.step == 0 and self.initial_variant else self.variant
        slots = self._variants(memory, demands, rule)
        rows = memory.table.take(demands * memory.n_slots + slots, axis=0)  # (k, tiers)
        chosen = place_in_order(
            p, rows, obs.rate_per_s[demands], residual, memory.tiers, complete=memory.complete
        )
        if obs.step == 0:
            x = np.zeros(p.n_candidates)
            x[chosen[chosen >= 0]] = 1.0
            return Plan(
                x,
                np.ceil(self._busy_after(p, x, obs.rate_per_s) - 1e-9).astype(np.int64),
                self.name,
            )
        servers = None
        if memory.any_switchable:
            busy = memory.capacity - residual
            servers = np.where(
                memory.switchable, np.ceil(busy / p.max_utilisation - 1e-9), obs.servers_target
            )
        return Change(demands, chosen, servers)

    def _variants(self, memory: ContinuumMemory, demands: IntArray, rule: str) -> IntArray:
        n_var = memory.n_variants[demands]
        if rule == "random":
            return (memory.rng.random(len(demands)) * n_var).astype(np.int64)
        return n_var - 1  # slots are sorted by accuracy: the last is the most accurate

    @staticmethod
    def _busy_after(p: CompiledProblem, x: FloatArray, rate: FloatArray) -> FloatArray:
        flow = rate[p.cand_demand] * x
        busy = np.bincount(p.cand_node, weights=flow * p.cand_service_s, minlength=p.n_nodes)
        return busy / p.max_utilisation


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
    p: CompiledProblem,
    rows: IntArray,
    rate: FloatArray,
    residual: FloatArray,
    tiers: TierIndex | None = None,
    *,
    complete: bool = False,
) -> IntArray:
    """Sequential first-fit of demands (in the given order) over tiers; ``rows[i, t]`` is
    demand i's candidate on tier t (-1: none). ``residual`` (server-s/s left per node) is
    updated. Demands that fit nowhere go to their last tier anyway (overloading it).
    ``tiers`` (:func:`tier_index`) keeps the per-tier work proportional to the tier's nodes
    rather than to all nodes; ``complete`` says every demand has a candidate on every tier."""
    n, n_tiers = rows.shape
    chosen = np.full(n, -1, dtype=np.int64)
    pending = np.arange(n)
    svc, node_of = p.cand_service_s, p.cand_node
    for t in range(n_tiers):
        cand = rows[pending, t]
        idx = pending
        if not complete and (cand < 0).any():
            has = cand >= 0
            idx, cand = pending[has], cand[has]
        if len(idx) == 0:
            continue
        load = rate[idx] * svc[cand]
        if tiers is None:
            accepted = first_fit(node_of[cand], load, residual)
        else:
            nodes = tiers.nodes[t]
            room = residual[nodes]
            accepted = first_fit(tiers.local[node_of[cand]], load, room)
            residual[nodes] = room
        if len(idx) == len(pending) and accepted.all():
            chosen[idx] = cand
            return chosen
        chosen[idx[accepted]] = cand[accepted]
        pending = pending[chosen[pending] < 0]
    for t in range(n_tiers - 1, -1, -1):  # overflow: the last tier that has a candidate
        cand = rows[pending, t]
        fill = (chosen[pending] < 0) & (cand >= 0)
        chosen[pending[fill]] = cand[fill]
        np.subtract.at(residual, node_of[cand[fill]], rate[pending[fill]] * svc[cand[fill]])
    return chosen


@dataclass(frozen=True, eq=False)
class TierIndex:
    """The nodes of each tier of :data:`TIER_ORDER`, and every node's index within its tier."""

    nodes: tuple[IntArray, ...]
    local: IntArray


def tier_index(p: CompiledProblem) -> TierIndex:
    """Build the :class:`TierIndex` of ``p``."""
    nodes = tuple(np.flatnonzero(p.node_tier == TIERS.index(name)) for name in TIER_ORDER)
    local = np.full(p.n_nodes, -1, dtype=np.int64)
    for members in nodes:
        local[members] = np.arange(len(members))
    return TierIndex(nodes, local)


def first_fit(node: IntArray, load: FloatArray, residual: FloatArray) -> BoolArray:
    """Which items fit when offered one by one in the given order (``residual`` updated).

    A node whose items all fit takes them all. Every other node takes the longest prefix of
    its items whose running total fits and refuses the first that does not; the items after
    a refusal (few: they share a full node with it) are then offered one by one."""
    total = np.bincount(node, weights=load, minlength=len(residual))
    room = residual * (1 + 1e-12) + 1e-12
    tight_node = total > room
    if not tight_node.any():
        residual -= total
        return np.ones(len(node), dtype=bool)
    residual -= np.where(tight_node, 0.0, total)
    accepted = ~tight_node[node]
    idx = np.flatnonzero(~accepted)
    order = idx[np.argsort(node[idx], kind="stable")]
    ns, ls = node[order], load[order]
    start = np.ones(len(order), dtype=bool)
    np.not_equal(ns[1:], ns[:-1], out=start[1:])
    first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))  # group head
    cum = np.cumsum(ls)
    bad = cum - (cum - ls)[first] > room[ns]  # running total within the node exceeds its room
    bad_cum: IntArray = np.cumsum(bad)
    bad_seen: IntArray = bad_cum - (bad_cum - bad)[first]
    ok: BoolArray = bad_seen == 0
    accepted[order[ok]] = True
    np.subtract.at(residual, ns[ok], ls[ok])
    later = np.flatnonzero(bad_seen > bad)  # after the first refusal of their node
    later = later[ls[later] <= residual[ns[later]] * (1 + 1e-12) + 1e-12]  # others never fit
    if len(later):
        nodes, loads, items = ns[later].tolist(), ls[later].tolist(), order[later].tolist()
        left = dict(zip(nodes, residual[ns[later]].tolist(), strict=True))
        taken = []
        for v, ld, item in zip(nodes, loads, items, strict=True):  # a handful, one by one
            if ld <= left[v] * (1 + 1e-12) + 1e-12:
                left[v] -= ld
                taken.append(item)
        accepted[taken] = True
        residual[list(left)] = list(left.values())
    return accepted
