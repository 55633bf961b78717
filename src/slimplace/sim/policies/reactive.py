"""Load-following policies on a fixed placement: consolidation with sleep, and reactive
variant scaling.

Both keep the placement of a plan made for the peak (which node serves which share of
each demand) and follow the load with the servers switched on: a node gets the servers
its load needs at the plan's variants (at ``rho_max / (1 + headroom)``, and, with
``slo_target``, up to three more while the estimated share of late requests exceeds
``1 - slo_target``) as soon as it needs them (they become available after their wake-up
time) and keeps surplus servers for ``idle_s`` before they sleep, the last one of a node
too once its requests stop (``scale_to_zero``, the default, as Knative's scale-to-zero:
requests that come back wait for its wake; on the 15 benchmark pairs of
docs/simulation.md it saves up to 3 % of the plan-dependent energy at the same SLO
attainment, since their load comes back gradually). ``scale_to_zero=False`` keeps one
server on every node the placement routes requests to (Kubernetes' default
``minReplicas`` of 1): after a quarter hour without requests followed by full load, the
default loses 2.25 % of the requests, this none (``tests/sim/test_sim_tight_plans.py``).

Reactive variant scaling also moves each entry along a *ladder* of variants of its family
on the same node (:func:`variant_ladders`): every step a node uses the heaviest (most
accurate) level whose load fits the servers available now. So when load rises, entries
step down to lighter variants (a millisecond switch within a weight-sharing family) while
more servers wake; when load falls or the new servers are ready, they step back up, above
the plan's variant when there is room (``ceiling="best"``). Per node and level l:
``load[v, l] = sum over entries e at v of rate_e x share_e x service(ladder[e, l])``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.placement.registry import Solver
from slimplace.plan import Plan, node_busy_s_per_s, servers_for_load
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.rates import at_rates
from slimplace.sim.policies.common import (
    cheapest,
    follow_load,
    peak_plan,
    servers_for,
    solve_at,
    switchable_nodes,
    wake_steps,
)
from slimplace.sim.policy import Change, Context, Decision, Observation
from slimplace.sim.state import late_probability


@dataclass
class ReactiveMemory:
    """The base plan, the ladders of its entries, and per-node timers (seconds)."""

    base: Plan
    problem: CompiledProblem
    context: Context
    seed: int
    rebuild: bool = True
    last_replan_step: int = 0
    replans: int = 0
    pending: Plan | None = None
    switch_step: int = 0
    ladder: IntArray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.int64))
    ladder_service_s: FloatArray = field(default_factory=lambda: np.zeros((0, 1)))
    plan_service_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    entry_node: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    surplus_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    switchable: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    plan_level: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ladder_svck: FloatArray = field(default_factory=lambda: np.zeros((0, 1)))
    ladder_budget: FloatArray = field(default_factory=lambda: np.zeros((0, 1)))
    plan_svck: FloatArray = field(default_factory=lambda: np.zeros(0))
    plan_budget: FloatArray = field(default_factory=lambda: np.zeros(0))
    #: the candidates this policy left its entries on (to notice changes made outside it,
    #: e.g. a migration after a handover, and rebuild the ladders from the new ones)
    last_chosen: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True, kw_only=True)
class ReactivePolicy:
    """See the module docstring. ``ceiling="best"`` lets entries climb above the plan's
    variant to the most accurate one when servers have room, ``"plan"`` stops at the
    plan's; ``scale_variants=False`` is plain consolidation with sleep (the plan's variants
    only); ``sleep=False`` never switches servers off. With ``replan_s`` the placement itself
    is re-solved at the current load (x ``1 + headroom``) that often and replaced when better
    by more than ``hysteresis``: consolidation across nodes, at the cost of solver time. The
    new placement's extra servers are woken first and the traffic moves once they are up
    (:func:`~slimplace.sim.policies.common.wake_steps`). ``solver`` plans the placement
    (default: ``greedy`` with a 30 s limit; warm-started from the plan in force when it
    takes a start plan); with a ``reference_plan`` in the context (the peak plan the
    harness solved once with a stronger planner, ``milp``) the placement is the cheaper
    at the mean load of that one and the solver's own peak plan (:meth:`start`): ``milp``'s
    peak plan on the imported Aarnet network spreads the load over more switchable nodes,
    so following the load on it saved nothing against static-peak where ``greedy``'s
    saved 18-30 %."""

    solver: Solver = field(default_factory=lambda: GreedySolver(time_limit_s=30.0))
    headroom: float = 0.1
    idle_s: float = 600.0
    ceiling: str = "best"
    same_model: bool = True
    slo_target: float | None = 0.995
    scale_variants: bool = True
    sleep: bool = True
    replan_s: float | None = None
    hysteresis: float = 0.05
    scale_to_zero: bool = True
    name: str = "reactive"

    def start(self, context: Context, *, seed: int) -> ReactiveMemory:
        """The base placement: a plan for the peak rates. With a reference plan in the
        context (:func:`~slimplace.sim.policies.common.peak_plan`), the reference or the
        policy's own peak plan, whichever placement costs less at the mean rates with the
        servers it needs there (:func:`~slimplace.sim.policies.common.cheapest`):
        the placement is held all along while the servers follow the load, so it is
        chosen for the typical load, not the peak (both serve the peak)."""
        plan = peak_plan(context, solver=self.solver, seed=seed)
        if context.reference_plan is not None and plan is context.reference_plan:
            own, _ = solve_at(context, context.peak_rate_per_s, solver=self.solver, seed=seed)
            typical = at_rates(context.problem, context.mean_rate_per_s)
            plan = cheapest(typical, [plan, own], resize=True)
        return ReactiveMemory(plan, context.problem, context, seed)

    def decide(self, obs: Observation, memory: ReactiveMemory) -> Decision:
        """Base plan with servers for the current load at step 0; then variants and servers."""
        p = memory.problem
        rho = p.max_utilisation / (1.0 + self.headroom)
        if obs.step == 0:
            busy = node_busy_s_per_s(p, memory.base.x, np.asarray(obs.rate_per_s))
            on = np.minimum(
                servers_for_load(busy, p.max_utilisation, headroom=self.headroom), p.node_count
            )
            return Plan(memory.base.x, on.astype(np.int64), self.name)
        if memory.pending is not None and obs.step >= memory.switch_step:
            return self._switch(obs, memory)
        if (
            self.replan_s is not None
            and memory.pending is None
            and (obs.step - memory.last_replan_step) * obs.step_s >= self.replan_s - 1e-9
        ):
            plan = self._replan(obs, memory)
            if plan is not None:
                memory.pending = plan
                memory.switch_step = obs.step + wake_steps(
                    p, obs.servers_target, plan.servers_on, obs.step_s
                )
                if memory.switch_step == obs.step:
                    return self._switch(obs, memory)
        if not memory.rebuild and not np.array_equal(obs.entry_candidate, memory.last_chosen):
            memory.rebuild = True  # an entry moved outside this policy: ladders from there
        if memory.rebuild:
            self._build(obs, memory)
        flow = obs.rate_per_s[obs.entry_demand] * obs.entry_share
        node = memory.entry_node
        plan_busy = np.bincount(
            node, weights=flow * memory.plan_service_s, minlength=p.n_nodes
        ).astype(np.float64)
        need = np.minimum(servers_for(plan_busy, p.max_utilisation, self.headroom), p.node_count)
        if self.slo_target is not None:
            need = self._slo_need(memory, flow, plan_busy, need)
        routed = None
        if not self.scale_to_zero:  # the placement's nodes keep one server (docstring)
            routed = np.bincount(node, weights=obs.entry_share > 0, minlength=p.n_nodes) > 0
        target = follow_load(
            np.array(obs.servers_target, dtype=np.float64),
            need,
            memory.switchable,
            memory.surplus_s,
            obs.step_s,
            self.idle_s if self.sleep else None,
            keep=routed,
        )
        if memory.pending is not None:  # servers of the coming placement wake before it moves
            target = np.maximum(
                target, np.where(memory.switchable, memory.pending.servers_on, target)
            )
        chosen = self._variants(obs, memory, flow, rho)
        memory.last_chosen = chosen.copy()
        moved = np.flatnonzero(chosen != obs.entry_candidate)
        servers = None if np.array_equal(target, obs.servers_target) else target
        if len(moved) == 0 and servers is None:
            return None
        return Change(moved, chosen[moved], servers)

    def _variants(
        self, obs: Observation, memory: ReactiveMemory, flow: FloatArray, rho: float
    ) -> IntArray:
        """The heaviest ladder level that fits each node's servers available now."""
        p = memory.problem
        lad = memory.ladder
        if not self.scale_variants:
            return memory.ladder[np.arange(len(lad)), memory.plan_level]
        n_lev = lad.shape[1]
        keys = (memory.entry_node[:, None] * n_lev + np.arange(n_lev)[None, :]).ravel()
        loads = (flow[:, None] * memory.ladder_service_s).ravel()
        levels = (
            np.bincount(keys, weights=loads, minlength=p.n_nodes * n_lev)
            .astype(np.float64)
            .reshape(p.n_nodes, n_lev)
        )
        avail = np.asarray(obs.servers_available)
        fits = levels <= (avail * rho)[:, None] * (1 + 1e-9) + 1e-12
        if self.slo_target is not None:
            fits &= (
                self._late_share(memory, flow, levels, avail, n_lev)
                <= 1.0 - self.slo_target + 1e-12
            )
        level = np.where(fits.any(axis=1), np.argmax(fits, axis=1), n_lev - 1)
        return lad[np.arange(len(lad)), level[memory.entry_node]]

    def _slo_need(
        self, memory: ReactiveMemory, flow: FloatArray, plan_busy: FloatArray, need: FloatArray
    ) -> FloatArray:
        """Servers for the plan's variants to meet the per-request SLO target as well: the
        fewest of ``need + 0 .. 3`` whose estimated late share is within the target."""
        p = memory.problem
        assert self.slo_target is not None
        node = memory.entry_node
        extra = np.arange(4)
        n = np.maximum(need[:, None] + extra[None, :], 1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            util = (plan_busy[:, None] / n)[node]
            wait = np.where(util < 1, util * memory.plan_svck[:, None] / (1 - util), np.inf)
        late = late_probability(util, wait, memory.plan_budget[:, None])
        keys = (node[:, None] * 4 + extra[None, :]).ravel()
        late_flow = np.bincount(
            keys, weights=(flow[:, None] * late).ravel(), minlength=p.n_nodes * 4
        )
        node_flow = np.bincount(node, weights=flow, minlength=p.n_nodes)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.nan_to_num(late_flow.reshape(p.n_nodes, 4) / node_flow[:, None])
        ok = share <= 1.0 - self.slo_target + 1e-12
        add = np.where(ok.any(axis=1), np.argmax(ok, axis=1), 3)
        return np.minimum(need + add, p.node_count)

    @staticmethod
    def _late_share(
        memory: ReactiveMemory, flow: FloatArray, levels: FloatArray, avail: FloatArray, n_lev: int
    ) -> FloatArray:
        """Share of each node's requests estimated late at each level: the M/G/1 tail of
        :func:`slimplace.sim.state.late_probability` at the level's utilisation."""
        p = memory.problem
        node = memory.entry_node
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(avail[:, None] > 0, levels / avail[:, None], np.inf)[node]
            wait = np.where(util < 1, util * memory.ladder_svck / (1 - util), np.inf)
        late = late_probability(util, wait, memory.ladder_budget)
        keys = (node[:, None] * n_lev + np.arange(n_lev)[None, :]).ravel()
        late_flow = np.bincount(
            keys, weights=(flow[:, None] * late).ravel(), minlength=p.n_nodes * n_lev
        )
        node_flow = np.bincount(node, weights=flow, minlength=p.n_nodes)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nan_to_num(late_flow.reshape(p.n_nodes, n_lev) / node_flow[:, None])

    def _replan(self, obs: Observation, memory: ReactiveMemory) -> Plan | None:
        """A new placement for the current load when it beats the one in force by more than
        ``hysteresis`` (or that one no longer fits); the ladders are rebuilt on it."""
        memory.last_replan_step = obs.step
        rate = np.asarray(obs.rate_per_s) * (1.0 + self.headroom)
        plan, problem = solve_at(
            memory.context,
            rate,
            solver=self.solver,
            seed=memory.seed + 1 + memory.replans,
            start=memory.base,
        )
        memory.replans += 1
        old = evaluate(problem, memory.base)
        new = evaluate(problem, plan)
        objective = problem.objective
        if not new.feasible or (
            old.feasible
            and new.plan_objective(objective)
            >= old.plan_objective(objective) * (1 - self.hysteresis)
        ):
            return None
        return plan

    def _switch(self, obs: Observation, memory: ReactiveMemory) -> Plan:
        """Move to the pending placement, its servers now awake (surplus ones sleep later)."""
        plan = memory.pending
        assert plan is not None
        memory.pending = None
        memory.base = plan
        memory.rebuild = True
        on = np.maximum(plan.servers_on, np.asarray(obs.servers_target)).astype(np.int64)
        return Plan(plan.x, on, self.name)

    def _build(self, obs: Observation, memory: ReactiveMemory) -> None:
        memory.rebuild = False
        p = memory.problem
        plan = np.asarray(obs.entry_candidate)
        memory.ladder, memory.plan_level = variant_ladders(
            p, plan, ceiling=self.ceiling, same_model=self.same_model
        )
        lad = memory.ladder
        memory.ladder_service_s = p.cand_service_s[lad]
        memory.ladder_svck = p.cand_service_s[lad] * (1.0 + p.service_cv2) / 2.0
        memory.ladder_budget = (
            p.demand_slo_s[p.cand_demand[lad]] - p.cand_net_latency_s[lad] - p.cand_compute_s[lad]
        )
        memory.plan_service_s = p.cand_service_s[plan]
        memory.plan_svck = p.cand_service_s[plan] * (1.0 + p.service_cv2) / 2.0
        memory.plan_budget = (
            p.demand_slo_s[p.cand_demand[plan]]
            - p.cand_net_latency_s[plan]
            - p.cand_compute_s[plan]
        )
        memory.entry_node = p.cand_node[plan]
        if len(memory.surplus_s) != p.n_nodes:  # timers survive a re-plan
            memory.surplus_s = np.zeros(p.n_nodes)
        memory.switchable = switchable_nodes(p)


def variant_ladders(
    p: CompiledProblem, plan: IntArray, *, ceiling: str = "best", same_model: bool = True
) -> tuple[IntArray, IntArray]:
    """Per candidate in ``plan``: its ladder of candidates of the same demand and node (so
    the same family), heaviest first, and the level of the plan's own candidate in it.

    The ladder holds the variants on the accuracy/service front of that (demand, node) --
    no variant in it is both slower and less accurate than another -- plus the plan's
    candidate; ``ceiling="plan"`` drops those heavier than the plan's; ``same_model`` keeps
    only variants of the plan's loaded model (all of a weight-sharing family, which switch in
    about a millisecond; none other for a family of separate models). Rows are padded
    with their lightest. Apps with an average accuracy floor only get variants at or above
    the floor (the floor then holds whatever the mix)."""
    plan = np.asarray(plan, dtype=np.int64)
    n = len(plan)
    if n == 0:
        return np.zeros((0, 1), dtype=np.int64), np.zeros(0, dtype=np.int64)
    start = _group_starts(p)
    lo, hi = start[plan], _group_end(p, start)[plan]
    sizes = hi - lo
    owner = np.repeat(np.arange(n), sizes)
    members = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
    svc, acc = p.cand_service_s, p.cand_accuracy
    app = p.demand_app[p.cand_demand[members]]
    keep = ~p.app_average[app] | (acc[members] >= p.app_floor[app] - 1e-12)
    if same_model:
        keep &= (
            p.variant_model[p.cand_variant[members]] == p.variant_model[p.cand_variant[plan[owner]]]
        )
    if ceiling == "plan":
        keep &= (svc[members] <= svc[plan[owner]]) & (acc[members] <= acc[plan[owner]])
    owner, members = owner[keep], members[keep]
    # front: ascending service within owner, keep a member more accurate than every lighter one
    order = np.lexsort((-acc[members], svc[members], owner))
    owner, members = owner[order], members[order]
    shifted = acc[members] + 2.0 * owner
    prev = np.concatenate([[-np.inf], np.maximum.accumulate(shifted)[:-1]])
    front = shifted > prev
    owner = np.concatenate([owner[front], np.arange(n)])
    members = np.concatenate([members[front], plan])
    pair = np.unique(owner * p.n_candidates + members)
    owner, members = pair // p.n_candidates, pair % p.n_candidates
    order = np.lexsort((members, -svc[members], owner))  # heaviest first
    owner, members = owner[order], members[order]
    counts = np.bincount(owner, minlength=n)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    col = np.arange(len(owner)) - first[owner]
    width = int(counts.max())
    ladder = np.empty((n, width), dtype=np.int64)
    ladder[owner, col] = members
    pad = np.arange(width)[None, :] >= counts[:, None]
    lightest = ladder[np.arange(n), counts - 1]
    ladder = np.where(pad, lightest[:, None], ladder)
    plan_level = np.argmax(ladder == plan[:, None], axis=1)
    return ladder, plan_level


def _group_starts(p: CompiledProblem) -> IntArray:
    """For every candidate, the index of the first candidate of its (demand, node) run."""
    c = p.n_candidates
    new = np.ones(c, dtype=bool)
    new[1:] = (p.cand_demand[1:] != p.cand_demand[:-1]) | (p.cand_node[1:] != p.cand_node[:-1])
    return np.maximum.accumulate(np.where(new, np.arange(c), 0))


def _group_end(p: CompiledProblem, start: IntArray) -> IntArray:
    """For every candidate, one past the last candidate of its (demand, node) run."""
    c = p.n_candidates
    is_start = start == np.arange(c)
    starts = np.nonzero(is_start)[0]
    ends = np.append(starts[1:], c)
    run = np.cumsum(is_start) - 1
    return ends[run]
