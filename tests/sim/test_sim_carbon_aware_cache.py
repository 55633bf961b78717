"""carbon-aware re-solves only when the load level or the regions' carbon level moved.

Before, with the grid and the load constant, it re-solved every period (24 solves in 6 h
of 15-minute steps for one new plan); the grid key (load level, regions' order by
intensity and intensity bins) skips those solves while its decisions stay as good: the
plans are solved at the same rates and compared at the current intensities. ``levels=0``
is the former behaviour (no key, a solve every period).
"""

from dataclasses import replace

import numpy as np
import pytest

from slimplace.problem.compile import compile_problem
from slimplace.sim.carbon import build_carbon
from slimplace.sim.engine import simulate
from slimplace.sim.policies.periodic import PeriodicPolicy
from slimplace.sim.registry import default_policies
from slimplace.testing import tiny_scenario


def _run(levels: int, carbon: str):  # type: ignore[no-untyped-def]
    problem = compile_problem(tiny_scenario(16, seed=5, rate_scale=10.0), variants="all")
    policy = default_policies().create("carbon-aware")
    assert isinstance(policy, PeriodicPolicy)
    return simulate(
        problem,
        replace(policy, levels=levels),
        horizon_s=6 * 3600,
        step_s=900,
        seed=0,
        records="memory",
        carbon=build_carbon(problem, carbon),
    ).summary


@pytest.mark.parametrize("carbon", ["constant", "solar"])
def test_carbon_aware_solves_less_and_decides_as_well(carbon: str) -> None:
    new, old = _run(20, carbon), _run(0, carbon)
    assert old.policy_report["placement_solves"] == 24  # every period
    assert new.policy_report["placement_solves"] < 24
    if carbon == "constant":  # nothing moves: the first plan is the last
        assert new.policy_report["placement_solves"] == 1
    assert new.carbon_g <= old.carbon_g * (1 + 1e-9)
    assert new.served_fraction == pytest.approx(old.served_fraction)
    assert new.slo_attainment >= old.slo_attainment - 1e-9


def test_carbon_key_holds_order_and_bins() -> None:
    policy = PeriodicPolicy(objective="carbon", carbon_change=0.1)
    base = policy._carbon_key(np.array([100.0, 300.0]))
    assert policy._carbon_key(np.array([101.0, 301.0])) == base  # same 10 % bins
    assert policy._carbon_key(np.array([130.0, 300.0])) != base  # a bin moved
    assert policy._carbon_key(np.array([300.0, 100.0])) != base  # the order flipped
