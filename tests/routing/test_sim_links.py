"""Links that wake and sleep over a simulated day (issue 18 item 1, docs/routing.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from slimplace.evaluate import evaluate
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.problem.routing import with_k_paths
from slimplace.scenario.io import load_scenario
from slimplace.sim.engine import simulate
from slimplace.sim.policy import Context, Observation
from slimplace.sim.workload import Constant, DemandWorkload
from slimplace.solve import solve

TRIANGLE = Path(__file__).parent / "data" / "triangle.yaml"
STEP_S = 6 * 3600.0


@dataclasses.dataclass(frozen=True)
class _Fixed:
    """Deploys ``plan`` at step 0 and never changes it."""

    plan: Plan
    name: str = "fixed"

    def start(self, context: Context, *, seed: int) -> Plan:
        return self.plan

    def decide(self, obs: Observation, memory: Plan) -> Plan | None:
        return memory if obs.step == 0 else None


@dataclasses.dataclass(frozen=True, slots=True)
class _DayOnly:
    """Full rate from 18:00 to 06:00 (steps 0 and 3 of 6 h), nothing from 06:00 to 18:00."""

    name: str = "day-only"
    noise_cv: float = 0.0

    def window_mean(self, t_s: np.ndarray, step_s: float) -> np.ndarray:
        h = (np.asarray(t_s, dtype=np.float64) % 86400.0) / 3600.0
        return np.where((h >= 6.0) & (h < 18.0), 0.0, 1.0)

    def random_phase_s(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.zeros(n)


def _link(p, u: str, v: str) -> int:
    ids = {n: i for i, n in enumerate(p.node_ids)}
    a, b = ids[u], ids[v]
    hit = ((p.link_a == a) & (p.link_b == b)) | ((p.link_a == b) & (p.link_b == a))
    return int(np.flatnonzero(hit)[0])


def _on_w(p, pairs: list[tuple[str, str]]) -> float:
    return float(
        sum(p.link_baseload_w[_link(p, u, v)] - p.link_sleep_w[_link(p, u, v)] for u, v in pairs)
    )


def test_links_sleep_at_night_and_energy_matches_the_hand_count() -> None:
    """Cameras a and c send nothing from 06:00 to 18:00: their leaf and core links sleep for
    two of the four 6-h steps and wake at 18:00; the metro links never carry traffic."""
    p = compile_problem(load_scenario(TRIANGLE))
    sleep1 = with_k_paths(p, 1, sleep=True)
    plan = solve(sleep1, "milp", time_limit_s=30).plan
    src = [p.node_ids[s] for s in p.demand_source]
    pattern = np.array([0 if s == "cam-b" else 1 for s in src])
    wl = DemandWorkload(
        mean_rate_per_s=p.demand_rate_per_s.copy(),
        patterns=(Constant(), _DayOnly()),
        demand_pattern=pattern,
        phase_s=np.zeros(p.n_demands),
        noise_cv=np.zeros(p.n_demands),
    )
    horizon = 4 * STEP_S
    every_on = simulate(
        p,
        _Fixed(dataclasses.replace(plan, routes=None)),
        horizon_s=horizon,
        step_s=STEP_S,
        workload=wl,
    ).summary
    asleep = simulate(sleep1, _Fixed(plan), horizon_s=horizon, step_s=STEP_S, workload=wl).summary
    metro = _on_w(p, [("a", "b"), ("b", "c")])
    night = _on_w(p, [("cam-a", "a"), ("a", "d"), ("cam-c", "c"), ("c", "d")])
    saving_j = STEP_S * (4 * metro + 2 * night)
    assert every_on.energy_j - asleep.energy_j == pytest.approx(saving_j, rel=1e-9)
    assert asleep.links["link_wake_ups"] == 4 and asleep.links["link_sleeps"] == 4
    assert asleep.links["mean_links_asleep"] == pytest.approx((2 * 2 + 2 * 6) / 4)
    assert not every_on.links  # fixed routes, every link on: no link state at all
    # the requests of cameras a and c at 18:00 wait for their links to wake
    wake = max(p.link_wake_time_s[_link(p, "cam-a", "a")], p.link_wake_time_s[_link(p, "a", "d")])
    rate_ac = sum(p.demand_rate_per_s[i] for i, s in enumerate(src) if s != "cam-b")
    assert asleep.late_transition == pytest.approx(rate_ac * wake, rel=1e-9)
    assert every_on.late_transition == 0.0
    # the fixed part of the run: sleepable links at their sleep power
    assert asleep.fixed_energy_j < every_on.fixed_energy_j


def test_simulator_uses_the_plans_routes() -> None:
    """At constant rates one simulated step of a plan routed with k = 3 draws what the
    evaluator says: links on along the chosen paths, the rest asleep."""
    q = with_k_paths(compile_problem(load_scenario(TRIANGLE)), 3)
    r = solve(q, "milp", time_limit_s=30)
    assert r.plan.routes is not None and (r.plan.routes.rank > 0).any()
    s = simulate(q, _Fixed(r.plan), horizon_s=3600.0, step_s=3600.0).summary
    e = evaluate(q, r.plan)
    assert s.mean_power_w == pytest.approx(e.power_w, rel=1e-9)
    assert s.fixed_energy_j / 3600.0 == pytest.approx(e.fixed_w, rel=1e-9)
    assert s.links["mean_links_asleep"] == 2 and s.links["link_wake_ups"] == 0
    assert s.slo_met_fraction == 1.0
