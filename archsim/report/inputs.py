"""What a report reads: the input contract (see docs/report.md).

A result directory holds ``result.json`` and, optionally, ``trace.json`` (Chrome trace events of the
pipeline). ``result.json`` is one JSON object of one of these shapes:

- a bare chip result (``archsim simulate``): it has ``teraops_per_s`` and ``utilization``;
- a bare training result (``archsim train``): it has ``curve`` and ``test_ce``;
- a combined result (``archsim cosim``): a ``chip`` object (chip result fields, or null) and/or a
  ``train`` object (training result fields; ``training`` is accepted as well). Scalar fields beside
  the sections (``rpu``, ``seed``, ``status``, ``message`` ...) fill in what the training section
  lacks. A chip result may also carry a ``train`` object beside its own top-level fields.

Training curve points are ``{chars, test_ce}`` with optional ``train_ce`` and ``chip_seconds``
(simulated chip time to train ``chars`` characters). Nothing else is read; the report imports no
simulator code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULT_NAME = "result.json"
TRACE_NAME = "trace.json"

#: Chip result fields the report needs (the others are read when present).
CHIP_REQUIRED = (
    "teraops_per_s",
    "ideal_peak_teraops_per_s",
    "peak_fraction",
    "ns_per_char",
    "utilization",
    "busiest_array",
    "breakdown",
    "energy_pj_per_char",
)
#: Training result fields the report needs.
TRAIN_REQUIRED = ("curve", "test_ce")


class ReportError(ValueError):
    """A result directory the report cannot read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ReportInput:
    """The parts of one result directory: each part is plain JSON data or None."""

    directory: Path
    chip: dict[str, Any] | None
    train: dict[str, Any] | None
    trace: list[dict[str, Any]] | None


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except OSError as e:
        raise ReportError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: not valid JSON: {e}") from None


def _check(part: dict[str, Any], required: tuple[str, ...], what: str, path: Path) -> dict[str, Any]:
    missing = [k for k in required if k not in part]
    if missing:
        raise ReportError(f"{path}: the {what} lacks {', '.join(missing)}")
    return part


def _check_curve(train: dict[str, Any], path: Path) -> None:
    curve = train["curve"]
    if not isinstance(curve, list):
        raise ReportError(f"{path}: training 'curve' must be a list of points, got {type(curve).__name__}")
    for n, p in enumerate(curve):
        if not isinstance(p, dict) or "chars" not in p or "test_ce" not in p:
            raise ReportError(f"{path}: training curve point {n} must be an object with chars and test_ce")


def split_result(data: Any, path: Path) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The chip part and the training part of one ``result.json`` object (see the module docstring)."""
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, got {type(data).__name__}")
    chip = data.get("chip") if isinstance(data.get("chip"), dict) else None
    train = next((data[k] for k in ("train", "training") if isinstance(data.get(k), dict)), None)
    if chip is None and "teraops_per_s" in data and "utilization" in data:
        chip = data  # a bare chip result, or a chip result carrying a training section
    if train is None and chip is not data and "curve" in data and "test_ce" in data:
        train = data  # a bare training result
    elif train is not None and chip is not data:  # sections: the run's scalars fill in the training's
        train = {k: v for k, v in data.items() if not isinstance(v, dict | list)} | train
    if chip is not None and chip is not data:  # a co-simulation: what the numerics did to the timing
        chip = chip | {k: data[k] for k in ("passes", "timing_only") if k in data}
    if chip is None and train is None:
        raise ReportError(
            f"{path}: neither a chip result (teraops_per_s, utilization), a training result "
            "(curve, test_ce), nor an object with a 'chip' or 'train' section"
        )
    if chip is not None:
        _check(chip, CHIP_REQUIRED, "chip result", path)
    if train is not None:
        _check(train, TRAIN_REQUIRED, "training result", path)
        _check_curve(train, path)
    return chip, train


def _check_trace(events: Any, path: Path) -> list[dict[str, Any]]:
    if isinstance(events, dict) and isinstance(events.get("traceEvents"), list):
        events = events["traceEvents"]  # the object form of the trace-event format
    if not isinstance(events, list):
        raise ReportError(f"{path}: expected a list of trace events, got {type(events).__name__}")
    return [e for e in events if isinstance(e, dict)]


def load_input(directory: str | Path) -> ReportInput:
    """Read ``DIR/result.json`` (required) and ``DIR/trace.json`` (when present)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(f"{directory}: no such directory (expected one holding {RESULT_NAME})")
    result_path = directory / RESULT_NAME
    chip, train = split_result(_read_json(result_path), result_path)
    trace_path = directory / TRACE_NAME
    trace = _check_trace(_read_json(trace_path), trace_path) if trace_path.exists() else None
    return ReportInput(directory, chip, train, trace)


def number(value: Any) -> float | None:
    """A finite float, or None (JSON null, NaN, or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
