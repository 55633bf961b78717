"""The trial function: scenarios from parameters, solve and compare rows, failures."""

import numpy as np
import pytest

from slimplace.errors import InputError
from slimplace.study.runner import TrialFailure, call_trial, run_trial
from slimplace.study.scenarios import build_scenario, continuum_options, scale_load
from slimplace.study.spec import loads_spec
from slimplace.study.trials import Trial, expand_trials
from slimplace.testing import tiny_scenario


def _trial(text: str, index: int = 0) -> Trial:
    return expand_trials(loads_spec(text))[index]


def test_compare_gives_one_row_per_method_with_the_trial_columns() -> None:
    trial = _trial(
        "name: c\nrun: compare\nparameters: {scenario: tiny, methods: [cloud-only, edge-first]}\n"
    )
    rows = run_trial(trial).rows
    assert rows["method"].tolist() == ["cloud-only", "edge-first"]
    assert (rows["trial_id"] == trial.trial_id).all()
    assert rows["methods"].iloc[0] == '["cloud-only","edge-first"]'  # lists as JSON text
    assert rows["n_candidates"].iloc[0] > 0
    assert set(rows["method_kind"]) == {"baseline"}


def test_compare_defaults_to_every_registered_method() -> None:
    from slimplace.methods import default_registry

    rows = run_trial(_trial("name: c\nrun: compare\nparameters: {scenario: tiny}\n")).rows
    assert rows["method"].tolist() == default_registry().names()


def test_load_scale_scales_the_rates_of_the_same_instance() -> None:
    spec = "name: l\nparameters: {scenario: tiny, method: cloud-only}\naxes: {load_scale: [1, 2]}\n"
    low, high = (run_trial(_trial(spec, i)).rows for i in (0, 1))
    assert high["total_rate_per_s"].item() == pytest.approx(2 * low["total_rate_per_s"].item())
    assert low["scenario_seed"].item() == high["scenario_seed"].item()


def test_objective_parameter_sets_the_problem_objective() -> None:
    spec = "name: o\nparameters: {scenario: tiny, method: cloud-only, objective: carbon}\n"
    assert run_trial(_trial(spec)).rows["objective"].item() == "carbon"


def test_a_raising_trial_becomes_a_failure_record() -> None:
    trial = _trial("name: f\nparameters: {scenario: tiny, method: no-such-method}\n")
    outcome = call_trial(run_trial, trial)
    assert isinstance(outcome, TrialFailure)
    assert outcome.error_type == "UnknownMethodError" and "no-such-method" in outcome.message


def test_generated_scenarios_follow_the_generator_parameters() -> None:
    params = {
        "topology": "synthetic:4",
        "n_apps": 2,
        "n_demands": 6,
        "devices_per_antenna": 1,
        "slo_choices_s": [0.5],
    }
    a = build_scenario(params, seed=3)
    assert a == build_scenario(params, seed=3)
    assert len(a.applications) == 2
    assert sum(len(app.sources) for app in a.applications) == 6
    assert {app.latency_slo_s for app in a.applications} == {0.5}
    assert continuum_options(params).slo_choices_s == (0.5,)


def test_bad_generator_parameters_are_input_errors() -> None:
    with pytest.raises(InputError):
        build_scenario({"topology": "synthetic:many"}, seed=0)
    with pytest.raises(InputError):
        build_scenario({"topology": "synthetic:4", "slo_choices_s": 0.5}, seed=0)
    with pytest.raises(InputError):
        build_scenario({"scenario": "tiny", "objective": "money"}, seed=0)
    with pytest.raises(InputError):
        scale_load(tiny_scenario(), 0.0)


def test_scale_load_multiplies_every_rate() -> None:
    s = tiny_scenario(4, seed=1)
    rates = np.array([src.rate_per_s for a in s.applications for src in a.sources])
    scaled = scale_load(s, 1.5)
    new = np.array([src.rate_per_s for a in scaled.applications for src in a.sources])
    np.testing.assert_allclose(new, 1.5 * rates)


def test_demo_study_spec_is_methods_by_two_loads_by_seeds() -> None:
    from slimplace.study.demo import demo_study_spec

    spec = demo_study_spec(seed=3)
    trials = expand_trials(spec)
    assert spec.run == "compare" and len(trials) == 6
    assert {t.params["load_scale"] for t in trials} == {1.0, 2.0}
    assert len({t.scenario_seed for t in trials}) == 3
