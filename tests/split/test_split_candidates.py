"""Split candidates on a hand-sized continuum: every figure recomputed by hand from the
profile's shares, and the optimizer's cut equal to the brute-force one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from slimplace.problem.compile import compile_problem
from slimplace.scenario.model import SplitSpec
from slimplace.solve import solve
from slimplace.split.profiles import profile_for
from slimplace.split.sweep import all_cuts_problem, evaluate_cuts, idle_power_w

RESP_BITS = 8000.0


def hand(j: int, *, precision_bytes: float = 4.0) -> dict[str, float]:
    """Candidate figures of the cut after block ``j`` of MobileNetV2, by hand."""
    p = profile_for("mobilenet_v2")
    share = float(np.cumsum(p.flops)[j] / p.flops.sum())
    bits = 8.0 * precision_bytes * float(p.out_elements[j])
    head = share * 1e9 / 1e10
    tail = (1 - share) * 1e9 / 1e12
    wait = 0.5 * tail / (2 * (1 - 0.5))  # M/D/1 at rho 0.5
    head_wait = 0.5 * head / (2 * (1 - 0.5))  # the head queues at the device alike
    net = 2 * 0.01 + (bits + RESP_BITS) / 1e7
    return {
        "head": head,
        "tail": tail,
        "bits": bits,
        "latency": head + head_wait + net + tail + wait,
        "energy": 20.0 * tail + 4.0 * head + (bits + RESP_BITS) * 1e-7,
    }


def test_every_cut_matches_the_hand_figures(make_tiny) -> None:
    p = all_cuts_problem(make_tiny(slo_s=10.0))
    cuts = np.flatnonzero(p.cand_cut >= 0)
    assert len(cuts) == len(profile_for("mobilenet_v2").cut_names)
    for c in cuts:
        h = hand(int(p.cand_cut[c]))
        assert p.cand_head_compute_s[c] == pytest.approx(h["head"])
        assert p.cand_service_s[c] == pytest.approx(h["tail"])
        assert p.cand_request_bits[c] == pytest.approx(h["bits"])
        assert p.cand_latency_s[c] == pytest.approx(h["latency"])
        assert p.cand_energy_j()[c] == pytest.approx(h["energy"])
        assert p.cand_extra_j[c] == pytest.approx(4.0 * h["head"])


def test_whole_model_candidates_keep_their_figures(make_tiny) -> None:
    plain = compile_problem(make_tiny(split=None))
    split = compile_problem(make_tiny())
    whole = split.cand_cut < 0
    assert whole.sum() == plain.n_candidates
    for name in ("cand_node", "cand_latency_s", "cand_net_energy_j", "cand_service_s"):
        assert np.array_equal(getattr(split, name)[whole], getattr(plain, name)), name
    assert np.array_equal(plain.cand_request_bits, plain.demand_request_bits[plain.cand_demand])
    assert (plain.cand_cut == -1).all() and (plain.cand_head_compute_s == 0).all()


@pytest.mark.parametrize("slo_s", [0.06, 0.08, 0.12, 1.0])
@pytest.mark.parametrize("rate", [1.0, 6.0])
def test_milp_equals_brute_force(make_tiny, slo_s: float, rate: float) -> None:
    s = make_tiny(slo_s=slo_s, rate=rate, split=SplitSpec("mobilenet_v2", cut_precision="int8"))
    brute = [r for r in evaluate_cuts(all_cuts_problem(s)) if r.feasible]
    p = compile_problem(s, strict=False)
    if not brute:  # nothing meets the SLO: no candidate is admissible either
        assert p.n_candidates == 0
        return
    result = solve(p, "milp")
    assert result.evaluation.feasible
    best = min(r.energy_j for r in brute)
    added = result.evaluation.power_w - idle_power_w(p)
    assert added / rate == pytest.approx(best, rel=1e-7)


def test_a_cut_wins_when_the_device_is_too_slow_and_the_link_too_narrow(make_tiny) -> None:
    # 6 requests/s, SLO 120 ms: the whole model on the device (100 ms + its M/D/1 wait at
    # rho 0.5) and raw inputs over the link (120 ms + 20 ms) both miss it; an int8 cut
    # after an early block meets it.
    s = make_tiny(slo_s=0.12, rate=6.0, split=SplitSpec("mobilenet_v2", cut_precision="int8"))
    p = compile_problem(s)
    result = solve(p, "milp")
    chosen = int(np.flatnonzero(result.plan.x > 0.5)[0])
    assert result.evaluation.feasible and p.cand_cut[chosen] >= 0
    app = dataclasses.replace(s.applications[0], split=None)
    plain = compile_problem(dataclasses.replace(s, applications=(app,)), strict=False)
    assert plain.n_candidates == 0 and plain.unservable  # no whole-model placement works


def test_pruning_keeps_the_front_only(make_tiny) -> None:
    # always-on edge, idle device, a wide enough link: only energy tells cuts apart,
    # and the whole model at the edge beats every cut
    s = make_tiny(slo_s=10.0)
    pruned, full = compile_problem(s), all_cuts_problem(s)
    assert (full.cand_cut >= 0).sum() == 19 and (pruned.cand_cut >= 0).sum() == 0
    assert pruned.cand_energy_j().min() == pytest.approx(full.cand_energy_j().min())
    # 9/s: raw frames overload the link and the whole model the device; the cuts that
    # trade device load for energy are kept
    busy = make_tiny(slo_s=10.0, rate=9.0)
    kept = compile_problem(busy)
    assert 0 < (kept.cand_cut >= 0).sum() <= 19


def test_evaluator_counts_head_load_on_the_device(make_tiny) -> None:
    s = make_tiny(slo_s=10.0, rate=4.0)
    p = all_cuts_problem(s)
    c = int(np.flatnonzero(p.cand_cut >= 0)[-1])  # the latest cut: nearly all on the device
    from slimplace.evaluate import evaluate
    from slimplace.plan import plan_from_choice

    heavy = dataclasses.replace(p, demand_rate_per_s=np.array([6.0]))
    e = evaluate(heavy, plan_from_choice(heavy, np.array([c]), "t"))
    assert any(v.kind == "capacity" and v.where == "dev1" for v in e.violations)
