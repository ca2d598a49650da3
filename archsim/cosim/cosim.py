"""Co-simulation: the chip's schedule drives the analog numerics, so that accuracy and timing come
from the same events (issue 5).

The SimPy chip model runs ``windows`` training windows per stream; every array operation it
schedules runs on the real vectors through :class:`~archsim.cosim.executor.NumericsExecutor`, and
the number of bound-management passes each MVM took, and the pulse-train length BL of each update,
feed back into the chip's timing. The chip is timed as the design (chip, RPU preset): the DAC and
ADC resolutions and BL are the RPU preset's, as in ``archsim simulate --rpu``. The same windows are also
timed without numerics (every MVM one pass), so that the result shows what the data changed.

By default the chip takes the fast path (``ChipRun.run(fast=True)``, :mod:`archsim.chip.schedule`):
the periods of the steady state in which every operation gets the answers of the last period are
not simulated again, and the figures are those of the event-by-event run, cycle for cycle
(``CosimOptions.exact_timing`` simulates every window, for validation).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archsim.chip.simulation import ChipRun
from archsim.config import ChipConfig, FloatingPointRPUConfig, RPUConfig, WorkloadConfig
from archsim.config.design import Design
from archsim.config.options import CosimOptions
from archsim.cosim.executor import CosimDiverged, NumericsExecutor
from archsim.cosim.images import image_executor
from archsim.numerics import NonFiniteError
from archsim.results import CosimCurvePoint, CosimRecord, CosimResult, CosimTraining, PassStats, UpdateBLStats
from archsim.train.checkpoint import CheckpointError, fingerprint_differences, load_checkpoint, restore_tiles
from archsim.train.data import Corpus
from archsim.train.session import TrainingDiverged, TrainingSession, network_fingerprint

__all__ = ["CosimOptions", "CosimProgress", "Cosimulation", "cosimulate", "initial_tiles"]

#: Windows per stream in the trace of a co-simulation (long runs would write hundreds of MB).
TRACE_WINDOWS = 4


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
    network on this RPU (the devices follow from the seed, so the checkpoint's seed is used).
    The states are checked against the tiles by :func:`restore_tiles` once they exist."""
    payload = load_checkpoint(path, "--init")
    fingerprint = payload["fingerprint"]
    expected = network_fingerprint(workload, rpu)
    stored = {key: fingerprint.get(key) for key in expected}
    differs = [key for key in expected if stored[key] != json.loads(json.dumps(expected[key]))]
    if differs:
        details = "; ".join(fingerprint_differences(stored, expected)[:6])
        raise CheckpointError(
            path,
            f"trained with another {' and '.join(differs)} ({details}); "
            "use the workload and --rpu it was trained with",
            "--init",
        )
    seed = fingerprint.get("seed")
    if type(seed) is not int or seed < 0:
        raise CheckpointError(path, "fingerprint: seed: expected an integer >= 0", "--init")
    return payload["tiles"], seed


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
        tiles = None
        if options.init is not None:
            tiles, seed = initial_tiles(options.init, workload, rpu)
            options = options.model_copy(update={"seed": seed})
        self.workload, self.chip, self.rpu, self.options = workload, chip, rpu, options
        self.rpu_name, self.progress = rpu_name, progress
        self.design = Design(chip=chip, rpu=rpu)
        self.session = TrainingSession(workload, rpu, corpus, options, options.streams, CosimCurvePoint)
        self.net = self.session.net
        self.chip_run: ChipRun | None = None  # the chip's run, once :meth:`run` has started it
        if tiles is not None:
            names = [a.name for a in workload.arrays()]
            restore_tiles(Path(options.init), tiles, self.net.tiles, names, "--init")

    def run(self) -> tuple[CosimResult, list[dict]]:
        """Train while the chip runs; returns the result and the Chrome trace of the pipeline (its
        first TRACE_WINDOWS windows per stream)."""
        wall0 = time.perf_counter()
        workload, options, chip, session = self.workload, self.options, self.chip, self.session
        k = options.streams
        windows = session.target // (session.steps * k)
        run: ChipRun | None = None

        def chip_seconds() -> float:
            return run.scheduler.now / chip.clock_ghz * 1e-9 if run is not None else 0.0

        def evaluate() -> None:
            executor.flush()
            session.evaluate(chip_seconds=chip_seconds())

        def window_done(stream: int, index: int, loss: float) -> None:
            session.record_window(loss)
            if session.evaluation_due():
                evaluate()
            if self.progress is not None:
                self.progress(CosimProgress(session.chars, session.target, session.ema, chip_seconds()))

        executor = image_executor(session, window_done) if workload.is_image else None
        executor = executor or NumericsExecutor(
            self.net,
            [a.name for a in workload.arrays()],
            session.texts,
            session.steps,
            session.learning_rate,
            session.dropout,
            session.dropout_rng,
            session.check_loss,
            window_done,
        )
        evaluate()
        run = self.chip_run = ChipRun(
            workload, self.design, options.schedule, k, hook=executor, engine=options.engine
        )
        fast = not options.exact_timing
        status, message = "completed", ""
        try:
            try:
                run.run(windows=windows, fast=fast, exact_windows=TRACE_WINDOWS)
                executor.flush()
            except NonFiniteError:  # met outside a scheduled operation (the updates flushed to evaluate)
                raise session.overflowed() from None
            session.finish(chip_seconds=chip_seconds())
            message = f"trained {session.chars} chars in {chip_seconds() * 1e3:.3f} ms of chip time"
        except CosimDiverged as err:  # NaN/inf inside an operation: the executor's own check
            status, message = "diverged", f"{err} at {session.chars} chars; the co-simulation stopped"
        except TrainingDiverged as err:  # the session's rules: loss, evaluation, final test CE
            status, message = "diverged", f"{err}; the co-simulation stopped"
        chip_result = run.result() if status == "completed" else None
        trace = run.trace(TRACE_WINDOWS) if status == "completed" else []
        timing_only: dict[str, float] = {}
        if options.timing_only and chip_result is not None:
            if fast and not run.scheduler.perturbed:
                # Every answer was the nominal one: the run without numerics is this very run.
                plain = chip_result
            else:
                plain = (
                    ChipRun(workload, self.design, options.schedule, k, engine=options.engine)
                    .run(windows=windows, fast=fast)
                    .result()
                )
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
        result = CosimResult(
            workload=workload.name,
            chip_name=chip.name,
            rpu=self.rpu_name or self.rpu.name,
            seed=options.seed,
            streams=k,
            schedule=options.schedule,
            status=status,
            message=message,
            chip=chip_result,
            train=CosimTraining(**self.session.summary()),
            passes=passes,
            update_bl=update_bl,
            timing_only=timing_only,
            wall_seconds=time.perf_counter() - wall0,
            record=CosimRecord(workload=workload, chip=chip, rpu=self.rpu, options=options),
            windows=windows,
            trace_windows=min(TRACE_WINDOWS, windows) if trace else 0,
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
