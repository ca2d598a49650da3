"""``archsim report DIR``: re-render the report of a result directory from its saved results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archsim.cli import app


@app.command("report")
def report_command(
    directory: Annotated[
        Path, typer.Argument(help="A result directory: result.json, and trace.json when there is one.")
    ],
) -> None:
    """Write index.html, summary.md and figures.json into DIRECTORY from its result.json (+ trace.json)."""
    from archsim.report import ReportError, render

    try:
        path = render(directory)
    except ReportError as e:
        Console(stderr=True).print(f"[red]error:[/red] {e}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    Console().print(f"report: {path}", highlight=False, soft_wrap=True)
