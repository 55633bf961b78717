"""Mobility: handover, migration cost by hand, random waypoint by seed, trace checks, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.sim import simulate
from slimplace.sim.mobility import (
    Mobility,
    MobilityError,
    RandomWaypoint,
    build_access_network,
    build_mobility,
    read_mobility_trace,
)

ROOT = Path(__file__).resolve().parents[2]
TWO = ROOT / "examples" / "mobility-two-antennas.yaml"
TRACE = ROOT / "examples" / "mobility-trace.csv"
DEMO = ROOT / "examples" / "demo.yaml"
STEP_S = 300.0
HORIZON_S = 3600.0
#: the trace moves phone-1 from ant-A to ant-B at 1800 s: step 6 of 300 s
HANDOVER_STEP = 6
#: per-bit energy of the links box-A - ant-A - metro - ant-B - box-B (catalog kinds
#: fibre-access 1.5e-5 J/bit, metro 3.75e-6 J/bit; attributional network energy)
PATH_J_PER_BIT = 1.5e-5 + 3.75e-6 + 3.75e-6 + 1.5e-5
#: s-mobilenet-v1 weights (shared by every width), catalog variants.csv
WEIGHTS_BYTES = 16.96e6


@pytest.fixture(scope="module")
def problem() -> CompiledProblem:
    return compile_problem(load_scenario(TWO), variants="all")


def cand(p: CompiledProblem, demand: int, node: str, width: str) -> int:
    """The candidate of ``demand`` at ``node`` with the variant of that width."""
    n = p.node_ids.index(node)
    for c in range(p.demand_ptr[demand], p.demand_ptr[demand + 1]):
        if p.cand_node[c] == n and p.variant_names[p.cand_variant[c]].endswith(width):
            return c
    raise AssertionError(f"no candidate {demand} {node} {width}")


class Fixed:
    """Deploys one plan at step 0 and keeps it (the mobility hook alone moves services)."""

    name = "fixed"

    def __init__(self, p: CompiledProblem, cands: list[int]) -> None:
        self.x = np.zeros(p.n_candidates)
        self.x[cands] = 1.0
        self.servers = np.zeros(p.n_nodes, dtype=np.int64)
        self.servers[p.cand_node[cands]] = 1

    def start(self, context: Any, seed: int = 0) -> None:
        return None

    def decide(self, obs: Any, memory: Any) -> Plan | None:
        return Plan(self.x, self.servers, "fixed") if obs.step == 0 else None


def run(p: CompiledProblem, cands: list[int], mobility: Mobility | None) -> Any:
    return simulate(
        p, Fixed(p, cands), horizon_s=HORIZON_S, step_s=STEP_S, mobility=mobility, records="memory"
    )


def test_handover_changes_latency_by_the_route_difference(problem: CompiledProblem) -> None:
    p = problem
    net = build_access_network(p)
    nodes = [p.node_ids[i] for i in net.source_node]
    assert nodes == ["phone-1", "phone-2"]
    assert [p.node_ids[i] for i in net.antenna_node[net.home]] == ["ant-A", "ant-B"]
    every = np.arange(len(net.mc_cand))
    home, _ = net.candidate_network(net.home, every)
    np.testing.assert_allclose(home, p.cand_net_latency_s[net.mc_cand])
    # phone-1 at ant-B: its latency to box-A is phone-2's to box-A (same access link kind)
    moved, d_energy = net.candidate_network(np.array([1, 1]), every)
    a1, b1 = cand(p, 0, "box-A", "1.0x"), cand(p, 0, "box-B", "1.0x")
    b2 = cand(p, 1, "box-B", "1.0x")
    pos = {int(c): i for i, c in enumerate(net.mc_cand)}
    assert moved[pos[b1]] == pytest.approx(p.cand_net_latency_s[b2], rel=1e-12)
    assert moved[pos[a1]] == pytest.approx(p.cand_net_latency_s[b1], rel=1e-12)
    # energy: the request and response bits cross metro twice and fibre-access at the other
    # end instead of the near one: same links, so the change is zero for box-A -> box-B swap
    bits = 8 * (150e3 + 1e3)
    assert d_energy[pos[a1]] == pytest.approx(bits * (PATH_J_PER_BIT - 1.5e-5 - 1.5e-5) + 0.0)


def test_trace_handover_then_slo_migration_costs_bytes_times_path_energy(
    problem: CompiledProblem,
) -> None:
    """phone-1 served at box-A hands over to ant-B at 1800 s; from B box-A breaks the
    100 ms SLO, so the service moves to box-B, where phone-2's service has the weights
    loaded already: only the 1 MB of state crosses the path."""
    p = problem
    served = [cand(p, 0, "box-A", "1.0x"), cand(p, 1, "box-B", "1.0x")]
    state_bytes = 1e6
    mob = build_mobility(TRACE, migrate="slo", state_bytes=state_bytes)
    result = run(p, served, mob)
    m = result.summary.mobility
    assert m["handovers"] == 1 and m["migrations"] == 1 and m["stranded_entry_steps"] == 0
    assert m["migration_bytes"] == state_bytes
    assert m["migration_energy_j"] == pytest.approx(state_bytes * 8 * PATH_J_PER_BIT, rel=1e-12)
    steps = result.steps()
    load_j = steps["load_energy_j"].to_numpy()
    assert load_j[HANDOVER_STEP] == pytest.approx(300.0, rel=1e-12)  # 1e6 x 8 x 3.75e-5
    assert (np.delete(load_j, HANDOVER_STEP) == 0).all()
    assert steps["moves"].to_numpy()[HANDOVER_STEP] == 1
    # requests arriving during the transfer are late: one-way latency + bits x s/bit
    transfer_s = (2e-3 + 15e-3 + 15e-3 + 2e-3) + 8e6 * (1 / 1e9 + 2 / 1e10 + 1 / 1e9)
    late = steps["late_transition"].to_numpy()[HANDOVER_STEP]
    assert late == pytest.approx(5.0 * STEP_S * transfer_s / STEP_S, rel=1e-9)


def test_migration_sends_the_weights_when_the_destination_lacks_them(
    problem: CompiledProblem,
) -> None:
    p = problem
    served = [cand(p, 0, "box-A", "1.0x")]  # phone-2 left unplaced: box-B has no weights
    result = run(p, served, build_mobility(TRACE, migrate="slo"))
    m = result.summary.mobility
    assert m["migrations"] == 1
    assert m["migration_bytes"] == WEIGHTS_BYTES
    assert m["migration_energy_j"] == pytest.approx(WEIGHTS_BYTES * 8 * PATH_J_PER_BIT)
    # box-B had no server on: the hook switched one on for the migrated load
    assert result.summary.wake_ups == 1


def test_without_migration_the_slo_breaks_after_handover(problem: CompiledProblem) -> None:
    p = problem
    served = [cand(p, 0, "box-A", "1.0x"), cand(p, 1, "box-B", "1.0x")]
    stay = run(p, served, build_mobility(TRACE, migrate="never")).steps()
    ok = (stay["slo_ok"] / stay["requests"]).to_numpy()
    assert (ok[:HANDOVER_STEP] > 0.99).all()
    # phone-1's half of the requests: network + compute exceed the SLO (budget negative)
    assert ok[HANDOVER_STEP:] == pytest.approx(0.5, abs=1e-9)
    static = run(p, served, None).summary
    moved = run(p, served, build_mobility(TRACE, migrate="slo")).summary
    assert moved.slo_attainment > 0.99 and static.slo_attainment > 0.99


def test_follow_moves_on_handover_even_without_an_slo_break(problem: CompiledProblem) -> None:
    p = problem
    served = [cand(p, 0, "box-B", "1.0x"), cand(p, 1, "box-B", "1.0x")]
    slo = run(p, served, build_mobility(TRACE, migrate="slo")).summary.mobility
    follow = run(p, served, build_mobility(TRACE, migrate="follow")).summary.mobility
    assert slo["migrations"] == 0  # box-B met the SLO from A and meets it from B
    assert follow["migrations"] == 0  # already at the nearest candidate
    served = [cand(p, 0, "box-A", "0.25x"), cand(p, 1, "box-B", "1.0x")]
    follow = run(p, served, build_mobility(TRACE, migrate="follow")).summary.mobility
    assert follow["migrations"] == 1


def test_random_waypoint_is_reproducible_by_seed(problem: CompiledProblem) -> None:
    net = build_access_network(problem)
    tracks = []
    for seed in (7, 7, 8):
        rwp = RandomWaypoint(min_speed_m_s=10.0, max_speed_m_s=20.0, pause_s=60.0)
        rwp.start(net, seed)
        tracks.append(np.stack([rwp.positions(t) for t in np.arange(0.0, 7200.0, 60.0)]))
    np.testing.assert_array_equal(tracks[0], tracks[1])
    assert not np.array_equal(tracks[0], tracks[2])
    # within the antennas' bounding box, starting at the home antenna
    lo, hi = net.antenna_xy_m.min(axis=0), net.antenna_xy_m.max(axis=0)
    assert (tracks[0] >= lo - 1e-6).all() and (tracks[0] <= hi + 1e-6).all()
    np.testing.assert_allclose(tracks[0][0], net.antenna_xy_m[net.home])
    # the speed never exceeds the maximum
    step = np.linalg.norm(np.diff(tracks[0], axis=0), axis=2) / 60.0
    assert step.max() <= 20.0 + 1e-9


def test_random_waypoint_runs_reproduce_handovers(problem: CompiledProblem) -> None:
    p = problem
    served = [cand(p, 0, "box-A", "1.0x"), cand(p, 1, "box-B", "1.0x")]

    def once(seed: int) -> dict[str, float]:
        mob = build_mobility("random-waypoint", min_speed_m_s=1.0, max_speed_m_s=3.0)
        return simulate(
            p, Fixed(p, served), horizon_s=6 * 3600, step_s=60, seed=seed, mobility=mob
        ).summary.mobility

    a, b = once(3), once(3)
    assert a == b and a["handovers"] > 0


def test_hysteresis_keeps_a_source_on_the_border_attached(problem: CompiledProblem) -> None:
    from slimplace.sim.mobility import Attachment

    net = build_access_network(problem)
    att = Attachment(net, hysteresis=0.2)
    xa, xb = net.antenna_xy_m
    mid = (xa + xb) / 2
    just_past = mid + 0.05 * (xb - xa)  # closer to B, but not 20 % closer
    assert (att.attach(np.stack([just_past, xb])) == [0, 1]).all()
    far_past = mid + 0.3 * (xb - xa)
    assert (att.attach(np.stack([far_past, xb])) == [1, 1]).all()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("time,source,access_node\n0,phone-1,ant-A\n", "header"),
        ("time_s,source,access_node\n-5,phone-1,ant-A\n", "time_s, row 2"),
        ("time_s,source,access_node\nsoon,phone-1,ant-A\n", "not a number"),
        ("time_s,source,access_node\n60,phone-1,ant-A\n0,phone-1,ant-B\n", "sorted"),
        ("time_s,source,access_node\n0,phone-9,ant-A\n", "not a node"),
        ("time_s,source,access_node\n0,box-A,ant-A\n", "not a mobile source"),
        ("time_s,source,access_node\n0,phone-1,metro\n", "access_node, row 2"),
        ("time_s,source,access_node\n0,phone-1,ant-A\n0,phone-1,ant-B\n", "second row"),
        ("time_s,source,lat,lon\n0,phone-1,95,2.3\n", "lat, row 2"),
        ("time_s,source,access_node\n", "no rows"),
    ],
)
def test_bad_traces_name_file_row_and_column(
    problem: CompiledProblem, tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "trace.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=r"trace\.csv") as err:
        read_mobility_trace(path, build_access_network(problem))
    assert fragment in str(err.value)


def test_position_trace_attaches_to_the_nearest_antenna(
    problem: CompiledProblem, tmp_path: Path
) -> None:
    path = tmp_path / "gps.csv"
    path.write_text("time_s,source,lat,lon\n0,phone-1,48.85,2.31\n1800,phone-1,48.85,2.39\n")
    served = [cand(problem, 0, "box-A", "1.0x"), cand(problem, 1, "box-B", "1.0x")]
    steps = run(problem, served, build_mobility(path)).steps()
    assert steps["moves"].to_numpy()[HANDOVER_STEP] == 1


def test_a_scenario_without_mobile_sources_is_refused() -> None:
    p = compile_problem(load_scenario(ROOT / "examples" / "minimal.yaml"))
    p2 = compile_problem(load_scenario(TWO))
    assert build_access_network(p).n_sources == 1  # the camera hangs off edge-1 by wifi
    with pytest.raises(MobilityError, match="speed"):
        build_mobility("random-waypoint", min_speed_m_s=0.0)
    with pytest.raises(MobilityError, match="migrate"):
        build_mobility(TRACE, migrate="sometimes")
    assert build_access_network(p2).n_sources == 2


def test_cli_runs_with_and_without_mobility_and_reports_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    scenario = tmp_path / "two.yaml"
    shutil.copy(TWO, scenario)
    shutil.copy(TRACE, tmp_path / "trace.csv")
    out = tmp_path / "run"
    base = ["simulate", str(scenario), "-p", "static", "--horizon", "1h", "--step", "5min"]
    result = runner.invoke(
        app,
        [*base, "--mobility", "trace.csv", "--out", str(out), "--no-plots",
         "--mobility-set", "state_bytes=1e6"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    mob = summary["mobility"]
    assert mob["handovers"] == 1 and mob["migrations"] == 1
    assert 0 <= mob["slo_attainment_without_mobility"] <= 1
    assert "handovers" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,source,access_node\n0,phone-1,nowhere\n")
    for args, fragment in (
        (["--mobility", "missing.csv"], "--mobility"),
        (["--mobility", str(bad)], "access_node"),
        (["--mobility", "random-waypoint", "--mobility-set", "speed=3"], "unknown option"),
        (["--mobility", "random-waypoint", "--mobility-set", "pause_s=-1"], "pause"),
        (["--mobility-set", "migrate=follow"], "needs --mobility"),
    ):
        r = runner.invoke(app, [*base, "--out", str(tmp_path / "x"), "--no-plots", *args])
        assert r.exit_code == 2, (args, r.output)
        assert fragment in r.output, (args, r.output)
        assert "Traceback" not in r.output


def test_cli_refuses_random_waypoint_without_antenna_positions(tmp_path: Path) -> None:
    scenario = tmp_path / "minimal.yaml"
    shutil.copy(ROOT / "examples" / "minimal.yaml", scenario)
    args = ["simulate", str(scenario), "--horizon", "1h", "--step", "5min", "--no-plots"]
    r = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "o"), "--mobility", "random-waypoint"]
    )
    assert r.exit_code == 2 and "position" in r.output and "Traceback" not in r.output
