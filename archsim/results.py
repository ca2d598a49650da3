"""Results: one typed, versioned schema for every command, in this module.

Every result is a pydantic dataclass: validated when it is made and when it is read back, plain
data that serialises to JSON. A top-level result (``archsim simulate``, ``train``, ``cosim``, a
sweep point) carries ``kind``, ``schema_version`` and a ``record`` of what produced it: the fully
resolved configuration (workload, chip, RPU), the command's options and seed, the archsim version,
the git commit when run from a checkout, and the date. ``archsim rerun RESULT.json`` runs it again
from the record alone. The reports and the sweep store read these fields, never names decoded
from strings.

Times are in ns unless a name says otherwise, energies in pJ, static powers in mW, areas in mm^2,
cross-entropies in nats per character.
"""

from __future__ import annotations

import csv
import dataclasses
import io
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
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Fields set by dotted path (--set PATH=VALUE) on the presets; the configuration "
        "above has them already.",
    )


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

    def write_csv(self, path: str | Path) -> Path:
        return write_csv(self, path)


def _f(unit: str | dict[str, str], description: str) -> Any:
    """A result field's unit and description: the one place they are stated (the CSV export,
    :func:`figure_rows`, reads them). ``unit`` may map the keys of a dict field to their units
    (``"*"``: any other key)."""
    return Field(description=description, json_schema_extra={"unit": unit})


# -- the chip model -----------------------------------------------------------------------------------


@dataclass(config=_STRICT)
class Finding:
    """Something the architect must know: ``level`` error or warning, the field it concerns."""

    level: Annotated[Literal["error", "warning"], _f("", "How serious: error or warning.")]
    field: Annotated[str, _f("", "The configuration field it concerns.")]
    message: Annotated[str, _f("", "What is wrong, and what to do.")]


@dataclass(config=_STRICT)
class MappedArraySummary:
    name: Annotated[str, _f("", "The logical array (layer).")]
    rows: Annotated[int, _f("count", "Rows (outputs) of the array.")]
    cols: Annotated[int, _f("count", "Columns (inputs, the bias included) of the array.")]
    devices: Annotated[int, _f("count", "Devices of the array (rows x cols).")]
    tiles: Annotated[list[str], _f("", "The tiles the array is mapped onto.")]
    nlf_unit: Annotated[str, _f("", "The NLF unit that serves the array.")]
    replicas: Annotated[
        int, _f("count", "Copies of the array on separate tiles (image networks' replicated layers).")
    ] = 1


@dataclass(config=_STRICT)
class UnitUse:
    """The busy share of one unit over the measured time, with what it is and what it serves."""

    unit: Annotated[str, _f("", "The unit's name: tile3, tile3.dac, nlf0, link:lstm1, memory ...")]
    kind: Annotated[Literal["tile", "dac", "adc", "nlf", "link", "memory"], _f("", "What the unit is.")]
    array: Annotated[
        str | None, _f("", "The array a tile (its DAC/ADC bank, its link) holds; empty: shared.")
    ]
    fraction: Annotated[float, _f("fraction", "Busy share of the unit over the measured time.")]


@dataclass(config=_STRICT)
class SteadyState:
    """How the per-window figures were obtained."""

    periodic: Annotated[
        bool, _f("", "True: the schedule repeated exactly and the epoch was extrapolated exactly.")
    ]
    period_windows: Annotated[int, _f("windows", "Windows per stream in one period.")]
    period_ns: Annotated[float, _f("ns", "Length of one period.")]
    first_periodic_window: Annotated[int, _f("windows", "The window from which the schedule repeats.")]
    windows_simulated: Annotated[int, _f("windows", "Windows simulated per stream.")]
    note: Annotated[str, _f("", "How the figures were obtained, in words.")]


#: A non-negative quantity (an area, a static power, an energy): a result file with a negative one
#: is refused, naming the field.
NonNegative = Annotated[float, Field(ge=0)]


@dataclass(config=_STRICT)
class RunEnergy:
    """The energy of the run a chip result describes, dynamic (the actions) and static (the
    leakage of the units in use times the run's simulated time), in J."""

    run: Annotated[
        Literal["one epoch", "co-simulated windows"],
        _f("", "What the run is: simulate, one epoch; cosim, the windows it trained."),
    ]
    seconds: Annotated[NonNegative, _f("s", "Simulated chip time of the run.")]
    chars: Annotated[int, _f("chars", "Characters trained in the run, every stream's.")]
    dynamic_j: Annotated[NonNegative, _f("J", "Dynamic energy of the run (the actions).")]
    static_j: Annotated[
        NonNegative, _f("J", "Static energy of the run (leakage of the units in use x time).")
    ]
    total_j: Annotated[NonNegative, _f("J", "Dynamic plus static energy of the run.")]


@dataclass(config=_STRICT)
class ChipResult(_Result):
    """Everything ``archsim simulate`` reports of a design running a workload."""

    workload: Annotated[str, _f("", "The workload.")]
    chip: Annotated[str, _f("", "The chip preset.")]
    rpu: Annotated[str, _f("", "The RPU preset whose resolutions and BL the timing used.")]
    schedule: Annotated[str, _f("", "Pipeline schedule: sequential or dataflow.")]
    streams: Annotated[int, _f("count", "Independent sequences in flight.")]
    teraops_per_s: Annotated[float, _f("TeraOps/s", "Throughput: operations of training per second.")]
    ideal_peak_teraops_per_s: Annotated[
        float, _f("TeraOps/s", "Throughput of this mapping with the busiest array never waiting.")
    ]
    peak_fraction: Annotated[float, _f("fraction", "teraops_per_s / ideal_peak_teraops_per_s.")]
    teraops_per_w: Annotated[
        float | None, _f("TeraOps/W", "Energy efficiency; empty when the chip models no energy.")
    ]
    ns_per_char: Annotated[float, _f("ns/char", "Time per training character, all streams.")]
    ns_per_window: Annotated[float, _f("ns", "Time per window of one stream, amortised.")]
    window_latency_ns: Annotated[float, _f("ns", "First start to last end of one window (steady state).")]
    step_latency_ns: Annotated[
        float, _f("ns", "Layer-1 forward MVM start to softmax output, median over steps.")
    ]
    epoch_seconds: Annotated[float, _f("s", "Time of one epoch of the train split.")]
    chars_per_epoch: Annotated[
        int, _f("chars", "Characters trained in one epoch: whole windows of the train split.")
    ]
    windows_per_epoch: Annotated[int, _f("windows", "Windows per stream in one epoch.")]
    operations_per_window: Annotated[
        int, _f("ops", "Operations of one window of one stream (the counting rule).")
    ]
    devices: Annotated[int, _f("count", "Devices (cross-point cells) of the mapped arrays.")]
    critical_path_ns: Annotated[float, _f("ns", "Longest path of one window without contention.")]
    utilization: Annotated[dict[str, float], _f("fraction", "Busy share of each unit.")]
    busiest_array: Annotated[str, _f("", "The array whose tiles are busiest.")]
    breakdown: Annotated[
        dict[str, float],
        _f("fraction", "The busiest array's time: busy, extra_passes, nlf, memory, link, ..."),
    ]
    breakdown_by_array: Annotated[
        dict[str, dict[str, float]], _f("fraction", "Each array's time, as breakdown.")
    ]
    energy_pj_per_char: Annotated[dict[str, float], _f("pJ/char", "Energy per character by component.")]
    energy_pj_per_char_by_array: Annotated[
        dict[str, dict[str, float]],
        _f("pJ/char", "Energy per character by array (layer) and component; shared: NLF and memory leakage."),
    ]
    memory: Annotated[
        dict[str, float | int | bool | None],
        _f({"fits": "", "*": "bytes"}, "Memory traffic per window, peak occupancy, capacity, fits."),
    ]
    arrays: Annotated[list[MappedArraySummary], _f("", "The mapped arrays.")]
    steady_state: Annotated[SteadyState, _f("", "How the per-window figures were obtained.")]
    area_mm2: Annotated[
        dict[str, NonNegative],
        _f(
            "mm^2",
            "Chip area by component (array, dac, adc, tile, nlf, memory, links) and total; every "
            "tile counted, used or not (results before this field: empty).",
        ),
    ] = field(default_factory=dict)
    static_power_mw: Annotated[
        dict[str, NonNegative],
        _f(
            "mW",
            "Static power of the units in use by component (dac, adc, tile, nlf, memory, links) and total.",
        ),
    ] = field(default_factory=dict)
    teraops_per_s_per_mm2: Annotated[
        float | None, _f("TeraOps/s/mm^2", "Throughput per chip area; empty when the chip states no area.")
    ] = None
    run_energy: Annotated[
        RunEnergy | None, _f("", "Energy of the run: one epoch (simulate) or the co-simulated windows.")
    ] = None
    units: Annotated[list[UnitUse], _f("", "Every unit, its kind and busy share.")] = field(
        default_factory=list
    )
    findings: Annotated[list[Finding], _f("", "What the architect must know.")] = field(default_factory=list)
    simulated_events: Annotated[int, _f("count", "SimPy events simulated.")] = 0
    simulated_operations: Annotated[int, _f("ops", "Array and unit operations simulated.")] = 0
    wall_seconds: Annotated[float, _f("s", "Wall-clock time of the simulation.")] = 0.0
    sample: Annotated[
        Literal["char", "image"],
        _f("", "What a sample is: a character (LSTMs) or an image (image networks)."),
    ] = "char"
    ns_per_sample: Annotated[
        float | None,
        _f(
            "ns/sample",
            "Time per training sample (a character, an image), all streams (older results: empty).",
        ),
    ] = None
    samples_per_s: Annotated[
        float | None, _f("samples/s", "Training samples per second, all streams (older results: empty).")
    ] = None
    record: SimulateRecord | None = None  # None inside a co-simulation (its record says it all)
    kind: Literal["simulate"] = "simulate"
    schema_version: int = SCHEMA_VERSION


# -- training ------------------------------------------------------------------------------------------


@dataclass(config=_STRICT)
class CurvePoint:
    """One evaluation during training."""

    chars: Annotated[int, _f("chars", "Training characters seen so far.")]
    test_ce: Annotated[float, _f("nats/char", "Test cross-entropy.")]
    train_ce: Annotated[
        float | None,
        _f("nats/char", "Mean training cross-entropy since the previous point (dropout applied, if any)."),
    ]
    test_error: Annotated[
        float | None, _f("fraction", "Test error rate (image networks; empty for LSTMs).")
    ] = None


@dataclass(config=_STRICT)
class TrainResult(_Result):
    """The outcome of ``archsim train``."""

    workload: Annotated[str, _f("", "The workload.")]
    rpu: Annotated[str, _f("", "The RPU preset of the tiles.")]
    seed: Annotated[int, _f("", "Seed of weight init, dropout masks and tiles.")]
    learning_rate: Annotated[float, _f("", "SGD learning rate.")]
    dropout: Annotated[float, _f("fraction", "Dropout probability (non-recurrent connections).")]
    bptt_steps: Annotated[int, _f("chars", "Characters per window (truncated BPTT).")]
    status: Annotated[Literal["completed", "interrupted", "diverged"], _f("", "How the run ended.")]
    message: Annotated[str, _f("", "How the run ended, in words.")]
    test_ce: Annotated[float | None, _f("nats/char", "Test cross-entropy at the last evaluation.")]
    train_ce: Annotated[
        float | None, _f("nats/char", "Mean training cross-entropy over the last evaluation interval.")
    ]
    chars_trained: Annotated[int, _f("chars", "Training characters trained.")]
    epochs: Annotated[float, _f("epochs", "chars_trained / characters per epoch.")]
    eval_chars: Annotated[int, _f("chars", "Characters of the test split predicted per evaluation.")]
    eval_streams: Annotated[int, _f("count", "Pieces of the evaluated text predicted side by side.")]
    curve: Annotated[list[CurvePoint], _f("", "The evaluations, in order.")] = field(default_factory=list)
    seconds: Annotated[
        float, _f("s", "Wall-clock time of this invocation (training, evaluation, start-up).")
    ] = 0.0
    train_seconds: Annotated[float, _f("s", "Training time measured for ms_per_char, all invocations.")] = 0.0
    ms_per_char: Annotated[
        float | None, _f("ms/char", "Training time per character, evaluation and JIT excluded.")
    ] = None
    checkpoint: Annotated[str | None, _f("", "The checkpoint file.")] = None
    record: TrainRecord | None = None
    # Image networks (docs/cnn.md): chars_trained, eval_chars and ms_per_char count images.
    test_error: Annotated[
        float | None,
        _f("fraction", "Test error rate at the last evaluation (image networks; empty for LSTMs)."),
    ] = None
    notes: Annotated[list[str], _f("", "How the network was run (e.g. skipped MVMs).")] = field(
        default_factory=list
    )
    kind: Literal["train"] = "train"
    schema_version: int = SCHEMA_VERSION


# -- co-simulation -------------------------------------------------------------------------------------


@dataclass(config=_STRICT)
class CosimCurvePoint:
    """One evaluation: after ``chars`` training characters, at ``chip_seconds`` of simulated chip time."""

    chars: Annotated[int, _f("chars", "Training characters seen so far.")]
    test_ce: Annotated[float, _f("nats/char", "Test cross-entropy.")]
    train_ce: Annotated[
        float | None,
        _f("nats/char", "Mean training cross-entropy since the previous point (dropout applied, if any)."),
    ]
    chip_seconds: Annotated[float, _f("s", "Simulated chip time so far.")]
    test_error: Annotated[
        float | None, _f("fraction", "Test error rate (image networks; empty for LSTMs).")
    ] = None


@dataclass(config=_STRICT)
class CosimTraining:
    """The accuracy half: what the numerics learned while the chip ran."""

    learning_rate: Annotated[float, _f("", "SGD learning rate.")]
    dropout: Annotated[float, _f("fraction", "Dropout probability (non-recurrent connections).")]
    bptt_steps: Annotated[int, _f("chars", "Characters per window (truncated BPTT).")]
    test_ce: Annotated[float | None, _f("nats/char", "Test cross-entropy at the last evaluation.")]
    train_ce: Annotated[
        float | None, _f("nats/char", "Mean training cross-entropy over the last evaluation interval.")
    ]
    chars_trained: Annotated[int, _f("chars", "Training characters trained.")]
    eval_chars: Annotated[int, _f("chars", "Characters of the test split predicted per evaluation.")]
    eval_streams: Annotated[int, _f("count", "Pieces of the evaluated text predicted side by side.")]
    curve: Annotated[list[CosimCurvePoint], _f("", "The evaluations, in order.")] = field(
        default_factory=list
    )


@dataclass(config=_STRICT)
class PassStats:
    """Bound-management passes of one kind of array operation over the run."""

    array: Annotated[str, _f("", "The array.")]
    verb: Annotated[Literal["forward", "backward"], _f("", "The operation: forward or backward.")]
    operations: Annotated[int, _f("ops", "Operations of this kind over the run.")]
    mean_passes: Annotated[float, _f("passes", "Mean passes per operation.")]
    max_passes: Annotated[int, _f("passes", "Most passes of one operation.")]
    extra_passes: Annotated[int, _f("passes", "Passes beyond the first, summed: extra array cycles.")]


@dataclass(config=_STRICT)
class UpdateBLStats:
    """Pulse-train lengths of the rank-1 updates of one array over the run (BL management picks
    them per update; a fixed BL gives that BL every time)."""

    array: Annotated[str, _f("", "The array.")]
    updates: Annotated[int, _f("count", "Rank-1 updates over the run.")]
    mean_bl: Annotated[float, _f("pulses", "Mean pulse-train length (BL) of an update.")]
    max_bl: Annotated[int, _f("pulses", "Longest pulse train of an update.")]


@dataclass(config=_STRICT)
class CosimResult(_Result):
    """The outcome of ``archsim cosim``: accuracy and timing from the same events."""

    workload: Annotated[str, _f("", "The workload.")]
    chip_name: Annotated[str, _f("", "The chip preset.")]
    rpu: Annotated[str, _f("", "The RPU preset of the tiles.")]
    seed: Annotated[int, _f("", "Seed of weight init, dropout masks and tiles.")]
    streams: Annotated[int, _f("count", "Independent sequences in flight.")]
    schedule: Annotated[str, _f("", "Pipeline schedule: sequential or dataflow.")]
    status: Annotated[Literal["completed", "diverged"], _f("", "How the run ended.")]
    message: Annotated[str, _f("", "How the run ended, in words.")]
    chip: Annotated[
        ChipResult | None, _f("", "The chip over the simulated windows, passes included; empty if diverged.")
    ]
    train: Annotated[CosimTraining, _f("", "What the numerics learned while the chip ran.")]
    passes: Annotated[list[PassStats], _f("", "Bound-management passes by array and operation.")]
    update_bl: Annotated[list[UpdateBLStats], _f("", "Update pulse-train lengths by array.")]
    timing_only: Annotated[
        dict[str, float],
        _f(
            {"ns_per_char": "ns/char", "teraops_per_s": "TeraOps/s", "slowdown_from_numerics": "ratio"},
            "The same windows without numerics (every MVM one pass).",
        ),
    ]
    wall_seconds: Annotated[float, _f("s", "Wall-clock time of the co-simulation.")]
    windows: Annotated[int, _f("windows", "Windows per stream the chip ran.")] = 0
    trace_windows: Annotated[
        int, _f("windows", "Of them, the first this many per stream are in trace.json.")
    ] = 0
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


# -- the flat export (CSV) ----------------------------------------------------------------------------

#: Fields that are not figures: what produced a result (its JSON holds it) and its type tag.
_NOT_FIGURES = ("record", "kind", "schema_version")
#: The header of the CSV export.
CSV_COLUMNS = ("name", "value", "unit", "description")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return " ".join(_cell(v) for v in value)
    return str(value)


def _unit(unit: Any, key: str | None) -> str:
    if isinstance(unit, dict):
        return str(unit.get(key, unit.get("*", "")))
    return str(unit or "")


def _rows(value: Any, name: str, unit: Any, description: str, key: str | None) -> list[tuple[str, ...]]:
    if dataclasses.is_dataclass(value):
        return figure_rows(value, name + ".")
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in _rows(v, f"{name}.{k}", unit, description, key or k)]
    if isinstance(value, list) and any(dataclasses.is_dataclass(v) for v in value):
        return [r for n, v in enumerate(value) for r in figure_rows(v, f"{name}.{n}.")]
    return [(name, _cell(value), _unit(unit, key), description)]


def figure_rows(result: Any, prefix: str = "") -> list[tuple[str, ...]]:
    """Every figure of a result (or of a part of one) as rows (name, value, unit, description),
    like gem5's stats.txt: the name is the dotted path of the field (dict keys and list indices
    included), the unit and the description are the field's own (:func:`_f`). The record (the
    configuration, in the JSON) is not a figure."""
    infos = type(result).__pydantic_fields__
    rows: list[tuple[str, ...]] = []
    for f in dataclasses.fields(result):
        if f.name in _NOT_FIGURES:
            continue
        info = infos[f.name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit = extra.get("unit", "")
        rows += _rows(getattr(result, f.name), prefix + f.name, unit, info.description or "", None)
    return rows


def csv_text(rows: list[tuple[str, ...]]) -> str:
    """Rows of :func:`figure_rows` as CSV text, with a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(result: Any, path: str | Path) -> Path:
    """Write the figures of ``result`` as CSV (:func:`figure_rows`), atomically."""
    return atomic.write_text(path, csv_text(figure_rows(result)))


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
