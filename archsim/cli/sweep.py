"""``archsim sweep``: run a design-space sweep on Dask, record it in SQLite, write its report."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archsim import atomic
from archsim.cli import app
from archsim.cli.errors import InputError, RunFailure
from archsim.cli.outputs import check_file, check_folder
from archsim.cli.progress import Phases
from archsim.paths import REPORTS_DIR, safe_name

CSV_HELP = "Write the sweep's points as CSV: one line per point, its axes and its headline figures."


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
    csv_file: Annotated[Path | None, typer.Option("--csv", help=CSV_HELP)] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the sweep file and list its points only.")
    ] = False,
) -> None:
    """Run every point of SWEEP_FILE not yet done (simulate or cosim), then write the report."""
    from archsim.sweep import dask_client, load_sweep, run_sweep
    from archsim.sweep.report import write_report
    from archsim.sweep.store import StoreError, SweepStore, rows_csv

    console = Console()
    err = Console(stderr=True)
    if workers < 1:
        raise InputError(f"--workers: expected >= 1, got {workers}")
    if scheduler is not None:
        check_scheduler(scheduler)
    sweep = load_sweep(sweep_file)
    db = db or REPORTS_DIR / "sweeps" / f"{safe_name(sweep.name)}.sqlite"
    out = out or REPORTS_DIR / "sweeps" / safe_name(sweep.name)
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

    check_file(db, "--db")
    check_folder(out, "--out")
    check_file(json_file, "--json")
    check_file(csv_file, "--csv")
    try:  # a file that is not a sweep database is refused before the cluster starts
        SweepStore(db).close()
    except StoreError as e:
        raise InputError(f"--db: {e}") from None

    with Phases(console) as phases:
        points = phases.start("points", None, "points", "starting the cluster")
        tally = {"done": 0, "failed": 0}

        def on_start(to_run: int, skipped: int) -> None:
            points.update(0, to_run, f"{skipped} already done")

        def on_point(outcome: dict) -> None:
            tally[outcome["status"]] += 1
            points.update(sum(tally.values()), None, f"done {tally['done']}, failed {tally['failed']}")

        where = scheduler or f"a local cluster of {workers} worker(s)"
        console.print(f"running on {where}; results in {db}", highlight=False)
        with ExitStack() as stack:
            try:
                client = stack.enter_context(dask_client(scheduler, workers))
            except OSError as e:  # no scheduler at that address (TimeoutError), or no local cluster
                where = f"--scheduler {scheduler}: cannot connect" if scheduler else "a local Dask cluster"
                raise RunFailure(f"{where}: {e}") from None
            summary = run_sweep(sweep, db, client, on_start=on_start, on_point=on_point)
        points.finish()
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
        atomic.write_text(json_file, json.dumps(rows, indent=2) + "\n")
    if csv_file is not None:
        atomic.write_text(csv_file, rows_csv(rows))
    failed = sum(row["status"] == "failed" for row in rows)
    if failed:
        raise RunFailure(f"{failed} of {len(rows)} points failed (listed above and in {report})")


@app.command("sweep-export")
def sweep_export_command(
    db: Annotated[Path, typer.Argument(help="A sweep database (SQLite) written by `archsim sweep`.")],
    csv_file: Annotated[Path, typer.Option("--csv", help=CSV_HELP)],
    name: Annotated[
        str | None, typer.Option("--sweep", help="The sweep to export (default: the database's only one).")
    ] = None,
) -> None:
    """Export the points of a sweep database as CSV, without running anything."""
    from archsim.sweep.store import StoreError, SweepStore, rows_csv

    if not db.is_file():
        raise InputError(f"DB {db}: " + ("is a folder" if db.is_dir() else "no such file"))
    if db.stat().st_size == 0:
        raise InputError(f"DB {db}: an empty file, not a sweep database")
    check_file(csv_file, "--csv")
    try:
        store = SweepStore(db)
    except StoreError as e:
        raise InputError(f"DB: {e}") from None
    with store:
        names = store.sweeps()
        if name is None and len(names) != 1:
            held = ", ".join(names) or "none"
            raise InputError(f"--sweep: {db} holds {len(names)} sweeps ({held}); name one")
        if name is not None and name not in names:
            raise InputError(f"--sweep {name}: not in {db}; it holds: {', '.join(names) or 'none'}")
        rows = store.rows(name or names[0])
    atomic.write_text(csv_file, rows_csv(rows))
    Console(stderr=True).print(f"{len(rows)} points: {csv_file}", highlight=False, soft_wrap=True)


def check_scheduler(address: str) -> None:
    """Refuse a Dask scheduler address of an unknown scheme (before anything starts)."""
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import backends

    scheme, location = parse_address(address, strict=False)
    if scheme not in backends or not location:
        raise InputError(
            f"--scheduler {address}: not a Dask scheduler address; expected SCHEME://HOST:PORT "
            f"with SCHEME one of {', '.join(sorted(backends))} (e.g. tcp://host:8786)"
        )
