"""The unit of work: :func:`run_trial`, a plain function of a :class:`Trial`.

It builds the trial's scenario, compiles it, runs what the trial asks (``solve``:
one method; ``compare``: several on the same problem; ``simulate``: the
simulator) and returns one row per method as a data frame (the rows of
:mod:`slimplace.results`). It does no I/O, so
the same function runs in-process, in a local process pool or on a Ray cluster,
and a trial gives the same rows wherever it runs (except the measured times in
:data:`TIMING_COLUMNS`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slimplace.results import plan_table
from slimplace.study.instance import compile_trial
from slimplace.study.params import number, text
from slimplace.study.simulate import run_simulation_trial
from slimplace.study.trials import Trial, canonical_json

#: Columns holding wall-clock measurements: they differ between two runs of one trial
#: (in result rows, and ``decide_s`` in simulation time series).
TIMING_COLUMNS = ("seconds", "compile_s", "trial_s", "decide_s", "steps_per_s")


def drop_timing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its :data:`TIMING_COLUMNS`: what two runs of a sweep share exactly."""
    return frame.drop(columns=[c for c in TIMING_COLUMNS if c in frame.columns])


@dataclass(frozen=True, eq=False)
class TrialOutput:
    """A finished trial: one row per method, and for simulations a time series."""

    trial_id: str
    rows: pd.DataFrame
    series: pd.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class TrialFailure:
    """A trial that raised: what it was and the error."""

    trial_id: str
    params_json: str
    error_type: str
    message: str
    traceback: str


Outcome = TrialOutput | TrialFailure
TrialFunction = Callable[[Trial], TrialOutput]


def run_trial(trial: Trial) -> TrialOutput:
    """Run one trial and return its rows (see the module docstring)."""
    t0 = time.perf_counter()
    if trial.run == "simulate":
        rows, series = run_simulation_trial(trial)
    else:
        rows, series = _run_plan_trial(trial), None
    rows = with_trial_columns(trial, rows)
    rows["trial_s"] = time.perf_counter() - t0
    if series is not None:
        series.insert(0, "trial_id", trial.trial_id)
    return TrialOutput(trial.trial_id, rows, series)


def call_trial(function: TrialFunction, trial: Trial) -> Outcome:
    """Run ``function(trial)``; an exception becomes a :class:`TrialFailure`."""
    try:
        return function(trial)
    except Exception as exc:
        return TrialFailure(
            trial_id=trial.trial_id,
            params_json=trial.params_json,
            error_type=type(exc).__name__,
            message=str(exc),
            traceback=traceback.format_exc(),
        )


def with_trial_columns(trial: Trial, rows: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``rows`` with the trial's id, seeds and parameters (lists as JSON text)."""
    meta: dict[str, Any] = {
        "trial_id": trial.trial_id,
        "sweep": trial.sweep,
        "run": trial.run,
        "seed": np.int64(trial.seed),
        "scenario_seed": np.int64(trial.scenario_seed),
        "instance_id": trial.instance_id,
        "params_json": trial.params_json,
    }
    for name, value in trial.params.items():
        if name not in rows.columns:
            meta[name] = canonical_json(value) if isinstance(value, list) else value
    head = pd.DataFrame({k: [v] * len(rows) for k, v in meta.items()}, index=rows.index)
    return pd.concat([head, rows], axis=1)


def _run_plan_trial(trial: Trial) -> pd.DataFrame:
    from slimplace.methods import default_registry
    from slimplace.solve import solve

    problem, compile_s = compile_trial(trial)
    registry = default_registry()
    options = {"time_limit_s": number(trial.params, "time_limit_s", 60.0)}
    if trial.run == "solve":
        method = text(trial.params, "method", "") or None
        results = [
            solve(
                problem,
                method,
                registry=registry,
                seed=trial.seed,
                **options,
            )
        ]
    else:
        names = trial.params.get("methods")
        methods = [str(m) for m in names] if isinstance(names, list) else registry.names()
        results = [
            solve(problem, m, registry=registry, seed=trial.seed, **options) for m in methods
        ]
    frame = plan_table(problem, results, registry)
    frame["compile_s"] = compile_s
    return frame
