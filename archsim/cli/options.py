"""Options and their checks that several commands share."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from archsim.cli.errors import InputError
from archsim.config.corpus import BUILTIN_CORPORA
from archsim.config.errors import ConfigError
from archsim.config.options import AUTO_EVAL_POINTS, OptionsError

M = TypeVar("M")
L = TypeVar("L")

#: The command-line option of a run option's field, where it is not ``--field-name``.
FLAGS = {"learning_rate": "--lr"}

Samples = Annotated[
    int | None,
    typer.Option("--samples", help="Training samples in total: images (image networks) or characters."),
]
EvalSamples = Annotated[
    int | None,
    typer.Option(
        "--eval-samples", help="Evaluate on this prefix of the test split, in samples (default: all)."
    ),
]


def samples_as_chars(
    samples: int | None, chars: int | None, eval_samples: int | None, eval_chars: int | None
) -> tuple[int | None, int | None]:
    """A sample is an image of an image network and a character of an LSTM: --samples and --chars,
    --eval-samples and --eval-chars, are one option each under two names. Returns (chars,
    eval_chars)."""
    for given, other in ((samples, chars), (eval_samples, eval_chars)):
        if given is not None and other is not None:
            raise InputError(
                "--samples/--chars, --eval-samples/--eval-chars: give one of each pair, not both"
            )
    return (
        samples if samples is not None else chars,
        eval_samples if eval_samples is not None else eval_chars,
    )


EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Event engine: lean, or simpy (SimPy's processes: the same figures, slower; to validate).",
    ),
]
Workload = Annotated[str, typer.Argument(help="Workload preset name (workloads/NAME.yaml) or path.")]
Rpu = Annotated[str, typer.Option("--rpu", help="RPU preset name (models/rpu/NAME.yaml, e.g. fp) or path.")]
EvalChars = Annotated[
    int | None,
    typer.Option(
        "--eval-chars",
        help="Evaluate on this prefix of the test split (default: the whole test split, "
        + ", ".join(f"{c.test_chars:,} characters of {name}" for name, c in BUILTIN_CORPORA.items())
        + ").",
        show_default=False,
    ),
]
EvalEvery = Annotated[
    int | None,
    typer.Option(
        "--eval-every",
        help=f"Training characters between evaluations (default: about {AUTO_EVAL_POINTS} evaluations "
        "over the run, at whole windows).",
        show_default=False,
    ),
]
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
CsvFile = Annotated[
    Path | None,
    typer.Option("--csv", help="Write the figures as CSV to this file: name, value, unit, description."),
]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Set a configuration field by dotted path, repeatable: chip.tile.adc.count_per_tile=64, "
        "rpu.forward.inp_bits=7, workload.training.learning_rate=0.1 (the value is read as YAML).",
        show_default=False,
    ),
]


def flag(field: str) -> str:
    """The command-line option of a run option's field."""
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def build_options(model: type[M], **values: Any) -> M:
    """The run options ``model`` of the given values; a value out of its limits (NaN and infinity
    included) is an InputError naming the command-line option, in one line (exit status 2). An
    ``eval_every`` of None (the option not given) is "auto"."""
    if "eval_every" in values and values["eval_every"] is None:
        values["eval_every"] = "auto"
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


def override(texts: list[str] | None, **configs: Any) -> tuple[list[Any], dict[str, Any]]:
    """The configurations (``workload=..., chip=..., rpu=...``, in that order) with the ``--set``
    overrides applied, and the overrides as path -> value (what the result's record keeps). A bad
    path or value is a ConfigError naming ``--set``, the path and what is allowed (exit status 2)."""
    from archsim.config.overrides import override_configs, parse_assignments

    assignments = parse_assignments(texts or [], "--set")
    done = override_configs(configs, assignments, "--set")
    return [done[root] for root in configs], assignments


def corpus_of(workload: Any, corpus: Any, loaded_for: Any) -> Any:
    """The data of ``workload``: ``corpus`` (read for the workload ``loaded_for``) unless ``--set``
    changed what decides the data (the corpus, its vocabulary, an image network's input), then
    that data, read and checked anew."""
    from archsim.train.data import load_workload_data

    def decides(wl: Any) -> tuple[Any, ...]:
        return (wl.corpus, wl.vocab_size, getattr(wl.model, "input", None))

    if decides(workload) == decides(loaded_for):
        return corpus
    return load_workload_data(workload, "--set workload")


def recorded(result: Any, overrides: dict[str, Any] | None) -> Any:
    """``result`` with the ``--set`` overrides in its record (its configuration has them already)."""
    if overrides and result.record is not None:
        result.record = result.record.model_copy(update={"overrides": dict(overrides)})
    return result
