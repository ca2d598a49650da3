"""Results: one typed, versioned schema for every command, in this module.

Every result is a pydantic dataclass: validated when it is made and when it is read back, plain
data that serialises to JSON. A top-level result (``archsim simulate``, ``train``, ``cosim``, a
sweep point) carries ``kind``, ``schema_version`` and a ``record`` of what produced it: the fully
resolved configuration (workload, chip, RPU), the command's options and seed, the archsim version,
the git commit when run from a checkout, and the date. ``archsim rerun RESULT.json`` runs it again
from the record alone. The reports and the sweep store read these fields, never names decoded
from strings.

Times are in ns unless a name says otherwise, energies in pJ, cross-entropies in nats per character.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from archsim import atomic
from archsim.config.chip import ChipConfig
from archsim.config.options import CosimOptions, SimulateOptions, TrainOptions
from archsim.config.rpu import AnyRPUConfig
from archsim.config.workload import WorkloadConfig
from archsim.provenance import archsim_version, git_commit, utc_now

#: Version of this schema; a reader refuses a result of another version, naming both.
SCHEMA_VERSION = 1

_STRICT = ConfigDict(extra="forbid")


# -- what produced a result -------------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    workload: WorkloadConfig = Field(description="The workload, resolved (corpus path included).")
    archsim_version: str = Field(default_factory=archsim_version, description="archsim's version.")
    git_commit: str | None = Field(
        default_factory=git_commit,
        description="Commit of the checkout that ran it (-dirty: with uncommitted changes); None: installed.",
    )
    date: str = Field(default_factory=utc_now, description="When it ran, ISO 8601 UTC.")


class SimulateRecord(_Record):
    """``archsim simulate``: the design (chip and RPU) and the options."""

    command: Literal["simulate"] = "simulate"
    chip: ChipConfig
    rpu: AnyRPUConfig
    options: SimulateOptions


class TrainRecord(_Record):
    """``archsim train``: the RPU and the options (the seed among them)."""

    command: Literal["train"] = "train"
    rpu: AnyRPUConfig
    options: TrainOptions


class CosimRecord(_Record):
    """``archsim cosim``: the design (chip and RPU) and the options (the seed among them)."""

    command: Literal["cosim"] = "cosim"
    chip: ChipConfig
    rpu: AnyRPUConfig
    options: CosimOptions


AnyRecord = Annotated[SimulateRecord | TrainRecord | CosimRecord, Field(discriminator="command")]


class _Result:
    """What a top-level result does: ``to_dict()`` and an atomic ``write_json(path)``."""

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def write_json(self, path: str | Path) -> Path:
        return write_json(self, path)


# -- the chip model -----------------------------------------------------------------------------------


@dataclass(config=_STRICT)
class Finding:
    """Something the architect must know: ``level`` error or warning, the field it concerns."""

    level: Literal["error", "warning"]
    field: str
    message: str


@dataclass(config=_STRICT)
class MappedArraySummary:
    name: str
    rows: int
    cols: int
    devices: int
    tiles: list[str]
    nlf_unit: str


@dataclass(config=_STRICT)
class UnitUse:
    """The busy share of one unit over the measured time, with what it is and what it serves."""

    unit: str  # its name: tile3, tile3.dac, nlf0, link:lstm1, memory ...
    kind: Literal["tile", "dac", "adc", "nlf", "link", "memory"]
    array: str | None  # the array a tile (or its DAC/ADC bank, or its link) holds; None: shared
    fraction: float


@dataclass(config=_STRICT)
class SteadyState:
    """How the per-window figures were obtained."""

    periodic: bool  # True: the schedule repeated exactly and the epoch was extrapolated exactly
    period_windows: int  # windows per stream in one period
    period_ns: float
    first_periodic_window: int
    windows_simulated: int  # windows per stream
    note: str


@dataclass(config=_STRICT)
class ChipResult(_Result):
    """Everything ``archsim simulate`` reports of a design running a workload."""

    workload: str
    chip: str
    rpu: str  # the RPU preset whose resolutions and BL the timing used
    schedule: str
    streams: int
    teraops_per_s: float
    ideal_peak_teraops_per_s: float  # this mapping with the busiest array never waiting
    peak_fraction: float  # teraops_per_s / ideal_peak_teraops_per_s
    teraops_per_w: float | None  # None when the chip models no energy
    ns_per_char: float
    ns_per_window: float  # amortised: one window of one stream
    window_latency_ns: float  # first start to last end of one window (steady state)
    step_latency_ns: float  # layer-1 forward MVM start to softmax output, median over steps
    epoch_seconds: float
    chars_per_epoch: int  # characters trained in one epoch: whole windows of the train split
    windows_per_epoch: int  # per stream
    operations_per_window: int  # counting rule, one window of one stream
    devices: int
    critical_path_ns: float  # longest path of one window without contention
    utilization: dict[str, float]  # unit -> busy fraction (units: the same, with their kind)
    busiest_array: str
    breakdown: dict[str, float]  # busiest array's time: busy, extra_passes, nlf, memory, link, ...
    breakdown_by_array: dict[str, dict[str, float]]
    energy_pj_per_char: dict[str, float]
    #: The same by array (layer) and component; "shared": the leakage of the NLF units and memory.
    energy_pj_per_char_by_array: dict[str, dict[str, float]]
    memory: dict[str, float | int | bool | None]
    arrays: list[MappedArraySummary]
    steady_state: SteadyState
    units: list[UnitUse] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    simulated_events: int = 0
    simulated_operations: int = 0
    wall_seconds: float = 0.0
    record: SimulateRecord | None = None  # None inside a co-simulation (its record says it all)
    kind: Literal["simulate"] = "simulate"
    schema_version: int = SCHEMA_VERSION


# -- training ------------------------------------------------------------------------------------------


@dataclass(config=_STRICT)
class CurvePoint:
    """One evaluation during training."""

    chars: int  # training characters seen so far
    test_ce: float  # test cross-entropy
    train_ce: float | None  # mean training cross-entropy since the previous point (dropout on)
    test_error: float | None = None  # test error rate (image networks; None for LSTMs)


@dataclass(config=_STRICT)
class TrainResult(_Result):
    """The outcome of ``archsim train``."""

    workload: str
    rpu: str
    seed: int
    learning_rate: float
    dropout: float
    bptt_steps: int
    status: Literal["completed", "interrupted", "diverged"]
    message: str
    test_ce: float | None  # last evaluation
    train_ce: float | None  # mean training CE over the last evaluation interval
    chars_trained: int
    epochs: float  # chars_trained / characters per epoch
    eval_chars: int  # characters of the test split predicted per evaluation
    eval_streams: int
    curve: list[CurvePoint] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock of this invocation (training, evaluation, start-up)
    train_seconds: float = 0.0  # training time measured for ms_per_char, all invocations
    ms_per_char: float | None = None  # training ms per character, evaluation and JIT excluded
    checkpoint: str | None = None
    record: TrainRecord | None = None
    # Image networks (docs/cnn.md): chars_trained, eval_chars and ms_per_char count images.
    test_error: float | None = None  # test error rate at the last evaluation; None for LSTMs
    notes: list[str] = field(default_factory=list)  # how the network was run (skipped MVMs)
    kind: Literal["train"] = "train"
    schema_version: int = SCHEMA_VERSION


# -- co-simulation -------------------------------------------------------------------------------------


@dataclass(config=_STRICT)
class CosimCurvePoint:
    """One evaluation: after ``chars`` training characters, at ``chip_seconds`` of simulated chip time."""

    chars: int
    test_ce: float
    train_ce: float | None  # mean training CE since the previous point (dropout on)
    chip_seconds: float


@dataclass(config=_STRICT)
class CosimTraining:
    """The accuracy half: what the numerics learned while the chip ran."""

    learning_rate: float
    dropout: float
    bptt_steps: int
    test_ce: float | None  # last evaluation
    train_ce: float | None
    chars_trained: int
    eval_chars: int
    eval_streams: int
    curve: list[CosimCurvePoint] = field(default_factory=list)


@dataclass(config=_STRICT)
class PassStats:
    """Bound-management passes of one kind of array operation over the run."""

    array: str
    verb: Literal["forward", "backward"]
    operations: int
    mean_passes: float
    max_passes: int
    extra_passes: int  # passes beyond the first, summed: extra array cycles


@dataclass(config=_STRICT)
class UpdateBLStats:
    """Pulse-train lengths of the rank-1 updates of one array over the run (BL management picks
    them per update; a fixed BL gives that BL every time)."""

    array: str
    updates: int
    mean_bl: float
    max_bl: int


@dataclass(config=_STRICT)
class CosimResult(_Result):
    """The outcome of ``archsim cosim``: accuracy and timing from the same events."""

    workload: str
    chip_name: str
    rpu: str
    seed: int
    streams: int
    schedule: str
    status: Literal["completed", "diverged"]
    message: str
    chip: ChipResult | None  # over the simulated windows, passes included; None if diverged
    train: CosimTraining
    passes: list[PassStats]
    update_bl: list[UpdateBLStats]
    timing_only: dict[str, float]  # the same windows without numerics (every MVM one pass)
    wall_seconds: float
    windows: int = 0  # windows per stream the chip ran
    trace_windows: int = 0  # of them, the first this many per stream are in trace.json
    record: CosimRecord | None = None
    kind: Literal["cosim"] = "cosim"
    schema_version: int = SCHEMA_VERSION


AnyResult = Annotated[ChipResult | TrainResult | CosimResult, Field(discriminator="kind")]
_ANY_RESULT: TypeAdapter[Any] = TypeAdapter(AnyResult)


class ResultError(ValueError):
    """A file that is not a result of this schema; the message names the file and what is wrong."""


# -- reading and writing -------------------------------------------------------------------------------


def to_dict(result: Any) -> dict[str, Any]:
    """The result as plain JSON-able data (records included)."""
    data = asdict(result)
    record = getattr(result, "record", None)
    if record is not None:
        data["record"] = record.model_dump(mode="json")
    chip = getattr(result, "chip", None)
    if isinstance(chip, ChipResult) and chip.record is not None:
        data["chip"]["record"] = chip.record.model_dump(mode="json")
    return data


def _finite(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: {value} is not a finite number; JSON has no such value")
    if isinstance(value, dict):
        for k, v in value.items():
            _finite(v, f"{where}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            _finite(v, f"{where}[{n}]")


def write_json(result: Any, path: str | Path) -> Path:
    """Write ``result`` as JSON, atomically (:func:`archsim.atomic.write_text`). Non-finite numbers
    are an error (JSON has none), naming the field."""
    data = to_dict(result)
    _finite(data, result.kind)
    return atomic.write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def result_from_dict(data: Any, source: str = "result") -> ChipResult | TrainResult | CosimResult:
    """A result from its JSON data; ResultError names ``source`` and the first problem."""
    if not isinstance(data, dict):
        raise ResultError(f"{source}: expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultError(
            f"{source}: schema_version {version!r}, this archsim reads {SCHEMA_VERSION} "
            "(a result written by another archsim version, or not an archsim result)"
        )
    try:
        return _ANY_RESULT.validate_python(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<top level>"
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise ResultError(f"{source}: {where}: {first['msg']}{more}") from None


def read_json(path: str | Path) -> Any:
    """The JSON data of a file; ResultError names the file and what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ResultError(f"{path}: no such file") from None
    except OSError as err:
        raise ResultError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ResultError(f"{path}: not JSON text (byte {err.start} is not UTF-8)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultError(f"{path}: not valid JSON: {err}") from None


def load_result(path: str | Path) -> ChipResult | TrainResult | CosimResult:
    """Read a result JSON file written by :func:`write_json`."""
    return result_from_dict(read_json(path), str(path))
