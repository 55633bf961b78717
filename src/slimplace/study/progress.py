"""A rich progress bar for sweeps: trials done, failed and remaining, and time left."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextlib.contextmanager
def progress_bar(
    name: str, total: int, stored: int, *, console: Console | None = None
) -> Iterator[Callable[[int, int, int], None]]:
    """Show a bar (on stderr) while the block runs; yield its update function
    ``update(done, failed, remaining)``."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "done [green]{task.fields[done]}[/] · failed [red]{task.fields[failed]}[/] · "
            "remaining {task.fields[remaining]}"
        ),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    description = f"{name} ({stored} stored before)" if stored else name
    with Progress(*columns, console=console or Console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total, done=0, failed=0, remaining=total)

        def update(done: int, failed: int, remaining: int) -> None:
            bar.update(task, completed=done + failed, done=done, failed=failed, remaining=remaining)

        yield update
