"""Compiled job sets: Pareto options and hulls, floor choices, sequence timing and
insertion against plain loops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimplace.scheduling import compile_jobs, generate_jobs
from slimplace.scheduling.choices import floor_choices, full_choices
from slimplace.scheduling.compile import pareto_options
from slimplace.scheduling.schedule import sequence_times
from slimplace.scheduling.timeline import insertion_position


def test_pareto_front_and_upper_hull():
    service = np.array([1.0, 2.0, 3.0, 2.5, 4.0, 5.0])
    accuracy = np.array([0.5, 0.7, 0.72, 0.6, 0.8, 0.79])
    front, hull = pareto_options(service, accuracy)
    assert front.tolist() == [0, 1, 2, 4]  # 3 (slower, worse than 1) and 5 are dominated
    assert hull.tolist() == [True, True, False, True]  # 2 lies under the chord 1-4


def test_options_are_sorted_and_on_the_front():
    p = compile_jobs(generate_jobs(6, 5, seed=0))
    for prof in range(len(p.profile_names)):
        for fam in range(len(p.family_names)):
            opt = p.option_variant[prof, fam]
            opt = opt[opt >= 0]
            assert np.all(np.diff(p.service_s[prof, opt]) > 0)
            assert np.all(np.diff(p.variant_accuracy[opt]) > 0)
            assert p.option_hull[prof, fam, 0] and p.option_hull[prof, fam, len(opt) - 1]


def test_floor_choices_meet_the_floor_exactly_when_split():
    p = compile_jobs(generate_jobs(40, 3, seed=1, split="all"))
    c = floor_choices(p)
    lightest = p.variant_accuracy[p.option_variant[p.machine_profile[0], p.job_family, 0]]
    expected = np.maximum(p.job_floor, lightest)  # no lighter option than the lightest
    assert np.allclose(c.accuracy[:, p.machine_profile[0]], expected, atol=1e-12)
    full = full_choices(p)
    assert np.all(full.per_item_s >= c.per_item_s - 1e-15)
    unsplit = compile_jobs(generate_jobs(40, 3, seed=1, split="none"))
    c2 = floor_choices(unsplit)
    assert np.all(c2.accuracy >= unsplit.job_floor[:, None] - 1e-12)
    assert np.all(c2.per_item_s >= c.per_item_s - 1e-15)  # mixing is never slower


def _loop_times(ready, run):
    start, end, t = [], [], 0.0
    for r, p in zip(ready, run, strict=True):
        s = max(t, r)
        start.append(s)
        t = s + p
        end.append(t)
    return np.array(start), np.array(end)


times = st.lists(st.floats(0, 1e4), min_size=1, max_size=30)


@given(times, st.data())
@settings(max_examples=60, deadline=None)
def test_sequence_times_match_a_loop(ready, data):
    run = data.draw(st.lists(st.floats(0, 1e3), min_size=len(ready), max_size=len(ready)))
    s, e = sequence_times(np.array(ready), np.array(run))
    s2, e2 = _loop_times(ready, run)
    assert np.allclose(s, s2, atol=1e-6) and np.allclose(e, e2, atol=1e-6)


@given(times, st.data())
@settings(max_examples=60, deadline=None)
def test_insertion_finds_a_feasible_position_whenever_one_exists(ready, data):
    n = len(ready)
    run = np.array(data.draw(st.lists(st.floats(1, 500), min_size=n, max_size=n)))
    ready = np.sort(np.array(ready))
    _, end = sequence_times(ready, run)
    deadline = end + np.array(data.draw(st.lists(st.floats(0, 800), min_size=n, max_size=n)))
    new = (data.draw(st.floats(0, 1e4)), data.draw(st.floats(1, 500)), 0.0)
    new = (new[0], new[1], new[0] + new[1] + data.draw(st.floats(0, 3e3)))
    feasible = []
    for q in range(n + 1):
        r = np.insert(ready, q, new[0])
        p = np.insert(run, q, new[1])
        d = np.insert(deadline, q, new[2])
        feasible.append(bool(np.all(_loop_times(r, p)[1] <= d + 1e-6)))
    pos = insertion_position(ready, run, deadline, new, 0, 1e-6, "slack")
    assert (pos >= 0) == any(feasible)
    if pos >= 0:
        assert feasible[pos]


@pytest.mark.parametrize("idle", ["sleep", "awake"])
def test_busy_power_follows_the_idle_policy(idle):
    from dataclasses import replace

    js = generate_jobs(3, 2, seed=0)
    js = replace(js, settings=replace(js.settings, idle=idle))
    p = compile_jobs(js)
    hw = js.hardware_by_name()
    peak = np.array([hw[m.hardware].peak_power_w for m in js.machines])
    idle_w = np.array([hw[m.hardware].idle_power_w for m in js.machines])
    pue = np.array([m.pue for m in js.machines])
    expected = pue * (peak if idle == "sleep" else peak - idle_w)
    assert np.allclose(p.machine_busy_w, expected)
    assert (p.static_energy_j > 0) == (idle == "awake")
