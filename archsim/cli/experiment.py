"""``archsim experiment``: the papers' figures (Figs. 3, 4, 5 of the LSTM paper; the CNN paper's
sequence) over learning rates and seeds: run (checkpointed, resumable), status, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from archsim.cli import app
from archsim.cli import options as opt
from archsim.cli.errors import EXIT_INTERRUPTED, InputError
from archsim.cli.outputs import check_folder

experiment_app = typer.Typer(
    help="The paper's figures over learning rates and seeds: run (resumable), status, report.",
    no_args_is_help=True,
)
app.add_typer(experiment_app, name="experiment")

Out = Annotated[
    Path, typer.Option("--out", help="Experiment folder: runs/WORKLOAD/RUN/, plan.json, report/.")
]
Figs = Annotated[
    str,
    typer.Option(
        "--figs",
        help="Comma-separated figures: fig3, fig4, fig5 (LSTM paper, on --workloads), cnn (the CNN "
        "paper's sequence on cnn2-fmnist).",
    ),
]
#: --eval-chars and --eval-every of a character LSTM when not given (an image network's defaults:
#: every test image, and about AUTO_EVAL_POINTS evaluations over the run).
LSTM_EVAL_CHARS, LSTM_EVAL_EVERY = 100_000, 250_000


def _parse(option: str, parse, text: str):
    try:
        return parse(text)
    except ValueError as err:
        raise InputError(f"{option}: {err}") from None


def _out_folder(out: Path, must_exist: bool, writes: bool = True) -> None:
    """Refuse an ``--out`` that is not a folder (or cannot be written, when the command ``writes``)."""
    if writes:
        check_folder(out, "--out")
    elif out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder; give a folder path")
    if must_exist and not out.is_dir():
        raise InputError(f"--out {out}: no such folder")


@experiment_app.command("run")
def run_command(
    out: Out,
    figs: Figs = "fig3,fig4,fig5",
    workloads: Annotated[
        str | None,
        typer.Option(
            "--workloads",
            help="Comma-separated workload presets (or paths) of fig3-fig5 (default lstm2-64-wp); "
            "the cnn figure has its own.",
        ),
    ] = None,
    lrs: Annotated[str, typer.Option("--lrs", help="Comma-separated learning rates.")] = "0.01,0.02",
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds.")] = "0,1,2",
    chars: Annotated[int | None, typer.Option("--chars", help="Training characters per run.")] = None,
    samples: Annotated[
        int | None,
        typer.Option("--samples", help="Training samples per run: images (image networks) or characters."),
    ] = None,
    epochs: Annotated[
        float | None, typer.Option("--epochs", help="Epochs per run (default 1 unless --chars).")
    ] = None,
    eval_chars: Annotated[
        int | None,
        typer.Option(
            "--eval-chars",
            help=f"Evaluate on this prefix of the test split (default: {LSTM_EVAL_CHARS:,} characters; "
            "all test images of an image network).",
            show_default=False,
        ),
    ] = None,
    eval_samples: Annotated[
        int | None,
        typer.Option("--eval-samples", help="--eval-chars by another name: samples (images or characters)."),
    ] = None,
    eval_every: Annotated[
        int | None,
        typer.Option(
            "--eval-every",
            help=f"Training samples between evaluations (default: {LSTM_EVAL_EVERY:,} characters; about "
            "10 evaluations over an image network's run).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", help="Runs at a time (more than 1: archsim train subprocesses).")
    ] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the planned runs only.")] = False,
    progress: opt.ShowProgress = True,
) -> None:
    """Train every run of FIGS x WORKLOADS x LRS x SEEDS not finished yet (resuming interrupted ones).

    A sample is a character of an LSTM and an image of an image network: --samples is --chars and
    --eval-samples is --eval-chars under another name."""
    from archsim import atomic
    from archsim.config import load_rpu
    from archsim.config.options import TrainOptions
    from archsim.experiment import plan as P
    from archsim.experiment import runner as R
    from archsim.experiment import runs as S
    from archsim.train.data import load_workload_corpus
    from archsim.train.session import run_target

    console = Console(stderr=True)
    fig_list = _parse("--figs", P.parse_figs, figs)
    free = [fig for fig in fig_list if P.FIGURES[fig].workload is None]  # drawn for --workloads
    if workloads is not None and not free:
        raise InputError(
            f"--workloads: the figures {', '.join(fig_list)} have their own workloads; --workloads "
            "applies to fig3, fig4 and fig5"
        )
    wl_args = _parse("--workloads", lambda t: P.parse_names(t, "workloads"), workloads or "lstm2-64-wp")
    wl_args = wl_args if free else []
    lr_list = _parse("--lrs", P.parse_lrs, lrs)
    seed_list = _parse("--seeds", P.parse_seeds, seeds)
    if jobs < 1:
        raise InputError(f"--jobs: expected >= 1, got {jobs}")
    for given, other in ((samples, chars), (eval_samples, eval_chars)):
        if given is not None and other is not None:
            raise InputError(
                "--samples/--chars, --eval-samples/--eval-chars: give one of each pair, not both"
            )
    chars = samples if samples is not None else chars
    eval_chars = eval_samples if eval_samples is not None else eval_chars
    _out_folder(out, must_exist=False)
    loaded = {}
    for where, arg in [("--workloads", a) for a in wl_args] + [
        ("--figs", w) for fig in fig_list for w in P.FIGURES[fig].workloads
    ]:
        wl, corpus = opt.load(where, load_workload_corpus, arg)
        if where == "--figs" and wl.name != arg:
            raise InputError(f"--figs: workload preset {arg} is named {wl.name!r}; its name must be {arg!r}")
        loaded.setdefault(wl.name, (arg, wl, corpus))
    options: dict[tuple[str, float, int], TrainOptions] = {}
    for name, (_, wl, _) in loaded.items():
        for lr in lr_list:
            for seed in seed_list:
                lstm = not wl.is_image
                options[name, lr, seed] = opt.build_options(
                    TrainOptions,
                    chars=chars,
                    epochs=epochs,
                    eval_chars=LSTM_EVAL_CHARS if eval_chars is None and lstm else eval_chars,
                    eval_every=LSTM_EVAL_EVERY if eval_every is None and lstm else eval_every,
                    seed=seed,
                    learning_rate=lr,
                )
    rpus = {c.rpu: opt.load("--figs", load_rpu, c.rpu) for fig in fig_list for c in P.FIGURES[fig].curves}
    keys = P.plan(fig_list, [wl.name for a, wl, _ in loaded.values() if a in wl_args], lr_list, seed_list)

    jobs_todo: list[tuple[R.Job, bool]] = []
    entries = []
    for key in keys:
        arg, wl, corpus = loaded[key.workload]
        o = options[key.workload, key.lr, key.seed].model_copy(update={"dropout": key.dropout})
        target = run_target(corpus, o.chars, o.epochs, wl.training.bptt_steps)
        entries.append(S.plan_entry(key, target, o.model_dump(mode="json", include=set(R.RUN_OPTIONS))))
        state = S.inspect(out, key)
        if state.problem:
            raise InputError(f"--out: {state.problem}")
        problem = R.mismatch(state, o)
        if problem:
            raise InputError(problem)
        action = R.decide(state, target)
        console.print(f"{key.folder}: {action}", highlight=False, soft_wrap=True)
        if not action.startswith("skip"):
            jobs_todo.append((R.Job(key, arg, o, target), action == "resume"))
    console.print(
        f"{len(keys)} runs planned, {len(keys) - len(jobs_todo)} skipped, {len(jobs_todo)} to train",
        highlight=False,
    )
    jobs_todo.sort(key=lambda job: not job[1])  # runs begun first (the sort keeps the plan's order)
    if dry_run:
        return
    _write_plan(out, entries, atomic)

    statuses: dict[str, int] = {}
    stopped = False
    if jobs == 1:
        from archsim.cli.train import execute

        for job, resume in jobs_todo:
            _, wl, corpus = loaded[job.key.workload]
            folder = S.run_folder(out, job.key)
            console.print(
                f"[bold]training {job.key.folder}[/bold]{' (resuming)' if resume else ''}", highlight=False
            )
            result = execute(
                console,
                wl,
                rpus[job.key.rpu],
                corpus,
                job.options,
                folder,
                resume,
                job.key.rpu,
                None,
                progress,
            )
            statuses[result.status] = statuses.get(result.status, 0) + 1
            if result.status == "interrupted":
                stopped = True
                break
    else:

        def report(job, status: str) -> None:
            if status != "started":
                statuses[status] = statuses.get(status, 0) + 1
            console.print(f"{job.key.folder}: {status}", highlight=False, soft_wrap=True)

        stopped = not R.run_subprocesses(jobs_todo, out, jobs, report)
    done = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "nothing trained"
    console.print(f"{done}; status: archsim experiment status --out {out}", highlight=False)
    if stopped:
        console.print("interrupted; the same command continues the runs")
        raise typer.Exit(EXIT_INTERRUPTED)


def _write_plan(out: Path, entries: list[dict], atomic) -> None:
    """Add ``entries`` to ``out/plan.json`` (an entry replaces the one of the same run)."""
    import json

    from archsim.experiment import runs as S

    old = S.read_plan(out)["runs"]
    ids = {(e["workload"], e["rpu"], e["lr"], e["dropout"], e["seed"]) for e in entries}
    kept = [
        e
        for e in old
        if (e.get("workload"), e.get("rpu"), e.get("lr"), e.get("dropout"), e.get("seed")) not in ids
    ]
    atomic.write_text(out / S.PLAN_NAME, json.dumps({"runs": kept + entries}, indent=1) + "\n")


@experiment_app.command("status")
def status_command(out: Out) -> None:
    """A table of the planned and found runs: state, characters trained, last test CE."""
    from archsim.experiment.report import status_table

    _out_folder(out, must_exist=True, writes=False)  # reads only
    typer.echo(status_table(out))


@experiment_app.command("report")
def report_command(out: Out, figs: Figs = "fig3,fig4,fig5,cnn") -> None:
    """Write OUT/report/ (index.html, summary.md, summary.json): curves and final test CE over seeds.

    Per figure, workload and learning rate: the mean over the finished seeds with a +- sd band,
    and a table of the final test CE (mean +- sd, n), and the test error rate of an image network;
    unfinished runs are shown apart."""
    from archsim.experiment import plan as P
    from archsim.experiment.report import write_report

    fig_list = _parse("--figs", P.parse_figs, figs)
    _out_folder(out, must_exist=True)
    path = write_report(out, fig_list)
    typer.echo(f"report: {path}")
