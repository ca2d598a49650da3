"""``archsim compare RESULT...``: designs side by side, in the terminal and as HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from archsim.cli import app
from archsim.cli.errors import InputError
from archsim.cli.outputs import check_file

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@app.command("compare")
def compare_command(
    results: Annotated[
        list[Path], typer.Argument(help="Two or more result.json files (simulate, train, cosim).")
    ],
    html_file: Annotated[
        Path | None, typer.Option("--html", help="Also write the comparison as a self-contained HTML page.")
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the headline figures as CSV: figure, unit, values, ratios."),
    ] = None,
) -> None:
    """Results side by side: the fields that differ, the headline figures, ratios to the first."""
    from archsim.atomic import write_text
    from archsim.report import compare
    from archsim.results import load_result

    err = Console(stderr=True)
    if len(results) < 2:
        raise InputError(f"RESULTS: give at least two result files, got {len(results)}")
    if len(results) > len(LETTERS):
        raise InputError(f"RESULTS: at most {len(LETTERS)} result files, got {len(results)}")
    check_file(html_file, "--html")
    check_file(csv_file, "--csv")
    loaded = [load_result(p) for p in results]  # a ResultError names the file and field (exit 2)
    c = compare.comparison(loaded, [str(p) for p in results])
    letters = LETTERS[: len(loaded)]
    console = Console()
    runs = Table(title="results", show_header=False)
    for letter, run in zip(letters, c["runs"], strict=True):
        runs.add_row(letter, run["label"], run["kind"])
    console.print(runs)
    if c["differences"]:
        diff = Table(title="configuration that differs")
        diff.add_column("field", overflow="fold")
        for letter in letters:
            diff.add_column(letter, overflow="fold")
        for path, values in c["differences"]:
            diff.add_row(path, *(compare.fmt(v) for v in values))
        console.print(diff)
    else:
        console.print("the results record the same configuration", highlight=False)
    figs = Table(title="headline figures (ratio to A)")
    figs.add_column("figure")
    for letter in letters:
        figs.add_column(letter, justify="right")
    for row in c["figures"]:
        cells = [compare.fmt(row["values"][0])]
        cells += [
            compare.fmt(v) if r is None else f"{compare.fmt(v)} {compare.ratio(r)}"
            for v, r in zip(row["values"][1:], row["ratios"][1:], strict=True)
        ]
        name = row["figure"] + (f" ({row['unit']})" if row["unit"] else "")
        figs.add_row(name, *cells)
    console.print(figs)
    if html_file is not None:
        write_text(html_file, compare.html(c))
        err.print(f"comparison: {html_file}", highlight=False, soft_wrap=True)
    if csv_file is not None:
        write_text(csv_file, compare.csv_text(c, letters))
        err.print(f"figures: {csv_file}", highlight=False, soft_wrap=True)
