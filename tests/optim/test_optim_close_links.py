"""The close move with sleeping links (:mod:`slimplace.optim.close_nodes`, issue 18): two
cameras, each beside an edge box on an ethernet link; the boxes are joined by a metro
link, the only way between them.

Hand-worked (catalog figures, ``link_kinds.csv`` and the hardware catalog): a Jetson
Orin Nano switched on costs idle - sleep = 2.6 - 0.26 = 2.34 W. With link sleep, the
metro link costs its baseload less its sleep power, 18 - 1.8 = 16.2 W, while it carries
traffic, and sleeps otherwise. Closing box 1 sends camera 1's requests (150 kB up, 1 kB
back, 1/s: 1.208e6 bit/s) over it: 2.34 W of idle power saved for 16.2 W of link on-power
plus 1.208e6 bit/s x 1e-10 J/bit = 1.208e-4 W of marginal network energy, 13.8601208 W
more. The ethernet links carry each camera's requests whatever box serves them (on in
both plans). Without link sleep the metro link's baseload is fixed, so the close pays
(2.34 W for 1.208e-4 W) and greedy makes it, as before.

With two ``wan`` links through a hub beside the metro link (5 ms each, longer than the
metro link's 1 ms; a wan link never sleeps) and k = 3 paths, the close pays after all:
camera 1's requests take the wan path, 2 x 1.208e6 bit/s x 3e-8 J/bit = 0.07248 W of
marginal energy for the 2.34 W saved, and the metro link sleeps. On shortest paths the
close still wakes the metro link, so only the check with the routing heuristic's routes
keeps it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slimplace.evaluate import evaluate
from slimplace.optim import close_nodes
from slimplace.optim.greedy import GreedySolver
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.routing import with_k_paths
from slimplace.scenario.io import load_scenario
from slimplace.solve import solve

SCENARIO = """
name: two-boxes
description: Two cameras beside two edge boxes joined by a metro link.
settings: {max_utilisation: 0.7, horizon: 1 h, objective: energy, default_region: FRA}
nodes:
  - {id: cam-1, tier: device}
  - {id: cam-2, tier: device}
  - {id: edge-1, tier: edge, hardware: jetson-orin-nano}
  - {id: edge-2, tier: edge, hardware: jetson-orin-nano}
#HUB
links:
  - {a: cam-1, b: edge-1, kind: ethernet}
  - {a: cam-2, b: edge-2, kind: ethernet}
  - {a: edge-1, b: edge-2, kind: metro, latency: 1 ms}
#WAN
applications:
  - id: classify
    family: s-mobilenet-v1
    sources: [{node: cam-1, rate: 1/s}, {node: cam-2, rate: 1/s}]
    request: 150 kB
    response: 1 kB
    slo: 600 ms
    accuracy_floor: 65 %
"""

HUB = "  - {id: hub, tier: metro}"
WAN = """  - {a: edge-1, b: hub, kind: wan, latency: 5 ms}
  - {a: hub, b: edge-2, kind: wan, latency: 5 ms}"""

EDGES = ("edge-1", "edge-2")


def _problem(tmp_path: Path, *, wan: bool = False) -> CompiledProblem:
    text = SCENARIO.replace("#HUB", HUB if wan else "").replace("#WAN", WAN if wan else "")
    path = tmp_path / "two-boxes.yaml"
    path.write_text(text)
    return compile_problem(load_scenario(path))


def _boxes_on(p: CompiledProblem, on: object) -> int:
    return int(sum(on[p.node_ids.index(e)] for e in EDGES))  # type: ignore[index]


def test_close_that_wakes_a_link_is_refused_with_link_sleep(tmp_path: Path) -> None:
    plain = _problem(tmp_path)
    sleep = with_k_paths(plain, 1, sleep=True)  # fixed shortest paths, idle links asleep
    blind = GreedySolver().solve(plain)  # link-blind: the close pays without link sleep
    assert _boxes_on(plain, blind.servers_on) == 1
    aware = solve(sleep, "greedy")  # greedy + the routing heuristic
    assert aware.evaluation.feasible, aware.evaluation.violations
    assert _boxes_on(sleep, aware.plan.servers_on) == 2  # both boxes on, the metro link asleep
    worse = evaluate(sleep, blind)  # the link-blind plan under link sleep
    assert worse.feasible
    assert worse.power_w - aware.evaluation.power_w == pytest.approx(
        16.2 - 2.34 + 1.208e6 * 1e-10, abs=1e-6
    )
    # the better plan is the optimum (the routing MILP proves it)
    best = solve(sleep, "milp", time_limit_s=10)
    assert aware.evaluation.power_w == pytest.approx(best.evaluation.power_w, rel=1e-9)


def test_close_kept_when_routes_avoid_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    q = with_k_paths(_problem(tmp_path, wan=True), 3, sleep=True)
    got = solve(q, "greedy")
    assert got.evaluation.feasible, got.evaluation.violations
    assert _boxes_on(q, got.plan.servers_on) == 1
    assert got.plan.routes is not None and (got.plan.routes.rank > 0).sum() == 1  # the wan path
    best = solve(q, "milp", time_limit_s=10)
    assert got.evaluation.power_w == pytest.approx(best.evaluation.power_w, rel=1e-9)
    # priced on shortest paths only (no check with routes), the close is refused
    monkeypatch.setattr(close_nodes, "links_routed", lambda *_: float("inf"))
    both = solve(q, "greedy")
    assert _boxes_on(q, both.plan.servers_on) == 2
    assert both.evaluation.power_w - got.evaluation.power_w == pytest.approx(
        2.34 - 2 * 1.208e6 * 3e-8, abs=1e-6
    )
