"""``archsim run``: the showcase. The paper's chip question and a co-simulated accuracy run, in one
report: LSTM2-512-WP on the paper-ideal and the baseline chip, and a small LSTM trained on War and
Peace while the baseline chip runs it, floating point against the paper's analog baseline."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from archsim import atomic
from archsim.cli import app
from archsim.cli import options as opt
from archsim.cli.errors import EXIT_DIVERGED, CommandError, InputError, RunFailure, one_line
from archsim.cli.outputs import check_file, check_folder
from archsim.cli.progress import Phases
from archsim.config import ConfigError
from archsim.paths import REPORTS_DIR

#: The chip question: the paper's network on the paper's ideal chip and on a realistic one, both
#: with the paper's RPU baseline (its DAC/ADC resolutions and BL).
CHIP_WORKLOAD = "lstm2-512-wp"
CHIPS = ("paper-ideal", "baseline")
CHIP_RPU = "rpu-baseline"
#: The accuracy question, co-simulated: a small LSTM, floating point against the analog baseline.
COSIM_WORKLOAD = "lstm2-64-wp"
COSIM_CHIP = "baseline"
COSIM_RPUS = ("fp", "rpu-baseline")
#: The file that marks a report folder as written by ``archsim run`` (which may then replace it).
MARKER = ".archsim-run"
KEPT = "the earlier report is kept"
#: Training characters of each co-simulated run: by default, and with --quick.
CHARS = 20_000
QUICK_CHARS = 1_000


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that is not new, empty or a report folder of an earlier ``archsim run``:
    the run replaces the folder, and nothing the user made is ever replaced."""
    if not os.path.lexists(out):
        check_folder(out, "--out")
        return
    if out.is_symlink() or not out.is_dir():
        raise InputError(
            f"--out {out}: exists and is not a folder; `archsim run` replaces only a report folder it "
            "wrote: give a new path"
        )
    check_folder(out, "--out")
    if (out / MARKER).is_file() or _legacy_report(out) or not any(out.iterdir()):
        return
    raise InputError(
        f"--out {out}: a folder `archsim run` did not write (it has no {MARKER}); the run replaces "
        "its --out folder, so give a new path, an empty folder or an earlier run's report"
    )


def _legacy_report(folder: Path) -> bool:
    """A report folder written by an archsim run from before the marker file (its overview.json)."""
    try:
        overview = json.loads((folder / "overview.json").read_text())
    except (OSError, ValueError):
        return False
    named = isinstance(overview, dict) and {"title", "runs"} <= overview.keys()
    return named and (folder / "index.html").is_file()


@app.command("run")
def run_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Report folder: a new one, or one an earlier `archsim run` wrote (replaced when the run "
            "succeeds); any other existing path is refused.",
        ),
    ] = REPORTS_DIR / "latest",
    chars: Annotated[
        int | None,
        typer.Option(
            "--chars",
            help=f"Training characters of each co-simulated run (default {CHARS}; "
            f"{QUICK_CHARS} with --quick).",
            show_default=False,
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help=f"A smoke run (about a minute): every step of the showcase, but {QUICK_CHARS} co-simulated "
            "characters per run unless --chars says otherwise.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the co-simulated runs.")] = 0,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write every run's figures as CSV to this file: name (the run's folder, then the "
            "figure), value, unit, description.",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
) -> None:
    """The showcase: LSTM2-512-WP on the paper-ideal and baseline chips, and a small LSTM co-simulated
    on the baseline chip with floating-point and rpu-baseline weights; one report of it all."""
    from archsim.chip import simulate
    from archsim.config import load_chip, load_rpu, load_workload
    from archsim.config.design import Design
    from archsim.config.options import CosimOptions
    from archsim.cosim import Cosimulation
    from archsim.report import render
    from archsim.report.overview import Entry, render_overview
    from archsim.results import csv_text, figure_rows
    from archsim.train.data import load_workload_corpus

    console = Console()
    if chars is None:
        chars = QUICK_CHARS if quick else CHARS
    # Every co-simulated run trains the same way; a bad --chars or --seed fails before anything runs.
    options = opt.build_options(
        CosimOptions,
        chars=chars,
        seed=seed,
        eval_chars=min(20_000, max(chars, 2_000)),
        eval_every=max(chars // 5, 100),
        timing_only=False,
    )
    t0 = time.perf_counter()
    check_out(out)
    check_file(csv_file, "--csv")
    try:  # every preset first, so that bad input fails before anything runs
        workload = load_workload(CHIP_WORKLOAD)
        chips = {name: load_chip(name) for name in (*CHIPS, COSIM_CHIP)}
        rpus = {name: load_rpu(name) for name in {*COSIM_RPUS, CHIP_RPU}}
        cosim_workload, corpus = load_workload_corpus(COSIM_WORKLOAD)
    except ConfigError as err:
        raise InputError(f"{one_line(str(err))}; {KEPT}") from None
    partial = atomic.temp_folder(out)
    entries: list[Entry] = []
    rows: list[tuple[str, ...]] = []
    headline: list[tuple[str, str, str]] = []
    try:
        with Phases(console, progress) as phases:
            phases.say(
                f"simulate {CHIP_WORKLOAD} on {' and '.join(CHIPS)}, then co-simulate {COSIM_WORKLOAD}"
            )
            for name in CHIPS:
                phase = phases.start(f"chip {name}", None, "windows", "simulate")
                chip_run = simulate(
                    workload,
                    Design(chip=chips[name], rpu=rpus[CHIP_RPU]),
                    progress=lambda done, rounds, phase=phase: phase.update(done, rounds),
                )
                phase.update(len(chip_run.scheduler.round_end), None, "figures and report")
                result = chip_run.result()
                folder = partial / f"{CHIP_WORKLOAD}-{name}"
                folder.mkdir()
                result.write_json(folder / "result.json")
                rows += figure_rows(result, folder.name + ".")
                atomic.write_text(folder / "trace.json", json.dumps(chip_run.trace()))
                render(folder)
                label = f"{CHIP_WORKLOAD} on {name} with {CHIP_RPU}"
                entries.append(Entry(label, folder.name))
                headline.append(
                    (
                        label,
                        "TeraOps/s",
                        f"{result.teraops_per_s:.2f} ({100 * result.peak_fraction:.1f} % of peak)",
                    )
                )
                phase.finish(f"{result.teraops_per_s:.2f} TeraOps/s")
            for rpu_name in COSIM_RPUS:
                phase = phases.start(f"cosim {rpu_name}", chars, "chars", "co-simulate")

                def on_window(p, phase=phase) -> None:
                    note = "figures and report" if p.chars_trained >= p.target_chars else f"loss {p.loss:.3f}"
                    phase.update(min(p.chars_trained, p.target_chars - 1), p.target_chars, note)

                sim = Cosimulation(
                    cosim_workload,
                    chips[COSIM_CHIP],
                    rpus[rpu_name],
                    corpus,
                    options,
                    rpu_name,
                    on_window,
                )
                sim.session.on_evaluation = phases.evaluation()
                result, trace = sim.run()
                folder = partial / f"cosim-{COSIM_WORKLOAD}-{rpu_name}"
                folder.mkdir()
                result.write_json(folder / "result.json")
                rows += figure_rows(result, folder.name + ".")
                atomic.write_text(folder / "trace.json", json.dumps(trace))
                render(folder)
                label = f"{COSIM_WORKLOAD} co-simulated, {rpu_name}"
                entries.append(Entry(label, folder.name))
                if result.status != "completed":
                    raise CommandError(f"{label} {result.status}: {result.message}; {KEPT}", EXIT_DIVERGED)
                headline.append(
                    (label, "test CE", f"{result.train.test_ce:.3f} nats/char after {chars} chars")
                )
                phase.finish(f"test CE {result.train.test_ce:.3f}")
            index = render_overview(
                partial,
                "archsim: LSTM2-512-WP on two chips, and a co-simulated training run",
                entries,
                featured=f"{CHIP_WORKLOAD} on baseline with {CHIP_RPU}",
            )
        atomic.write_text(partial / MARKER, json.dumps({"written_by": "archsim run"}) + "\n")
    except BaseException as err:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(err, ValueError) and not isinstance(err, CommandError):
            raise RunFailure(f"{one_line(str(err))}; {KEPT}") from None
        raise
    atomic.replace_folder(partial, out)
    if csv_file is not None:
        atomic.write_text(csv_file, csv_text(rows))
    table = Table(title="archsim run", show_header=False)
    for run, figure, value in headline:
        table.add_row(run, figure, value)
    console.print(table)
    console.print(f"report: {out / index.name}  ({time.perf_counter() - t0:.0f} s)", highlight=False)
