"""The sweep file (YAML) and the configuration of one point: pure data, pydantic, no Dask.

A sweep file names a base (workload, chip and RPU presets), the command run at every point
(``simulate`` or ``cosim``, each with its budget), axes over configuration fields by dotted path,
and how points are drawn from the axes (the full grid, or random samples with a seed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from archsim.config.chip import ChipConfig
from archsim.config.rpu import AnyRPUConfig
from archsim.config.workload import WorkloadConfig


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SimulateBudget(_Frozen):
    """How much work one ``simulate`` point may do."""

    max_windows: int | None = Field(
        None,
        ge=1,
        description="Windows per stream simulated at most while looking for a periodic steady state; "
        "None: the chip model's default (about 32 windows in all).",
    )


class SimulateCommand(_Frozen):
    """``archsim simulate`` at every point: the chip model's throughput, latency and energy."""

    kind: Literal["simulate"] = "simulate"
    schedule: Literal["sequential", "dataflow"] = Field("dataflow", description="Pipeline schedule.")
    streams: int = Field(1, ge=1, le=64, description="Independent sequences in flight.")
    budget: SimulateBudget = SimulateBudget()


class CosimBudget(_Frozen):
    """How much training one ``cosim`` point does."""

    chars: int = Field(ge=1, description="Training characters co-simulated (over all streams).")
    eval_chars: int | None = Field(
        100_000, ge=2, description="Test characters evaluated (a prefix of the test split); None: all."
    )
    eval_every: int | None = Field(
        None, ge=1, description="Training characters between evaluations; None: only at the end."
    )


class CosimCommand(_Frozen):
    """``archsim cosim`` at every point: training accuracy and chip timing from one run."""

    kind: Literal["cosim"] = "cosim"
    schedule: Literal["sequential", "dataflow"] = Field("dataflow", description="Pipeline schedule.")
    streams: int = Field(1, ge=1, le=64, description="Independent sequences in flight.")
    seed: int = Field(0, ge=0, description="Seed of the training run (weights, device variation, data).")
    budget: CosimBudget


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
    samples: int = Field(ge=1, le=100_000, description="Points to draw.")
    seed: int = Field(0, ge=0, description="Seed of the draw.")


AnySampling = Annotated[GridSampling | RandomSampling, Field(discriminator="kind")]


class RangeAxis(_Frozen):
    """A continuous or integer range, for random sampling only."""

    low: float = Field(description="Lowest value (inclusive).")
    high: float = Field(description="Highest value (inclusive for integers).")
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
    command: dict[str, Any] = Field(description="The point command: kind simulate or cosim, and budget.")
    axes: dict[str, Any] = Field(
        default_factory=dict,
        description="Dotted path -> list of values (grid or random choice), a range {low, high} "
        "(random), or {zip: {path: values}}. Paths: workload|chip|rpu (a preset) or "
        "workload.*, chip.*, rpu.*, command.* (a field).",
    )
    sampling: AnySampling = GridSampling()
