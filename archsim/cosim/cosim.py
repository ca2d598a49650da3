"""Co-simulation: the chip's schedule drives the analog numerics, so that accuracy and timing come
from the same events (issue 5).

The SimPy chip model runs ``windows`` training windows per stream; every array operation it
schedules runs on the real vectors through :class:`~archsim.cosim.executor.NumericsExecutor`, and
the number of bound-management passes each MVM took, and the pulse-train length BL of each update,
feed back into the chip's timing. The chip is timed as the design (chip, RPU preset): the DAC and
ADC resolutions and BL are the RPU preset's, as in ``archsim simulate --rpu``. The same windows are also
simulated without numerics (every MVM one pass), so that the result shows what the data changed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from archsim.chip.simulation import ChipRun
from archsim.config import ChipConfig, FloatingPointRPUConfig, RPUConfig, WorkloadConfig
from archsim.config.design import Design
from archsim.cosim.executor import CosimDiverged, NumericsExecutor
from archsim.cosim.results import CosimCurvePoint, CosimResult, CosimTraining, PassStats, UpdateBLStats
from archsim.train.checkpoint import load_checkpoint
from archsim.train.data import Corpus
from archsim.train.trainer import build_network, evaluate, seeds

#: Windows per stream in the trace of a co-simulation (long runs would write hundreds of MB).
TRACE_WINDOWS = 4


@dataclass
class CosimOptions:
    """How much to train and how to evaluate (the same meaning as in ``archsim train``)."""

    chars: int  # training characters in total over all streams (rounded up to whole windows)
    seed: int = 0
    streams: int = 1
    schedule: str = "dataflow"
    eval_chars: int | None = None  # prefix of the test split; None: all of it
    eval_every: int = 100_000
    eval_streams: int = 16
    learning_rate: float | None = None  # None: the workload's
    dropout: float | None = None  # None: the workload's
    timing_only: bool = True  # also simulate the same windows without numerics, for comparison
    init: Path | None = None  # start from the tiles of this training checkpoint (its seed is used)


@dataclass
class CosimProgress:
    chars_trained: int
    target_chars: int
    loss: float
    chip_seconds: float


def initial_tiles(
    path: Path, workload: WorkloadConfig, rpu: RPUConfig | FloatingPointRPUConfig
) -> tuple[list[dict], int]:
    """The tile states and the seed of a training checkpoint, which must be of this workload's
    network on this RPU (the devices follow from the seed, so the checkpoint's seed is used)."""
    where = f"--init: {path}"
    if not Path(path).is_file():
        raise ValueError(f"{where}: no such file")
    try:
        payload = load_checkpoint(path)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{where}: not a readable training checkpoint ({err})") from None
    fingerprint = payload.get("fingerprint", {})
    expected = {
        "workload": workload.model_dump(mode="json", exclude={"training", "description"}),
        "rpu": rpu.model_dump(mode="json", exclude={"name", "description"}),
    }
    differs = [key for key, value in expected.items() if fingerprint.get(key) != value]
    if differs:
        raise ValueError(
            f"{where}: the checkpoint was trained with another {' and '.join(differs)}; "
            "use the workload and --rpu it was trained with"
        )
    return payload["tiles"], int(fingerprint["seed"])


class Cosimulation:
    """One co-simulation run; ``net`` holds the tiles (their weights after :meth:`run`)."""

    def __init__(
        self,
        workload: WorkloadConfig,
        chip: ChipConfig,
        rpu: RPUConfig | FloatingPointRPUConfig,
        corpus: Corpus,
        options: CosimOptions,
        rpu_name: str = "",
        progress: Callable[[CosimProgress], None] | None = None,
    ) -> None:
        self.workload, self.rpu, self.corpus, self.options = workload, rpu, corpus, options
        self.rpu_name, self.progress = rpu_name, progress
        self.steps = workload.training.bptt_steps
        k = options.streams
        if options.chars < 1:
            raise ValueError(f"chars: expected a positive number of characters, got {options.chars}")
        if k < 1:
            raise ValueError(f"streams: expected >= 1, got {k}")
        self.part = len(corpus.train) // k
        if self.part < self.steps + 1:
            raise ValueError(
                f"corpus '{corpus.name}': {len(corpus.train)} training chars cannot feed {k} stream(s) "
                f"of windows of {self.steps + 1}"
            )
        self.eval_text = corpus.test if options.eval_chars is None else corpus.test[: options.eval_chars]
        if len(self.eval_text) < 2:
            raise ValueError(f"eval_chars: need at least 2 test characters, got {len(self.eval_text)}")
        self.design = Design(chip=chip, rpu=rpu)
        self.chip = chip
        if options.init is not None:
            tiles, seed = initial_tiles(options.init, workload, rpu)
            self.options = options = replace(options, seed=seed)
        self.net = build_network(workload, rpu, options.seed)
        if options.init is not None:
            for tile, state in zip(self.net.tiles, tiles, strict=True):
                tile.load_state_dict(state)

    def run(self) -> tuple[CosimResult, list[dict]]:
        """Train while the chip runs; returns the result and the Chrome trace of the pipeline (its
        first TRACE_WINDOWS windows per stream)."""
        wall0 = time.perf_counter()
        workload, options, chip, net, steps = self.workload, self.options, self.chip, self.net, self.steps
        k = options.streams
        lr = workload.training.learning_rate if options.learning_rate is None else options.learning_rate
        p_drop = workload.training.dropout if options.dropout is None else options.dropout
        windows = math.ceil(options.chars / (steps * k))
        target = windows * steps * k
        eval_streams = max(1, min(options.eval_streams, len(self.eval_text) - 1))
        eval_every = max(steps, options.eval_every)
        _, drop_ss, _ = seeds(options.seed)
        train = self.corpus.train
        texts = [train[s * self.part : (s + 1) * self.part] for s in range(k)] if k > 1 else [train]
        curve: list[CosimCurvePoint] = []
        tally = {"chars": 0, "interval_loss": 0.0, "interval_chars": 0, "ema": float("nan")}
        run: ChipRun | None = None

        def chip_seconds() -> float:
            return run.env.now / chip.clock_ghz * 1e-9 if run is not None else 0.0

        def add_eval() -> None:
            chars = tally["interval_chars"]
            train_ce = tally["interval_loss"] / chars if chars else None
            executor.flush()
            test_ce = evaluate(net, self.eval_text, steps, eval_streams)
            curve.append(CosimCurvePoint(tally["chars"], test_ce, train_ce, chip_seconds()))
            tally["interval_loss"], tally["interval_chars"] = 0.0, 0

        def window_done(stream: int, index: int, loss: float) -> None:
            tally["chars"] += steps
            tally["interval_loss"] += loss * steps
            tally["interval_chars"] += steps
            ema = tally["ema"]
            tally["ema"] = loss if math.isnan(ema) else 0.98 * ema + 0.02 * loss
            if tally["chars"] % eval_every < steps and tally["chars"] < target:
                add_eval()
            if self.progress is not None:
                self.progress(CosimProgress(tally["chars"], target, tally["ema"], chip_seconds()))

        executor = NumericsExecutor(
            net,
            [a.name for a in workload.arrays()],
            texts,
            steps,
            lr,
            p_drop,
            np.random.default_rng(drop_ss),
            2 * math.log(workload.vocab_size),
            window_done,
        )
        add_eval()
        run = ChipRun(workload, self.design, options.schedule, k, hook=executor)
        status, message = "completed", ""
        try:
            run.run(windows=windows)
            executor.flush()
        except CosimDiverged as err:
            status = "diverged"
            message = f"{err} at {tally['chars']} chars; the co-simulation stopped"
        if status == "completed":
            if curve[-1].chars != tally["chars"]:
                add_eval()
            message = f"trained {tally['chars']} chars in {chip_seconds() * 1e3:.3f} ms of chip time"
        chip_result = run.result() if status == "completed" else None
        trace = run.trace(TRACE_WINDOWS) if status == "completed" else []
        timing_only: dict[str, float] = {}
        if options.timing_only and chip_result is not None:
            plain = ChipRun(workload, self.design, options.schedule, k).run(windows=windows).result()
            timing_only = {
                "ns_per_char": plain.ns_per_char,
                "teraops_per_s": plain.teraops_per_s,
                "slowdown_from_numerics": chip_result.ns_per_char / plain.ns_per_char,
            }
        stats = sorted(executor.pass_stats.items())
        passes = [
            PassStats(array, verb, ops, total / ops, top, total - ops)
            for (array, verb), (ops, total, top) in stats
            if verb != "update"
        ]
        update_bl = [
            UpdateBLStats(array, ops, total / ops, top)
            for (array, verb), (ops, total, top) in stats
            if verb == "update"
        ]
        last = curve[-1]
        training = CosimTraining(
            learning_rate=lr,
            dropout=p_drop,
            bptt_steps=steps,
            test_ce=last.test_ce,
            train_ce=next((c.train_ce for c in reversed(curve) if c.train_ce is not None), None),
            chars_trained=tally["chars"],
            eval_chars=((len(self.eval_text) - 1) // eval_streams) * eval_streams,
            eval_streams=eval_streams,
            curve=curve,
        )
        result = CosimResult(
            workload=workload.name,
            chip_name=chip.name,
            rpu=self.rpu_name,
            seed=options.seed,
            streams=k,
            schedule=options.schedule,
            status=status,
            message=message,
            chip=chip_result,
            train=training,
            passes=passes,
            update_bl=update_bl,
            timing_only=timing_only,
            wall_seconds=time.perf_counter() - wall0,
        )
        return result, trace


def cosimulate(
    workload: WorkloadConfig,
    chip: ChipConfig,
    rpu: RPUConfig | FloatingPointRPUConfig,
    corpus: Corpus,
    options: CosimOptions,
    rpu_name: str = "",
    progress: Callable[[CosimProgress], None] | None = None,
) -> tuple[CosimResult, list[dict]]:
    """Train ``workload`` on ``rpu`` tiles while the chip model runs it; returns the result and
    the Chrome trace of the pipeline (its first TRACE_WINDOWS windows per stream)."""
    return Cosimulation(workload, chip, rpu, corpus, options, rpu_name, progress).run()
