"""Training as the paper trains: plain SGD, batch 1, fixed learning rate, nBPTT-step windows.

One window: forward over T = nBPTT characters (the hidden state carried in from the previous
window), backward through the window (truncated at its start), then each tile receives the T
rank-1 updates of the window in time order (one ``tile.update`` call of T rows). Dropout acts on
the non-recurrent connections only (each layer's output towards the layer above and the softmax),
with inverted scaling 1/(1-p). Each time step's loss contributes its own rank-1 update, so the
learning rate is per character: ``W -= lr * d_t x_t^T`` for every t.

The network, the options' resolution, evaluation, the divergence rule and the curve are the
:class:`~archsim.train.session.TrainingSession`'s, which the co-simulation drives too; this module
is the loop over windows, with checkpoints, resume and Ctrl-C.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archsim.config import FloatingPointRPUConfig, RPUConfig, WorkloadConfig
from archsim.config.options import TrainOptions
from archsim.numerics import NonFiniteError
from archsim.results import TrainRecord, TrainResult
from archsim.train.checkpoint import (
    CHECKPOINT_NAME,
    OLD_CHECKPOINT_NAME,
    OLD_FORMAT,
    CheckpointError,
    load_checkpoint,
    restore,
    save_checkpoint,
)
from archsim.train.data import Corpus
from archsim.train.images import ImageData
from archsim.train.session import TrainingDiverged, TrainingSession

__all__ = ["Progress", "TrainOptions", "train"]


@dataclass
class Progress:
    """What the progress callback receives after every window."""

    chars_trained: int
    target_chars: int
    loss: float  # running (exponential) mean of the training CE, nats per character
    chars_per_s: float  # training throughput of this invocation


class _StopFlag:
    """Ctrl-C sets the flag (the loop checkpoints at the next window boundary); a second one aborts."""

    def __init__(self) -> None:
        self.set = False
        self._old: Any = None

    def __enter__(self) -> _StopFlag:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.set:
            raise KeyboardInterrupt
        self.set = True

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def train(
    workload: WorkloadConfig,
    rpu: RPUConfig | FloatingPointRPUConfig,
    corpus: Corpus | ImageData,
    options: TrainOptions,
    out_dir: Path,
    resume: bool = False,
    rpu_name: str = "",
    progress: Callable[[Progress], None] | None = None,
    on_evaluation: Callable[[int, int, int], None] | None = None,
) -> TrainResult:
    """Train one run, its checkpoint in ``out_dir`` (``resume``: continue it); returns its result.
    Raises nothing on divergence or Ctrl-C: the result's ``status`` says ``diverged`` or
    ``interrupted`` and ``message`` says why. ``progress`` is called after every window,
    ``on_evaluation`` during every evaluation (:attr:`TrainingSession.on_evaluation`)."""
    wall0 = time.perf_counter()
    session = TrainingSession(workload, rpu, corpus, options)
    session.on_evaluation = on_evaluation
    steps, net, rng, text = session.steps, session.net, session.dropout_rng, session.texts[0]
    images = session.images
    state = None if images is not None else net.new_state()
    ckpt_path = Path(out_dir) / CHECKPOINT_NAME
    loop: dict[str, Any] = {"pos": 0, "train_seconds": 0.0, "timed_chars": 0}
    old_path = Path(out_dir) / OLD_CHECKPOINT_NAME
    if resume:
        if not ckpt_path.exists() and old_path.exists():
            raise CheckpointError(old_path, OLD_FORMAT, "--resume")
        if not ckpt_path.exists():
            raise CheckpointError(
                ckpt_path, "no such file: nothing to resume (run without --resume)", "--resume"
            )
        payload = load_checkpoint(ckpt_path, "--resume")
        resumed = restore(ckpt_path, payload, session, state, "--resume")
        loop = {key: resumed[key] for key in loop}
    elif ckpt_path.exists():
        raise FileExistsError(
            f"--out: {ckpt_path} exists; pass --resume to continue it or choose another --out directory"
        )
    elif old_path.exists():
        raise FileExistsError(
            f"--out: {old_path}: a checkpoint of archsim's old format (a pickle, no longer loaded) is in "
            "the way; choose another --out directory"
        )

    saved_chars = session.chars  # of the checkpoint on disk, named if the run diverges

    def checkpoint() -> None:
        nonlocal saved_chars
        save_checkpoint(
            ckpt_path,
            {
                "fingerprint": session.fingerprint,
                "tiles": [tile.state_dict() for tile in net.tiles],
                "state": {"h": [], "c": []} if state is None else state.to_dict(),
                "rng_dropout": rng.bit_generator.state,
                "progress": {**session.state_dict(), **loop},
            },
        )
        saved_chars = session.chars

    status, message = "completed", ""
    order = None  # the current epoch's order of the train images (image networks)
    first_window = True
    run_chars, run_seconds = 0, 0.0
    last_ckpt = time.perf_counter()
    with _StopFlag() as stop:
        try:
            if not session.curve:
                session.evaluate()
                checkpoint()
            while session.chars < session.target:
                if stop.set:
                    status = "interrupted"
                    message = f"interrupted at {session.chars} chars; checkpoint written"
                    break
                pos = loop["pos"]
                t0 = time.perf_counter()
                try:
                    if images is not None:  # one image, in the epoch's seeded order
                        if pos >= len(text):
                            pos = 0
                        if pos == 0 or order is None:
                            order = session.epoch_order(session.chars // len(text))
                        k = order[pos]
                        loss = net.train_image(
                            images.train_images[k], images.train_labels[k], session.learning_rate
                        )
                    else:
                        if pos + steps + 1 > len(text):  # next epoch: start over with a fresh state
                            pos = 0
                            state.reset()
                        loss = _train_window(net, text[pos : pos + steps + 1], state, rng, session)
                except NonFiniteError:  # an operation overflowed (e.g. weights after a huge step)
                    raise session.overflowed() from None
                elapsed = time.perf_counter() - t0
                if not first_window:  # the first window of an invocation pays JIT compilation
                    loop["train_seconds"] += elapsed
                    loop["timed_chars"] += steps
                first_window = False
                run_chars += steps
                run_seconds += elapsed
                loop["pos"] = pos + steps
                session.record_window(loss)
                session.check_loss(loss)
                if progress is not None:
                    speed = run_chars / max(run_seconds, 1e-9)
                    progress(Progress(session.chars, session.target, session.ema, speed))
                if session.evaluation_due():
                    session.evaluate()
                    checkpoint()
                    last_ckpt = time.perf_counter()
                elif time.perf_counter() - last_ckpt > options.checkpoint_every_s:
                    checkpoint()
                    last_ckpt = time.perf_counter()
            if status == "completed":
                session.finish()
            checkpoint()
        except TrainingDiverged as err:  # the diverged state is not checkpointed
            status, message = "diverged", str(err)
    if status == "diverged":
        message += (
            f"; training stopped, the last good checkpoint ({saved_chars} {session.sample_unit}) is kept at "
            f"{ckpt_path}; "
            f"try a lower learning rate (now {session.learning_rate:g})"
        )
    return TrainResult(
        workload=workload.name,
        rpu=rpu_name or rpu.name,
        seed=options.seed,
        status=status,
        message=message or f"trained {session.chars} {session.sample_unit}",
        epochs=session.chars / session.epoch_chars,
        seconds=time.perf_counter() - wall0,
        train_seconds=loop["train_seconds"],
        ms_per_char=1e3 * loop["train_seconds"] / loop["timed_chars"] if loop["timed_chars"] else None,
        checkpoint=str(ckpt_path),
        **session.summary(),
        record=TrainRecord(workload=workload, rpu=rpu, options=options),
        test_error=session.curve[-1].test_error if session.curve else None,
        notes=session.notes,
    )


def _train_window(
    net: Any, seq: np.ndarray, state: Any, rng: np.random.Generator, session: TrainingSession
) -> float:
    """One LSTM window (inputs ``seq[:-1]``, targets ``seq[1:]``): forward, backward, the updates;
    returns its mean training CE."""
    steps = len(seq) - 1
    masks = net.dropout_masks(rng, session.dropout, steps) if session.dropout > 0 else None
    window = net.forward(seq[:-1, None], seq[1:, None], state, masks)
    loss = float(window.loss.mean(dtype=np.float64))
    pairs = net.backward(window) if math.isfinite(loss) else []
    if not math.isfinite(loss) or not all(np.isfinite(d).all() for _, d in pairs):
        raise TrainingDiverged(f"loss or gradients became NaN/inf in the window at {session.chars} chars")
    net.update(pairs, session.learning_rate)
    return loss
