"""``archsim train``: train a workload on analog (or FP) tiles and report the test cross-entropy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archsim.cli import app
from archsim.cli import options as opt
from archsim.cli.errors import EXIT_DIVERGED, EXIT_INTERRUPTED
from archsim.cli.outputs import check_file, check_folder
from archsim.config import load_rpu
from archsim.paths import report_folder


@app.command("train")
def train_command(
    workload: opt.Workload,
    rpu: opt.Rpu,
    chars: Annotated[
        int | None, typer.Option("--chars", help="Training characters in total (whole windows).")
    ] = None,
    samples: opt.Samples = None,
    eval_samples: opt.EvalSamples = None,
    epochs: Annotated[
        float | None, typer.Option("--epochs", help="Epochs over the train split (default 1).")
    ] = None,
    eval_chars: opt.EvalChars = None,
    eval_every: opt.EvalEvery = None,
    seed: opt.Seed = 0,
    lr: opt.LearningRate = None,
    dropout: opt.Dropout = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue bit for bit from the checkpoint in --out.")
    ] = False,
    json_file: opt.JsonFile = None,
    csv_file: opt.CsvFile = None,
    sets: opt.Overrides = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Run directory: checkpoint and result.json (default reports/train-WORKLOAD-RPU-sSEED).",
        ),
    ] = None,
    progress: opt.ShowProgress = True,
) -> None:
    """Train WORKLOAD with every weight on tiles of RPU: test cross-entropy (and error, for images)."""
    from archsim.config.options import TrainOptions
    from archsim.train.data import load_workload_corpus

    console = Console(stderr=True)
    chars, eval_chars = opt.samples_as_chars(samples, chars, eval_samples, eval_chars)
    options = opt.build_options(
        TrainOptions,
        chars=chars,
        epochs=epochs,
        eval_chars=eval_chars,
        eval_every=eval_every,
        seed=seed,
        learning_rate=lr,
        dropout=dropout,
    )
    rpu_cfg = opt.load("--rpu", load_rpu, rpu)
    loaded_wl, corpus = opt.load("WORKLOAD", load_workload_corpus, workload)
    (wl, rpu_cfg), overrides = opt.override(sets, workload=loaded_wl, rpu=rpu_cfg)
    corpus = opt.corpus_of(wl, corpus, loaded_wl)
    rpu_name = Path(rpu).stem
    out_dir = out if out is not None else report_folder("train", wl.name, rpu_name, f"s{seed}")
    check_file(json_file, "--json")
    check_file(csv_file, "--csv")
    check_folder(out_dir, "--out")
    result = execute(
        console, wl, rpu_cfg, corpus, options, out_dir, resume, rpu_name, json_file, progress,
        csv_file, overrides,
    )  # fmt: skip
    exit_for(console, result, out_dir)


def execute(
    console, wl, rpu_cfg, corpus, options, out_dir: Path, resume: bool, rpu_name: str, json_file, progress,
    csv_file=None, overrides=None,
):  # fmt: skip
    """Train with a progress display, write ``out_dir/result.json`` (and ``json_file``, ``csv_file``;
    the ``--set`` overrides in the record) and the report, print the outcome; returns the result.
    ``archsim rerun`` uses it too."""
    from archsim.cli.progress import Phases, count
    from archsim.train.trainer import train

    unit = "image" if wl.is_image else "char"
    with Phases(console, progress) as phases:
        phases.say(f"train {wl.name} on {rpu_name}; results in {out_dir}")
        training = None

        def on_window(p) -> None:
            nonlocal training
            if training is None:
                training = phases.start("train", p.target_chars, unit + "s")
            note = f"loss {p.loss:.3f}, {count(p.chars_per_s)}/s"
            training.update(p.chars_trained, p.target_chars, note)

        evaluation = phases.evaluation(trained=unit + "s")
        result = train(wl, rpu_cfg, corpus, options, out_dir, resume, rpu_name, on_window, evaluation)
        result = opt.recorded(result, overrides)
        out_dir.mkdir(parents=True, exist_ok=True)
        with phases.phase("write report"):
            result.write_json(out_dir / "result.json")
            if json_file is not None:
                result.write_json(json_file)
            if csv_file is not None:
                result.write_csv(csv_file)
            from archsim.report import render

            index = render(out_dir)
    ms = f"{result.ms_per_char:.3f} ms/{unit}" if result.ms_per_char is not None else "n/a"
    error = f"test error {result.test_error:.2%}, " if result.test_error is not None else ""
    console.print(
        f"{result.status}: {result.message}\n"
        f"{error}test CE {result.test_ce:.4f} nats/{unit}, train CE {result.train_ce or float('nan'):.4f}, "
        f"{result.chars_trained} {unit}s ({result.epochs:.3f} epochs), {ms}; results in {out_dir}",
        highlight=False,
    )
    console.print(f"report: {index}", highlight=False, soft_wrap=True)
    return result


def exit_for(console, result, out_dir: Path) -> None:
    """Exit with the status of a training run that did not complete (3 diverged, 130 interrupted)."""
    if result.status == "diverged":
        console.print(f"[red]diverged:[/red] {result.message}", highlight=False)
        raise typer.Exit(EXIT_DIVERGED)
    if result.status == "interrupted":
        console.print(f"interrupted; continue with the same command and --resume (--out {out_dir})")
        raise typer.Exit(EXIT_INTERRUPTED)
