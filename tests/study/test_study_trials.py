"""Trial expansion: the grid, stable ids and seeds, shared scenario seeds."""

import subprocess
import sys

import numpy as np

from slimplace.study.spec import loads_spec
from slimplace.study.trials import derive_seed, expand_trials, grid, stable_hash

SPEC = loads_spec(
    """
name: grid
seed: 11
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, edge-first, random]
  load_scale: [1, 2.5]
seeds: 4
"""
)


def test_grid_is_the_product_of_axes_and_replicates() -> None:
    rows = grid(SPEC)
    assert len(rows) == 3 * 2 * 4
    assert {(r["method"], r["load_scale"], r["replicate"]) for r in rows} == {
        (m, s, k)
        for m in ("cloud-only", "edge-first", "random")
        for s in (1.0, 2.5)
        for k in range(4)
    }
    assert all(r["n_devices"] == 4 and r["scenario"] == "tiny" for r in rows)
    # load_scale mixes int and float in the spec: float everywhere, one type per column
    assert all(isinstance(r["load_scale"], float) for r in rows)


def test_ids_and_seeds_are_unique_and_repeatable() -> None:
    a, b = expand_trials(SPEC), expand_trials(SPEC)
    assert [t.trial_id for t in a] == [t.trial_id for t in b]
    assert len({t.trial_id for t in a}) == len(a)
    assert len({t.seed for t in a}) == len(a)


def test_methods_and_loads_of_one_replicate_share_the_scenario_seed() -> None:
    trials = expand_trials(SPEC)
    by_replicate: dict[object, set[int]] = {}
    for t in trials:
        by_replicate.setdefault(t.params["replicate"], set()).add(t.scenario_seed)
    assert all(len(seeds) == 1 for seeds in by_replicate.values())
    assert len({next(iter(s)) for s in by_replicate.values()}) == 4
    # instances: same replicate and load, any method
    instances = {(t.params["replicate"], t.params["load_scale"]): t.instance_id for t in trials}
    assert all(
        instances[(t.params["replicate"], t.params["load_scale"])] == t.instance_id for t in trials
    )
    assert len(set(instances.values())) == 8


def test_sweep_seed_changes_every_id_and_seed() -> None:
    other = SPEC.model_copy(update={"seed": 12})
    a, b = expand_trials(SPEC), expand_trials(other)
    assert not {t.trial_id for t in a} & {t.trial_id for t in b}
    assert [t.seed for t in a] != [t.seed for t in b]


def test_seed_derivation_follows_seedsequence() -> None:
    key = int.from_bytes(stable_hash({"a": 1})[:8], "big")
    expected = np.random.SeedSequence(5, spawn_key=(key,)).generate_state(1, np.uint32)[0]
    assert derive_seed(5, {"a": 1}) == int(expected)


def test_ids_are_the_same_in_another_process() -> None:
    """No salted hash(): a fresh interpreter (other PYTHONHASHSEED) gives the same ids."""
    code = (
        "from slimplace.study.trials import expand_trials;"
        "from slimplace.study.spec import loads_spec;"
        f"spec = loads_spec({SPEC_TEXT!r});"
        "print(','.join(t.trial_id + ':' + str(t.seed) for t in expand_trials(spec)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    ).stdout.strip()
    here = ",".join(f"{t.trial_id}:{t.seed}" for t in expand_trials(loads_spec(SPEC_TEXT)))
    assert out == here


SPEC_TEXT = "name: g\nseed: 1\nparameters: {scenario: tiny}\naxes: {method: [random]}\nseeds: 3\n"


def test_golden_trial_id_and_seed() -> None:
    """Pinned values: a change here silently orphans every stored sweep."""
    first = expand_trials(loads_spec(SPEC_TEXT))[0]
    assert first.trial_id == GOLDEN_ID
    assert first.seed == GOLDEN_SEED


GOLDEN_ID = "cfe0d38c6832ebdf"
GOLDEN_SEED = 3883302723
