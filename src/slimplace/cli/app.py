"""The Typer application and its shared helpers (console, error guard).

Every command runs inside :func:`guarded`, which turns a :class:`SlimplaceError`
(bad input, infeasible scenario) into a message on stderr and exit code 2,
without a traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from slimplace.errors import SlimplaceError

app = typer.Typer(
    name="slimplace",
    help="Energy-minimal placement of compressible ML inference on the edge-cloud continuum.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Wide enough for the comparison tables when output is not a terminal (pipes, CI logs).
_PIPE_WIDTH = 160
console = Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else _PIPE_WIDTH)

EXIT_BAD_INPUT = 2


@contextmanager
def guarded() -> Iterator[None]:
    """Report slimplace errors as messages with exit code 2."""
    try:
        yield
    except SlimplaceError as exc:
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
