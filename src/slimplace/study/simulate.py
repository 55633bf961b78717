"""The ``simulate`` trial kind: one policy over a horizon with :func:`slimplace.sim.simulate`.

Parameters (all optional): ``policy`` (default ``static``), ``method`` (the
planning method the policy uses; default the best registered), ``horizon_s``
(default the scenario's), ``step_s`` (default 300 s), ``workload`` (a pattern for
every application: ``constant``, ``diurnal``, ``weekly``, ``trace:NAME``; default
each application's own), ``carbon`` (``constant`` or ``solar``), ``time_limit_s``,
and the policy options ``period_s``, ``headroom``, ``hysteresis``, ``idle_s``,
``patience_s``, ``churn`` (passed to the policies that take them).

The result row has ``method`` = the policy's name (what a simulation sweep
compares) and ``plan_method`` = the planning method; the per-step records become
the trial's time series, with ``slo_met_fraction`` = requests meeting their SLO /
requests in each step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from slimplace.results import simulation_row
from slimplace.study.instance import compile_trial
from slimplace.study.params import number, text
from slimplace.study.trials import Trial

#: Policy options a sweep may set; each policy takes those it knows.
POLICY_OPTIONS = ("period_s", "headroom", "hysteresis", "idle_s", "patience_s", "churn")

DEFAULT_STEP_S = 300.0


class _FrameSink:
    """Collects the simulator's per-step record blocks in memory (the trial returns them;
    a worker on another machine has no access to the sweep folder)."""

    def __init__(self) -> None:
        self.blocks: list[npt.NDArray[np.float64]] = []

    def write(self, block: npt.NDArray[np.float64]) -> None:
        """Keep a copy (the engine reuses its buffer)."""
        self.blocks.append(np.array(block, copy=True))

    def close(self) -> None:
        """Nothing to release."""

    def frame(self) -> pd.DataFrame:
        """The records as a data frame, integer columns as int64."""
        from slimplace.sim.records import COLUMNS, INT_COLUMNS

        data = np.concatenate(self.blocks) if self.blocks else np.zeros((0, len(COLUMNS)))
        frame = pd.DataFrame(data, columns=list(COLUMNS))
        for c in INT_COLUMNS:
            frame[c] = frame[c].astype(np.int64)
        return frame


def run_simulation_trial(trial: Trial) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the trial's policy on its scenario; return (summary row, time series)."""
    from slimplace.sim import build_carbon, build_workload, default_policies, simulate

    p = trial.params
    problem, compile_s = compile_trial(trial)
    policy_name = text(p, "policy", "static")
    options: dict[str, Any] = {k: p[k] for k in POLICY_OPTIONS if k in p}
    if "method" in p:
        options["method"] = text(p, "method", "")
    if "time_limit_s" in p:
        options["time_limit_s"] = number(p, "time_limit_s", 0.0)
    policy = default_policies().create(policy_name, **options)
    workload = build_workload(problem, override=text(p, "workload", "") or None, seed=trial.seed)
    carbon = build_carbon(problem, text(p, "carbon", "constant"))
    sink = _FrameSink()
    result = simulate(
        problem,
        policy,
        horizon_s=number(p, "horizon_s", problem.horizon_s),
        step_s=number(p, "step_s", DEFAULT_STEP_S),
        workload=workload,
        carbon=carbon,
        seed=trial.seed,
        records=sink,
    )
    row = simulation_row(problem, result.summary, plan_method=options.get("method"))
    row["compile_s"] = compile_s
    series = sink.frame()
    with np.errstate(invalid="ignore", divide="ignore"):
        series["slo_met_fraction"] = series["slo_met"] / series["requests"]
    series.insert(0, "method", result.summary.policy)
    return pd.DataFrame([row]), series
