"""``archsim cosim``: train on the chip model, accuracy and timing from the same events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from archsim import atomic
from archsim.cli import app
from archsim.cli import options as opt
from archsim.cli.errors import EXIT_DIVERGED
from archsim.cli.outputs import check_file, check_folder
from archsim.cli.simulate import area_rows
from archsim.config import load_chip, load_rpu
from archsim.paths import report_folder


@app.command("cosim")
def cosim_command(
    workload: opt.Workload,
    chip: Annotated[str, typer.Option("--chip", help="Chip preset name or YAML path.")],
    rpu: opt.Rpu,
    chars: Annotated[
        int | None,
        typer.Option("--chars", help="Training characters over all streams (whole windows; default 10,000)."),
    ] = None,
    samples: opt.Samples = None,
    eval_samples: opt.EvalSamples = None,
    streams: Annotated[int, typer.Option("--streams", help="Independent sequences in flight.")] = 1,
    schedule: Annotated[str, typer.Option("--schedule", help="sequential or dataflow.")] = "dataflow",
    seed: opt.Seed = 0,
    eval_chars: opt.EvalChars = None,
    eval_every: opt.EvalEvery = None,
    lr: opt.LearningRate = None,
    dropout: opt.Dropout = None,
    init: Annotated[
        Path | None,
        typer.Option(
            "--init", help="Start from the weights of this `archsim train` checkpoint (and its seed)."
        ),
    ] = None,
    json_file: opt.JsonFile = None,
    csv_file: opt.CsvFile = None,
    sets: opt.Overrides = None,
    trace_file: Annotated[
        Path | None, typer.Option("--trace", help="Write a Chrome trace-event JSON (Perfetto).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write result.json and trace.json here (default reports/cosim-...)."),
    ] = None,
    exact_timing: Annotated[
        bool,
        typer.Option(
            "--exact-timing",
            help="Simulate every window event by event (the same figures as the default fast path, slower).",
        ),
    ] = False,
    engine: opt.EngineOption = "lean",
    progress: opt.ShowProgress = True,
) -> None:
    """Train WORKLOAD on RPU tiles while the CHIP model runs it: test cross-entropy and throughput."""
    from archsim.config.options import CosimOptions
    from archsim.train.data import load_workload_corpus

    console = Console(stderr=True)
    chars, eval_chars = opt.samples_as_chars(samples, chars, eval_samples, eval_chars)
    options = opt.build_options(
        CosimOptions,
        chars=10_000 if chars is None else chars,
        seed=seed,
        streams=streams,
        schedule=schedule,
        eval_chars=eval_chars,
        eval_every=eval_every,
        learning_rate=lr,
        dropout=dropout,
        init=init,
        exact_timing=exact_timing,
        engine=engine,
    )
    rpu_cfg = opt.load("--rpu", load_rpu, rpu)
    chip_cfg = opt.load("--chip", load_chip, chip)
    loaded_wl, corpus = opt.load("WORKLOAD", load_workload_corpus, workload)
    (wl, chip_cfg, rpu_cfg), overrides = opt.override(sets, workload=loaded_wl, chip=chip_cfg, rpu=rpu_cfg)
    corpus = opt.corpus_of(wl, corpus, loaded_wl)
    rpu_name = Path(rpu).stem
    out_dir = out if out is not None else report_folder("cosim", wl.name, chip_cfg.name, rpu_name, f"s{seed}")
    check_file(json_file, "--json")
    check_file(trace_file, "--trace")
    check_file(csv_file, "--csv")
    check_folder(out_dir, "--out")
    result = execute(
        console, wl, chip_cfg, rpu_cfg, corpus, options, rpu_name, out_dir, json_file, trace_file, progress,
        csv_file, overrides,
    )  # fmt: skip
    exit_for(console, result)


def execute(
    console, wl, chip_cfg, rpu_cfg, corpus, options, rpu_name, out_dir: Path, json_file, trace_file, progress,
    csv_file=None, overrides=None,
):  # fmt: skip
    """Co-simulate with a progress display, write ``out_dir`` (result, trace, report) and the files
    asked for (the ``--set`` overrides in the record), print the figures; returns the result.
    ``archsim rerun`` uses it too."""
    from archsim.cli.progress import Phases
    from archsim.cosim import Cosimulation
    from archsim.report import render

    with Phases(console, progress) as phases:
        phases.say(f"cosim {wl.name} on {chip_cfg.name} / {rpu_name}; results in {out_dir}")
        training = None

        def on_window(p) -> None:
            nonlocal training
            if training is None:
                training = phases.start("co-simulate", p.target_chars, "chars")
            note = f"loss {p.loss:.3f}, chip {p.chip_seconds * 1e3:.3g} ms"
            training.update(p.chars_trained, p.target_chars, note)
            if p.chars_trained >= p.target_chars:  # the final evaluation, the figures, the timing-only run
                phases.start("chip figures")

        sim = Cosimulation(wl, chip_cfg, rpu_cfg, corpus, options, rpu_name=rpu_name, progress=on_window)
        sim.session.on_evaluation = phases.evaluation()
        result, trace = sim.run()
        phases.start("chip figures").finish()
        result = opt.recorded(result, overrides)
        with phases.phase("write results"):
            result.write_json(out_dir / "result.json")
            trace_text = json.dumps(trace)
            atomic.write_text(out_dir / "trace.json", trace_text)
            if json_file is not None:
                result.write_json(json_file)
            if csv_file is not None:
                result.write_csv(csv_file)
            if trace_file is not None:
                atomic.write_text(trace_file, trace_text)
        with phases.phase("write report"):
            index = render(out_dir)
    Console().print(_table(result))
    console.print(f"report: {index}", highlight=False, soft_wrap=True)
    return result


def exit_for(console, result) -> None:
    """Exit 3 when the co-simulation did not complete (training diverged)."""
    if result.status != "completed":
        console.print(f"[red]{result.status}:[/red] {result.message}", highlight=False)
        raise typer.Exit(EXIT_DIVERGED)


def _table(result) -> Table:
    table = Table(
        title=f"{result.workload} on {result.chip_name} with {result.rpu}: {result.schedule}, "
        f"{result.streams} stream(s)",
        show_header=False,
    )
    table.add_column("figure", style="bold")
    table.add_column("value")
    tr = result.train
    first = tr.curve[0].test_ce
    # An image network's samples are images, its curve points carry the test error rate.
    error = tr.curve[-1].test_error
    one, many = ("image", "images") if error is not None else ("char", "chars")
    table.add_row("test CE", f"{tr.test_ce:.4f} nats/{one} (from {first:.4f} at 0 {many})")
    if error is not None:
        table.add_row("test error", f"{100 * error:.1f} % (from {100 * tr.curve[0].test_error:.1f} %)")
    table.add_row("train CE", f"{tr.train_ce:.4f} nats/{one}" if tr.train_ce is not None else "-")
    table.add_row("trained", f"{tr.chars_trained} {many}, lr {tr.learning_rate:g}, dropout {tr.dropout:g}")
    chip = result.chip
    if chip is not None:
        chip_s = tr.curve[-1].chip_seconds
        table.add_row("chip time", f"{chip_s * 1e3:.4f} ms ({chip.ns_per_char:.1f} ns/{one})")
        table.add_row(
            "TeraOps/s",
            f"{chip.teraops_per_s:.2f} ({100 * chip.peak_fraction:.1f} % of "
            f"{chip.ideal_peak_teraops_per_s:.2f})",
        )
        if chip.teraops_per_w is not None:
            table.add_row("TeraOps/W", f"{chip.teraops_per_w:.2f}")
        for label, value in area_rows(chip):
            table.add_row(label, value)
        if chip.run_energy is not None:
            e = chip.run_energy
            table.add_row(
                "chip energy", f"{e.total_j:.3g} J: dynamic {e.dynamic_j:.3g}, static {e.static_j:.3g}"
            )
        if result.timing_only:
            t = result.timing_only
            table.add_row(
                "vs timing only",
                f"{t['ns_per_char']:.1f} ns/{one} without numerics: x{t['slowdown_from_numerics']:.4f}",
            )
    extra = [p for p in result.passes if p.extra_passes]
    table.add_row(
        "extra passes",
        ", ".join(f"{p.array} {p.verb} {p.extra_passes} (mean {p.mean_passes:.3f})" for p in extra) or "none",
    )
    managed = [s for s in result.update_bl if s.mean_bl != s.max_bl]
    if managed:
        table.add_row(
            "update BL",
            ", ".join(f"{s.array} mean {s.mean_bl:.2f} (max {s.max_bl})" for s in managed),
        )
    if result.trace_windows:
        table.add_row(
            "trace",
            f"the first {result.trace_windows} of {result.windows} windows per stream (trace.json)",
        )
    table.add_row("wall", f"{result.wall_seconds:.1f} s")
    return table
