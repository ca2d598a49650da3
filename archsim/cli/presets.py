"""``archsim presets``: list the hardware and workload presets."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from archsim.cli import app
from archsim.config import load_rpu, load_workload, rpu_presets, workload_presets


@app.command()
def presets() -> None:
    """List the RPU device presets and the workload presets."""
    console = Console()
    table = Table(title="RPU presets (models/rpu)")
    table.add_column("name")
    table.add_column("description")
    for name in rpu_presets():
        table.add_row(name, load_rpu(name).description)
    console.print(table)
    table = Table(title="Workloads (workloads/)")
    table.add_column("name")
    table.add_column("arrays (rows x cols)")
    for name in workload_presets():
        arrays = load_workload(name).arrays()
        table.add_row(name, ", ".join(f"{a.rows}x{a.cols}" for a in arrays))
    console.print(table)
