"""Results of a co-simulation: plain data that serializes to JSON (the report reads only these)."""

from __future__ import annotations

from dataclasses import dataclass, field

from archsim.chip.results import ChipResult
from archsim.results import JsonResult


@dataclass
class CosimCurvePoint:
    """One evaluation: after ``chars`` training characters, at ``chip_seconds`` of simulated chip time."""

    chars: int
    test_ce: float  # nats per character
    train_ce: float | None  # mean training CE since the previous point (dropout on)
    chip_seconds: float


@dataclass
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


@dataclass
class PassStats:
    """Bound-management passes of one kind of array operation over the run."""

    array: str
    verb: str  # forward or backward
    operations: int
    mean_passes: float
    max_passes: int
    extra_passes: int  # passes beyond the first, summed: extra array cycles


@dataclass
class UpdateBLStats:
    """Pulse-train lengths of the rank-1 updates of one array over the run (BL management picks
    them per update; a fixed BL gives that BL every time)."""

    array: str
    updates: int
    mean_bl: float
    max_bl: int


@dataclass
class CosimResult(JsonResult):
    """The outcome of ``archsim cosim``: accuracy and timing from the same events."""

    workload: str
    chip_name: str
    rpu: str
    seed: int
    streams: int
    schedule: str
    status: str  # completed | diverged
    message: str
    chip: ChipResult | None  # over the simulated windows, passes included; None if diverged
    train: CosimTraining
    passes: list[PassStats]
    update_bl: list[UpdateBLStats]
    timing_only: dict[str, float]  # the same windows without numerics (every MVM one pass)
    wall_seconds: float
