"""Options, checks and the progress bar that several commands share (``train``, ``cosim``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

Workload = Annotated[str, typer.Argument(help="Workload preset name (workloads/NAME.yaml) or path.")]
Rpu = Annotated[str, typer.Option("--rpu", help="RPU preset name (models/rpu/NAME.yaml, e.g. fp) or path.")]
EvalChars = Annotated[
    int | None, typer.Option("--eval-chars", help="Evaluate on this prefix of the test split (default: all).")
]
EvalEvery = Annotated[int, typer.Option("--eval-every", help="Training characters between evaluations.")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of weight init, dropout masks and tiles.")]
LearningRate = Annotated[
    float | None, typer.Option("--lr", help="Override training.learning_rate of the workload.")
]
Dropout = Annotated[
    float | None, typer.Option("--dropout", help="Override training.dropout of the workload.")
]
JsonFile = Annotated[Path | None, typer.Option("--json", help="Write the result as JSON to this file.")]
ShowProgress = Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")]


def fail(console: Console, message: str) -> NoReturn:
    """Print ``error: message`` (not wrapped) and exit with status 1."""
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def check_training_options(
    console: Console,
    chars: int | None,
    eval_chars: int | None,
    eval_every: int,
    lr: float | None,
    dropout: float | None,
) -> None:
    """Fail, naming the option, on a value no training run accepts."""
    if chars is not None and chars < 1:
        fail(console, f"--chars: expected a positive number of characters, got {chars}")
    if eval_chars is not None and eval_chars < 2:
        fail(console, f"--eval-chars: expected at least 2 characters, got {eval_chars}")
    if eval_every < 1:
        fail(console, f"--eval-every: expected a positive number of characters, got {eval_every}")
    if lr is not None and not lr > 0:
        fail(console, f"--lr: expected a learning rate > 0, got {lr}")
    if dropout is not None and not 0 <= dropout < 1:
        fail(console, f"--dropout: expected 0 <= p < 1, got {dropout}")


class CharsProgress:
    """A progress bar over training characters, redrawn at most five times a second.

    ``fields`` is the text after the bar, with ``{task.fields[NAME]}`` for the values
    :meth:`update` passes; ``initial`` gives their values before the first update.
    """

    def __init__(self, console: Console, description: str, fields: str, enabled: bool, **initial: float):
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(fields),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
        )
        self.task = self.bar.add_task(description, total=None, **initial)
        self._last = 0.0

    def update(self, completed: int, total: int, **fields: float) -> None:
        now = time.perf_counter()
        if now - self._last > 0.2 or completed >= total:
            self._last = now
            self.bar.update(self.task, completed=completed, total=total, **fields)

    def __enter__(self) -> CharsProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)
