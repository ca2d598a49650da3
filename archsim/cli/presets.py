"""``archsim presets``: list the hardware and workload presets."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from archsim.cli import app
from archsim.config import chip_presets, load_chip, load_rpu, load_workload, rpu_presets, workload_presets


@app.command()
def presets() -> None:
    """List the RPU device, chip and workload presets (use them by name, or give a YAML path)."""
    console = Console()
    table = Table(title="RPU presets (models/rpu)")
    table.add_column("name")
    table.add_column("description")
    for name in rpu_presets():
        table.add_row(name, load_rpu(name).description)
    console.print(table)
    table = Table(title="Chip presets (models/chips)")
    table.add_column("name")
    table.add_column("description")
    for name in chip_presets():
        table.add_row(name, load_chip(name).description)
    console.print(table)
    table = Table(title="Workloads (workloads/)")
    table.add_column("name")
    table.add_column("arrays (rows x cols)")
    for name in workload_presets():
        arrays = load_workload(name).arrays()
        table.add_row(name, ", ".join(f"{a.rows}x{a.cols}" for a in arrays))
    console.print(table)
