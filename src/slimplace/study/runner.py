"""The unit of work: :func:`run_trial`, a plain function of a :class:`Trial`.

It builds the trial's scenario, compiles it, runs what the trial asks (``solve``:
one method; ``compare``: several on the same problem; ``simulate``: the
simulator) and returns one row per method as a data frame. It does no I/O, so
the same function runs in-process, in a local process pool or on a Ray cluster,
and a trial gives the same rows wherever it runs (except the measured times in
:data:`TIMING_COLUMNS`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from slimplace.study.params import number, text
from slimplace.study.trials import Trial, canonical_json

#: Columns holding wall-clock measurements: they differ between two runs of one trial
#: (in result rows, and ``decide_s`` in simulation time series).
TIMING_COLUMNS = ("seconds", "compile_s", "trial_s", "decide_s", "steps_per_s")


def drop_timing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its :data:`TIMING_COLUMNS`: what two runs of a sweep share exactly."""
    return frame.drop(columns=[c for c in TIMING_COLUMNS if c in frame.columns])


#: Tiers in the power breakdown columns ``power_<tier>_<static|dynamic>_w``.
BREAKDOWN_TIERS = ("device", "edge", "metro", "cloud")


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
        from slimplace.study.simulate import run_simulation_trial

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
    bounds = [r.plan.bound for r in results if r.plan.bound is not None]
    best_bound = max(bounds) if bounds else None
    kinds = {
        r.method: registry.info(r.method).kind if r.method in registry else "" for r in results
    }
    rows = [
        metrics_row(problem, r.plan, r.evaluation, bound=best_bound, method_kind=kinds[r.method])
        for r in results
    ]
    frame = pd.DataFrame(rows)
    frame["compile_s"] = compile_s
    return frame


def compile_trial(trial: Trial, *, default_variants: str = "pareto") -> tuple[Any, float]:
    """Build and compile the trial's scenario; returns the problem and the seconds it took.

    The ``variants`` parameter (default ``default_variants``) chooses the pruning."""
    from slimplace.problem.compile import compile_problem
    from slimplace.study.scenarios import build_scenario

    t0 = time.perf_counter()
    scenario = build_scenario(
        trial.params, seed=trial.scenario_seed, scenario_text=trial.scenario_text
    )
    variants = str(trial.params.get("variants", default_variants))
    if variants not in ("pareto", "cheapest", "all"):
        from slimplace.errors import InputError, Problem

        raise InputError(
            "sweep", [Problem("variants", f"expected pareto, cheapest or all, got {variants!r}")]
        )
    problem = compile_problem(
        scenario,
        variants=variants,  # type: ignore[arg-type]
        strict=bool(trial.params.get("strict", True)),
    )
    return problem, time.perf_counter() - t0


def metrics_row(
    problem: Any, plan: Any, evaluation: Any, *, bound: float | None, method_kind: str = ""
) -> dict[str, Any]:
    """One result row: problem size, the plan's status and the evaluator's metrics.

    ``gap`` is (value - bound) / value with the best lower bound of the trial, as in
    :func:`slimplace.solve.comparison_table`; NaN without a bound.
    """
    p, e = problem, evaluation
    value = e.objective(p.objective)
    gap = (value - bound) / abs(value) if bound is not None and e.feasible and value > 0 else np.nan
    row: dict[str, Any] = {
        "scenario_name": p.scenario.name,
        "n_nodes": p.n_nodes,
        "n_apps": len(p.app_ids),
        "n_demands": p.n_demands,
        "n_candidates": p.n_candidates,
        "unservable": len(p.unservable),
        "total_rate_per_s": float(p.demand_rate_per_s.sum()),
        "horizon_s": float(p.horizon_s),
        "objective": p.objective,
        "method": plan.method,
        "method_kind": method_kind,
        "status": str(plan.status),
        "reason": plan.reason,
        "feasible": bool(e.feasible),
        "violations": len(e.violations),
        "objective_value": float(value),
        "bound": np.nan if plan.bound is None else float(plan.bound),
        "gap": float(gap),
        "seconds": float(plan.seconds),
    }
    row.update(evaluation_metrics(e))
    return row


def evaluation_metrics(e: Any) -> dict[str, Any]:
    """The evaluator's metrics as flat columns, with power by tier and kind."""
    row: dict[str, Any] = {
        "power_w": float(e.power_w),
        "static_w": float(e.static_w),
        "dynamic_w": float(e.dynamic_w),
        "network_w": float(e.network_w),
        "energy_j": float(e.energy_j),
        "energy_kwh": float(e.energy_j) / 3.6e6,
        "carbon_g_per_h": float(e.carbon_g_per_h),
        "slo_met_fraction": float(e.slo_met_fraction),
        "served_fraction": float(e.served_fraction),
        "mean_accuracy": float(e.mean_accuracy),
        "servers_on": int(e.servers_on),
    }
    row.update(power_breakdown(e.power_by_tier))
    return row


def power_breakdown(by_tier: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """``power_<tier>_<static|dynamic>_w`` for each tier and ``power_network_w``."""
    out = {
        f"power_{tier}_{part}_w": float(by_tier.get(tier, {}).get(part, 0.0))
        for tier in BREAKDOWN_TIERS
        for part in ("static", "dynamic")
    }
    network = by_tier.get("network", {})
    out["power_network_w"] = float(sum(network.values()))
    return out
