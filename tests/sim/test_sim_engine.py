from dataclasses import replace

import numpy as np
import pyarrow.parquet as pq
import pytest

from slimplace.benchmarks.cont_continuum import cont_problem
from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.evaluate import evaluate
from slimplace.plan import Plan, node_busy_s_per_s, servers_needed
from slimplace.problem.compile import compile_problem
from slimplace.sim import Change, PolicyError, StaticPolicy, build_workload, simulate
from slimplace.sim.engine import estimate_step
from slimplace.sim.policies import ContinuumFirstPolicy
from slimplace.sim.records import BLOCK_ROWS, COLUMNS
from slimplace.sim.state import histogram_quantile, latency_histogram

PROBLEM = compile_problem(tiny_scenario(8, seed=2), variants="all")


def _random_plan(p, seed: int, scale_on: float = 1.0) -> Plan:
    rng = np.random.default_rng(seed)
    w = rng.random(p.n_candidates) * (rng.random(p.n_candidates) < 0.4)
    w[p.demand_ptr[:-1]] += 1e-3
    x = w / np.bincount(p.cand_demand, weights=w)[p.cand_demand]
    on = servers_needed(p, node_busy_s_per_s(p, x))
    on = np.minimum(np.floor(on * scale_on).astype(np.int64), p.node_count)
    return Plan(x=x, servers_on=on, method="random-test")


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("scale_on", [1.0, 0.5])
def test_step_measure_agrees_with_the_evaluator(seed: int, scale_on: float) -> None:
    p = PROBLEM
    rng = np.random.default_rng(100 + seed)
    plan = _random_plan(p, seed, scale_on)  # scale_on 0.5: overloaded nodes, drops, inf latency
    rate = p.demand_rate_per_s * rng.uniform(0.3, 2.0, p.n_demands)
    carbon = rng.uniform(10, 900, len(p.region_codes))
    e = evaluate(p, plan, rate_per_s=rate, region_g_per_kwh=carbon)
    s = estimate_step(p, plan, rate_per_s=rate, region_g_per_kwh=carbon, step_s=3600.0)
    r = s.record
    rel = 1e-9
    assert r["power_w"] == pytest.approx(e.power_w, rel=rel)
    assert r["static_w"] == pytest.approx(e.static_w, rel=rel)
    assert r["dynamic_w"] == pytest.approx(e.dynamic_w, rel=rel)
    assert r["network_w"] == pytest.approx(e.network_w, rel=rel)
    assert r["carbon_g"] == pytest.approx(e.carbon_g_per_h, rel=rel)  # one step of one hour
    assert r["energy_j"] == pytest.approx(e.power_w * 3600.0, rel=rel)
    assert r["slo_met"] / r["requests"] == pytest.approx(e.slo_met_fraction, rel=rel, abs=1e-12)
    assert r["served"] / r["requests"] == pytest.approx(e.served_fraction, rel=rel)
    assert r["mean_accuracy"] == pytest.approx(e.mean_accuracy, rel=rel)
    for tier in ("device", "edge", "metro", "cloud"):
        assert r[f"{tier}_static_w"] == pytest.approx(
            e.power_by_tier[tier]["static"], rel=rel, abs=1e-12
        )
        assert r[f"{tier}_dynamic_w"] == pytest.approx(
            e.power_by_tier[tier]["dynamic"], rel=rel, abs=1e-12
        )
    finite = np.isfinite(e.node_utilisation)
    np.testing.assert_allclose(s.node_utilisation[finite], e.node_utilisation[finite], rtol=rel)
    assert (np.isinf(s.node_utilisation) == ~finite).all()
    if scale_on == 0.5:
        assert e.served_fraction < 1.0  # the overloaded case really overloads


def test_power_curve_nodes_agree_with_the_evaluator() -> None:
    from slimplace.scenario.model import PowerCurve

    s = tiny_scenario(8, seed=4)
    curve = PowerCurve((0.0, 0.5, 1.0), (150.0, 380.0, 450.0))
    hw = tuple(replace(h, power_curve=curve) if h.name == "tiny-cloud" else h for h in s.hardware)
    p = compile_problem(replace(s, hardware=hw), variants="all")
    plan = _random_plan(p, 1)
    e = evaluate(p, plan)
    assert estimate_step(p, plan).record["dynamic_w"] == pytest.approx(e.dynamic_w, rel=1e-9)


def test_records_stream_in_row_groups_and_sum_to_the_summary(tmp_path) -> None:
    p = PROBLEM
    n = BLOCK_ROWS + 300
    path = tmp_path / "steps.parquet"
    res = simulate(
        p,
        StaticPolicy(),
        horizon_s=n * 60.0,
        step_s=60.0,
        workload=build_workload(p, override="diurnal", seed=1),
        records=path,
    )
    f = pq.ParquetFile(path)
    assert f.metadata.num_rows == n
    assert f.num_row_groups == 2
    t = f.read().to_pandas()
    assert list(t.columns) == list(COLUMNS)
    assert t["step"].tolist() == list(range(n))
    assert t["energy_j"].sum() == pytest.approx(res.summary.energy_j, rel=1e-12)
    assert t["carbon_g"].sum() == pytest.approx(res.summary.carbon_g, rel=1e-12)
    assert res.summary.slo_attainment == pytest.approx(t["slo_ok"].sum() / t["requests"].sum())


def test_energy_is_additive_over_time() -> None:
    p = PROBLEM
    wl = build_workload(p, override="diurnal", seed=2)
    day = simulate(p, StaticPolicy(), horizon_s=86400, step_s=600, workload=wl).summary
    half = simulate(p, StaticPolicy(), horizon_s=43200, step_s=600, workload=wl).summary
    assert 1.5 < day.energy_j / half.energy_j < 2.5
    coarse = simulate(
        p, StaticPolicy(), horizon_s=86400, step_s=3600, workload=build_workload(p)
    ).summary
    fine = simulate(
        p, StaticPolicy(), horizon_s=86400, step_s=60, workload=build_workload(p)
    ).summary
    assert fine.energy_j == pytest.approx(
        coarse.energy_j, rel=1e-9
    )  # constant load: step-independent


class _Script:
    """A policy that plays back a list of decisions (step 0 first)."""

    name = "script"

    def __init__(self, decisions):
        self.decisions = decisions

    def start(self, context, *, seed):
        return None

    def decide(self, obs, memory):
        return self.decisions[obs.step] if obs.step < len(self.decisions) else None


def test_wake_up_delay_and_energy_are_charged() -> None:
    p = PROBLEM
    base = _random_plan(p, 3)
    metro = p.node_ids.index("metro")
    wake_s = p.node_wake_time_s[metro]  # 60 s
    more = base.servers_on.copy()
    more[metro] = base.servers_on[metro] + 2
    steps = [base, Change(servers_on=more)]
    res = simulate(p, _Script(steps), horizon_s=5 * 40.0, step_s=40.0, records=None)
    s = res.summary
    assert s.wake_ups == 2
    expected_j = 2 * p.node_pue[metro] * p.node_wake_energy_j[metro]
    assert s.energy_by_tier_j["transitions"]["wake"] == pytest.approx(expected_j)
    # ready after wake_s: during step 1 (40-80 s) the two servers are not available at all,
    # during step 2 (80-120 s) half of the step
    rows = _collect(p, steps, 5, 40.0)
    on = rows[:, COLUMNS.index("servers_on")]
    ready = rows[:, COLUMNS.index("servers_ready")]
    assert on[1] - on[0] == 2
    assert ready[1] == pytest.approx(ready[0])
    assert ready[2] == pytest.approx(ready[0] + 2 * (80 + 40 - (40 + wake_s)) / 40)
    assert ready[3] == pytest.approx(ready[0] + 2)


class _Sink:
    def __init__(self):
        self.rows = []

    def write(self, block):
        self.rows.append(block.copy())

    def close(self):
        pass


def _collect(p, decisions, n, step_s):
    sink = _Sink()
    simulate(p, _Script(decisions), horizon_s=n * step_s, step_s=step_s, records=sink)
    return np.concatenate(sink.rows)


def test_variant_switch_and_model_load_are_counted() -> None:
    p = PROBLEM
    # one entry per demand, on the cloud, full width; then switch demand 0 to another width there
    cloud = p.node_ids.index("cloud")
    chosen = np.array(
        [
            p.demand_ptr[d]
            + np.flatnonzero(p.cand_node[p.demand_ptr[d] : p.demand_ptr[d + 1]] == cloud)[-1]
            for d in range(p.n_demands)
        ]
    )
    x = np.zeros(p.n_candidates)
    x[chosen] = 1.0
    metro = p.node_ids.index("metro")
    on = np.minimum(servers_needed(p, node_busy_s_per_s(p, x)), p.node_count)
    on[metro] = 1  # awake from the start, so the moved traffic is served at once
    plan = Plan(x, on, "t")
    same_node = np.flatnonzero(
        (p.cand_demand == 0)
        & (p.cand_node == cloud)
        & (p.cand_variant != p.cand_variant[chosen[0]])
    )
    elsewhere = np.flatnonzero((p.cand_demand == 1) & (p.cand_node == metro))
    steps = [plan, Change(np.array([0]), same_node[:1]), Change(np.array([1]), elsewhere[:1])]
    rows = _collect(p, steps, 4, 60.0)
    sw, loads, moves = (
        rows[:, COLUMNS.index(c)] for c in ("variant_switches", "model_loads", "moves")
    )
    assert sw.tolist() == [0, 1, 0, 0]
    assert loads.tolist() == [0, 0, 1, 0]  # the slimmable model was not on the metro node
    assert moves.tolist() == [0, 0, 1, 0]
    late = rows[:, COLUMNS.index("late_transition")]
    assert late[1] > 0 and late[2] > 0 and late[3] == 0
    # the model load is charged as its size times the per-bit energy from the cloud
    load_j = rows[2, COLUMNS.index("load_energy_j")]
    assert load_j > 0


def test_the_first_decision_must_be_a_plan() -> None:
    with pytest.raises(PolicyError):
        simulate(PROBLEM, _Script([None]), horizon_s=60, step_s=60)
    with pytest.raises(PolicyError):
        simulate(PROBLEM, _Script([Change()]), horizon_s=60, step_s=60)


def test_latency_histogram_quantile() -> None:
    lat = np.array([0.01, 0.02, 0.05, 0.1, np.inf])
    h = latency_histogram(lat, np.ones(5))
    assert h.sum() == 5
    assert histogram_quantile(h, 0.5) == pytest.approx(0.05, rel=0.08)
    assert histogram_quantile(h, 0.95) == np.inf


def _leaf_power_w(p, x) -> float:
    """CONT's power by its own definition (LEAF): compute units (CU), per-bit link energies."""
    support = np.flatnonzero(x > 0.5)
    assert len(support) == p.n_demands  # one placement per app
    width = np.array([float(p.variant_names[k].split("/w")[1]) for k in p.cand_variant[support]])
    kind = [p.node_ids[v].split("-")[0] for v in p.cand_node[support]]
    used: dict[str, float] = {}
    for v, w in zip(p.cand_node[support], width, strict=True):
        used[p.node_ids[v]] = used.get(p.node_ids[v], 0.0) + 2000.0 * w
    watts = 0.0
    for node in p.scenario.nodes:
        cu = used.get(node.id, 0.0)
        watts += {
            "cont-device": 1.0,
            "cont-edge": 20.0 + 40.0 * cu / 4000.0,
            "cont-fog": 100.0 + 140.0 * cu / 400000.0,
            "cont-cloud": 700e-6 * cu,
        }[node.hardware]
    up = {"edge": 300e-9, "fog": 300e-9 + 10e-9, "cloud": 300e-9 + 10e-9 + 6658e-9}
    down = {"edge": 10e-9 + 6658e-9, "fog": 6658e-9, "cloud": 0.0}
    watts += sum(1e6 * up[k] + 1e4 * down[k] for k in kind)  # 1 Mbit/s in, 10 kbit/s to the sink
    return watts


def test_cont_energy_matches_its_definition() -> None:
    p = cont_problem("S")

    from slimplace.sim.state import SimState

    seen = {}
    original = SimState.end_step

    def spy(self):
        seen["x"] = self.plan_x()
        original(self)

    SimState.end_step = spy
    try:
        sink = _Sink()
        res = simulate(p, ContinuumFirstPolicy(), horizon_s=60, step_s=1.0, records=sink)
    finally:
        SimState.end_step = original
    rows = np.concatenate(sink.rows)
    assert rows[-1, COLUMNS.index("power_w")] == pytest.approx(
        _leaf_power_w(p, seen["x"]), rel=1e-9
    )
    assert 15.2 < res.summary.energy_j / 3600 < 15.9  # LEAF: 15.7 Wh
