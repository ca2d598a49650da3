"""``archsim sweep``: run a design-space sweep on Dask, record it in SQLite, write its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from archsim.cli import app
from archsim.config import ConfigError
from archsim.paths import REPORTS_DIR


@app.command("sweep")
def sweep_command(
    sweep_file: Annotated[
        Path, typer.Argument(help="Sweep file (YAML), e.g. workloads/sweeps/adc-streams-baseline.yaml.")
    ],
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786); default: a local cluster here."),
    ] = None,
    db: Annotated[
        Path | None, typer.Option(help="SQLite results file (default: reports/sweeps/NAME.sqlite).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes of the local cluster.")] = 2,
    out: Annotated[Path | None, typer.Option(help="Report folder (default: reports/sweeps/NAME/).")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the sweep's rows as JSON.")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the sweep file and list its points only.")
    ] = False,
) -> None:
    """Run every point of SWEEP_FILE not yet done (simulate or cosim), then write the report."""
    from archsim.sweep import dask_client, load_sweep, run_sweep
    from archsim.sweep.report import write_report
    from archsim.sweep.store import SweepStore

    console = Console()
    err = Console(stderr=True)
    try:
        if workers < 1:
            raise ConfigError(f"--workers: must be >= 1, got {workers}")
        sweep = load_sweep(sweep_file)
    except ConfigError as e:
        err.print(f"[red]error:[/red] {e}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    db = db or REPORTS_DIR / "sweeps" / f"{sweep.name}.sqlite"
    out = out or REPORTS_DIR / "sweeps" / sweep.name
    axes = ", ".join(f"{a.name} ({len(a.options) or 'range'})" for a in sweep.axes) or "none"
    console.print(
        f"sweep [bold]{sweep.name}[/bold]: {len(sweep.points)} {sweep.command_kind} points"
        + (f" ({sweep.duplicates} duplicate draws dropped)" if sweep.duplicates else "")
        + f"; axes: {axes}",
        highlight=False,
    )
    if check:
        for p in sweep.points:
            console.print(f"  {p.point_id}  {p.axis_values}", highlight=False)
        return

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("starting", total=None)
        tally = {"done": 0, "failed": 0}

        def on_start(to_run: int, skipped: int) -> None:
            progress.update(bar, total=to_run, description=f"points ({skipped} already done)")

        def on_point(outcome: dict) -> None:
            tally[outcome["status"]] += 1
            progress.update(bar, advance=1, description=f"done {tally['done']}, failed {tally['failed']}")

        where = scheduler or f"a local cluster of {workers} worker(s)"
        progress.console.print(f"running on {where}; results in {db}", highlight=False)
        try:
            with dask_client(scheduler, workers) as client:
                summary = run_sweep(sweep, db, client, on_start=on_start, on_point=on_point)
        except OSError as e:  # no scheduler at that address, or the cluster could not start
            err.print(f"[red]error:[/red] Dask: {e}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(
        f"{summary.points} points: {summary.skipped} already done, {summary.submitted} run "
        f"({summary.done} done, {summary.failed} failed); database {summary.db}",
        highlight=False,
    )
    current = {p.point_id for p in sweep.points}
    with SweepStore(db) as store:  # rows of points no longer in the sweep file stay in the DB only
        rows = [r for r in store.rows(sweep.name) if r["point_id"] in current]
    for row in rows:
        if row["status"] == "failed":
            err.print(f"[red]failed:[/red] {row['axes']}: {row['error']}", markup=True, highlight=False)
    report = write_report(sweep, rows, out)
    console.print(f"report: {report}", highlight=False)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(rows, indent=2) + "\n")
