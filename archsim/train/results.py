"""Results of a training run: plain data that serializes to JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archsim.results import JsonResult


@dataclass
class CurvePoint:
    """One evaluation during training."""

    chars: int  # training characters seen so far
    test_ce: float  # test cross-entropy, nats per character
    train_ce: float | None  # mean training cross-entropy since the previous point (dropout on)


@dataclass
class TrainResult(JsonResult):
    """The outcome of ``archsim train``. Cross-entropies are in nats per character."""

    workload: str
    rpu: str
    seed: int
    learning_rate: float
    dropout: float
    bptt_steps: int
    status: str  # completed | interrupted | diverged
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainResult:
        data = dict(data)
        data["curve"] = [CurvePoint(**p) for p in data.get("curve", [])]
        return cls(**data)
