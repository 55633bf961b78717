"""Online policies with consolidated plans: the window of recent peaks, the rescue move
when the plan in force overloads a node, wake-on-rise between re-plans, and the cost of a
move in the hysteresis (slimplace.sim.policies.common)."""

import dataclasses

import numpy as np
import pytest

from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.problem.compile import compile_problem
from slimplace.sim import build_workload, simulate
from slimplace.sim.policies.common import RateWindow, overloaded, switch_w
from slimplace.sim.policies.periodic import PeriodicPolicy
from slimplace.sim.policies.predictive import PredictivePolicy
from slimplace.sim.policies.reactive import ReactivePolicy

STEP_S = 300.0
N = 48
SPIKES = (20, 26)  # two steps at the peak, 30 min apart, on 10 % of it


def _problem():  # type: ignore[no-untyped-def]
    """The tiny continuum with every server waking in 200 s: two thirds of a 5-min step."""
    sc = tiny_scenario(16, seed=5, rate_scale=10.0)
    hw = tuple(
        dataclasses.replace(h, wake_time_s=200.0) if h.wake_time_s else h for h in sc.hardware
    )
    return compile_problem(dataclasses.replace(sc, hardware=hw), variants="all")


PROBLEM = _problem()


@pytest.fixture(scope="module")
def spiky(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    v = np.full(N, 0.1)
    v[list(SPIKES)] = 1.0
    f = tmp_path_factory.mktemp("trace") / "spikes.csv"
    rows = "\n".join(f"{i * STEP_S:.0f},{x}" for i, x in enumerate(v))
    f.write_text("time,value\n" + rows)
    return build_workload(PROBLEM, override=str(f), aligned=True).scaled_to_peak(N, STEP_S)


def _run(policy, workload):  # type: ignore[no-untyped-def]
    r = simulate(
        PROBLEM, policy, horizon_s=N * STEP_S, step_s=STEP_S, workload=workload, records="memory"
    )
    steps = r.steps()
    met = np.asarray(steps["slo_met"] / steps["requests"])
    return r.summary, met


def test_rate_window_is_the_max_of_the_last_steps_hand_worked() -> None:
    w = RateWindow(2, 3)
    assert w.peak().tolist() == [0.0, 0.0]
    for rate in ([1.0, 5.0], [4.0, 1.0], [2.0, 2.0]):
        w.push(np.array(rate))
    assert w.peak().tolist() == [4.0, 5.0]
    w.push(np.array([0.5, 0.5]))  # [1, 5] leaves the window
    assert w.peak().tolist() == [4.0, 2.0]
    w.push(np.array([0.5, 0.5]))
    w.push(np.array([0.5, 0.5]))  # only the last three: all 0.5
    assert w.peak().tolist() == [0.5, 0.5]


def test_overloaded_compares_load_with_servers_up_now() -> None:
    assert overloaded(np.array([0.5, 1.2]), np.array([1.0, 1.0]), 1.0)
    assert not overloaded(np.array([0.5, 1.2]), np.array([1.0, 2.0]), 1.0)
    # a server waking for two thirds of the step counts one third
    assert overloaded(np.array([0.5]), np.array([1 / 3]), 1.0)
    assert overloaded(np.array([0.95]), np.array([1.0]), 0.9)


def test_switch_cost_hand_worked() -> None:
    p = PROBLEM
    on = np.zeros(p.n_nodes)
    edge0, metro = p.node_ids.index("edge-0"), p.node_ids.index("metro")
    old = on.copy()
    old[metro] = 2
    new = on.copy()
    new[edge0] = 1
    new[metro] = 1
    # one edge server woken (300 J x PUE 1.0), one metro server freed and kept on for
    # 600 s at idle minus sleep power (x PUE 1.4), over a 900 s period
    freed_w = float(p.node_idle_w[metro] - p.node_sleep_w[metro]) * 1.4
    want = (300.0 * 1.0 + 600.0 * freed_w) / 900.0
    got = switch_w(p, new, old, old, idle_s=600.0, period_s=900.0)
    assert got == pytest.approx(want, rel=1e-12)
    assert switch_w(p, old, old, old, idle_s=600.0, period_s=900.0) == 0.0


def test_periodic_absorbs_a_spike_that_comes_back_within_the_window(spiky) -> None:  # type: ignore[no-untyped-def]
    """Hand-worked: at 10 % of the peak the plan keeps one server; each spike (10x) needs
    three. Re-planning every 15 min for the current rate (no window, no rescue) fails both
    spikes (the hot re-plan waits 200 s for its servers, the step is lost); the rescue
    moves at once onto servers up a third of the step (60 % of the first spike within the
    SLO); the 1-hour window keeps the plan made for the first spike, so the second one
    (30 min later, inside a re-plan period) is absorbed."""
    old, m_old = _run(
        PeriodicPolicy(period_s=900.0, window_s=0.0, rescue=False, follow=False), spiky
    )
    rescue, m_rescue = _run(PeriodicPolicy(period_s=900.0, window_s=0.0), spiky)
    new, m_new = _run(PeriodicPolicy(period_s=900.0), spiky)
    first, second = SPIKES
    assert m_old[first] < 0.01 and m_old[second] < 0.01
    assert 0.3 < m_rescue[first] < 1.0 and m_rescue[second] == pytest.approx(m_rescue[first])
    assert rescue.policy_report["rescues"] == 2.0
    assert m_new[second] == pytest.approx(1.0)
    assert new.slo_attainment > rescue.slo_attainment > old.slo_attainment
    # the window costs energy (the spike's servers kept for an hour), bounded by the peak's
    peak_w = new.plan_energy_j / (N * STEP_S)
    assert new.plan_energy_j > rescue.plan_energy_j and peak_w > 0


def test_window_off_plans_for_the_current_rate(spiky) -> None:  # type: ignore[no-untyped-def]
    """``window_s=0`` with ``rescue`` and ``follow`` off is the policy as it was: same
    servers at every step as planning for the current rate."""
    a, _ = _run(PeriodicPolicy(period_s=900.0, window_s=0.0, rescue=False, follow=False), spiky)
    assert a.policy_report["rescues"] == 0.0
    assert a.served_fraction < 1.0  # the spikes overload the one server


def test_predictive_keeps_the_spikes_within_the_slo(spiky) -> None:  # type: ignore[no-untyped-def]
    """The predictive policy's load-following layer wakes servers on the forecast peak
    over the wake time and its placement is planned for the larger of the forecast and
    the last hour's peak: both spikes are served within the SLO."""
    s, met = _run(PredictivePolicy(period_s=900.0), spiky)
    assert s.served_fraction == pytest.approx(1.0)
    assert met[list(SPIKES)] == pytest.approx([1.0, 1.0])
    assert s.policy_report["rescues"] == 0.0  # nothing was overloaded to rescue


def test_follow_load_wakes_at_once_and_sleeps_after_idle_hand_worked() -> None:
    """Three nodes, 300 s steps, idle 600 s: node 0 needs more (woken at once), node 1 has
    one surplus server (kept two steps, then dropped), node 2 is not switchable."""
    from slimplace.sim.policies.common import follow_load

    can = np.array([True, True, False])
    surplus = np.zeros(3)
    need = np.array([3.0, 1.0, 0.0])
    t = follow_load(np.array([1.0, 2.0, 4.0]), need, can, surplus, 300.0, 600.0)
    assert t.tolist() == [3.0, 2.0, 4.0] and surplus.tolist() == [0.0, 300.0, 0.0]
    t = follow_load(t, need, can, surplus, 300.0, 600.0)
    assert t.tolist() == [3.0, 1.0, 4.0] and surplus.tolist() == [0.0, 0.0, 0.0]
    # idle_s=None: never lower
    t = follow_load(np.array([1.0, 2.0, 4.0]), need, can, surplus, 300.0, None)
    assert t.tolist() == [3.0, 2.0, 4.0]


@pytest.fixture(scope="module")
def gap(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Full load, three steps without requests, full load again."""
    v = np.full(12, 1.0)
    v[4:7] = 0.0
    f = tmp_path_factory.mktemp("trace") / "gap.csv"
    f.write_text("time,value\n" + "\n".join(f"{i * STEP_S:.0f},{x}" for i, x in enumerate(v)))
    return build_workload(PROBLEM, override=str(f), aligned=True).scaled_to_peak(12, STEP_S)


@pytest.mark.parametrize(
    "policy",
    [
        PeriodicPolicy(period_s=3600.0, idle_s=1.0),
        ReactivePolicy(idle_s=1.0, scale_to_zero=False),
        ReactivePolicy(scale_to_zero=False),
        PredictivePolicy(scale_to_zero=False),
    ],
    ids=["periodic", "reactive-1s", "reactive", "predictive"],
)
def test_load_following_keeps_one_server_where_the_placement_routes(gap, policy) -> None:  # type: ignore[no-untyped-def]
    """Following the load without scaling to zero never switches off the last server of
    a node the placement in force routes requests to: a quarter hour without requests
    leaves it on, so the requests that come back are served (periodic always; before,
    every node slept during the gap and the first step after it lost 2.25 % of the
    requests and 11 % of the SLO, as reactive's and predictive's default still does)."""
    r = simulate(PROBLEM, policy, horizon_s=12 * STEP_S, step_s=STEP_S, workload=gap)
    assert r.summary.served_fraction == pytest.approx(1.0)
    assert r.summary.slo_attainment == pytest.approx(1.0)


@pytest.mark.parametrize(
    "policy", [ReactivePolicy(), PredictivePolicy()], ids=["reactive", "predictive"]
)
def test_scale_to_zero_sleeps_the_last_server(gap, policy) -> None:  # type: ignore[no-untyped-def]
    """``scale_to_zero`` (the default, Knative's rule) lets an idle node's last server
    sleep: the requests that come back wait for its wake, and some are lost."""
    r = simulate(
        PROBLEM,
        ReactivePolicy(scale_to_zero=True),
        horizon_s=12 * STEP_S,
        step_s=STEP_S,
        workload=gap,
    )
    assert r.summary.served_fraction < 0.99
