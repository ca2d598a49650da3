"""``archsim presets``: list the hardware and workload presets."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from archsim.cli import app
from archsim.config import chip_presets, load_chip, load_rpu, load_workload, rpu_presets, workload_presets
from archsim.paths import ROOT


def _table(title: str, columns: tuple[str, str], rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


@app.command()
def presets() -> None:
    """List the RPU device, chip and workload presets (use them by name, or give a YAML path)."""
    console = Console()
    # The folders in the titles are relative to ROOT: the installed package's archsim/_presets,
    # the checkout, or $ARCHSIM_ROOT.
    console.print(f"presets in {ROOT} (a YAML file given by path works wherever it is)", highlight=False)
    describe = ("name", "description")
    console.print(
        _table("RPU presets (models/rpu)", describe, [(n, load_rpu(n).description) for n in rpu_presets()])
    )
    console.print(
        _table(
            "Chip presets (models/chips)", describe, [(n, load_chip(n).description) for n in chip_presets()]
        )
    )
    arrays = [
        (n, ", ".join(f"{a.rows}x{a.cols}" for a in load_workload(n).arrays())) for n in workload_presets()
    ]
    console.print(_table("Workloads (workloads/)", ("name", "arrays (rows x cols)"), arrays))
