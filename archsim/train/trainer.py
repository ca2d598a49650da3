"""Training as the paper trains: plain SGD, batch 1, fixed learning rate, nBPTT-step windows.

One window: forward over T = nBPTT characters (the hidden state carried in from the previous
window), backward through the window (truncated at its start), then each tile receives the T
rank-1 updates of the window in time order (one ``tile.update`` call of T rows). Dropout acts on
the non-recurrent connections only (each layer's output towards the layer above and the softmax),
with inverted scaling 1/(1-p). Each time step's loss contributes its own rank-1 update, so the
learning rate is per character: ``W -= lr * d_t x_t^T`` for every t.

Every stochastic piece derives from ``seed`` through numpy's SeedSequence: children 0 (weight
init), 1 (dropout masks), 2 (one seed per tile). Evaluation restores the tiles' state afterwards,
so it never changes the training trajectory (analog tiles draw noise in forward).
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archsim.config import FloatingPointRPUConfig, RPUConfig, WorkloadConfig
from archsim.numerics import make_tile
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from archsim.train.data import Corpus
from archsim.train.lstm import LSTMNetwork
from archsim.train.results import CurvePoint, TrainResult

#: Windows in the running mean that the divergence test looks at.
DIVERGE_WINDOWS = 10


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf or exceeded the divergence threshold."""


@dataclass
class TrainOptions:
    """How long to train, how to evaluate and where to keep the checkpoint."""

    out_dir: Path
    chars: int | None = None  # training characters in total (rounded up to whole windows)
    epochs: float | None = None  # used when chars is None; default 1 epoch
    eval_chars: int | None = None  # prefix of the test split to evaluate on; None: all of it
    eval_every: int = 100_000  # training characters between evaluations
    eval_streams: int = 16  # the test prefix is cut into this many streams evaluated side by side
    seed: int = 0
    learning_rate: float | None = None  # None: the workload's training.learning_rate
    dropout: float | None = None  # None: the workload's training.dropout
    resume: bool = False
    checkpoint_every_s: float = 300.0
    diverge_ce: float | None = None  # running-mean CE that counts as diverged; None: 2 ln V


@dataclass
class Progress:
    """What the progress callback receives after every window."""

    chars_trained: int
    target_chars: int
    loss: float  # running (exponential) mean of the training CE, nats per character
    chars_per_s: float  # training throughput of this invocation


def seeds(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence, np.random.SeedSequence]:
    init, dropout, tiles = np.random.SeedSequence(seed).spawn(3)
    return init, dropout, tiles


def build_network(
    workload: WorkloadConfig, rpu: RPUConfig | FloatingPointRPUConfig, seed: int
) -> LSTMNetwork:
    """The workload's network on tiles of ``rpu``, initialised from ``seed``."""
    init_ss, _, tiles_ss = seeds(seed)
    shapes = workload.arrays()
    tile_seeds = tiles_ss.generate_state(len(shapes), dtype=np.uint32)
    tiles = [make_tile(a.rows, a.cols, rpu, int(s)) for a, s in zip(shapes, tile_seeds, strict=True)]
    net = LSTMNetwork(workload.vocab_size, workload.model.hidden_size, workload.model.num_layers, tiles)
    net.init_weights(np.random.default_rng(init_ss))
    return net


def evaluate(net: LSTMNetwork, text: np.ndarray, steps: int, streams: int) -> float:
    """Mean cross-entropy (nats/char) of predicting ``text[k+1]`` from ``text[:k+1]``, no dropout.

    The text is cut into ``streams`` contiguous pieces run side by side (batched forward), each
    from a zero state; the tiles' state is restored afterwards.
    """
    streams = max(1, min(streams, len(text) - 1))
    length = (len(text) - 1) // streams
    cols = np.stack([text[s * length : s * length + length + 1] for s in range(streams)], axis=1)
    saved = [tile.state_dict() for tile in net.tiles]
    state = net.new_state(streams)
    total = 0.0
    try:
        for start in range(0, length, steps):
            stop = min(start + steps, length)
            window = net.forward(cols[start:stop], cols[start + 1 : stop + 1], state)
            total += float(window.loss.sum(dtype=np.float64))
    finally:
        for tile, st in zip(net.tiles, saved, strict=True):
            tile.load_state_dict(st)
    return total / (length * streams)


def _fingerprint(workload: WorkloadConfig, rpu: Any, seed: int, lr: float, dropout: float) -> dict[str, Any]:
    return {
        "workload": workload.model_dump(mode="json", exclude={"training", "description"}),
        "bptt_steps": workload.training.bptt_steps,
        "rpu": rpu.model_dump(mode="json", exclude={"name", "description"}),
        "seed": seed,
        "learning_rate": lr,
        "dropout": dropout,
    }


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
    corpus: Corpus,
    options: TrainOptions,
    rpu_name: str = "",
    progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    """Train (or resume) one run; returns its result. Raises nothing on divergence or Ctrl-C:
    the result's ``status`` says ``diverged`` or ``interrupted`` and ``message`` says why."""
    wall0 = time.perf_counter()
    steps = workload.training.bptt_steps
    lr = workload.training.learning_rate if options.learning_rate is None else options.learning_rate
    p_drop = workload.training.dropout if options.dropout is None else options.dropout
    if not 0 <= p_drop < 1:
        raise ValueError(f"dropout: expected 0 <= p < 1, got {p_drop}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate: expected a finite value > 0, got {lr}")
    train_text, test_text = corpus.train, corpus.test
    if len(train_text) < steps + 1:
        raise ValueError(
            f"corpus '{corpus.name}': train split of {len(train_text)} chars < one window ({steps + 1})"
        )
    epoch_chars = ((len(train_text) - 1) // steps) * steps
    if options.chars is not None:
        target = options.chars
    else:
        target = int(round((options.epochs if options.epochs is not None else 1.0) * epoch_chars))
    target = -(-target // steps) * steps
    eval_text = test_text if options.eval_chars is None else test_text[: options.eval_chars]
    if len(eval_text) < 2:
        raise ValueError(f"--eval-chars: need at least 2 test characters, got {len(eval_text)}")
    eval_streams = max(1, min(options.eval_streams, len(eval_text) - 1))
    eval_every = max(steps, options.eval_every)
    diverge_ce = options.diverge_ce if options.diverge_ce is not None else 2 * math.log(workload.vocab_size)

    net = build_network(workload, rpu, options.seed)
    _, drop_ss, _ = seeds(options.seed)
    rng = np.random.default_rng(drop_ss)
    state = net.new_state()
    fingerprint = _fingerprint(workload, rpu, options.seed, lr, p_drop)
    ckpt_path = Path(options.out_dir) / CHECKPOINT_NAME
    prog: dict[str, Any] = {
        "chars_trained": 0,
        "pos": 0,
        "curve": [],
        "interval_loss": 0.0,
        "interval_chars": 0,
        "recent": [],
        "train_seconds": 0.0,
        "timed_chars": 0,
        "ema": None,
    }
    if options.resume:
        payload = load_checkpoint(ckpt_path)
        if payload["fingerprint"] != fingerprint:
            diff = [k for k in fingerprint if payload["fingerprint"].get(k) != fingerprint[k]]
            raise ValueError(
                f"--resume: checkpoint {ckpt_path} was written for a different run (differs in: "
                f"{', '.join(diff)}); use the same workload, --rpu, --seed, learning rate and dropout"
            )
        for tile, st in zip(net.tiles, payload["tiles"], strict=True):
            tile.load_state_dict(st)
        state.load(payload["state"])
        rng.bit_generator.state = payload["rng_dropout"]
        prog = payload["progress"]
    elif ckpt_path.exists():
        raise FileExistsError(
            f"--out: {ckpt_path} exists; pass --resume to continue it or choose another --out directory"
        )

    recent = deque(prog["recent"], maxlen=DIVERGE_WINDOWS)
    curve = [CurvePoint(**c) for c in prog["curve"]]

    def checkpoint() -> None:
        prog["curve"] = [asdict(c) for c in curve]
        prog["recent"] = list(recent)
        save_checkpoint(
            ckpt_path,
            {
                "fingerprint": fingerprint,
                "tiles": [tile.state_dict() for tile in net.tiles],
                "state": state.to_dict(),
                "rng_dropout": rng.bit_generator.state,
                "progress": prog,
            },
        )

    def add_eval() -> None:
        train_ce = prog["interval_loss"] / prog["interval_chars"] if prog["interval_chars"] else None
        test_ce = evaluate(net, eval_text, steps, eval_streams)
        curve.append(CurvePoint(prog["chars_trained"], test_ce, train_ce))
        prog["interval_loss"], prog["interval_chars"] = 0.0, 0

    status, message = "completed", ""
    first_window = True
    run_chars, run_seconds = 0, 0.0
    last_ckpt = time.perf_counter()
    with _StopFlag() as stop:
        if not curve:
            add_eval()
            checkpoint()
        while prog["chars_trained"] < target:
            if stop.set:
                status, message = (
                    "interrupted",
                    f"interrupted at {prog['chars_trained']} chars; checkpoint written",
                )
                break
            pos = prog["pos"]
            if pos + steps + 1 > len(train_text):  # next epoch: start over with a fresh state
                pos = 0
                state.reset()
            seq = train_text[pos : pos + steps + 1]
            t0 = time.perf_counter()
            masks = net.dropout_masks(rng, p_drop, steps) if p_drop > 0 else None
            window = net.forward(seq[:-1, None], seq[1:, None], state, masks)
            loss = float(window.loss.mean(dtype=np.float64))
            pairs = net.backward(window) if math.isfinite(loss) else []
            if not math.isfinite(loss) or not all(np.isfinite(d).all() for _, d in pairs):
                status = "diverged"
                message = f"loss or gradients became NaN/inf in the window at {prog['chars_trained']} chars"
                break
            net.update(pairs, lr)
            elapsed = time.perf_counter() - t0
            if not first_window:  # the first window of an invocation pays JIT compilation
                prog["train_seconds"] += elapsed
                prog["timed_chars"] += steps
            first_window = False
            run_chars += steps
            run_seconds += elapsed
            prog["chars_trained"] += steps
            prog["pos"] = pos + steps
            prog["interval_loss"] += loss * steps
            prog["interval_chars"] += steps
            recent.append(loss)
            prog["ema"] = loss if prog["ema"] is None else 0.98 * prog["ema"] + 0.02 * loss
            running = sum(recent) / len(recent)
            if len(recent) == recent.maxlen and running > diverge_ce:
                status = "diverged"
                message = (
                    f"mean training CE of the last {len(recent)} windows is {running:.3f} nats/char at "
                    f"{prog['chars_trained']} chars, above the divergence threshold {diverge_ce:.3f}"
                )
                break
            if progress is not None:
                progress(
                    Progress(prog["chars_trained"], target, prog["ema"], run_chars / max(run_seconds, 1e-9))
                )
            if prog["chars_trained"] % eval_every < steps and prog["chars_trained"] < target:
                add_eval()
                checkpoint()
                last_ckpt = time.perf_counter()
            elif time.perf_counter() - last_ckpt > options.checkpoint_every_s:
                checkpoint()
                last_ckpt = time.perf_counter()
        if status == "completed":
            if curve[-1].chars != prog["chars_trained"]:
                add_eval()
            checkpoint()
        elif status == "interrupted":
            checkpoint()
    if status == "diverged":
        good = load_checkpoint(ckpt_path)["progress"]["chars_trained"] if ckpt_path.exists() else 0
        message += (
            f"; training stopped, the last good checkpoint ({good} chars) is kept at {ckpt_path}; "
            f"try a lower learning rate (now {lr:g})"
        )
    last = curve[-1] if curve else None
    return TrainResult(
        workload=workload.name,
        rpu=rpu_name,
        seed=options.seed,
        learning_rate=lr,
        dropout=p_drop,
        bptt_steps=steps,
        status=status,
        message=message or f"trained {prog['chars_trained']} chars",
        test_ce=last.test_ce if last else None,
        train_ce=next((c.train_ce for c in reversed(curve) if c.train_ce is not None), None),
        chars_trained=prog["chars_trained"],
        epochs=prog["chars_trained"] / epoch_chars,
        eval_chars=((len(eval_text) - 1) // eval_streams) * eval_streams,
        eval_streams=eval_streams,
        curve=curve,
        seconds=time.perf_counter() - wall0,
        train_seconds=prog["train_seconds"],
        ms_per_char=1e3 * prog["train_seconds"] / prog["timed_chars"] if prog["timed_chars"] else None,
        checkpoint=str(ckpt_path),
    )
