"""``archsim report DIR``: re-render the report of a result directory from its saved results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archsim.cli import app
from archsim.cli.outputs import check_folder


@app.command("report")
def report_command(
    directory: Annotated[
        Path, typer.Argument(help="A result directory: result.json, and trace.json when there is one.")
    ],
) -> None:
    """Write index.html, summary.md and figures.json into DIRECTORY from its result.json (+ trace.json)."""
    from archsim.report import render

    check_folder(directory, "DIRECTORY")
    Console().print(f"report: {render(directory)}", highlight=False, soft_wrap=True)
