"""Results of a chip simulation: plain, serializable data (the report reads only these)."""

from __future__ import annotations

from dataclasses import dataclass, field

from archsim.results import JsonResult


@dataclass
class Finding:
    """Something the architect must know: ``level`` error or warning, the config field it concerns."""

    level: str
    field: str
    message: str


@dataclass
class MappedArraySummary:
    name: str
    rows: int
    cols: int
    devices: int
    tiles: list[str]
    nlf_unit: str


@dataclass
class SteadyState:
    """How the per-window figures were obtained."""

    periodic: bool  # True: the schedule repeated exactly and the epoch was extrapolated exactly
    period_windows: int  # windows per stream in one period
    period_ns: float
    first_periodic_window: int
    windows_simulated: int  # windows per stream
    note: str


@dataclass
class ChipResult(JsonResult):
    """Everything ``archsim simulate`` reports. Times in ns unless named otherwise."""

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
    utilization: dict[str, float]
    busiest_array: str
    breakdown: dict[str, float]  # busiest array's time: busy, extra_passes, nlf, memory, link, ...
    breakdown_by_array: dict[str, dict[str, float]]
    energy_pj_per_char: dict[str, float]
    memory: dict[str, float | int | bool | None]
    arrays: list[MappedArraySummary]
    steady_state: SteadyState
    findings: list[Finding] = field(default_factory=list)
    simulated_events: int = 0
    simulated_operations: int = 0
    wall_seconds: float = 0.0
