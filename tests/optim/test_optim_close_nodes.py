"""The close move of greedy's local search (:mod:`slimplace.optim.close_nodes`): three
cameras each beside an edge box, the boxes joined through a WAN hub.

Hand-worked (catalog figures): a Jetson Orin Nano switched on costs idle - sleep =
2.6 - 0.26 = 2.34 W; a request (150 kB up, 1 kB back: 1.208e6 bits) sent to another
box crosses two ``wan`` links at 3e-8 J/bit each, 0.0725 J. At 1 request/s per camera,
serving all three cameras on one box saves 2 x 2.34 W of idle power for
2 x 0.0725 W of network: 4.535 W less. At 50/s the two moved cameras would cost
2 x 3.62 W of network, more than the idle power saved, and with a 100 ms SLO no box
can serve another box's camera (two WAN hops each way are 400 ms): in both cases all
three boxes stay on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.optim.greedy import GreedySolver
from slimplace.optim.milp import MilpSolver
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario

SCENARIO = """
name: three-boxes
description: Three cameras, each beside an edge box; the boxes reach each other via a WAN hub.
settings: {{max_utilisation: 0.7, horizon: 1 h, objective: energy, default_region: FRA}}
nodes:
  - {{id: cam-1, tier: device}}
  - {{id: cam-2, tier: device}}
  - {{id: cam-3, tier: device}}
  - {{id: edge-1, tier: edge, hardware: jetson-orin-nano}}
  - {{id: edge-2, tier: edge, hardware: jetson-orin-nano}}
  - {{id: edge-3, tier: edge, hardware: jetson-orin-nano}}
  - {{id: hub, tier: metro}}
links:
  - {{a: cam-1, b: edge-1, kind: wifi}}
  - {{a: cam-2, b: edge-2, kind: wifi}}
  - {{a: cam-3, b: edge-3, kind: wifi}}
  - {{a: edge-1, b: hub, kind: wan}}
  - {{a: edge-2, b: hub, kind: wan}}
  - {{a: edge-3, b: hub, kind: wan}}
applications:
  - id: classify
    family: s-mobilenet-v1
    sources:
      - {{node: cam-1, rate: {rate}}}
      - {{node: cam-2, rate: {rate}}}
      - {{node: cam-3, rate: {rate}}}
    request: 150 kB
    response: 1 kB
    slo: {slo}
    accuracy_floor: 65 %
"""

EDGES = ["edge-1", "edge-2", "edge-3"]


def _problem(tmp_path: Path, rate: str, slo: str) -> CompiledProblem:
    path = tmp_path / "three-boxes.yaml"
    path.write_text(SCENARIO.format(rate=rate, slo=slo))
    return compile_problem(load_scenario(path))


def _boxes_on(p: CompiledProblem, on: np.ndarray) -> int:
    return int(sum(on[p.node_ids.index(e)] for e in EDGES))


def test_closing_lightly_used_boxes_pays(tmp_path: Path) -> None:
    p = _problem(tmp_path, "1/s", "600 ms")
    plan = GreedySolver().solve(p)
    ev = evaluate(p, plan)
    assert ev.feasible, ev.violations
    assert _boxes_on(p, plan.servers_on) == 1  # every camera served on one box
    built = GreedySolver(local_search=False).solve(p)
    assert _boxes_on(p, built.servers_on) == 3  # construction keeps all three
    all_on = evaluate(p, built)
    bits = (150e3 + 1e3) * 8
    saved = 2 * (2.6 - 0.26) - 2 * 2 * 3e-8 * bits * 1.0
    assert all_on.plan_w - ev.plan_w == pytest.approx(saved, rel=1e-3)
    milp = MilpSolver().solve(p)
    assert plan.objective == pytest.approx(milp.objective, rel=1e-6)


@pytest.mark.parametrize(
    ("rate", "slo"),
    [("50/s", "600 ms"), ("1/s", "100 ms")],
    ids=["network-costs-more", "slo-forbids"],
)
def test_boxes_stay_on_when_closing_does_not_pay(tmp_path: Path, rate: str, slo: str) -> None:
    p = _problem(tmp_path, rate, slo)
    plan = GreedySolver().solve(p)
    ev = evaluate(p, plan)
    assert ev.feasible, ev.violations
    assert _boxes_on(p, plan.servers_on) == 3
    milp = MilpSolver().solve(p)
    assert _boxes_on(p, milp.servers_on) == 3
    assert plan.objective == pytest.approx(milp.objective, rel=1e-6)
