"""``slimplace explain``: what each lever buys (see :mod:`slimplace.explain`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from slimplace.cli.app import app, console, guarded
from slimplace.cli.plan_cmds import ObjectiveOpt, SeedOpt, load_problem
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from slimplace.explain import Explanation


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    objective: ObjectiveOpt = None,
    method: Annotated[
        str, typer.Option("--method", "-m", help="Method solving every ablation.")
    ] = "milp",
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds for each of the solves.")
    ] = 60.0,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the levers as JSON ('-': stdout).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for waterfall.png.")
    ] = None,
    seed: SeedOpt = 0,
) -> None:
    """Solve with every lever, then without each (placement, compression, sleep, carbon),
    and show what each buys on the plan-dependent objective."""
    from slimplace.explain import explain as run_explain
    from slimplace.fsutil import atomic_write_text
    from slimplace.methods import default_registry

    with guarded():
        if time_limit <= 0:
            raise InputError("--time-limit", [Problem("", f"must be positive, got {time_limit}")])
        default_registry().info(method)
        _check_writable(out, json_out)
        problem = load_problem(file, objective)
        ex = run_explain(problem, method=method, time_limit_s=time_limit, seed=seed)
    doc = json.dumps(ex.to_json(), indent=2, default=float)
    if json_out is not None and str(json_out) == "-":
        typer.echo(doc)
    else:
        console.print(render_explanation(ex))
        for line in summary_lines(ex):
            console.print(line, markup=False, highlight=False)
    if json_out is not None and str(json_out) != "-":
        atomic_write_text(json_out, doc)
        console.print(f"levers written to {json_out}", markup=False, highlight=False)
    if out is not None:
        _write_plot(ex, out)
    if not ex.feasible:
        raise typer.Exit(1)


def _check_writable(out: Path | None, json_out: Path | None) -> None:
    """Refuse before solving when an output cannot be written."""
    problems = []
    if out is not None:
        if out.exists() and not out.is_dir():
            problems.append(Problem("--out", f"{out} exists and is not a folder"))
        else:
            parent = out if out.exists() else out.parent
            if not os.access(parent if str(parent) else ".", os.W_OK):
                problems.append(Problem("--out", f"{out} cannot be written"))
    if json_out is not None and str(json_out) != "-":
        parent = json_out.parent if str(json_out.parent) else Path(".")
        if json_out.is_dir():
            problems.append(Problem("--json", f"{json_out} is a folder"))
        elif parent.exists() and not os.access(parent, os.W_OK):
            problems.append(Problem("--json", f"{parent} cannot be written"))
    if problems:
        raise InputError("slimplace explain", problems)


def _write_plot(ex: Explanation, out: Path) -> None:
    import matplotlib.pyplot as plt

    from slimplace.explain_plot import waterfall_figure
    from slimplace.fsutil import atomic_path

    out.mkdir(parents=True, exist_ok=True)
    fig = waterfall_figure(ex)
    target = out / "waterfall.png"
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    console.print(f"waterfall written to {target}", markup=False, highlight=False)


def _f(value: float) -> str:
    from slimplace.explain import format_value

    return format_value(value)


def render_explanation(ex: Explanation) -> Table:
    """One row per lever: the objective without it and what the lever buys, on the
    plan-dependent part (fixed power is the same for every plan)."""
    u = ex.unit
    table = Table(
        title=f"{ex.scenario}: what each lever buys ({ex.method}, objective {ex.objective})"
    )
    for col in ("plan", "status", f"{u}", f"plan-dependent {u}", f"saving {u}", "share", "note"):
        table.add_column(col, justify="left" if col in ("plan", "status", "note") else "right")
    full = ex.full
    table.add_row("every lever", ex.status, _f(full.value), _f(full.plan), "", "", "", style="bold")
    for o in ex.levers:
        saving = ex.saving(o)
        share = "" if saving is None or full.plan + saving <= 0 else saving / (full.plan + saving)
        table.add_row(
            f"no {o.name}",
            o.status,
            "" if o.value is None else _f(o.value),
            "" if o.value is None else _f(o.value - full.fixed),
            "" if saving is None else _f(saving),
            share if isinstance(share, str) else f"{share:.1%}",
            o.reason if not o.feasible else o.description,
            style="" if o.feasible else "dim",
        )
    return table


def summary_lines(ex: Explanation) -> list[str]:
    """Fixed part, breakdown, gap and the consistency verdict, as plain lines."""
    u, full = ex.unit, ex.full
    parts = ", ".join(
        f"{k.replace('_', ' ')} {_f(v)}" for k, v in full.breakdown.items() if v is not None
    )
    lines = [
        f"fixed (drawn whatever the plan): {_f(full.fixed)} {u}; "
        f"plan-dependent: {_f(full.plan)} {u} ({parts})",
        "savings are measured one lever at a time on the plan-dependent part; levers "
        "with no feasible plan are not savings",
    ]
    if not ex.feasible:
        from slimplace.results import violation_reason

        why = (
            violation_reason(ex.result.evaluation.violations) or ex.result.plan.reason or ex.status
        )
        lines.append(f"the full plan is not feasible ({why}): no saving is stated")
    if ex.gap is not None:
        lines.append(f"full plan gap: {ex.gap:.3%} (bound {ex.bound:,.6g} {u})")
    if ex.consistent is None:
        lower = ex.below_full()
        lines.append(
            f"{ex.method} proves no bound: consistency not checked"
            + (f"; found better plans without {', '.join(lower)}" if lower else "")
        )
    elif ex.consistent:
        lines.append("consistent: no ablation below the full plan beyond its proven gap")
    else:
        below = ", ".join(ex.below_bound())
        lines.append(f"INCONSISTENT: {below} below the full plan's proven lower bound")
    return lines
