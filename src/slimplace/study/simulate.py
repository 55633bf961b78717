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

from slimplace.study.params import number, text
from slimplace.study.runner import BREAKDOWN_TIERS, compile_trial
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
    row = summary_row(problem, result.summary, plan_method=options.get("method"))
    row["compile_s"] = compile_s
    series = sink.frame()
    with np.errstate(invalid="ignore", divide="ignore"):
        series["slo_met_fraction"] = series["slo_met"] / series["requests"]
    series.insert(0, "method", result.summary.policy)
    return pd.DataFrame([row]), series


def summary_row(problem: Any, s: Any, *, plan_method: str | None) -> dict[str, Any]:
    """One result row from a simulation :class:`~slimplace.sim.Summary`: the columns a
    solve row has (energy per tier and kind as average W over the horizon) plus the
    simulation's own."""
    horizon = float(s.horizon_s)
    by_tier = s.energy_by_tier_j
    row: dict[str, Any] = {
        "scenario_name": problem.scenario.name,
        "n_nodes": problem.n_nodes,
        "n_apps": len(problem.app_ids),
        "n_demands": problem.n_demands,
        "n_candidates": problem.n_candidates,
        "unservable": len(problem.unservable),
        "total_rate_per_s": float(problem.demand_rate_per_s.sum()),
        "horizon_s": horizon,
        "objective": problem.objective,
        "method": s.policy,
        "policy": s.policy,
        "plan_method": plan_method or "",
        "status": "simulated",
        "feasible": bool(s.served_fraction >= 1.0 - 1e-9),
        "objective_value": float(
            s.mean_power_w if problem.objective == "energy" else s.carbon_g / horizon * 3600.0
        ),
        "bound": np.nan,
        "gap": np.nan,
        "seconds": float(s.wall_s),
        "power_w": float(s.mean_power_w),
        "energy_j": float(s.energy_j),
        "energy_kwh": float(s.energy_j) / 3.6e6,
        "carbon_g_per_h": float(s.carbon_g) / horizon * 3600.0,
        "slo_met_fraction": float(s.slo_met_fraction),
        "served_fraction": float(s.served_fraction),
        "mean_accuracy": float(s.mean_accuracy),
        "servers_on": float(s.mean_servers_on),
    }
    for tier in BREAKDOWN_TIERS:
        for part in ("static", "dynamic"):
            row[f"power_{tier}_{part}_w"] = by_tier.get(tier, {}).get(part, 0.0) / horizon
    row["power_network_w"] = sum(by_tier.get("network", {}).values()) / horizon
    row["power_transitions_w"] = sum(by_tier.get("transitions", {}).values()) / horizon
    row["static_w"] = sum(row[f"power_{t}_static_w"] for t in BREAKDOWN_TIERS)
    row["dynamic_w"] = sum(row[f"power_{t}_dynamic_w"] for t in BREAKDOWN_TIERS)
    row["network_w"] = row["power_network_w"]
    for name in (
        "steps",
        "step_s",
        "requests",
        "dropped",
        "slo_attainment",
        "mean_latency_s",
        "p95_latency_s",
        "variant_switches",
        "model_loads",
        "wake_ups",
        "moves",
        "replans",
        "max_servers_on",
        "decide_s",
        "steps_per_s",
    ):
        row[name] = getattr(s, name)
    return row
