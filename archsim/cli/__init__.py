"""The ``archsim`` command line (Typer). Each command lives in its own module and registers on ``app``.

Every command runs inside one error boundary (:mod:`archsim.cli.errors`): an input problem is one
line naming the argument, file or field (exit 2), a failed run exits 1, a diverged training run 3,
Ctrl-C 130, and an internal error says so and where its traceback was written.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from archsim.cli.errors import boundary


class _Group(TyperGroup):
    """The ``archsim`` group: runs the chosen command inside the error boundary."""

    def invoke(self, ctx: Any) -> Any:
        return boundary(lambda: super(_Group, self).invoke(ctx))


app = typer.Typer(
    name="archsim",
    help="Simulate analog in-memory (RPU) training chips: accuracy and timing from one run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Group,
)


@app.callback()
def _root() -> None:
    """Simulate analog in-memory (RPU) training chips: accuracy and timing from one run.

    BLAS (numpy, scipy) runs on one thread unless ARCHSIM_BLAS_THREADS=N allows N.
    """
    from archsim.threads import limit_blas

    try:
        limit_blas()
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


# Command modules register themselves on import.
from archsim.cli import (  # noqa: E402,F401
    compare,
    cosim,
    experiment,
    presets,
    report,
    rerun,
    run,
    simulate,
    sweep,
    train,
)


def main() -> None:
    app()
