"""``archsim rerun RESULT.json``: run a result again from the configuration it records, and say
whether its figures are the same.

A result records the fully resolved workload, chip and RPU configuration, the command's options
and seed (``archsim.results``), so the rerun needs neither the preset files nor the command line
that made it: an edited chip file that no longer exists reruns the same. The figures compared are
the headline ones of each command; a difference exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from archsim.cli import app
from archsim.cli import options as opt
from archsim.cli.errors import EXIT_FAILURE, InputError
from archsim.cli.outputs import check_file, check_folder
from archsim.paths import report_folder


def figures(result: Any) -> dict[str, Any]:
    """The headline figures of a result, by name: what a rerun must reproduce exactly."""
    from archsim.results import ChipResult, TrainResult

    def chip(c) -> dict[str, Any]:
        out = {
            "TeraOps/s": c.teraops_per_s,
            "peak fraction": c.peak_fraction,
            "ns per char": c.ns_per_char,
            "step latency (ns)": c.step_latency_ns,
            "epoch (s)": c.epoch_seconds,
            "energy per char (pJ)": c.energy_pj_per_char.get("total"),
            "operations simulated": c.simulated_operations,
        }
        if c.area_mm2:  # results written before the area model have none to compare
            out["area (mm^2)"] = c.area_mm2.get("total")
            out["static power (mW)"] = c.static_power_mw.get("total")
        return out

    if isinstance(result, ChipResult):
        return chip(result)
    if isinstance(result, TrainResult):
        return {
            "status": result.status,
            "chars trained": result.chars_trained,
            "test CE": result.test_ce,
            "train CE": result.train_ce,
            "test CE curve": [p.test_ce for p in result.curve],
        }
    out = {
        "status": result.status,
        "chars trained": result.train.chars_trained,
        "test CE": result.train.test_ce,
        "test CE curve": [p.test_ce for p in result.train.curve],
    }
    if result.chip is not None:
        out |= chip(result.chip)
    return out


def _fresh_folder(*parts: str) -> Path:
    """``reports/PARTS``, or ``PARTS-2``, ``PARTS-3`` ...: a folder no earlier run wrote."""
    n = 1
    while True:
        folder = report_folder(*parts) if n == 1 else report_folder(*parts, n)
        if not folder.exists():
            return folder
        n += 1


@app.command("rerun")
def rerun_command(
    result_file: Annotated[Path, typer.Argument(help="A result.json written by simulate, train or cosim.")],
    json_file: opt.JsonFile = None,
    csv_file: opt.CsvFile = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for the rerun's result and report (train and cosim default to "
            "reports/rerun-...; simulate writes one only when given).",
        ),
    ] = None,
    progress: opt.ShowProgress = True,
) -> None:
    """Run RESULT_FILE again from the configuration it records; exit 1 if a figure differs."""
    from archsim.config.design import Design
    from archsim.results import load_result

    console = Console(stderr=True)
    old = load_result(result_file)
    record = old.record
    if record is None:
        raise InputError(f"{result_file}: record: none (it does not say what produced it)")
    check_file(json_file, "--json")
    check_file(csv_file, "--csv")
    check_folder(out, "--out")
    if record.command == "simulate":
        from archsim.cli.simulate import execute
        from archsim.config import ConfigError

        design = Design(chip=record.chip, rpu=record.rpu)
        try:
            new = execute(
                record.workload, design, record.options, json_file, None, out, progress, csv_file,
                record.overrides,
            )  # fmt: skip
        except ConfigError as err:
            raise InputError(f"{result_file}: record: {err}") from None
    else:
        from archsim.train.data import load_workload_data

        wl = record.workload
        corpus = load_workload_data(wl, source=f"{result_file}: record.workload")
        if out is not None and out.exists():
            raise InputError(f"--out: {out} exists; a rerun writes only into a new folder")
        out_dir = out or _fresh_folder("rerun", record.command, wl.name, record.rpu.name or "rpu")
        check_folder(out_dir, "--out")
        if record.command == "train":
            from archsim.cli import train as train_cli

            new = train_cli.execute(
                console, wl, record.rpu, corpus, record.options, out_dir, False, old.rpu, json_file, progress,
                csv_file, record.overrides,
            )  # fmt: skip
        else:
            from archsim.cli import cosim as cosim_cli

            new = cosim_cli.execute(
                console, wl, record.chip, record.rpu, corpus, record.options, old.rpu, out_dir, json_file,
                None, progress, csv_file, record.overrides,
            )  # fmt: skip
    before, after = figures(old), figures(new)
    table = Table(title=f"rerun of {result_file}", show_header=True)
    for column in ("figure", "recorded", "rerun", ""):
        table.add_column(column)
    differ = []
    for name, value in before.items():
        same = after.get(name) == value
        if not same:
            differ.append(name)
        shown = [_short(value), _short(after.get(name))]
        table.add_row(name, *shown, "same" if same else "[red]differs[/red]")
    Console().print(table)
    if differ:
        console.print(f"[red]differs:[/red] {', '.join(differ)}", highlight=False)
        raise typer.Exit(EXIT_FAILURE)
    console.print("the rerun gives the same figures", highlight=False)


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} points" + (f", last {value[-1]:.6g}" if value and value[-1] is not None else "")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
