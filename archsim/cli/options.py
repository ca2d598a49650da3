"""Options, their checks and the progress bar that several commands share."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from archsim.config.options import OptionsError

M = TypeVar("M")

#: The command-line option of a run option's field, where it is not ``--field-name``.
FLAGS = {"learning_rate": "--lr"}

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


def fail(console: Console, message: str, exit_code: int = 1) -> NoReturn:
    """Print ``error: message`` (not wrapped, taken literally: it may quote a file) and exit with
    status ``exit_code``."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)


def build_options(console: Console, model: type[M], exit_code: int = 1, **values: Any) -> M:
    """The run options ``model`` of the given values; on a value out of its limits, fail with one
    line naming the command-line option (exit status ``exit_code``)."""
    try:
        return model(**values)
    except OptionsError as err:
        field, problem = err.problems[0]
        fail(console, f"{FLAGS.get(field, '--' + field.replace('_', '-'))}: {problem}", exit_code)


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
