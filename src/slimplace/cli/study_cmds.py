"""The study job: ``slimplace sweep``, ``slimplace results`` and ``slimplace report``.

Exit codes: ``sweep`` exits 1 when any trial failed (in this run or before), 2 for bad
input.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slimplace.cli.app import app, console, err_console, guarded
from slimplace.cli.options import (
    EXIT_FAILED,
    JsonOpt,
    bad_option,
    check_output_dir,
    check_output_file,
    human_console,
    text,
    write_json,
    write_with,
)

if TYPE_CHECKING:
    from rich.table import Table


@app.command()
def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec (YAML), or a sweep folder to resume.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Sweep folder (default: sweeps/<name>)."),
    ] = None,
    executor: Annotated[
        str, typer.Option("--executor", help="local (processes), ray, or serial.")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster address (default: start a local Ray)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=1, help="Worker processes or Ray CPUs.")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run trials that failed before again.")
    ] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Run every trial of a sweep not stored yet; each is stored as soon as it ends.
    Exit 1 when any trial failed."""
    from slimplace.errors import InputError, Problem
    from slimplace.study.sweep import run_sweep

    with guarded(), _interruptible(spec if out is None else out):
        check_output_dir(out, "--out")
        if executor not in ("local", "ray", "serial"):
            raise InputError(
                "--executor", [Problem("", f"expected local, ray or serial, got {executor!r}")]
            )
        summary = run_sweep(
            spec,
            out,
            executor=executor,  # type: ignore[arg-type]
            workers=workers,
            address=address,
            retry_failed=retry_failed,
            progress=progress,
        )
    console.print(
        f"{text(summary.folder)}: {summary.done} trials run, {summary.failed} failed, "
        f"{summary.already_stored} stored before, {summary.skipped_failed} failed before "
        f"(skipped; --retry-failed runs them), {summary.total} in all, "
        f"{summary.seconds:.1f} s",
        highlight=False,
    )
    if summary.failed or summary.skipped_failed:
        console.print(
            f"failures: slimplace results {text(summary.folder)} --failures", highlight=False
        )
        raise typer.Exit(EXIT_FAILED)


@app.command()
def results(
    folder: Annotated[Path, typer.Argument(help="Sweep folder.")],
    sql: Annotated[
        str | None,
        typer.Option(
            "--sql",
            help="DuckDB query over the tables trials, series and failures, run with your own "
            "rights (it may read and write files; slimplace.study.query() is the safe one).",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Comma-separated columns to group by (default: method and every axis)."
        ),
    ] = None,
    failures: Annotated[
        bool, typer.Option("--failures", help="List the failed trials and their errors.")
    ] = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the query result (or all rows) as CSV.")
    ] = None,
    json_out: JsonOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Rows to print at most.")] = 50,
) -> None:
    """Print a sweep's summary (mean and 95 % interval over seeds per method and axis
    value, infeasible trials apart), its failures, or the result of a SQL query."""
    from slimplace.study.report import default_by, summary_table, summary_text
    from slimplace.study.store import SweepStore, load_failures, load_results, query

    human = human_console(json_out, console, err_console)
    with guarded():
        if sql is not None and not sql.strip():
            raise bad_option("--sql", "the query is empty")
        check_output_file(csv_out, "--csv")
        check_output_file(json_out, "--json")
        store = SweepStore(folder)
        spec = store.read_spec()
        if sql is not None:
            frame = query(folder, sql, trusted=True)
            human.print(frame_table(frame, limit=limit))
        elif failures:
            frame = load_failures(folder)
            human.print(frame_table(frame, limit=limit, title="failed trials"))
        else:
            from slimplace.study.plots import with_gap
            from slimplace.study.trials import count_trials

            frame = load_results(folder)
            n_trials = frame["trial_id"].nunique() if "trial_id" in frame.columns else 0
            human.print(
                f"[bold]{text(spec.name)}[/] ({text(spec.run)}): {n_trials} of "
                f"{count_trials(spec)} trials stored, {len(store.failed_ids())} failed, "
                f"{len(frame)} rows"
            )
            groups = [b.strip() for b in by.split(",") if b.strip()] if by else None
            groups = groups if groups is not None else default_by(spec, frame)
            summary = summary_table(with_gap(frame), groups)
            title = f"mean ± 95 % interval by {', '.join(groups) or 'outcome'}"
            human.print(frame_table(summary_text(summary), limit=limit, title=title))
        if csv_out is not None:
            write_with(csv_out, lambda tmp: frame.to_csv(tmp, index=False))
            human.print(f"written to {text(csv_out)}", highlight=False)
        if json_out is not None:
            rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            write_json(json_out, rows, human)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="Sweep folder.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Report folder (default: FOLDER/report).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Comma-separated columns to group by (default: method and every axis)."
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report with the sweep's figures (also as PNG and SVG)."""
    from slimplace.cli.options import writing
    from slimplace.study.report import write_report

    with guarded():
        check_output_dir(out, "--out")
        groups = [b.strip() for b in by.split(",") if b.strip()] if by else None
        with writing(out or folder / "report"):
            path = write_report(folder, out, by=groups)
    console.print(f"report written to {text(path)}", highlight=False)


@contextlib.contextmanager
def _interruptible(where: Path) -> Iterator[None]:
    """Ctrl-C: say what is kept and how to resume; exit 130 without a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        err_console.print(
            f"interrupted: every trial stored so far is kept; `slimplace sweep {where}` "
            "(the spec or the sweep folder) resumes",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(130) from None


def frame_table(frame: Any, *, limit: int = 50, title: str | None = None) -> Table:
    """A rich table of a data frame's first ``limit`` rows (cells escaped: they are
    user text)."""
    from rich.table import Table

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(
            text(column), justify="right" if frame[column].dtype.kind in "iuf" else "left"
        )
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    if len(frame) > limit:
        table.caption = f"{limit} of {len(frame)} rows (--limit)"
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return text(value)
