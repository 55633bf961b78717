"""Roaming candidates: a source is served via its current antenna after a handover
(hand-worked on examples/mobility-roaming.yaml), policies plan with the current antennas,
and bad mobility files exit 2 naming file, row and column."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.optim.greedy import GreedySolver
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.sim import simulate
from slimplace.sim.mobility import (
    MobilityError,
    build_access_network,
    build_mobility,
    build_roaming,
)
from slimplace.sim.mobility.hook import RoamingSolver

ROOT = Path(__file__).resolve().parents[2]
ROAMING = ROOT / "examples" / "mobility-roaming.yaml"
#: phone-1 moves from ant-A to ant-B at 1800 s
TRACE = ROOT / "examples" / "mobility-trace.csv"
STEP_S = 300.0
HORIZON_S = 3600.0
HANDOVER_STEP = 6
STATE_BYTES = 1e6
RATE = 5.0  # phone-1's requests per second


@pytest.fixture(scope="module")
def problem() -> CompiledProblem:
    return compile_problem(load_scenario(ROAMING), variants="all")


def nodes_of(p: CompiledProblem, demand: int) -> set[str]:
    lo, hi = p.demand_ptr[demand], p.demand_ptr[demand + 1]
    return {p.node_ids[int(n)] for n in p.cand_node[lo:hi]}


def route(p: CompiledProblem, names: list[str]) -> tuple[float, float, float]:
    """Sums along the named node path: latency (s), s/bit, J/bit (by hand, link by link)."""
    lat = spb = ebit = 0.0
    for u, v in itertools.pairwise(names):
        link = next(
            k
            for k in range(len(p.link_a))
            if {p.node_ids[int(p.link_a[k])], p.node_ids[int(p.link_b[k])]} == {u, v}
        )
        lat += float(p.link_latency_s[link])
        spb += 1.0 / float(p.link_bandwidth_bps[link])
        ebit += float(p.link_energy_j_per_bit[link])
    return lat, spb, ebit


def test_each_antenna_admits_only_its_own_box(problem: CompiledProblem) -> None:
    p = problem
    assert nodes_of(p, 0) == {"box-A"}  # phone-1, compiled from its home antenna A
    net = build_access_network(p)
    r = build_roaming(p, net)
    q = r.problem
    assert nodes_of(q, 0) == {"box-A", "box-B"}
    assert r.added == q.n_candidates - p.n_candidates > 0
    # the original candidates are kept, at the positions ``original`` says
    assert np.array_equal(q.cand_node[r.original], p.cand_node)
    assert np.array_equal(q.cand_variant[r.original], p.cand_variant)
    # a candidate at box-B is compiled from antenna B; from A it breaks the 100 ms SLO
    ant_b = int(np.flatnonzero(net.antenna_node == p.node_ids.index("ant-B"))[0])
    at_b = np.flatnonzero((q.cand_demand == 0) & (q.cand_node == p.node_ids.index("box-B")))
    assert (r.tag[at_b] == ant_b).all()
    lat_ab, _, _ = route(p, ["ant-A", "metro", "ant-B"])
    assert lat_ab == pytest.approx(0.060)
    assert (q.cand_latency_s[at_b] + 2 * lat_ab > q.demand_slo_s[0]).all()
    assert build_roaming(p, net, "home").added == 0


def run(p: CompiledProblem, roam: str, policy: str = "static-peak") -> Any:
    mob = build_mobility(TRACE, roam=roam, state_bytes=STATE_BYTES)
    return simulate(p, policy, horizon_s=HORIZON_S, step_s=STEP_S, mobility=mob, records="memory")


def test_handover_a_to_b_is_served_via_b_and_the_migration_costs_weights_and_state(
    problem: CompiledProblem,
) -> None:
    p = problem
    res = run(p, "all")
    m, steps = res.summary.mobility, res.steps()
    assert m["handovers"] == 1 and m["migrations"] == 1 and m["stranded_entry_steps"] == 0
    # weights (box-B has only phone-2's s-shufflenet) + state over box-A..box-B
    weights = float(p.model_memory_bytes[p.variant_model[p.cand_variant[0]]])
    lat, spb, ebit = route(p, ["box-A", "ant-A", "metro", "ant-B", "box-B"])
    bits = 8.0 * (weights + STATE_BYTES)
    assert ebit == pytest.approx(2 * 1.5e-5 + 2 * 3.75e-6)  # fibre-access x2, metro x2
    assert m["migration_bytes"] == pytest.approx(weights + STATE_BYTES)
    assert m["migration_energy_j"] == pytest.approx(bits * ebit)
    # the requests arriving during the transfer (+ loading the weights) are late, no more
    load_s = float(p.model_load_time_s[p.variant_model[p.cand_variant[0]]])
    late = RATE * (lat + bits * spb + load_s)
    ok, req = steps["slo_ok"].to_numpy(), steps["requests"].to_numpy()
    assert req[HANDOVER_STEP] - ok[HANDOVER_STEP] == pytest.approx(late, rel=1e-6)
    np.testing.assert_allclose(np.delete(ok, HANDOVER_STEP), np.delete(req, HANDOVER_STEP))
    assert res.summary.slo_attainment == pytest.approx(1 - late / req.sum(), rel=1e-9)


def test_without_roaming_candidates_the_source_is_out_of_reach_at_b(
    problem: CompiledProblem,
) -> None:
    res = run(problem, "home")
    m = res.summary.mobility
    after = round(HORIZON_S / STEP_S) - HANDOVER_STEP
    assert m["migrations"] == 0 and m["stranded_entry_steps"] == after
    # phone-1's half of the requests is late from the handover on
    assert res.summary.slo_attainment == pytest.approx(1 - 0.5 * after / 12)


def test_periodic_replans_via_b_and_pays_the_state_over_the_route(
    problem: CompiledProblem,
) -> None:
    """The attachment is part of periodic's plan key: it re-solves after the handover,
    with the candidates admissible from B; moving the service is a migration of its
    state (the engine loads the weights)."""
    res = run(problem, "all", "periodic")
    m = res.summary.mobility
    assert res.summary.policy_report["placement_solves"] == 2
    assert m["policy_migrations"] == 1 and m["migrations"] == 0
    _, _, ebit = route(problem, ["box-A", "ant-A", "metro", "ant-B", "box-B"])
    assert m["migration_energy_j"] == pytest.approx(8.0 * STATE_BYTES * ebit)
    assert m["stranded_entry_steps"] == 0


@pytest.mark.parametrize("policy", ["periodic", "predictive", "reactive"])
def test_replanning_policies_serve_via_the_current_antenna(
    problem: CompiledProblem, policy: str
) -> None:
    res = run(problem, "all", policy)
    m = res.summary.mobility
    assert m["stranded_entry_steps"] == 0
    assert res.summary.slo_attainment > 0.99


def test_the_solver_plans_over_the_candidates_admissible_now(problem: CompiledProblem) -> None:
    p = problem
    mob = build_mobility(TRACE)
    q, _ = mob.bind(p)
    solver = RoamingSolver(GreedySolver(time_limit_s=5.0), mob)

    def phone1_nodes() -> set[str]:
        x = solver.solve(q).x
        lo, hi = q.demand_ptr[0], q.demand_ptr[1]
        return {p.node_ids[int(q.cand_node[c])] for c in lo + np.flatnonzero(x[lo:hi] > 0)}

    assert phone1_nodes() == {"box-A"}
    mob.access[:] = int(np.flatnonzero(mob.net.antenna_node == p.node_ids.index("ant-B"))[0])
    mob._retarget(None, np.arange(mob.net.n_sources))
    assert phone1_nodes() == {"box-B"}
    # the live figures are those from B: box-B meets the SLO, box-A does not
    ok = mob.admissible_now()
    lo, hi = q.demand_ptr[0], q.demand_ptr[1]
    at = {p.node_ids[int(q.cand_node[c])] for c in range(lo, hi) if ok[c]}
    assert at == {"box-B"}


def test_bad_roam_option_is_refused() -> None:
    with pytest.raises(MobilityError, match="roam"):
        build_mobility(TRACE, roam="everywhere")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("time_s,source,access_node\nsoon,phone-1,ant-A\n", ["time_s, row 2", "not a number"]),
        ("time_s,source,access_node\n0,phone-1,ant-A\n-5,phone-1,ant-B\n", ["time_s, row 3"]),
        ("time_s,source,access_node\n0,phone-9,ant-A\n", ["source, row 2", "not a node"]),
        ("time_s,source,access_node\n0,box-A,ant-A\n", ["source, row 2", "not a mobile"]),
        ("time_s,source,access_node\n0,phone-1,metro\n", ["access_node, row 2", "antenna"]),
        ("time_s,source,lat,lon\n0,phone-1,48.8,east\n", ["lon, row 2", "not a number"]),
        ("time,who,where\n0,phone-1,ant-A\n", ["header", "time_s,source,access_node"]),
    ],
)
def test_cli_bad_mobility_file_exits_2_naming_file_row_and_column(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    scenario = tmp_path / "roam.yaml"
    shutil.copy(ROAMING, scenario)
    (tmp_path / "moves.csv").write_text(text)
    args = ["simulate", str(scenario), "-p", "static", "--horizon", "1h", "--step", "5min"]
    r = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "o"), "--no-plots", "--mobility", "moves.csv"]
    )
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert "moves.csv" in out and "Traceback" not in out
    for fragment in fragments:
        assert fragment in out, (fragment, out)


def test_cli_reports_roaming_candidates(tmp_path: Path) -> None:
    scenario = tmp_path / "roam.yaml"
    shutil.copy(ROAMING, scenario)
    shutil.copy(TRACE, tmp_path / "trace.csv")
    out = tmp_path / "run"
    args = ["simulate", str(scenario), "-p", "static", "--horizon", "1h", "--step", "5min"]
    r = CliRunner().invoke(app, [*args, "--out", str(out), "--no-plots", "--mobility", "trace.csv"])
    assert r.exit_code == 0, r.output
    mob = json.loads((out / "summary.json").read_text())["mobility"]
    assert mob["stranded_entry_steps"] == 0 and mob["roaming_candidates"] > 0
    r = CliRunner().invoke(
        app,
        [*args, "--out", str(tmp_path / "o2"), "--no-plots", "--mobility", "trace.csv",
         "--mobility-set", "roam=nowhere"],
    )  # fmt: skip
    assert r.exit_code == 2 and "roam" in r.output and "Traceback" not in r.output
