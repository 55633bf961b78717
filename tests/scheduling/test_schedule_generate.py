"""The instance generator: reproducible, at the requested load, with sound windows and floors."""

from __future__ import annotations

import numpy as np
import pytest

from slimplace.problem.latency import FlopsLatencyModel
from slimplace.scheduling import generate_jobs


def test_same_seed_same_instance_other_seed_differs():
    assert generate_jobs(30, 4, seed=3) == generate_jobs(30, 4, seed=3)
    assert generate_jobs(30, 4, seed=3).jobs != generate_jobs(30, 4, seed=4).jobs


@pytest.mark.parametrize("load", [0.3, 0.9])
def test_load_factor_is_the_uncompressed_share_of_capacity(load):
    js = generate_jobs(200, 6, seed=1, load=load)
    hw, fams = js.hardware_by_name(), js.family_by_name()
    profiles = [hw[m.hardware] for m in js.machines]
    total = 0.0
    for j in js.jobs:
        full = max(fams[j.family].variants, key=lambda v: v.accuracy)
        service = FlopsLatencyModel().service_table(profiles, [full]).service_s[:, 0]
        total += j.work / np.sum(1.0 / service)
    assert total == pytest.approx(load * 8 * 3600, rel=0.01)


def test_windows_floors_and_split():
    js = generate_jobs(300, 5, seed=2, tightness=0.7)
    fams = js.family_by_name()
    for j in js.jobs:
        assert 0 <= j.release_s < j.deadline_s <= 8 * 3600 + 1e-6
        accs = [v.accuracy for v in fams[j.family].variants]
        assert min(accs) <= j.accuracy_floor <= max(accs)
        assert j.splittable == all(v.kind == "width" for v in fams[j.family].variants)
    assert len({m.hardware for m in js.machines}) == 5


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        generate_jobs(3, 2, tightness=0.0)
