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

from slimplace.cli.options import EXIT_BAD_INPUT
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

__all__ = ["EXIT_BAD_INPUT", "app", "console", "err_console", "guarded"]


@contextmanager
def guarded() -> Iterator[None]:
    """Report slimplace errors (bad input, unwritable outputs) as messages with exit code 2."""
    try:
        yield
    except SlimplaceError as exc:
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _print_version(value: bool) -> None:
    if value:
        from slimplace import __version__

        console.print(f"slimplace {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
