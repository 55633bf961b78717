"""Latency SLOs on a quantile of the response time (``settings.slo_quantile``)."""

from dataclasses import replace

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.evaluate import evaluate
from slimplace.methods import default_registry
from slimplace.problem.compile import compile_problem
from slimplace.problem.latency import mg1_response_time_s
from slimplace.scenario.io import dump_scenario, loads_scenario
from slimplace.scenario.model import Settings
from slimplace.sim.state import late_probability
from slimplace.testing import tiny_scenario


@pytest.mark.parametrize("rho", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("q", [0.9, 0.99])
def test_mm1_quantile_is_exact(rho: float, q: float) -> None:
    # M/M/1: P(T > t) = exp(-(mu - lambda) t) for the response time T
    s = 0.01
    got = float(mg1_response_time_s(np.array([s]), np.array([rho]), 1.0, q)[0])
    mu_minus_lambda = (1 - rho) / s
    wait_tail = rho * np.exp(-mu_minus_lambda * (got - s))  # P(Wq > w) for M/M/1
    assert wait_tail == pytest.approx(1 - q)


def test_quantile_wait_is_zero_when_few_requests_wait() -> None:
    # at rho <= 1 - q at most 1 - q of the requests wait at all
    got = mg1_response_time_s(np.array([0.01]), np.array([0.005]), 0.0, 0.99)
    assert got[0] == pytest.approx(0.01)


def test_quantile_matches_the_simulator_s_late_probability() -> None:
    s, rho, cv2, q = np.array([0.02]), np.array([0.6]), 0.0, 0.99
    t_q = mg1_response_time_s(s, rho, cv2, q)
    mean_wait = mg1_response_time_s(s, rho, cv2) - s
    assert late_probability(rho, mean_wait, t_q - s) == pytest.approx(1 - q)


def test_quantile_slo_admits_a_subset_and_plans_meet_it() -> None:
    base = tiny_scenario(8, seed=3, rate_scale=3.0)
    strict = replace(base, settings=replace(base.settings, slo_quantile=0.99))
    mean_p, q_p = compile_problem(base, strict=False), compile_problem(strict, strict=False)
    key = lambda p: set(  # noqa: E731
        zip(p.cand_demand.tolist(), p.cand_node.tolist(), p.cand_variant.tolist(), strict=True)
    )
    assert key(q_p) < key(mean_p)
    assert (q_p.cand_latency_s >= 0).all()
    plan = default_registry().create("milp").solve(q_p)
    ev = evaluate(q_p, plan)
    assert ev.feasible and ev.slo_met_fraction == 1.0


def test_slo_quantile_round_trips_and_is_validated() -> None:
    s = tiny_scenario(4)
    s = replace(s, settings=replace(s.settings, slo_quantile=0.95))
    text = dump_scenario(s)
    assert "slo_quantile: 0.95" in text
    assert loads_scenario(text).settings.slo_quantile == 0.95
    assert Settings().slo_quantile is None
    with pytest.raises(InputError) as err:
        loads_scenario(text.replace("slo_quantile: 0.95", "slo_quantile: 1.5"), file="s.yaml")
    assert any(p.path == "settings.slo_quantile" for p in err.value.problems)
