"""The plan job: ``slimplace solve`` and ``slimplace compare``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape
from rich.table import Table

from slimplace.cli.app import app, console, guarded
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import Objective

MethodOpt = Annotated[
    str | None, typer.Option("--method", "-m", help="Method name (see `slimplace methods`).")
]
ObjectiveOpt = Annotated[
    str | None, typer.Option("--objective", help="energy or carbon (default: the scenario's).")
]
#: How ``latency_source_share`` keys read in the solve summary (slimplace.calibration).
_SOURCE_WORDS = {"measured": "measured", "fitted": "fitted model", "flops": "FLOPs-only"}
TimeLimitOpt = Annotated[float, typer.Option("--time-limit", help="Seconds each method may take.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for stochastic methods.")]


def load_problem(file: Path, objective: str | None) -> CompiledProblem:
    """Load, validate and compile a scenario file (raising slimplace errors)."""
    from slimplace.errors import InputError, Problem
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import load_scenario

    scenario = load_scenario(file)
    if objective is not None:
        if objective not in ("energy", "carbon"):
            raise InputError(
                "--objective", [Problem("", f"expected energy or carbon, got {objective!r}")]
            )
        obj: Objective = "energy" if objective == "energy" else "carbon"
        scenario = replace(scenario, settings=replace(scenario.settings, objective=obj))
    return compile_problem(scenario, file=str(file))


MipGapOpt = Annotated[
    float, typer.Option("--mip-gap", help="Relative gap at which milp stops (optimal within it).")
]


def _options(time_limit: float, mip_gap: float = 1e-4) -> dict[str, Any]:
    return {"time_limit_s": time_limit, "mip_gap": mip_gap}


def _print_diagnosis(problem: CompiledProblem, time_limit: float) -> None:
    """Why no plan exists: binding resources and the demands competing for them."""
    from slimplace.optim.diagnose import diagnose

    console.print(diagnose(problem, time_limit_s=time_limit).render(), highlight=False)


@app.command()
def solve(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    method: MethodOpt = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the plan and its evaluation as JSON.")
    ] = None,
    objective: ObjectiveOpt = None,
    time_limit: TimeLimitOpt = 60.0,
    seed: SeedOpt = 0,
    mip_gap: MipGapOpt = 1e-4,
) -> None:
    """Place every application's traffic with one method; print the energy breakdown."""
    from slimplace.fsutil import atomic_write_text
    from slimplace.results import plan_row
    from slimplace.solve import plan_summary
    from slimplace.solve import solve as run_solve

    with guarded():
        problem = load_problem(file, objective)
        result = run_solve(problem, method, seed=seed, **_options(time_limit, mip_gap))
    e = result.evaluation
    row = plan_row(problem, result.plan, e)  # status and reason as every results table has them
    console.print(
        f"[bold]{problem.scenario.name}[/] solved by [bold]{result.method}[/] "
        f"({row['status']}, {result.plan.seconds:.2f} s): "
        f"{'feasible' if e.feasible else '[red]INFEASIBLE[/]'}"
        + (f" ({escape(row['reason'])})" if row["reason"] else "")
    )
    console.print(_breakdown_table(e.power_by_tier, e.power_w))
    console.print(
        f"energy over {problem.horizon_s / 3600:.3g} h: {e.energy_j / 3.6e6:.4g} kWh   "
        f"carbon: {e.carbon_g_per_h:.4g} gCO2e/h   SLO met: {e.slo_met_fraction:.1%}   "
        f"mean accuracy: {e.mean_accuracy:.2%}   servers on: {e.servers_on}"
    )
    shares = e.latency_source_share
    console.print(
        "latency and energy per inference rest on: "
        + ", ".join(f"{_SOURCE_WORDS[k]} {shares.get(k, 0.0):.0%}" for k in _SOURCE_WORDS)
        + " of the traffic",
        highlight=False,
    )
    console.print(_placement_table(problem, result.plan.x))
    for v in e.violations[:10]:
        console.print(f"[red]violation[/] {v.kind} at {v.where}: {v.message}", highlight=False)
    if str(result.plan.status) == "infeasible":
        _print_diagnosis(problem, time_limit)
    if json_out is not None:
        atomic_write_text(
            json_out, json.dumps(plan_summary(problem, result), indent=2, default=float)
        )
        console.print(f"plan written to {json_out}")


@app.command()
def compare(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    methods: Annotated[
        str | None, typer.Option("--methods", help="Comma-separated names (default: all).")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the table as CSV.")] = None,
    objective: ObjectiveOpt = None,
    time_limit: TimeLimitOpt = 60.0,
    seed: SeedOpt = 0,
    mip_gap: MipGapOpt = 1e-4,
) -> None:
    """Run every method on the same scenario and print them side by side."""
    from slimplace.fsutil import atomic_write
    from slimplace.solve import compare as run_compare
    from slimplace.solve import comparison_table

    with guarded():
        problem = load_problem(file, objective)
        names = [m.strip() for m in methods.split(",")] if methods else None
        results = run_compare(problem, names, seed=seed, **_options(time_limit, mip_gap))
    table = comparison_table(problem, results)
    console.print(render_comparison(table, problem.objective))
    print_savings(problem, results)
    exact_failed = (
        str(r.plan.status) == "infeasible" and r.method in ("milp", "lp-bound") for r in results
    )
    if any(exact_failed):
        _print_diagnosis(problem, time_limit)
    if csv_out is not None:
        atomic_write(csv_out, lambda tmp: table.to_csv(tmp, index=False))
        console.print(f"comparison written to {csv_out}")


def print_savings(problem: CompiledProblem, results: Any) -> None:
    """The best plan's saving against the best feasible baseline, on the plan-dependent
    part and in total; baselines without a feasible plan named with why."""
    from slimplace.savings import savings_vs_baselines

    for line in savings_vs_baselines(problem, results).headline():
        console.print(line, markup=False, highlight=False)


@app.command()
def methods() -> None:
    """List the registered methods."""
    from slimplace.methods import default_registry

    reg = default_registry()
    table = Table("method", "kind", "description")
    for name in reg.names():
        info = reg.info(name)
        table.add_row(name, info.kind, info.description)
    for name, why in reg.unavailable.items():
        table.add_row(name, "unavailable", why, style="dim")
    console.print(table)


def render_comparison(table: Any, objective: str) -> Table:
    """A rich table of :func:`slimplace.solve.comparison_table`'s frame (the rows of
    :mod:`slimplace.results`)."""
    out = Table(title=f"methods compared (objective: {objective})")
    for col in (
        "method",
        "status",
        "reason",
        "feasible",
        "power W",
        "fixed W",
        "plan W",
        "kWh",
        "gCO2e/h",
        "SLO met",
        "accuracy",
        "servers on",
        "seconds",
        "gap",
    ):
        out.add_column(col, justify="left" if col in ("method", "status", "reason") else "right")
    best = table.loc[table.feasible, "power_w"].min() if table.feasible.any() else np.nan
    for row in table.itertuples():
        style = (
            "bold green"
            if row.feasible and row.power_w == best
            else ("red" if not row.feasible else "")
        )
        out.add_row(
            row.method,
            row.status,
            escape(row.reason),
            "yes" if row.feasible else "no",
            f"{row.power_w:,.1f}",
            "" if np.isnan(row.fixed_w) else f"{row.fixed_w:,.1f}",
            "" if np.isnan(row.plan_w) else f"{row.plan_w:,.1f}",
            f"{row.energy_kwh:,.3f}",
            f"{row.carbon_g_per_h:,.1f}",
            f"{row.slo_met:.1%}",
            f"{row.accuracy:.2%}",
            f"{row.servers_on:g}",
            f"{row.seconds:.2f}",
            "" if np.isnan(row.gap) else f"{row.gap:.2%}",
            style=style,
        )
    return out


def _breakdown_table(by_tier: dict[str, dict[str, float]], total_w: float) -> Table:
    table = Table("tier", "static W", "dynamic W", "total W", "share", title="average power")
    for tier, parts in by_tier.items():
        sub = parts["static"] + parts["dynamic"]
        if sub == 0:
            continue
        table.add_row(
            tier,
            f"{parts['static']:,.2f}",
            f"{parts['dynamic']:,.2f}",
            f"{sub:,.2f}",
            f"{sub / total_w:.1%}" if total_w else "",
        )
    table.add_row("[bold]all", "", "", f"[bold]{total_w:,.2f}", "")
    return table


def _placement_table(problem: CompiledProblem, x: np.ndarray) -> Table:
    """Traffic by tier and variant."""
    p = problem
    flow = p.demand_rate_per_s[p.cand_demand] * x
    table = Table("tier", "variant", "requests/s", "share", title="where traffic is served")
    total = flow.sum() or 1.0
    keys = p.node_tier[p.cand_node] * len(p.variant_names) + p.cand_variant
    sums = np.bincount(keys, weights=flow)
    from slimplace.scenario.model import TIERS

    for key in np.nonzero(sums > 1e-9)[0][:25]:
        tier, variant = divmod(int(key), len(p.variant_names))
        table.add_row(
            TIERS[tier], p.variant_names[variant], f"{sums[key]:,.1f}", f"{sums[key] / total:.1%}"
        )
    return table
