import itertools
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimplace.evaluate import evaluate, link_loads_bps
from slimplace.placement.baselines import BASELINES, cloud_only
from slimplace.plan import Plan, node_busy_s_per_s, servers_needed
from slimplace.problem.compile import compile_problem
from slimplace.problem.energy import server_power_w
from slimplace.scenario.model import PowerCurve
from slimplace.testing import tiny_scenario

PROBLEM = compile_problem(tiny_scenario(8, seed=2), variants="all")


def _random_plan(p, seed: int, scale_on: float = 1.0) -> Plan:
    rng = np.random.default_rng(seed)
    w = rng.random(p.n_candidates) * (rng.random(p.n_candidates) < 0.4)
    first = p.demand_ptr[:-1]
    w[first] += 1e-3  # every demand gets some share
    x = w / np.bincount(p.cand_demand, weights=w)[p.cand_demand]
    on = servers_needed(p, node_busy_s_per_s(p, x))
    on = np.minimum(np.ceil(on * scale_on).astype(np.int64), p.node_count + 1)
    return Plan(x=x, servers_on=on, method="random-test")


def test_power_by_hand_for_cloud_only() -> None:
    # attributional network energy: charged per bit at the source's grid (energy model v2's
    # power model charges it at each link's grid: tests/test_energy_model.py)
    scenario = tiny_scenario(8, seed=2)
    scenario = replace(
        scenario, settings=replace(scenario.settings, network_energy="attributional")
    )
    p = compile_problem(scenario, variants="all")
    plan = cloud_only(p)
    e = evaluate(p, plan)
    flow = p.demand_rate_per_s[p.cand_demand] * plan.x
    cloud = p.node_ids.index("cloud")
    busy = float((flow * p.cand_service_s)[p.cand_node == cloud].sum())
    on = plan.servers_on[cloud]
    assert on == int(np.ceil(busy / p.max_utilisation))
    devices = sum(2.0 for n in p.scenario.nodes if n.tier == "device")
    expect_static = 1.2 * 150.0 * on + devices
    expect_dynamic = 1.2 * (450.0 - 150.0) * busy
    net = float((flow * p.cand_net_energy_j).sum())
    assert e.static_w == pytest.approx(expect_static)
    assert e.dynamic_w == pytest.approx(expect_dynamic)
    assert e.network_w == pytest.approx(net)
    assert e.power_w == pytest.approx(expect_static + expect_dynamic + net)
    tiers = e.power_by_tier
    assert sum(v["static"] + v["dynamic"] for v in tiers.values()) == pytest.approx(e.power_w)
    # carbon: cloud in region B (400 g/kWh), network charged at the source region A (50 g/kWh)
    cloud_g = (1.2 * 150.0 * on + expect_dynamic) * 400 / 3.6e6
    dev_g = devices * 50 / 3.6e6
    assert e.carbon_g_per_h == pytest.approx((cloud_g + dev_g + net * 50 / 3.6e6) * 3600)
    assert e.feasible


@settings(max_examples=40, deadline=None)
@given(u1=st.floats(0, 1), u2=st.floats(0, 1))
def test_power_monotone_in_utilisation(u1: float, u2: float) -> None:
    lo, hi = sorted((u1, u2))
    assert server_power_w(lo, 10.0, 30.0) <= server_power_w(hi, 10.0, 30.0)
    curve = PowerCurve((0.0, 0.3, 0.7, 1.0), (40.0, 80.0, 110.0, 120.0))
    assert server_power_w(lo, 40.0, 120.0, curve) <= server_power_w(hi, 40.0, 120.0, curve)


@settings(max_examples=30, deadline=None)
@given(h1=st.floats(1.0, 1e5), h2=st.floats(1.0, 1e5), seed=st.integers(0, 10_000))
def test_energy_additive_over_time_splits(h1: float, h2: float, seed: int) -> None:
    plan = _random_plan(PROBLEM, seed)
    e1 = evaluate(PROBLEM, plan, horizon_s=h1).energy_j
    e2 = evaluate(PROBLEM, plan, horizon_s=h2).energy_j
    assert e1 + e2 == pytest.approx(evaluate(PROBLEM, plan, horizon_s=h1 + h2).energy_j, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), scale=st.floats(0.3, 1.5))
def test_feasible_plan_never_exceeds_a_capacity(seed: int, scale: float) -> None:
    p = PROBLEM
    plan = _random_plan(p, seed, scale)
    e = evaluate(p, plan)
    busy = node_busy_s_per_s(p, plan.x)
    on = np.where(p.node_always_on, p.node_count, plan.servers_on)
    exceeded = (busy > p.max_utilisation * on + 1e-9).any() or (on > p.node_count).any()
    if e.feasible:
        assert not exceeded
        assert np.all(
            link_loads_bps(p, p.demand_rate_per_s[p.cand_demand] * plan.x)
            <= np.repeat(p.link_bandwidth_bps, 2) * (1 + 1e-6)
        )
    if exceeded:
        assert any(v.kind == "capacity" for v in e.violations)


def test_link_loads_match_explicit_paths() -> None:
    p = PROBLEM
    plan = _random_plan(p, 7)
    flow = p.demand_rate_per_s[p.cand_demand] * plan.x
    g = nx.Graph()
    for i, (a, b) in enumerate(zip(p.link_a, p.link_b, strict=True)):
        g.add_edge(int(a), int(b), idx=i, lat=p.link_latency_s[i])
    expect = np.zeros(2 * len(p.link_a))
    for c in np.nonzero(flow)[0]:
        d = p.cand_demand[c]
        path = nx.dijkstra_path(
            g,
            int(p.demand_source[d]),
            int(p.cand_node[c]),
            weight=lambda u, v, data: data["lat"] + 1e-9,
        )
        for u, v in itertools.pairwise(path):
            link = g[u][v]["idx"]
            fwd = 0 if p.link_a[link] == u else 1
            expect[2 * link + fwd] += flow[c] * p.demand_request_bits[d]
            expect[2 * link + 1 - fwd] += flow[c] * p.demand_response_bits[d]
    assert link_loads_bps(p, flow) == pytest.approx(expect, rel=1e-9, abs=1e-6)


def test_violations_are_named() -> None:
    p = PROBLEM
    base = cloud_only(p)
    x = base.x.copy()
    d0 = slice(p.demand_ptr[0], p.demand_ptr[1])
    x[d0] = 0.0  # demand 0 unserved
    bad = replace(base, x=x, servers_on=np.zeros_like(base.servers_on))
    kinds = {v.kind for v in evaluate(p, bad).violations}
    assert {"coverage", "capacity"} <= kinds
    narrow = replace(
        p.scenario,
        links=tuple(
            replace(link, bandwidth_bps=1.1e7) if link.kind == "fibre" else link
            for link in p.scenario.links
        ),
    )
    q = compile_problem(narrow, strict=False)
    e = evaluate(q, cloud_only(q))
    assert any(v.kind == "bandwidth" for v in e.violations)


def test_overload_drops_requests_and_misses_slo() -> None:
    p = PROBLEM
    plan = cloud_only(p)
    e = evaluate(p, plan, rate_per_s=p.demand_rate_per_s * 1e5)
    assert e.served_fraction < 1.0
    assert e.slo_met_fraction < 1.0
    assert not e.feasible


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_cover_every_demand_deterministically(name: str) -> None:
    p = PROBLEM
    a, b = BASELINES[name](p, seed=3), BASELINES[name](p, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    cover = np.bincount(p.cand_demand, weights=a.x, minlength=p.n_demands)
    np.testing.assert_allclose(cover, 1.0)
    e = evaluate(p, a)
    assert not any(v.kind in ("capacity", "coverage") for v in e.violations)


def test_baseline_rules() -> None:
    p = PROBLEM
    cloud = cloud_only(p)
    used = cloud.x > 0
    assert set(np.array(p.node_tier_names)[p.cand_node[used]]) == {"cloud"}
    best = np.zeros(len(p.app_ids))
    np.maximum.at(best, p.demand_app[p.cand_demand], p.cand_accuracy)
    assert np.all(p.cand_accuracy[used] == best[p.demand_app[p.cand_demand[used]]])
    edge = BASELINES["edge-first"](p)
    assert "device" not in set(np.array(p.node_tier_names)[p.cand_node[edge.x > 0]])
