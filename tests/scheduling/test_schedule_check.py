"""The independent checker on hand-made schedules of a two-job instance whose energy is
computed by hand: every rule it enforces, and the energy it recomputes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from slimplace.catalog import load_catalog
from slimplace.scheduling import check_schedule, compile_jobs, loads_jobs
from slimplace.scheduling.schedule import Schedule

TEXT = """
name: hand
hardware:
  - {name: box, tier: edge, throughput: 1 GFLOP/s, memory: 1 GB, idle_power: 10 W, peak_power: 50 W}
families:
  - name: fam
    variants:
      - {name: big, accuracy: 0.8, flops: 2 GFLOP, params: 1, memory: 1 MB}
      - {name: small, accuracy: 0.6, flops: 1 GFLOP, params: 1, memory: 1 MB}
machines:
  - {id: m1, hardware: box, node: A}
  - {id: m2, hardware: box, pue: 2, node: B}
jobs:
  - {id: j1, family: fam, work: 10, deadline: 100 s, accuracy_floor: 0.7}
  - {id: j2, family: fam, work: 10, release: 5 s, deadline: 30 s, split: true,
     input: {node: A, size: 1 kB}}
"""

BIG, SMALL = 0, 1  # variant indices (file order of the only family)
BITS = 8 * 1000.0


@pytest.fixture(scope="module")
def problem():
    return compile_jobs(loads_jobs(TEXT))


def _schedule(rows: list[tuple[int, int, int, float, float, float]]) -> Schedule:
    a = np.array(rows, dtype=float).reshape(-1, 6)
    return Schedule(
        job=a[:, 0].astype(np.int64),
        machine=a[:, 1].astype(np.int64),
        variant=a[:, 2].astype(np.int64),
        fraction=a[:, 3],
        start_s=a[:, 4],
        end_s=a[:, 5],
        method="hand",
    )


GOOD = [(0, 0, BIG, 1.0, 0.0, 20.0), (1, 0, SMALL, 1.0, 20.0, 30.0)]


def _kinds(problem, rows) -> set[str]:
    return {v.kind for v in check_schedule(problem, _schedule(rows)).violations}


def test_valid_schedule_and_energy_by_hand(problem):
    c = check_schedule(problem, _schedule(GOOD))
    assert c.feasible, c.violations
    assert c.energy_j == pytest.approx(20 * 50 + 10 * 50)  # run s x peak W, PUE 1, no transfer
    assert c.mean_accuracy == pytest.approx(0.7)
    assert c.makespan_s == 30.0


def test_network_energy_and_pue_by_hand(problem):
    wan = load_catalog().link_kinds["wan"]
    ready = 5 + wan.latency_s + BITS / wan.bandwidth_bps
    rows = [GOOD[0], (1, 1, SMALL, 1.0, ready, ready + 10)]
    c = check_schedule(problem, _schedule(rows))
    assert c.feasible, c.violations
    assert c.network_energy_j == pytest.approx(BITS * wan.energy_j_per_bit)
    assert c.compute_energy_j == pytest.approx(1000 + 10 * 50 * 2)


def test_split_job_accuracy_is_work_weighted(problem):
    rows = [GOOD[0], (1, 0, SMALL, 0.5, 20.0, 25.0), (1, 0, BIG, 0.5, 25.0, 35.0)]
    c = check_schedule(problem, _schedule(rows))
    assert c.job_accuracy[1] == pytest.approx(0.7)
    assert {v.kind for v in c.violations} == {"deadline"}


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        ([GOOD[0], (1, 0, SMALL, 1.0, 15.0, 25.0)], "overlap"),
        ([GOOD[0], (1, 1, SMALL, 1.0, 0.0, 10.0)], "release"),
        ([GOOD[0], (1, 0, SMALL, 1.0, 25.0, 35.0)], "deadline"),
        ([(0, 0, SMALL, 1.0, 0.0, 10.0), GOOD[1]], "floor"),
        ([(0, 0, BIG, 1.0, 0.0, 10.0), GOOD[1]], "duration"),
        ([GOOD[0]], "unscheduled"),
        ([GOOD[0], (1, 0, SMALL, 0.5, 20.0, 30.0)], "share"),
        ([GOOD[0], (1, 0, SMALL, 0.5, 20.0, 25.0), (1, 1, SMALL, 0.5, 20.0, 25.0)], "machine"),
        ([(0, 0, 7, 1.0, 0.0, 20.0), GOOD[1]], "index"),
    ],
)
def test_each_rule_is_enforced(problem, rows, kind):
    assert kind in _kinds(problem, rows)


def test_budget_is_enforced_for_the_accuracy_objective(problem):
    tight = problem.with_objective("accuracy", 1400.0)
    assert {v.kind for v in check_schedule(tight, _schedule(GOOD)).violations} == {"budget"}
    assert check_schedule(problem.with_objective("accuracy", 1500.0), _schedule(GOOD)).feasible


def test_variant_of_another_family_is_rejected(problem):
    other = replace(problem, variant_family=np.array([0, 1]))
    assert "variant" in _kinds(other, GOOD)


def test_idle_servers_add_their_idle_power_over_the_horizon():
    p = compile_jobs(loads_jobs(TEXT.replace("name: hand", "name: hand\nsettings: {idle: awake}")))
    c = check_schedule(p, _schedule(GOOD))
    horizon = 100.0
    assert c.static_energy_j == pytest.approx((10 * 1 + 10 * 2) * horizon)
    assert c.energy_j == pytest.approx(c.static_energy_j + 20 * 40 + 10 * 40)
