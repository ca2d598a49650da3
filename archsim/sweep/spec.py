"""The sweep file (YAML) and the configuration of one point: pure data, pydantic, no Dask.

A sweep file names a base (workload, chip and RPU presets), the command run at every point
(``simulate`` or ``cosim``: ``kind`` and that command's run options), axes over configuration
fields by dotted path, and how points are drawn from the axes (the full grid, or random samples
with a seed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from archsim.config.chip import ChipConfig
from archsim.config.options import CosimOptions, EvalChars, EvalEvery, SimulateOptions, TimingOnly
from archsim.config.rpu import AnyRPUConfig
from archsim.config.workload import WorkloadConfig

#: Most points of a sweep: the grid's size, or random samples (resolving takes ~3 ms a point).
MAX_POINTS = 10_000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class SimulateCommand(SimulateOptions):
    """``archsim simulate`` at every point: the chip model's throughput, latency and energy."""

    kind: Literal["simulate"] = "simulate"

    # Validated inside a point: pydantic's errors, which load_sweep names with the file and path.
    __init__ = BaseModel.__init__


class CosimCommand(CosimOptions):
    """``archsim cosim`` at every point: training accuracy and chip timing from one run. Its
    defaults bound the work of a point: the first 100,000 test characters are evaluated, before
    training and at the end only, and no timing-only run is made."""

    kind: Literal["cosim"] = "cosim"
    eval_chars: EvalChars = 100_000
    eval_every: EvalEvery = None
    timing_only: TimingOnly = False

    __init__ = BaseModel.__init__  # as SimulateCommand's


AnyCommand = Annotated[SimulateCommand | CosimCommand, Field(discriminator="kind")]


class PointConfig(_Frozen):
    """One point of a sweep, fully resolved: what a worker needs to run it, and what its id hashes."""

    workload: WorkloadConfig
    chip: ChipConfig
    rpu: AnyRPUConfig
    command: AnyCommand


class BaseSpec(_Frozen):
    """The presets every point starts from (names or YAML paths)."""

    workload: str = Field(description="Workload preset, e.g. lstm2-512-wp.")
    chip: str = Field(description="Chip preset, e.g. baseline.")
    rpu: str = Field("rpu-baseline", description="RPU device preset, e.g. rpu-baseline.")


class GridSampling(_Frozen):
    """Every combination of the axes' values."""

    kind: Literal["grid"] = "grid"


class RandomSampling(_Frozen):
    """``samples`` points drawn independently per axis (lists: uniform choice; ranges: uniform or
    log-uniform), reproducible from ``seed``; duplicates are dropped."""

    kind: Literal["random"] = "random"
    samples: int = Field(ge=1, le=MAX_POINTS, description="Points to draw.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of the draw.")


AnySampling = Annotated[GridSampling | RandomSampling, Field(discriminator="kind")]


class RangeAxis(_Frozen):
    """A continuous or integer range, for random sampling only."""

    low: float = Field(description="Lowest value (inclusive), finite.")
    high: float = Field(description="Highest value (inclusive for integers), finite.")
    log: bool = Field(False, description="Draw log-uniformly (low > 0).")
    integer: bool = Field(False, description="Round to an integer.")


class ZipAxis(_Frozen):
    """Several paths that change together: value i of every path forms option i of the axis."""

    zip: dict[str, list[Any]] = Field(description="Dotted path -> values, all lists of one length.")
    labels: list[str] | None = Field(None, description="A name per option (default: the values).")


class SweepFile(_Frozen):
    """A sweep file as written (axes are checked point by point, see :mod:`archsim.sweep.points`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Short name; names the default DB.")
    description: str = Field("", description="What the sweep asks.")
    base: BaseSpec
    command: dict[str, Any] = Field(
        description="The point command: kind simulate or cosim, and its run options (archsim.config.options)."
    )
    axes: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted path -> list of values (grid or random choice), a range {low, high} "
        "(random), or {zip: {path: values}}. Paths: workload|chip|rpu (a preset) or "
        "workload.*, chip.*, rpu.*, command.* (a field).",
    )
    sampling: AnySampling = GridSampling()
