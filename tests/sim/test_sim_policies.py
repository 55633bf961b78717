from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimplace.methods import default_registry
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.registry import UnknownOptionError
from slimplace.sim import (
    Change,
    ReactivePolicy,
    StaticPolicy,
    UnknownPolicyError,
    default_policies,
    simulate,
)
from slimplace.sim.policies.continuum import first_fit
from slimplace.sim.policies.reactive import variant_ladders
from slimplace.sim.workload import build_workload
from slimplace.testing import check_policy, tiny_scenario

REGISTRY = default_policies()


@pytest.mark.parametrize("name", REGISTRY.names())
def test_every_registered_policy_passes_the_contract(name: str) -> None:
    check_policy(REGISTRY.create(name))


def test_registry_knows_its_policies_and_suggests_names() -> None:
    assert {
        "static",
        "periodic",
        "reactive",
        "consolidate",
        "carbon-aware",
        "continuum-first",
    } <= set(REGISTRY.names())
    with pytest.raises(UnknownPolicyError, match="reactive"):
        REGISTRY.create("reactiv")
    policy = REGISTRY.create("periodic", period_s=60.0, idle_s=5.0, method="lp-round")
    assert policy.period_s == 60.0 and type(policy.solver).__name__ == "LpRoundSolver"
    with pytest.raises(UnknownOptionError, match="not_an_option"):
        REGISTRY.create("periodic", not_an_option=1)


class _Bad:
    name = "bad"

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def start(self, context, *, seed):
        return {"p": context.problem, "calls": 0}

    def decide(self, obs, memory):
        p = memory["p"]
        if obs.step == 0:
            x = np.zeros(p.n_candidates)
            x[p.demand_ptr[:-1]] = 1.0
            return Plan(x, p.node_count.copy(), "bad")
        if self.mode == "write":
            obs.node_busy_s_per_s[0] = 1.0
        if self.mode == "other-demand":
            return Change(np.array([0]), np.array([p.demand_ptr[1]]))
        if self.mode == "random":
            memory["calls"] += 1
            rng = np.random.default_rng()  # unseeded: not reproducible
            e = int(rng.integers(p.n_demands))
            return Change(
                np.array([e]),
                np.array(
                    [p.demand_ptr[e] + int(rng.integers(p.demand_ptr[e + 1] - p.demand_ptr[e]))]
                ),
            )
        return None


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("write", "read-only"),
        ("other-demand", "another demand"),
        ("random", "different records"),
    ],
)
def test_the_contract_catches_bad_policies(mode: str, message: str) -> None:
    with pytest.raises((AssertionError, ValueError), match=message):
        check_policy(_Bad(mode))


def _problem():
    s = tiny_scenario(24, seed=5, rate_scale=20.0)
    s = replace(s, applications=tuple(replace(a, workload="diurnal") for a in s.applications))
    return compile_problem(s, variants="all")


def test_ladders_run_from_the_most_accurate_to_the_lightest() -> None:
    p = _problem()
    plan = default_registry().create("no-compression").solve(p)
    entries = np.flatnonzero(plan.x > 0)
    ladder, level = variant_ladders(p, entries)
    assert (ladder[np.arange(len(entries)), level] == entries).all()
    svc, acc = p.cand_service_s[ladder], p.cand_accuracy[ladder]
    assert (np.diff(svc, axis=1) <= 1e-15).all()  # heaviest first
    assert (np.diff(acc, axis=1) <= 1e-12).all()  # so most accurate first
    same = (p.cand_demand[ladder] == p.cand_demand[entries][:, None]) & (
        p.cand_node[ladder] == p.cand_node[entries][:, None]
    )
    assert same.all()
    floor = p.app_floor[p.demand_app[p.cand_demand[ladder]]]
    assert (acc >= floor - 1e-12).all()


def test_reactive_steps_down_before_servers_wake_and_sleeps_when_idle() -> None:
    p = _problem()
    wl = build_workload(p, override="diurnal", seed=1)

    class Sink:
        def __init__(self):
            self.rows = []

        def write(self, b):
            self.rows.append(b.copy())

        def close(self):
            pass

    from slimplace.sim.records import COLUMNS

    runs = {}
    # a hub baseline: its plan does not change as optimizers improve
    plan = default_registry().create("edge-first")
    for name, pol in (
        ("static", StaticPolicy(solver=plan)),
        ("reactive", ReactivePolicy(idle_s=1800, solver=plan)),
        ("plan-only", ReactivePolicy(scale_variants=False, solver=plan)),
    ):
        sink = Sink()
        runs[name] = simulate(
            p, pol, horizon_s=2 * 86400, step_s=300, workload=wl, records=sink
        ).summary
        runs[name + "-rows"] = np.concatenate(sink.rows)
    r, s, c = runs["reactive"], runs["static"], runs["plan-only"]
    assert r.variant_switches > 0 and r.model_loads == 0
    assert r.mean_servers_on <= s.mean_servers_on
    assert c.energy_j <= s.energy_j * (1 + 1e-9)  # sleeping never costs more on this load
    assert r.mean_accuracy >= s.mean_accuracy - 1e-9  # climbs above the plan's variants when idle
    assert r.slo_attainment >= 0.99
    rows = runs["reactive-rows"]
    on = rows[:, COLUMNS.index("servers_on")]
    assert on.max() > on.min()  # servers follow the diurnal load


def _first_fit_reference(node, load, residual):
    residual = residual.copy()
    out = []
    for v, ld in zip(node, load, strict=True):
        ok = ld <= residual[v] * (1 + 1e-12) + 1e-12
        if ok:
            residual[v] -= ld
        out.append(ok)
    return np.array(out, dtype=bool), residual


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from([0.5, 1.0, 1.5, 2.0])), min_size=1, max_size=30
    ),
    st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.5, 6.0]), min_size=5, max_size=5),
)
def test_first_fit_is_sequential_first_fit(items, room) -> None:
    node = np.array([i[0] for i in items])
    load = np.array([i[1] for i in items])
    residual = np.array(room, dtype=np.float64)
    want, want_res = _first_fit_reference(node, load, residual)
    got_res = residual.copy()
    got = first_fit(node, load, got_res)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_res, want_res, atol=1e-9)


def test_a_new_plan_waits_for_its_servers_before_traffic_moves() -> None:
    from slimplace.placement.baselines import cloud_only
    from slimplace.plan import node_busy_s_per_s, servers_needed
    from slimplace.sim import PeriodicPolicy
    from slimplace.sim.records import COLUMNS

    p = compile_problem(tiny_scenario(8, seed=2), variants="all")
    metro = p.node_ids.index("metro")

    class Alternate:  # cloud-only first, then everything on the metro site
        calls = 0

        def solve(self, problem, *, seed=0):
            if not np.array_equal(problem.node_count, p.node_count):
                # a closing-search trial (a node closed): this toy solver finds nothing
                return Plan(np.zeros(problem.n_candidates), problem.node_count * 0, "none")
            Alternate.calls += 1
            if Alternate.calls == 1:
                return cloud_only(problem)
            x = np.zeros(problem.n_candidates)
            for d in range(problem.n_demands):
                lo, hi = problem.demand_ptr[d], problem.demand_ptr[d + 1]
                x[lo + np.flatnonzero(problem.cand_node[lo:hi] == metro)[-1]] = 1.0
            on = np.minimum(
                servers_needed(problem, node_busy_s_per_s(problem, x)), problem.node_count
            )
            return Plan(x, on, "metro")

    policy = PeriodicPolicy(solver=Alternate(), period_s=120.0, hysteresis=-1e9, levels=0)

    class Sink:
        def __init__(self):
            self.rows = []

        def write(self, block):
            self.rows.append(block.copy())

        def close(self):
            pass

    sink = Sink()
    res = simulate(p, policy, horizon_s=8 * 30.0, step_s=30.0, records=sink)
    rows = np.concatenate(sink.rows)
    on, moves = rows[:, COLUMNS.index("servers_on")], rows[:, COLUMNS.index("moves")]
    wake_s = p.node_wake_time_s[metro]  # 60 s: two steps of 30 s
    assert moves[:4].sum() == 0 and on[4] > on[3]  # step 4: the metro servers start waking...
    assert moves[4 + int(wake_s / 30)] > 0  # ...and the traffic moves once they are up
    assert res.summary.served_fraction == pytest.approx(1.0)


def test_the_periodic_policy_warm_starts_its_solver_from_the_plan_in_force() -> None:
    from slimplace.optim.greedy import GreedySolver
    from slimplace.sim import PeriodicPolicy

    p = compile_problem(tiny_scenario(8, seed=2), variants="all")
    starts: list[object] = []

    class Recording:
        def solve(self, problem, *, seed=0, start=None):  # type: ignore[no-untyped-def]
            if np.array_equal(problem.node_count, p.node_count):  # not a closing trial
                starts.append(start)
            return GreedySolver(time_limit_s=5.0).solve(problem, seed=seed, start=start)

    simulate(
        p, PeriodicPolicy(solver=Recording(), period_s=600.0, levels=0), horizon_s=3600, step_s=300
    )
    assert len(starts) >= 3 and starts[0] is None
    assert all(isinstance(s, Plan) for s in starts[1:])  # every re-plan starts from a plan
