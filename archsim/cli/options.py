"""Options and their checks that several commands share."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from archsim.cli.errors import InputError
from archsim.config.errors import ConfigError
from archsim.config.options import OptionsError

M = TypeVar("M")
L = TypeVar("L")

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
ShowProgress = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Show the progress of each phase (on a terminal).")
]


def flag(field: str) -> str:
    """The command-line option of a run option's field."""
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def build_options(model: type[M], **values: Any) -> M:
    """The run options ``model`` of the given values; a value out of its limits (NaN and infinity
    included) is an InputError naming the command-line option, in one line (exit status 2)."""
    for field, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{flag(field)}: expected a finite number, got {value}")
    try:
        return model(**values)
    except OptionsError as err:
        field, problem = err.problems[0]
        raise InputError(f"{flag(field)}: {problem}") from None


def load(where: str, loader: Callable[[str], L], name: str) -> L:
    """``loader(name)`` (a preset loader); its ConfigError as an InputError that names ``where``
    (the option or argument the name came from) first."""
    try:
        return loader(name)
    except ConfigError as err:
        raise InputError(f"{where}: {err}") from None
