"""From a sweep file to its points: axes expanded (grid or random), overrides applied on the preset
data by dotted path, every point validated through the configuration models before anything runs.

A point's id is a hash of its resolved configuration, so a rerun finds the points already done
even when the sweep file lists its axes in another order.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from archsim.config.chip import CHIPS_DIR
from archsim.config.corpus import resolve_corpus
from archsim.config.errors import (
    ConfigError,
    clip,
    echo,
    format_validation_error,
    load_preset_data,
    read_yaml,
    resolve_preset,
    validate,
)
from archsim.config.overrides import check_path, set_path
from archsim.config.rpu import RPU_DIR
from archsim.paths import WORKLOADS_DIR
from archsim.sweep.spec import MAX_POINTS, PointConfig, RangeAxis, SweepFile, ZipAxis

#: Roots of a dotted path: the three presets and the point command.
PRESET_FOLDERS = {"workload": (WORKLOADS_DIR, "workload"), "chip": (CHIPS_DIR, "chip preset"),
                  "rpu": (RPU_DIR, "RPU preset")}  # fmt: skip
ROOTS = (*PRESET_FOLDERS, "command")


@dataclass(frozen=True)
class Axis:
    """One axis: a name (its dotted path, or the zip's key) and its options, each a set of
    assignments path -> value; ``labels`` show the options in the database and the report."""

    name: str
    options: tuple[dict[str, Any], ...]
    labels: tuple[Any, ...]
    value_range: RangeAxis | None = None  # random sampling draws from it instead of ``options``


@dataclass(frozen=True)
class Point:
    """A resolved point: its id, its axis values (label per axis) and its configuration."""

    point_id: str
    index: int
    axis_values: dict[str, Any]
    config: PointConfig

    def payload(self) -> dict[str, Any]:
        """Plain data for a worker: the configuration as JSON-able dicts."""
        return {"point_id": self.point_id, "config": self.config.model_dump(mode="json")}


@dataclass
class Sweep:
    """A validated sweep: its file, axes and every point, in order."""

    name: str
    description: str
    path: Path
    command_kind: str
    axes: list[Axis]
    points: list[Point]
    duplicates: int = 0  # random draws (or zip options) that resolved to an existing point
    notes: list[str] = field(default_factory=list)


def point_id(config: PointConfig) -> str:
    """A stable hash of the resolved configuration (16 hex digits)."""
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_path(path: str, where: str) -> list[str]:
    return check_path(path, ROOTS, where, whole=PRESET_FOLDERS)


def _parse_axis(name: str, raw: Any, random: bool, where: str) -> Axis:
    if isinstance(raw, dict) and "zip" in raw:
        spec = validate(ZipAxis, raw, where)
        if not spec.zip:
            raise ConfigError(f"{where}: zip: no paths")
        lengths = {path: len(values) for path, values in spec.zip.items()}
        for path in spec.zip:
            _check_path(path, f"{where}.zip")
        n = next(iter(lengths.values()))
        if n == 0 or any(length != n for length in lengths.values()):
            raise ConfigError(
                f"{where}: zip: every path needs the same, non-zero number of values; got {echo(lengths)}"
            )
        options = tuple({p: v[i] for p, v in spec.zip.items()} for i in range(n))
        labels = spec.labels or [
            next(iter(o.values())) if len(o) == 1 else ", ".join(f"{p}={v}" for p, v in o.items())
            for o in options
        ]
        if len(labels) != n:
            raise ConfigError(f"{where}: labels: {len(labels)} labels for {n} options")
        return Axis(name, options, tuple(labels))
    _check_path(name, where)
    if isinstance(raw, dict):
        if not random:
            raise ConfigError(
                f"{where}: a range ({{low, high}}) needs sampling: {{kind: random}}; "
                "a grid takes a list of values"
            )
        spec = validate(RangeAxis, raw, where)
        if spec.high < spec.low:
            raise ConfigError(f"{where}: high ({spec.high}) is below low ({spec.low})")
        if spec.log and spec.low <= 0:
            raise ConfigError(f"{where}: log: needs low > 0, got {spec.low}")
        return Axis(name, (), (), value_range=spec)
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected a list of values, a range or a zip, got {echo(raw)}")
    if not raw:
        raise ConfigError(f"{where}: empty axis (no values)")
    return Axis(name, tuple({name: v} for v in raw), tuple(raw))


def _draw(axis: Axis, rng: np.random.Generator) -> tuple[dict[str, Any], Any]:
    if axis.value_range is None:
        i = int(rng.integers(len(axis.options)))
        return axis.options[i], axis.labels[i]
    r = axis.value_range
    if r.log:
        value = float(math.exp(rng.uniform(math.log(r.low), math.log(r.high))))
    else:
        value = float(rng.uniform(r.low, r.high))
    if r.integer:
        value = int(min(max(round(value), math.ceil(r.low)), math.floor(r.high)))
    return {axis.name: value}, value


class _PresetCache:
    """Preset data (dicts, ``extends:`` resolved) by root and name; names resolve like the CLI's."""

    def __init__(self, sweep_dir: Path) -> None:
        self.sweep_dir = sweep_dir
        self._data: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, root: str, name: Any, where: str) -> dict[str, Any]:
        if not isinstance(name, str):
            raise ConfigError(f"{where}: a {root} preset name or YAML path, got {echo(name)}")
        if (root, name) not in self._data:
            folder, what = PRESET_FOLDERS[root]
            beside = self.sweep_dir / name
            try:
                path = beside if name.endswith((".yaml", ".yml")) and beside.is_file() else None
                path = path or resolve_preset(name, folder, what)
                data = load_preset_data(path, folder, what)
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
            if root == "rpu":  # as load_rpu: a missing kind means analog, a missing name the file's
                data.setdefault("kind", "analog")
                data.setdefault("name", path.stem)
            if root == "workload" and isinstance(data.get("corpus"), str):  # as load_workload
                data["corpus"] = resolve_corpus(data["corpus"], path)
            self._data[root, name] = data
        return copy.deepcopy(self._data[root, name])


def _resolve(
    spec: SweepFile, presets: _PresetCache, assignments: dict[str, Any], source: str, sweep_path: Path
) -> PointConfig:
    """Presets (the base, or a preset axis), then every field override, then one validation."""
    names = spec.base.model_dump()
    for path, value in assignments.items():
        if path in PRESET_FOLDERS:
            names[path] = value
    data: dict[str, Any] = {
        root: presets.get(
            root, names[root], f"{source}: {root}" if root in assignments else f"{sweep_path}: base.{root}"
        )
        for root in PRESET_FOLDERS
    }
    data["command"] = copy.deepcopy(spec.command)
    for path, value in assignments.items():
        if path not in PRESET_FOLDERS:
            set_path(data, path.split("."), value, source)
    try:
        return PointConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, PointConfig, source)) from None


def _describe(assignments: dict[str, Any]) -> str:
    text = ", ".join(f"{p}={clip(str(v), 40)}" for p, v in assignments.items()) or "the base"
    return clip(text, 200)


def load_sweep(path: str | Path) -> Sweep:
    """Read and check a sweep file and resolve every point; raises ConfigError naming the file, the
    point and the dotted path before anything runs."""
    path = Path(path)
    raw = read_yaml(path)
    spec = validate(SweepFile, raw, str(path))
    random = spec.sampling.kind == "random"
    axes = [_parse_axis(name, value, random, f"{path}: axes.{name}") for name, value in spec.axes.items()]
    claimed: dict[str, str] = {}
    for axis in axes:
        for p in {p for option in axis.options for p in option} | (
            {axis.name} if axis.value_range else set()
        ):
            if p in claimed:
                raise ConfigError(f"{path}: axes.{axis.name}: {p} is already set by axis {claimed[p]}")
            claimed[p] = axis.name
    # Points counted before any is drawn or expanded (the grid's size is a product).
    if not random and math.prod(len(a.options) for a in axes) > MAX_POINTS:
        sizes = " x ".join(str(len(a.options)) for a in axes)
        raise ConfigError(
            f"{path}: axes: the grid has {sizes} = {math.prod(len(a.options) for a in axes)} points; at "
            f"most {MAX_POINTS} (draw some with sampling: {{kind: random, samples: N}})"
        )
    if random:
        rng = np.random.default_rng(spec.sampling.seed)
        draws = []
        for _ in range(spec.sampling.samples):
            assignments, labels = {}, {}
            for axis in axes:
                option, label = _draw(axis, rng)
                assignments.update(option)
                labels[axis.name] = label
            draws.append((assignments, labels))
    else:
        draws = []
        for combo in itertools.product(*(range(len(a.options)) for a in axes)):
            assignments, labels = {}, {}
            for axis, i in zip(axes, combo, strict=True):
                assignments.update(axis.options[i])
                labels[axis.name] = axis.labels[i]
            draws.append((assignments, labels))

    presets = _PresetCache(path.parent)
    points: list[Point] = []
    seen: set[str] = set()
    for index, (assignments, labels) in enumerate(draws):
        source = f"{path}: point {index} ({_describe(assignments)})"
        config = _resolve(spec, presets, assignments, source, path)
        pid = point_id(config)
        if pid in seen:
            continue
        seen.add(pid)
        points.append(Point(pid, index, labels, config))
    kinds = {p.config.command.kind for p in points}
    return Sweep(
        name=spec.name,
        description=spec.description,
        path=path,
        command_kind="cosim" if "cosim" in kinds else "simulate",
        axes=axes,
        points=points,
        duplicates=len(draws) - len(points),
    )
