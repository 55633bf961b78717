"""Routing as a decision with sleeping links (issue 18, docs/routing.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.evaluate import evaluate, link_loads_bps
from slimplace.explain import NotApplicable, default_levers
from slimplace.optim.costs import ObjectiveOptions
from slimplace.optim.routing_heuristic import energy_aware_routes
from slimplace.optim.routing_milp import links_asleep
from slimplace.optim.routing_model import routing_value
from slimplace.problem.compile import compile_problem
from slimplace.problem.routing import (
    can_sleep,
    plan_arc_loads_bps,
    shortest_routes,
    with_k_paths,
)
from slimplace.scenario.io import load_scenario
from slimplace.solve import solve

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
TRIANGLE = HERE / "data" / "triangle.yaml"
SCENARIOS = [
    TRIANGLE,
    ROOT / "examples" / "minimal.yaml",
    ROOT / "examples" / "demo.yaml",
    ROOT / "examples" / "sndlib-abilene.yaml",
]
runner = CliRunner()


def _problem(path: Path, k: int = 1):
    scenario = load_scenario(path)
    settings = dataclasses.replace(scenario.settings, k_paths=k)
    return compile_problem(dataclasses.replace(scenario, settings=settings))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", ["greedy", "milp"])
def test_k1_gives_exactly_todays_plans(path: Path, method: str) -> None:
    """k_paths = 1 (the default) is the fixed shortest-path model: same plan, same figures."""
    today = compile_problem(load_scenario(path))
    k1 = _problem(path, 1)
    assert k1.paths is None
    a = solve(today, method, time_limit_s=30)
    b = solve(k1, method, time_limit_s=30)
    np.testing.assert_array_equal(a.plan.x, b.plan.x)
    np.testing.assert_array_equal(a.plan.servers_on, b.plan.servers_on)
    assert a.evaluation.power_w == b.evaluation.power_w
    assert a.evaluation.fixed_w == b.evaluation.fixed_w
    assert b.plan.routes is None


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shortest_routes_load_links_as_the_fixed_routes(path: Path) -> None:
    """Rank 0 of every flow is today's route: same traffic on every arc."""
    p = compile_problem(load_scenario(path))
    q = with_k_paths(p, 3)
    plan = solve(p, "greedy").plan
    flow = p.demand_rate_per_s[p.cand_demand] * plan.x
    np.testing.assert_allclose(
        plan_arc_loads_bps(q, plan.x, None), link_loads_bps(p, flow), rtol=1e-9, atol=1e-6
    )
    np.testing.assert_allclose(
        plan_arc_loads_bps(q, plan.x, shortest_routes(q, plan.x)),
        link_loads_bps(p, flow),
        rtol=1e-9,
        atol=1e-6,
    )


def _on_w(p, names: list[tuple[str, str]]) -> float:
    """Baseload less sleep power of the links joining node pairs ``names``."""
    ids = {n: i for i, n in enumerate(p.node_ids)}
    total = 0.0
    for u, v in names:
        a, b = ids[u], ids[v]
        link = np.flatnonzero(
            ((p.link_a == a) & (p.link_b == b)) | ((p.link_a == b) & (p.link_b == a))
        )[0]
        total += p.link_baseload_w[link] - p.link_sleep_w[link]
    return total


def test_triangle_worked_by_hand() -> None:
    """Shortest paths keep the three core links on; with k = 3 the optimum routes a and c
    through b: one core link and two metro links on, two core links asleep."""
    p = compile_problem(load_scenario(TRIANGLE))
    leaves = [("cam-a", "a"), ("cam-b", "b"), ("cam-c", "c")]
    fixed = with_k_paths(p, 1, sleep=True)
    routed = with_k_paths(p, 3)
    sp_w = _on_w(p, [*leaves, ("a", "d"), ("b", "d"), ("c", "d")])
    ea_w = _on_w(p, [*leaves, ("a", "b"), ("b", "c"), ("b", "d")])
    assert ea_w < sp_w
    for method in ("greedy", "milp"):
        r_sp = solve(fixed, method, time_limit_s=30)
        r_ea = solve(routed, method, time_limit_s=30)
        assert r_sp.evaluation.feasible and r_ea.evaluation.feasible
        assert r_sp.evaluation.breakdown_w["network_baseload"] == pytest.approx(sp_w)
        assert r_ea.evaluation.breakdown_w["network_baseload"] == pytest.approx(ea_w)
        assert len(links_asleep(fixed, r_sp.plan)) == 2  # the metro links
        assert len(links_asleep(routed, r_ea.plan)) == 2  # two core links
        # fixed power is the same whatever the routes; the saving is plan-dependent
        assert r_ea.evaluation.fixed_w == pytest.approx(r_sp.evaluation.fixed_w)
        saving = r_sp.evaluation.plan_w - r_ea.evaluation.plan_w
        assert saving == pytest.approx(sp_w - ea_w, rel=1e-3)
    milp = solve(routed, "milp", time_limit_s=30)
    assert str(milp.plan.status) == "optimal"


def test_routing_value_is_the_evaluated_power() -> None:
    """The optimizers' objective with routes equals the evaluator's power."""
    p = compile_problem(load_scenario(TRIANGLE))
    q = with_k_paths(p, 3)
    r = solve(q, "milp", time_limit_s=30)
    model = ObjectiveOptions().cost_model(q)
    value = routing_value(q, model, r.plan.x, r.plan.servers_on, r.plan.routes)
    assert value == pytest.approx(r.evaluation.power_w, rel=1e-9)
    assert r.plan.objective == pytest.approx(r.evaluation.power_w, rel=1e-9)


def test_links_that_cannot_sleep_keep_their_baseload_fixed() -> None:
    """Radio (shared) and wan kinds never sleep: their baseload is fixed at any k."""
    p = compile_problem(load_scenario(ROOT / "examples" / "minimal.yaml"))
    q = with_k_paths(p, 3)
    assert not can_sleep(q).any()  # wifi (shared) and wan
    a, b = solve(p, "greedy").evaluation, solve(q, "greedy").evaluation
    assert b.fixed_w == pytest.approx(a.fixed_w)
    assert b.breakdown_w["network_baseload"] == 0.0


def test_evaluator_flags_routes_that_break_the_slo() -> None:
    p = compile_problem(load_scenario(TRIANGLE))
    tight = dataclasses.replace(p, demand_slo_s=p.cand_latency_s.max() * np.ones(p.n_demands))
    q = with_k_paths(tight, 3)
    plan = solve(q, "greedy").plan
    long_way = dataclasses.replace(plan.routes, rank=np.full(len(plan.routes.rank), 2))
    e = evaluate(q, dataclasses.replace(plan, routes=long_way))
    assert not e.feasible and any(v.kind == "slo" for v in e.violations)


def test_explain_routing_lever() -> None:
    lever = {lv.name: lv for lv in default_levers()}["routing"]
    p = compile_problem(load_scenario(TRIANGLE))
    assert isinstance(lever.remove(p, "energy"), NotApplicable)
    fixed = lever.remove(with_k_paths(p, 3), "energy")
    assert not isinstance(fixed, NotApplicable)
    assert fixed.paths is not None and fixed.paths.k == 1


def test_cli_k_paths(tmp_path: Path) -> None:
    out = runner.invoke(app, ["solve", str(TRIANGLE), "--k-paths", "3", "-m", "milp"])
    assert out.exit_code == 0, out.output
    assert "links asleep: 2 of 8" in out.output
    bad = runner.invoke(app, ["solve", str(TRIANGLE), "--k-paths", "0"])
    assert bad.exit_code == 2 and "--k-paths" in bad.output


def test_bad_scenario_k_paths_and_sleep_power(tmp_path: Path) -> None:
    text = TRIANGLE.read_text()
    zero = tmp_path / "k0.yaml"
    zero.write_text(text.replace("k_paths: 1", "k_paths: 0"))
    out = runner.invoke(app, ["validate", str(zero)])
    assert out.exit_code == 2 and "k_paths" in out.output
    boolean = tmp_path / "kbool.yaml"  # YAML's true is not a path count (was read as 1)
    boolean.write_text(text.replace("k_paths: 1", "k_paths: true"))
    out = runner.invoke(app, ["validate", str(boolean)])
    assert out.exit_code == 2 and "settings.k_paths" in out.output
    hot = tmp_path / "hot.yaml"
    hot.write_text(
        text
        + "link_kinds:\n  - {name: hot, bandwidth: 1 Gbit/s, latency: 1 ms, energy_per_bit: 0,"
        + " baseload: 5 W, sleep_power: 6 W}\n"
    )
    out = runner.invoke(app, ["validate", str(hot)])
    assert out.exit_code == 2 and "link_kinds[0].sleep_power" in out.output


def test_routes_figure_shows_links_on_and_asleep(tmp_path: Path) -> None:
    from slimplace.plots import routes_figure

    q = with_k_paths(compile_problem(load_scenario(TRIANGLE)), 3)
    r = solve(q, "milp", time_limit_s=30)
    fig = routes_figure(q, r.plan)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "asleep (2)" in labels and any(lb.startswith("on (") for lb in labels)
    fig.savefig(tmp_path / "routes.png")


def test_link_transitions_between_plans() -> None:
    from slimplace.problem.routing import link_transitions

    p = compile_problem(load_scenario(TRIANGLE))
    sp, q = with_k_paths(p, 1, sleep=True), with_k_paths(p, 3)
    a, b = solve(sp, "milp").plan, solve(q, "milp").plan
    t = link_transitions(
        q, plan_arc_loads_bps(q, a.x, a.routes), plan_arc_loads_bps(q, b.x, b.routes)
    )
    assert len(t.woken) == 2 and len(t.asleep) == 2  # two metro links wake, two core links sleep
    assert t.wake_s == pytest.approx(max(q.link_wake_time_s[t.woken]))


def test_flows_leave_a_link_whose_bandwidth_binds(tmp_path: Path) -> None:
    """With a-d too thin for camera a's traffic, fixed shortest paths overload it; with
    k = 3 the heuristic moves the flow through b and the MILP routes it so."""
    thin = tmp_path / "thin.yaml"
    text = TRIANGLE.read_text().replace("{node: cam-a, rate: 2/s}", "{node: cam-a, rate: 10/s}")
    thin.write_text(
        text.replace(
            "{a: a, b: d, kind: core, latency: 10 ms}",
            "{a: a, b: d, kind: core, latency: 10 ms, bandwidth: 8 Mbit/s}",
        )
    )
    p = compile_problem(load_scenario(thin))
    fixed = solve(with_k_paths(p, 1, sleep=True), "milp", time_limit_s=30)
    assert str(fixed.plan.status) == "infeasible"  # a-d is the only fixed route of camera a
    q = with_k_paths(p, 3)
    r = solve(q, "milp", time_limit_s=30)
    assert r.evaluation.feasible, r.evaluation.violations
    assert r.plan.routes is not None and (r.plan.routes.rank > 0).any()
    # the heuristic, from the same placement on shortest paths, moves the flow off a-d
    model = ObjectiveOptions().cost_model(q)
    routes = energy_aware_routes(q, model, r.plan.x)
    shortest = evaluate(q, dataclasses.replace(r.plan, routes=None))
    assert any(v.kind == "bandwidth" for v in shortest.violations)
    assert evaluate(q, dataclasses.replace(r.plan, routes=routes)).feasible


def test_cli_explain_with_routing_lever() -> None:
    out = runner.invoke(
        app, ["explain", str(TRIANGLE), "--k-paths", "3", "--time-limit", "20", "--json", "-"]
    )
    assert out.exit_code == 0, out.output
    assert '"routing"' in out.output and '"link-sleep"' in out.output


def _with_settings(path: Path, **changes: object):
    scenario = load_scenario(path)
    settings = dataclasses.replace(scenario.settings, **changes)
    return compile_problem(dataclasses.replace(scenario, settings=settings))


def test_link_sleep_is_a_setting_apart_from_k() -> None:
    """link_sleep None follows k (today's behaviour); true with k = 1 keeps shortest paths
    and lets idle links sleep; false with k = 3 chooses routes with every link on."""
    assert _with_settings(TRIANGLE, k_paths=1, link_sleep=None).paths is None
    default3 = _with_settings(TRIANGLE, k_paths=3)
    assert default3.paths is not None and default3.paths.sleep
    sleep1 = _with_settings(TRIANGLE, k_paths=1, link_sleep=True)
    assert sleep1.paths is not None and sleep1.paths.k == 1 and can_sleep(sleep1).any()
    awake3 = _with_settings(TRIANGLE, k_paths=3, link_sleep=False)
    assert awake3.paths is not None and awake3.paths.k == 3 and not can_sleep(awake3).any()
    p = compile_problem(load_scenario(TRIANGLE))
    sp_w = _on_w(p, [("cam-a", "a"), ("cam-b", "b"), ("cam-c", "c")])
    sp_w += _on_w(p, [("a", "d"), ("b", "d"), ("c", "d")])
    r = solve(sleep1, "milp", time_limit_s=30)
    assert r.evaluation.breakdown_w["network_baseload"] == pytest.approx(sp_w)
    assert len(links_asleep(sleep1, r.plan)) == 2 and not (r.plan.routes.rank > 0).any()
    # every link on: the baseload is fixed whatever the routes; the same power as today
    today = solve(p, "milp", time_limit_s=30).evaluation
    awake = solve(awake3, "milp", time_limit_s=30).evaluation
    assert awake.breakdown_w["network_baseload"] == 0.0
    assert awake.power_w == pytest.approx(today.power_w, rel=1e-9)


def test_cli_link_sleep_flags() -> None:
    out = runner.invoke(app, ["solve", str(TRIANGLE), "--link-sleep", "-m", "milp"])
    assert out.exit_code == 0, out.output
    assert "k = 1 shortest path(s): 0 flow(s)" in out.output
    assert "link sleep on, links asleep: 2 of 8" in out.output
    out = runner.invoke(app, ["solve", str(TRIANGLE), "--k-paths", "3", "--no-link-sleep"])
    assert out.exit_code == 0, out.output
    assert "link sleep off, links asleep: 0 of 0" in out.output


def test_explain_separates_link_sleep_and_routing() -> None:
    """Removing link sleep (every link on) and removing route choice (k = 1, idle links
    still asleep) are two levers; on the triangle each is worth what the hand count says."""
    levers = {lv.name: lv for lv in default_levers()}
    p = compile_problem(load_scenario(TRIANGLE))
    q = with_k_paths(p, 3)
    awake = levers["link-sleep"].remove(q, "energy")
    assert not isinstance(awake, NotApplicable)
    assert awake.paths is not None and awake.paths.k == 3 and not can_sleep(awake).any()
    fixed = levers["routing"].remove(q, "energy")
    assert not isinstance(fixed, NotApplicable) and fixed.paths is not None
    assert fixed.paths.k == 1 and fixed.paths.sleep
    assert isinstance(levers["link-sleep"].remove(p, "energy"), NotApplicable)
    sleep1 = with_k_paths(p, 1, sleep=True)
    assert isinstance(levers["routing"].remove(sleep1, "energy"), NotApplicable)
    assert not isinstance(levers["link-sleep"].remove(sleep1, "energy"), NotApplicable)


def test_link_sleep_with_fixed_routes_moves_the_placement() -> None:
    """With k = 1 and link sleep, the MILP places work so as to keep links idle: on the
    Abilene example its plan draws less than the fixed-route optimum (every link on)
    evaluated with the same sleeping links, with no flow off its shortest path."""
    p = compile_problem(load_scenario(ROOT / "examples" / "sndlib-abilene.yaml"))
    sleep1 = with_k_paths(p, 1, sleep=True)
    awake = solve(p, "milp", time_limit_s=30).plan
    asleep = solve(sleep1, "milp", time_limit_s=30)
    assert str(asleep.plan.status) == "optimal" and asleep.evaluation.feasible
    assert asleep.plan.routes is None or not (asleep.plan.routes.rank > 0).any()
    unaware = evaluate(sleep1, dataclasses.replace(awake, routes=None))
    assert unaware.feasible
    assert asleep.evaluation.power_w < unaware.power_w - 1.0
    assert np.abs(asleep.plan.x - awake.x).sum() > 0.5  # a different placement
