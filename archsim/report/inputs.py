"""What a report reads: the input contract (see docs/report.md).

A result directory holds ``result.json`` and, optionally, ``trace.json`` (Chrome trace events of the
pipeline). ``result.json`` is a result of the typed, versioned results schema
(:mod:`archsim.results`): a chip result (``archsim simulate``), a training result (``archsim
train``) or a co-simulation result (``archsim cosim``: a chip part, or null when training
diverged, and a training part). It is validated against the schema before anything is drawn; a
file of another schema version, or not a result, is refused naming the file and the field.

The report reads the fields of the parts as plain data (``asdict`` of the schema's dataclasses),
the chip part of a co-simulation with what the numerics did to its timing (``passes``,
``update_bl``, ``timing_only``) and the training part with the run's scalars (workload, rpu,
seed, status, message), plus the ``record`` of what produced the result. It imports no simulator
code: only the schema and the configuration models it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsim.results import ChipResult, ResultError, TrainResult, read_json, result_from_dict, to_dict

RESULT_NAME = "result.json"
TRACE_NAME = "trace.json"


class ReportError(ValueError):
    """A result directory the report cannot read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ReportInput:
    """The parts of one result directory: each part is plain JSON data or None."""

    directory: Path
    chip: dict[str, Any] | None
    train: dict[str, Any] | None
    trace: list[dict[str, Any]] | None
    record: dict[str, Any] | None = None  # what produced the result (configuration, options, version)
    trace_metadata: dict[str, Any] | None = None  # the trace's ``metadata`` (object form), if any


def _read_json(path: Path) -> Any:
    try:
        return read_json(path)
    except ResultError as err:
        raise ReportError(str(err)) from None


def split_result(
    data: Any, path: Path
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """The chip part, the training part and the record of one ``result.json`` object, validated
    against the results schema."""
    try:
        result = result_from_dict(data, str(path))
    except ResultError as err:
        raise ReportError(str(err)) from None
    data = to_dict(result)
    record = data.pop("record", None)
    if isinstance(result, ChipResult):
        return data, None, record
    if isinstance(result, TrainResult):
        return None, data, record
    chip = data["chip"]
    if chip is not None:  # a co-simulation: what the numerics did to the timing
        chip = chip | {k: data[k] for k in ("passes", "update_bl", "timing_only")}
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict | list) and v is not None}
    return chip, scalars | data["train"], record


def _check_trace(events: Any, path: Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The trace's events and its metadata (the object form's ``metadata``; None in the list form)."""
    metadata = None
    if isinstance(events, dict) and isinstance(events.get("traceEvents"), list):
        metadata = events.get("metadata") if isinstance(events.get("metadata"), dict) else None
        events = events["traceEvents"]  # the object form of the trace-event format
    if not isinstance(events, list):
        raise ReportError(f"{path}: expected a list of trace events, got {type(events).__name__}")
    return [e for e in events if isinstance(e, dict)], metadata


def load_input(directory: str | Path) -> ReportInput:
    """Read ``DIR/result.json`` (required) and ``DIR/trace.json`` (when present)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(f"{directory}: no such directory (expected one holding {RESULT_NAME})")
    result_path = directory / RESULT_NAME
    chip, train, record = split_result(_read_json(result_path), result_path)
    trace_path = directory / TRACE_NAME
    trace, metadata = None, None
    if trace_path.exists():
        trace, metadata = _check_trace(_read_json(trace_path), trace_path)
    return ReportInput(directory, chip, train, trace, record, metadata)


def number(value: Any) -> float | None:
    """A finite float, or None (JSON null, NaN, or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
