"""The plan job: ``slimplace solve`` and ``slimplace compare``.

Exit codes: 0 when the plan (``solve``) or at least one method's plan (``compare``) is
feasible, 1 when none is, 2 for bad input.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.options import (
    DEFAULT_SEED,
    EXIT_FAILED,
    JsonOpt,
    MipGapOpt,
    SeedOpt,
    TimeLimitOpt,
    check_output_file,
    human_console,
    text,
    write_json,
    write_with,
)

if TYPE_CHECKING:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from slimplace.problem.compiled import CompiledProblem
    from slimplace.savings import Savings

MethodOpt = Annotated[
    str | None, typer.Option("--method", "-m", help="Method name (see `slimplace methods`).")
]
ObjectiveOpt = Annotated[
    str | None, typer.Option("--objective", help="energy or carbon (default: the scenario's).")
]
KPathsOpt = Annotated[
    int | None,
    typer.Option(
        "--k-paths",
        help="Routing as a decision: each flow may take one of its K shortest paths and "
        "links without traffic sleep (default: the scenario's settings.k_paths, 1: fixed "
        "shortest paths; see docs/routing.md).",
    ),
]
LinkSleepOpt = Annotated[
    bool | None,
    typer.Option(
        "--link-sleep/--no-link-sleep",
        help="Links without traffic sleep (default: the scenario's settings.link_sleep, "
        "else only when --k-paths > 1). --link-sleep with --k-paths 1 keeps shortest paths "
        "fixed and lets idle links sleep; see docs/routing.md.",
    ),
]
#: How ``latency_source_share`` keys read in the solve summary (slimplace.calibration).
_SOURCE_WORDS = {"measured": "measured", "fitted": "fitted model", "flops": "FLOPs-only"}
#: Methods whose plans are bounds, not plans one could run.
_BOUND_METHODS = ("lp-bound",)


def load_problem(
    file: Path,
    objective: str | None,
    k_paths: int | None = None,
    link_sleep: bool | None = None,
) -> CompiledProblem:
    """Load, validate and compile a scenario file (raising slimplace errors); ``k_paths``
    and ``link_sleep`` override the scenario's ``settings.k_paths``/``link_sleep``."""
    from slimplace.errors import InputError, Problem
    from slimplace.problem.compile import compile_problem
    from slimplace.scenario.io import load_scenario
    from slimplace.scenario.model import Objective

    scenario = load_scenario(file)
    if objective is not None:
        if objective not in ("energy", "carbon"):
            raise InputError(
                "--objective", [Problem("", f"expected energy or carbon, got {objective!r}")]
            )
        obj: Objective = "energy" if objective == "energy" else "carbon"
        scenario = replace(scenario, settings=replace(scenario.settings, objective=obj))
    if k_paths is not None:
        if k_paths < 1:
            raise InputError("--k-paths", [Problem("", f"must be 1 or more, got {k_paths}")])
        scenario = replace(scenario, settings=replace(scenario.settings, k_paths=k_paths))
    if link_sleep is not None:
        scenario = replace(scenario, settings=replace(scenario.settings, link_sleep=link_sleep))
    return compile_problem(scenario, file=str(file))


def _options(time_limit: float, mip_gap: float = 1e-4) -> dict[str, Any]:
    return {"time_limit_s": time_limit, "mip_gap": mip_gap}


def _print_diagnosis(problem: CompiledProblem, time_limit: float, out: Console) -> None:
    """Why no plan exists: binding resources and the demands competing for them."""
    from slimplace.optim.diagnose import diagnose

    out.print(diagnose(problem, time_limit_s=time_limit).render(), markup=False, highlight=False)


@app.command()
def solve(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    method: MethodOpt = None,
    json_out: JsonOpt = None,
    objective: ObjectiveOpt = None,
    time_limit: TimeLimitOpt = 60.0,
    seed: SeedOpt = DEFAULT_SEED,
    mip_gap: MipGapOpt = 1e-4,
    k_paths: KPathsOpt = None,
    link_sleep: LinkSleepOpt = None,
) -> None:
    """Place every application's traffic with one method; print the energy breakdown.
    Exit 1 when the plan is not feasible."""
    from slimplace.results import plan_row
    from slimplace.solve import plan_summary
    from slimplace.solve import solve as run_solve

    out = human_console(json_out, console, err_console)
    with guarded():
        check_output_file(json_out, "--json")
        problem = load_problem(file, objective, k_paths, link_sleep)
        result = run_solve(problem, method, seed=seed, **_options(time_limit, mip_gap))
    e = result.evaluation
    row = plan_row(problem, result.plan, e)  # status and reason as every results table has them
    out.print(
        f"[bold]{text(problem.scenario.name)}[/] solved by [bold]{text(result.method)}[/] "
        f"({text(row['status'])}, {result.plan.seconds:.2f} s): "
        f"{'feasible' if e.feasible else '[red]INFEASIBLE[/]'}"
        + (f" ({text(row['reason'])})" if row["reason"] else "")
    )
    out.print(_breakdown_table(e.power_by_tier, e.power_w))
    out.print(
        f"energy over {problem.horizon_s / 3600:.3g} h: {e.energy_j / 3.6e6:.4g} kWh   "
        f"carbon: {e.carbon_g_per_h:.4g} gCO2e/h   SLO met: {e.slo_met_fraction:.1%}   "
        f"mean accuracy: {e.mean_accuracy:.2%}   servers on: {e.servers_on}"
    )
    shares = e.latency_source_share
    out.print(
        "latency and energy per inference rest on: "
        + ", ".join(f"{_SOURCE_WORDS[k]} {shares.get(k, 0.0):.0%}" for k in _SOURCE_WORDS)
        + " of the traffic",
        highlight=False,
    )
    out.print(_placement_table(problem, result.plan.x))
    if problem.paths is not None:
        out.print(_links_line(problem, result.plan, e), highlight=False)
    for v in e.violations[:10]:
        out.print(
            f"[red]violation[/] {text(v.kind)} at {text(v.where)}: {text(v.message)}",
            highlight=False,
        )
    if str(result.plan.status) == "infeasible":
        _print_diagnosis(problem, time_limit, out)
    if json_out is not None:
        with guarded():
            write_json(json_out, plan_summary(problem, result), out)
    if not e.feasible:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def compare(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    methods: Annotated[
        str | None, typer.Option("--methods", help="Comma-separated names (default: all).")
    ] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the table as CSV.")] = None,
    json_out: JsonOpt = None,
    objective: ObjectiveOpt = None,
    time_limit: TimeLimitOpt = 60.0,
    seed: SeedOpt = DEFAULT_SEED,
    mip_gap: MipGapOpt = 1e-4,
    k_paths: KPathsOpt = None,
    link_sleep: LinkSleepOpt = None,
) -> None:
    """Run every method on the same scenario and print them side by side.
    Exit 1 when no method finds a feasible plan."""
    from slimplace.solve import compare as run_compare
    from slimplace.solve import comparison_table

    out = human_console(json_out, console, err_console)
    with guarded():
        check_output_file(csv_out, "--csv")
        check_output_file(json_out, "--json")
        problem = load_problem(file, objective, k_paths, link_sleep)
        names = [m.strip() for m in methods.split(",")] if methods else None
        results = run_compare(problem, names, seed=seed, **_options(time_limit, mip_gap))
    table = comparison_table(problem, results)
    out.print(render_comparison(table, problem.objective))
    savings = print_savings(problem, results, out)
    split = _print_split_saving(problem, results, out, time_limit)
    if problem.paths is not None:
        for r in results:
            out.print(f"{text(r.method)}: " + _links_line(problem, r.plan, r.evaluation))
    exact_failed = (
        str(r.plan.status) == "infeasible" and r.method in ("milp", "lp-bound") for r in results
    )
    if any(exact_failed):
        _print_diagnosis(problem, time_limit, out)
    with guarded():
        if csv_out is not None:
            write_with(csv_out, lambda tmp: table.to_csv(tmp, index=False))
            out.print(f"comparison written to {text(csv_out)}", highlight=False)
        if json_out is not None:
            rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
            doc = {"objective": problem.objective, "methods": rows, "savings": savings.to_json()}
            if split is not None:
                doc["split_saving"] = split.to_json()
            write_json(json_out, doc, out)
    plans = [r for r in results if r.method not in _BOUND_METHODS]
    if not any(r.evaluation.feasible for r in plans):
        raise typer.Exit(EXIT_FAILED)


def print_savings(problem: CompiledProblem, results: Any, out: Console | None = None) -> Savings:
    """Print the best plan's saving against the best feasible baseline, on the
    plan-dependent part and in total, naming baselines without a feasible plan and why;
    return it (for ``--json``)."""
    from slimplace.savings import savings_vs_baselines

    savings = savings_vs_baselines(problem, results)
    for line in savings.headline():
        (out or console).print(line, markup=False, highlight=False)
    return savings


def _print_split_saving(
    problem: CompiledProblem, results: Any, out: Console, time_limit: float
) -> Any:
    """What splitting saves against whole-model placement (scenarios with split or
    multi-stage applications only; :mod:`slimplace.split.savings`)."""
    if not (problem.cand_cut >= 0).any():
        return None
    from slimplace.split.savings import split_saving

    with guarded():
        saving = split_saving(problem, results, time_limit_s=time_limit)
    if saving is not None:
        out.print(saving.headline(), markup=False, highlight=False)
    return saving


@app.command()
def methods() -> None:
    """List the registered methods."""
    from rich.table import Table

    from slimplace.methods import default_registry

    reg = default_registry()
    table = Table("method", "kind", "description")
    for name in reg.names():
        info = reg.info(name)
        table.add_row(text(name), text(info.kind), text(info.description))
    for name, why in reg.unavailable.items():
        table.add_row(text(name), "unavailable", text(why), style="dim")
    console.print(table)


def render_comparison(table: Any, objective: str) -> Table:
    """A rich table of :func:`slimplace.solve.comparison_table`'s frame (the rows of
    :mod:`slimplace.results`)."""
    import numpy as np
    from rich.table import Table

    out = Table(title=f"methods compared (objective: {text(objective)})")
    columns = ["method", "status", "reason", "feasible", "power W", "fixed W", "plan W", "kWh"]
    columns += ["gCO2e/h", "SLO met", "accuracy", "servers on", "seconds", "gap"]
    points = [c for c in ("modes", "batch_sizes") if c in table.columns]
    columns += [c.replace("_", " ") for c in points]  # power modes and batching (issue 18)
    for col in columns:
        out.add_column(col, justify="left" if col in ("method", "status", "reason") else "right")
    best = table.loc[table.feasible, "power_w"].min() if table.feasible.any() else np.nan
    for row in table.to_dict(orient="records"):
        feasible = bool(row["feasible"])
        style = "bold green" if feasible and row["power_w"] == best else ("" if feasible else "red")
        gap = float(row["gap"]) if row.get("gap") is not None else np.nan
        out.add_row(
            text(row["method"]),
            text(row["status"]),
            text(row["reason"] or ""),
            "yes" if feasible else "no",
            f"{row['power_w']:,.1f}",
            _watts(row["fixed_w"]),
            _watts(row["plan_w"]),
            f"{row['energy_kwh']:,.3f}",
            f"{row['carbon_g_per_h']:,.1f}",
            f"{row['slo_met']:.1%}",
            f"{row['accuracy']:.2%}",
            f"{row['servers_on']:g}",
            f"{row['seconds']:.2f}",
            "" if np.isnan(gap) else f"{gap:.2%}",
            *(text(row[c] or "") for c in points),
            style=style,
        )
    return out


def _watts(value: float | None) -> str:
    """A power in W for the table, blank where it is unknown (NaN)."""
    return "" if value is None or value != value else f"{value:,.1f}"


def _breakdown_table(by_tier: dict[str, dict[str, float]], total_w: float) -> Table:
    from rich.table import Table

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


def _links_line(problem: CompiledProblem, plan: Any, e: Any) -> str:
    """Links on and asleep under the plan's routes (routing as a decision)."""
    from slimplace.optim.routing_milp import links_asleep
    from slimplace.problem.routing import can_sleep, link_sleep_active

    asleep = len(links_asleep(problem, plan))
    sleepable = int(can_sleep(problem).sum())
    rerouted = 0 if plan.routes is None else int((plan.routes.rank > 0).sum())
    k = problem.paths.k if problem.paths is not None else 1
    sleep = "on" if link_sleep_active(problem) else "off"
    return (
        f"routes over k = {k} shortest path(s): {rerouted} flow(s) off their "
        f"shortest path; link sleep {sleep}, links asleep: {asleep} of {sleepable} that can sleep; "
        f"network baseload of links on: {e.breakdown_w['network_baseload']:.1f} W (plan-dependent)"
    )


def _placement_table(problem: CompiledProblem, x: np.ndarray) -> Table:
    """Traffic by tier and variant."""
    import numpy as np
    from rich.table import Table

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
            TIERS[tier],
            text(p.variant_names[variant]),
            f"{sums[key]:,.1f}",
            f"{sums[key] / total:.1%}",
        )
    return table
