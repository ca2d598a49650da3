"""The ``archsim`` command line (Typer). Each command lives in its own module and registers on ``app``."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="archsim",
    help="Simulate analog in-memory (RPU) training chips: accuracy and timing from one run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
from archsim.cli import compare, cosim, presets, report, rerun, run, simulate, sweep, train  # noqa: E402,F401


def main() -> None:
    app()
