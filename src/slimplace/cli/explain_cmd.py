"""``slimplace explain``: what each lever buys (see :mod:`slimplace.explain`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.options import (
    DEFAULT_SEED,
    EXIT_FAILED,
    JsonOpt,
    SeedOpt,
    bad_option,
    check_output_dir,
    check_output_file,
    human_console,
    text,
    write_json,
    write_with,
)
from slimplace.cli.plan_cmds import KPathsOpt, LinkSleepOpt, ObjectiveOpt, load_problem

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from slimplace.explain import Explanation


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    objective: ObjectiveOpt = None,
    method: Annotated[
        str, typer.Option("--method", "-m", help="Method solving every ablation.")
    ] = "milp",
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", min=0.0, help="Seconds for each solve (full and ablations)."),
    ] = 60.0,
    json_out: JsonOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for waterfall.png.")
    ] = None,
    seed: SeedOpt = DEFAULT_SEED,
    k_paths: KPathsOpt = None,
    link_sleep: LinkSleepOpt = None,
) -> None:
    """Solve with every lever, then without each (placement, compression, sleep, carbon,
    power modes, batching, link sleep, routing), and show what each buys on the
    plan-dependent objective."""
    from slimplace.explain import explain as run_explain
    from slimplace.methods import default_registry

    shown = human_console(json_out, console, err_console)
    with guarded():
        if time_limit <= 0:
            raise bad_option("--time-limit", f"must be positive, got {time_limit:g}")
        default_registry().info(method)
        check_output_file(json_out, "--json")
        check_output_dir(out, "--out")
        problem = load_problem(file, objective, k_paths, link_sleep)
        ex = run_explain(problem, method=method, time_limit_s=time_limit, seed=seed)
    shown.print(render_explanation(ex))
    for line in summary_lines(ex):
        shown.print(line, markup=False, highlight=False)
    with guarded():
        if json_out is not None:
            write_json(json_out, ex.to_json(), shown)
        if out is not None:
            _write_plot(ex, out, shown)
    if not ex.feasible:
        raise typer.Exit(EXIT_FAILED)


def _write_plot(ex: Explanation, out: Path, shown: Console) -> None:
    import matplotlib.pyplot as plt

    from slimplace.explain_plot import waterfall_figure

    out.mkdir(parents=True, exist_ok=True)
    fig = waterfall_figure(ex)
    target = out / "waterfall.png"
    write_with(target, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)
    shown.print(f"waterfall written to {text(target)}", highlight=False)


def _f(value: float) -> str:
    from slimplace.explain import format_value

    return format_value(value)


def render_explanation(ex: Explanation) -> Table:
    """One row per lever: the objective without it and what the lever buys, on the
    plan-dependent part (fixed power is the same for every plan)."""
    from rich.table import Table

    u = ex.unit
    table = Table(
        title=f"{text(ex.scenario)}: what each lever buys ({ex.method}, objective {ex.objective})"
    )
    for col in ("plan", "status", f"{u}", f"plan-dependent {u}", f"saving {u}", "share", "note"):
        table.add_column(col, justify="left" if col in ("plan", "status", "note") else "right")
    full = ex.full
    table.add_row("every lever", ex.status, _f(full.value), _f(full.plan), "", "", "", style="bold")
    noise = ex.resolution()
    for o in ex.levers:
        saving = ex.saving(o)
        if saving is not None and abs(saving) <= noise:  # solver tolerance, not -9.09e-13 W
            saving = 0.0
        share = "" if saving is None or full.plan + saving <= 0 else saving / (full.plan + saving)
        table.add_row(
            f"no {o.name}",
            o.status,
            "" if o.value is None else _f(o.value),
            "" if o.value is None else _f(o.value - full.fixed),
            "" if saving is None else _f(saving),
            share if isinstance(share, str) else f"{share:.1%}",
            text(o.reason) if not o.feasible else o.description,
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
