"""Run options of the commands: how much to simulate or train, how to evaluate. Pure data.

One frozen model per command, used by the command line (built from its arguments), the sweep
(its point commands are these models plus ``kind``) and Python callers. Where a run happens (its
output folder, resuming) is not an option of the run: it is an argument of the function that runs
it. A model dumps to JSON (``model_dump(mode="json")``) and is rebuilt from that dump
(``model_validate``).

Building a model (``SimulateOptions(streams=0)``) from values out of their limits raises
:class:`OptionsError` (a ValueError), one problem per field, each phrased ``field: expected ...,
got ...``; ``model_validate`` and validation inside another model report the same text as a
pydantic value error.

Every option is bounded (the ``MAX_*`` limits below) and every number finite; types are strict
(a boolean is not a count, a string is not a number).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from archsim.config.errors import echo

Schedule = Literal["sequential", "dataflow"]
#: The chip model's event engines: the lean one and SimPy's processes (docs/chip.md); the same records.
Engine = Literal["lean", "simpy"]
ENGINE_FIELD = Field(
    "lean",
    description="Event engine: lean (the default) or simpy (SimPy's processes themselves; the same "
    "figures, slower; for validation).",
)

#: Most streams in flight.
MAX_STREAMS = 64
#: Most windows the chip model simulates in one run, over all streams (about 1 MB of records and
#: 0.25 s each for LSTM2-512-WP).
MAX_SIMULATED_WINDOWS = 10_000
#: Most characters of a run (training, evaluation, between evaluations): within int64 everywhere.
MAX_CHARS = 10**12
#: Most epochs of a training run.
MAX_EPOCHS = 10_000
#: Most evaluation streams (a batch of that many hidden states).
MAX_EVAL_STREAMS = 1024
#: Largest seed (int64, as results and the sweep database store it).
MAX_SEED = 2**63 - 1

#: Prefix of the test split evaluated, in characters (the sweep's default differs from the CLI's).
EvalChars = Annotated[
    int | None,
    Field(
        ge=2, le=MAX_CHARS, description="Test characters evaluated (a prefix of the test split); None: all."
    ),
]
#: Evaluations over a run whose ``eval_every`` is "auto" (besides the one before training).
AUTO_EVAL_POINTS = 16


def _eval_every(value: Any) -> int | str | None:
    if value is None or value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expected a number of characters, 'auto' or None")
    if not 1 <= value <= MAX_CHARS:
        raise ValueError(f"expected >= 1 and <= {MAX_CHARS} characters, 'auto' or None")
    return value


#: Training characters between evaluations.
EvalEvery = Annotated[
    int | Literal["auto"] | None,
    PlainValidator(_eval_every, json_schema_input_type=int | Literal["auto"] | None),
    Field(
        description="Training characters between evaluations; auto: about AUTO_EVAL_POINTS evaluations "
        "over the run, at whole rounds of windows; None: before training and at the end.",
    ),
]
#: Whether a co-simulation also times its windows without numerics.
TimingOnly = Annotated[
    bool, Field(description="Also time the same windows without numerics (every MVM one pass), to compare.")
]

_BOUNDS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


class OptionsError(ValueError):
    """Options out of their limits. ``problems``: (field, what is wrong) per problem."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems))


def _limits(info: FieldInfo, below: bool = False) -> str:
    """The bounds of a field in words: 'a positive number', '>= 0 and < 1'. For a value ``below``
    the range, an upper bound that is only a sanity limit (1e6 or more) is left out."""
    bounds = [
        f"{sign} {getattr(m, name)}"
        for m in info.metadata
        for name, sign in _BOUNDS
        if hasattr(m, name) and not (below and sign[0] == "<" and getattr(m, name) >= 1e6)
    ]
    return "a positive number" if bounds in ([">= 1"], ["> 0"]) else " and ".join(bounds)


def _choices(annotation: Any) -> list[Any]:
    """The values a Literal annotation (possibly inside Optional) admits."""
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return [value for arg in get_args(annotation) for value in _choices(arg)]


def _problem(model: type[BaseModel], error: ErrorDetails) -> tuple[str, str]:
    field = ".".join(str(part) for part in error["loc"]) or "options"
    info = model.model_fields.get(str(error["loc"][0])) if error["loc"] else None
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return field, "required"
    if kind == "extra_forbidden":
        return field, f"unknown option; allowed: {', '.join(sorted(model.model_fields))}"
    if kind == "literal_error" and info is not None:
        return field, f"unknown {echo(value)}; allowed: {', '.join(map(str, _choices(info.annotation)))}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal") and info is not None:
        text = f"expected {_limits(info, below=kind.startswith('greater'))}"
    elif kind == "finite_number":
        text = "expected a finite number"
    elif kind == "value_error":
        text = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        text = error["msg"][0].lower() + error["msg"][1:]
    return field, f"{text}, got {echo(value)}"


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    def __init__(self, **values: Any) -> None:
        """Validate ``values``; raises OptionsError, which names each field in one line."""
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise OptionsError([_problem(type(self), e) for e in err.errors()]) from None


class SimulateOptions(_Options):
    """``archsim simulate``: the chip model's throughput, latency and energy of a design."""

    schedule: Schedule = Field("dataflow", description="Pipeline schedule.")
    streams: int = Field(1, ge=1, le=MAX_STREAMS, description="Independent sequences in flight.")
    engine: Engine = ENGINE_FIELD
    windows: int | None = Field(
        None,
        ge=1,
        le=MAX_SIMULATED_WINDOWS,
        description="Simulate exactly this many windows per stream; None: until the schedule repeats. "
        "At most MAX_SIMULATED_WINDOWS over all streams.",
    )
    max_windows: int | None = Field(
        None,
        ge=1,
        le=MAX_SIMULATED_WINDOWS,
        description="Windows per stream simulated at most while looking for a periodic steady state; "
        "None: the chip model's default (about 32 windows in all). At most MAX_SIMULATED_WINDOWS over "
        "all streams.",
    )

    @field_validator("windows", "max_windows")
    @classmethod
    def _simulated_windows(cls, windows: int | None, info: Any) -> int | None:
        streams = info.data.get("streams")
        if windows is not None and streams is not None and windows * streams > MAX_SIMULATED_WINDOWS:
            raise ValueError(
                f"expected at most {MAX_SIMULATED_WINDOWS} windows over all streams, got {windows} "
                f"per stream x {streams} streams"
            )
        return windows


class _LearningOptions(_Options):
    """What training and co-simulation share: the seed, the SGD overrides, evaluation, divergence."""

    seed: int = Field(
        0, ge=0, le=MAX_SEED, description="Seed of the weight init, the dropout masks and the tiles."
    )
    learning_rate: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="SGD learning rate; None: the workload's."
    )
    dropout: float | None = Field(
        None, ge=0, lt=1, description="Dropout probability (non-recurrent connections); None: the workload's."
    )
    eval_chars: EvalChars = None
    eval_every: EvalEvery = "auto"
    eval_streams: int = Field(
        16,
        ge=1,
        le=MAX_EVAL_STREAMS,
        description="Contiguous pieces of the evaluated text, predicted side by side.",
    )
    diverge_ce: float | None = Field(
        None,
        gt=0,
        description="Mean training CE of the last 10 windows (nats/char) that stops the run as diverged; "
        "None: 2 ln V.",
    )


class TrainOptions(_LearningOptions):
    """``archsim train``: how long to train, how to evaluate, how often to checkpoint."""

    chars: int | None = Field(
        None,
        ge=1,
        le=MAX_CHARS,
        description="Training characters in total (rounded up to whole windows); None: epochs.",
    )
    epochs: float | None = Field(
        None,
        gt=0,
        le=MAX_EPOCHS,
        allow_inf_nan=False,
        description="Epochs over the train split, when chars is None (default 1).",
    )
    checkpoint_every_s: float = Field(
        300.0, gt=0, description="Wall-clock seconds between checkpoints (besides those at evaluations)."
    )

    @field_validator("epochs")
    @classmethod
    def _chars_or_epochs(cls, epochs: float | None, info: Any) -> float | None:
        if epochs is not None and info.data.get("chars") is not None:
            raise ValueError("give chars or epochs, not both")
        return epochs


class CosimOptions(_LearningOptions):
    """``archsim cosim``: how much to train while the chip runs, and how to evaluate."""

    chars: int = Field(
        ge=1,
        le=MAX_CHARS,
        description="Training characters over all streams (rounded up to whole windows of every stream).",
    )
    streams: int = Field(
        1, ge=1, le=MAX_STREAMS, description="Independent sequences in flight, sharing the weights."
    )
    schedule: Schedule = Field("dataflow", description="Pipeline schedule.")
    timing_only: TimingOnly = True
    exact_timing: bool = Field(
        False,
        description="Simulate every window event by event, also the steady-state windows the fast path "
        "skips (the same figures, slower; for validation).",
    )
    engine: Engine = ENGINE_FIELD
    init: Path | None = Field(
        None,
        strict=False,  # a path may be given as a string (the command line, JSON)
        description="Start from the tiles of this `archsim train` checkpoint (and use its seed).",
    )
