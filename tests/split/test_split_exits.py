"""Early exits in the head of a split candidate: expected loads, bits and energy by hand,
latency of the no-exit path, the exact optimum against brute force, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.evaluate import _candidate_latency
from slimplace.problem.compile import compile_problem
from slimplace.scenario.model import SplitSpec
from slimplace.solve import solve
from slimplace.split.profiles import profile_for
from slimplace.split.sweep import all_cuts_problem, evaluate_cuts, idle_power_w

from .test_split_candidates import RESP_BITS, hand

EXIT = "ir4"  # block index 4 of MobileNetV2
Q = 0.4


def spec(**kw: object) -> SplitSpec:
    base: dict[str, object] = {
        "cut_precision": "int8",
        "cut_accuracy_loss": 0.0,
        "exit_after": EXIT,
        "exit_rate": Q,
        "exit_accuracy_loss": 0.01,
    }
    base.update(kw)
    return SplitSpec("mobilenet_v2", **base)  # type: ignore[arg-type]


def test_expected_figures_by_hand(make_tiny) -> None:
    p = all_cuts_problem(make_tiny(slo_s=10.0, split=spec()))
    prof = profile_for("mobilenet_v2")
    share_exit = float(np.cumsum(prof.flops)[4] / prof.flops.sum())
    for c in np.flatnonzero(p.cand_cut >= 0):
        j = int(p.cand_cut[c])
        h = hand(j, precision_bytes=1.0)
        q = Q if j >= 4 else 0.0
        share = h["head"] / 0.1
        head = (q * share_exit + (1 - q) * share) * 0.1
        assert p.cand_head_compute_s[c] == pytest.approx(head)
        assert p.cand_service_s[c] == pytest.approx((1 - q) * h["tail"])
        assert p.cand_request_bits[c] == pytest.approx((1 - q) * h["bits"])
        assert p.cand_latency_s[c] == pytest.approx(h["latency"])  # the no-exit path
        energy = 20.0 * (1 - q) * h["tail"] + 4.0 * head + ((1 - q) * h["bits"] + RESP_BITS) * 1e-7
        assert p.cand_energy_j()[c] == pytest.approx(energy)
        assert p.cand_accuracy[c] == pytest.approx(0.7 - (0.01 if q else 0.0))
        # at rho_max the evaluator's latency is the candidate's (no-exit path)
        rho = np.full(p.n_nodes, 0.5)
        assert _candidate_latency(p, np.array([c]), rho, np.ones(1))[0] == pytest.approx(
            h["latency"]
        )


def test_evaluator_latency_bounds_the_no_exit_path_below_rho_max(make_tiny) -> None:
    p = all_cuts_problem(make_tiny(slo_s=10.0, split=spec()))
    c = int(np.flatnonzero(p.cand_cut >= 4)[0])
    h = hand(int(p.cand_cut[c]), precision_bytes=1.0)
    for rho in (0.0, 0.2, 0.4):
        wait = rho * h["tail"] / (2 * (1 - rho))  # M/D/1 wait of a request reaching the tail
        true = h["latency"] - 0.5 * h["tail"] / (2 * 0.5) + wait
        got = _candidate_latency(p, np.array([c]), np.full(p.n_nodes, rho), np.ones(1))[0]
        assert got >= true - 1e-12


@pytest.mark.parametrize("rate", [1.0, 6.0, 9.0])
def test_milp_with_exits_equals_brute_force(make_tiny, rate: float) -> None:
    s = make_tiny(slo_s=0.12, rate=rate, split=spec())
    brute = [r for r in evaluate_cuts(all_cuts_problem(s)) if r.feasible]
    p = compile_problem(s, strict=False)
    result = solve(p, "milp")
    assert result.evaluation.feasible == bool(brute)
    if brute:
        added = result.evaluation.power_w - idle_power_w(p)
        assert added / rate == pytest.approx(min(r.energy_j for r in brute), rel=1e-7)


def test_an_exit_saves_energy_where_a_cut_is_chosen(make_tiny) -> None:
    plain = make_tiny(slo_s=0.12, rate=6.0, split=spec(exit_after=None, exit_rate=0.0))
    exits = make_tiny(slo_s=0.12, rate=6.0, split=spec())
    e0 = solve(compile_problem(plain), "milp").evaluation
    e1 = solve(compile_problem(exits), "milp").evaluation
    assert e0.feasible and e1.feasible
    assert e1.plan_w < e0.plan_w


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"exit_after": "nope"}, "exit_after"), ({"exit_after": None}, "exit_rate")],
)
def test_bad_exits_name_the_field(make_tiny, kw: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        make_tiny(split=spec(**kw))
    assert f"applications[0].split.{field}" in str(err.value)
