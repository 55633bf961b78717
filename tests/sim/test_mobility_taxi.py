"""Taxi-like movement: trips between antennas along the road-like graph, seeded."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.sim import simulate
from slimplace.sim.mobility import (
    MobilityError,
    RoadTaxis,
    build_access_network,
    build_mobility,
    road_graph,
)
from slimplace.sim.mobility.network import project_m

ROOT = Path(__file__).resolve().parents[2]
TWO = ROOT / "examples" / "mobility-two-antennas.yaml"


@pytest.fixture(scope="module")
def problem() -> CompiledProblem:
    return compile_problem(load_scenario(TWO), variants="all")


def tracks(p: CompiledProblem, seed: int, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (m) and antennas of every vehicle at ``times``."""
    taxis = RoadTaxis(min_speed_m_s=5.0, max_speed_m_s=15.0, pause_s=300.0)
    taxis.start(build_access_network(p), seed)
    pos = np.array([taxis.positions(t) for t in times])
    acc = np.array([taxis.attachment.attach(q).copy() for q in pos])
    return pos, acc


def test_same_seed_same_trips_other_seed_other_trips(problem: CompiledProblem) -> None:
    times = np.arange(0.0, 6 * 3600.0, 60.0)
    a, acc_a = tracks(problem, 0, times)
    b, acc_b = tracks(problem, 0, times)
    c, _ = tracks(problem, 1, times)
    assert np.array_equal(a, b) and np.array_equal(acc_a, acc_b)
    assert not np.allclose(a, c)
    assert (np.diff(acc_a, axis=0) != 0).sum() > 0  # they do hand over


def test_vehicles_stay_on_the_roads_within_the_speed_range(problem: CompiledProblem) -> None:
    """On the example the roads are ant-A - metro - ant-B (the datacenter has no
    position, the phones' access links are not roads): every position lies on them."""
    p = problem
    net = build_access_network(p)
    g = road_graph(net)
    assert g.reach.all()
    ids = ["ant-A", "metro", "ant-B"]
    lat_lon = np.array([p.scenario.nodes[p.node_ids.index(i)].position for i in ids])
    xy = project_m(lat_lon, net.lat0_deg)
    times = np.arange(0.0, 4 * 3600.0, 1.0)
    pos, _ = tracks(p, 3, times)

    def to_segment(q: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        t = np.clip(((q - a) @ (b - a)) / ((b - a) @ (b - a)), 0.0, 1.0)
        return np.linalg.norm(q - (a + t[..., None] * (b - a)), axis=-1)

    off = np.minimum(to_segment(pos, xy[0], xy[1]), to_segment(pos, xy[1], xy[2]))
    assert off.max() < 1e-6
    step = np.linalg.norm(np.diff(pos, axis=0), axis=2)
    assert step.max() <= 15.0 + 1e-6 and step.max() > 5.0  # m per 1 s


def test_taxi_runs_in_the_simulator_and_bad_options_are_refused(problem: CompiledProblem) -> None:
    res = simulate(
        problem, "static-peak", horizon_s=6 * 3600.0, step_s=300.0, mobility=build_mobility("taxi")
    )
    m = res.summary.mobility
    assert m["handovers"] > 0 and m["stranded_entry_steps"] == 0
    with pytest.raises(MobilityError, match="speed"):
        build_mobility("taxi", min_speed_m_s=20.0, max_speed_m_s=10.0)


def test_cli_taxi(tmp_path: Path) -> None:
    scenario = tmp_path / "two.yaml"
    shutil.copy(TWO, scenario)
    args = ["simulate", str(scenario), "-p", "static", "--horizon", "2h", "--step", "5min"]
    r = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "o"), "--no-plots", "--mobility", "taxi"]
    )
    assert r.exit_code == 0, r.output
    assert "handovers" in r.output
