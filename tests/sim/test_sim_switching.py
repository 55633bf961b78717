"""The offline on/off schedule (slimplace.sim.switching) against hand-worked optima."""

from __future__ import annotations

import itertools

import numpy as np

from slimplace.sim.switching import fill_short_gaps, schedule_cost_j, wake_ahead


def _fill(need: list[int], *, on_w: float, wake_j: float, wake_steps: int = 0) -> list[int]:
    out = fill_short_gaps(
        np.array(need)[:, None],
        on_w=np.array([on_w]),
        wake_j=np.array([wake_j]),
        wake_steps=np.array([wake_steps]),
        step_s=1.0,
    )
    return [int(v) for v in out[:, 0]]


def test_a_gap_cheaper_to_bridge_than_to_wake_stays_on() -> None:
    # gap of 2 steps at 1 W costs 2 J < 5 J wake: stay on; gap of 6 steps costs 6 J > 5 J: sleep
    need = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert _fill(need, on_w=1.0, wake_j=5.0) == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]


def test_a_gap_shorter_than_the_wake_time_stays_on_even_when_waking_is_cheap() -> None:
    assert _fill([1, 0, 0, 1], on_w=1.0, wake_j=0.0, wake_steps=3) == [1, 1, 1, 1]
    assert _fill([1, 0, 0, 1], on_w=1.0, wake_j=0.0, wake_steps=2) == [1, 0, 0, 1]


def test_layers_are_decided_separately_and_stay_nested() -> None:
    # layer 2 has a gap of 3 (3 J < 4 J: bridged); layer 1 is always busy
    need = [2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2]
    out = _fill(need, on_w=1.0, wake_j=4.0)
    assert out == [2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 2]


def test_the_schedule_is_the_brute_force_optimum_on_small_cases() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        need = rng.integers(0, 3, size=7)
        on_w, wake_j = float(rng.uniform(0.2, 2.0)), float(rng.uniform(0.0, 5.0))
        best = min(
            schedule_cost_j(
                np.array(n)[:, None], on_w=np.array([on_w]), wake_j=np.array([wake_j]), step_s=1.0
            )
            for n in itertools.product(range(3), repeat=7)
            if (np.array(n) >= need).all()
        )
        got = np.array(_fill(list(need), on_w=on_w, wake_j=wake_j))[:, None]
        cost = schedule_cost_j(got, on_w=np.array([on_w]), wake_j=np.array([wake_j]), step_s=1.0)
        assert cost <= best + 1e-9


def test_wake_ahead_switches_on_one_wake_time_early() -> None:
    out = wake_ahead(np.array([[0], [0], [0], [1], [0]]), np.array([2]))
    assert [int(v) for v in out[:, 0]] == [0, 1, 1, 1, 0]
