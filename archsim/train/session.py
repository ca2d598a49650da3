"""The training part of a run, whoever drives its windows: ``train`` (a loop over windows, with
checkpoints) and the co-simulation (the chip's schedule, window by window).

:class:`TrainingSession` resolves the learning rate and dropout (the workload's unless the options
override them), the target number of characters, the evaluated text and the evaluation cadence;
it builds the network and the dropout RNG from the seed, counts the windows done (the training CE
since the last evaluation, a running mean for progress bars), applies the divergence rule, records
the evaluation curve, fingerprints the run for its checkpoints and assembles the training part of
the result.

A sample is a character of an LSTM workload and an image of an image network (docs/cnn.md): for
an image network a "window" is one image (``steps`` is 1), ``chars`` count images, the train split
is visited in a fresh seeded order each epoch (:meth:`epoch_order`) and an evaluation also gives
the test error rate.

Divergence, the same for both drivers: NaN/inf anywhere in training or evaluation (an overflow:
the tiles raise :class:`~archsim.numerics.NonFiniteError`), a running mean of the training CE
above ``diverge_ce``, or a final test CE worse than guessing uniformly (ln V nats/char).
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from archsim.config import FloatingPointRPUConfig, RPUConfig, WorkloadConfig
from archsim.config.corpus import windows_per_stream
from archsim.config.errors import ConfigError
from archsim.config.options import AUTO_EVAL_POINTS, CosimOptions, TrainOptions
from archsim.numerics import NonFiniteError
from archsim.results import CurvePoint
from archsim.train.cnn import SKIPPED_NOTE, evaluate_images
from archsim.train.data import Corpus
from archsim.train.images import ImageData
from archsim.train.network import build_network, evaluate, seeds

#: Windows in the running mean that the divergence test looks at.
DIVERGE_WINDOWS = 10


class TrainingDiverged(RuntimeError):
    """The run diverged: the numbers overflowed to NaN/inf, the running mean of the training loss
    exceeded the divergence threshold, or the final test loss is worse than guessing uniformly."""


def network_fingerprint(workload: WorkloadConfig, rpu: RPUConfig | FloatingPointRPUConfig) -> dict[str, Any]:
    """What a checkpoint's tiles are: the network (training settings aside) and the device model."""
    return {
        "workload": workload.model_dump(mode="json", exclude={"training", "description"}),
        # Plain SGD leaves the fingerprint as it was before the algorithms: older checkpoints resume.
        "rpu": rpu.model_dump(mode="json", exclude={"name", "description"} | _sgd(rpu)),
    }


def _sgd(rpu: RPUConfig | FloatingPointRPUConfig) -> set[str]:
    """The RPU fields at their defaults that older runs did not have: "algorithm" (plain SGD) and
    "measures" (none)."""
    if not isinstance(rpu, RPUConfig):
        return set()
    defaults = {"algorithm": not rpu.algorithm.transfers, "measures": not rpu.measures.active}
    return {name for name, default in defaults.items() if default}


def target_chars(
    chars: int | None, epochs: float | None, train_chars: int, steps: int, streams: int = 1
) -> int:
    """Characters a run trains in all: ``chars``, or else ``epochs`` (default 1) epochs of whole
    windows of the train split (``train_chars`` long), rounded up to whole windows of every stream."""
    if chars is None:  # train by epochs
        epoch_chars = windows_per_stream(train_chars, steps) * steps
        chars = int(round((1.0 if epochs is None else epochs) * epoch_chars))
    per_round = steps * streams
    return -(-chars // per_round) * per_round


def run_target(data: Corpus | ImageData, chars: int | None, epochs: float | None, steps: int) -> int:
    """Samples a run trains in all: for an image dataset, ``chars`` images, or else ``epochs``
    (default 1) epochs of its train split in whole images; for a corpus, :func:`target_chars`."""
    if not isinstance(data, ImageData):
        return target_chars(chars, epochs, len(data.train), steps)
    if chars is not None:
        return chars
    return int(round((1.0 if epochs is None else epochs) * len(data.train_labels)))


def eval_spacing(every: int | str | None, target: int, steps: int, streams: int) -> int | None:
    """Training characters (images) between evaluations, at least one window: ``every``; "auto":
    about AUTO_EVAL_POINTS evaluations over a run of ``target``, at whole rounds of windows of
    every stream; None: at the start and the end only."""
    if every == "auto":
        per_round = steps * streams
        every = max(1, round(target / per_round / AUTO_EVAL_POINTS)) * per_round
    return None if every is None else max(steps, int(every))


class TrainingSession:
    """The training state of one run and the rules both drivers share.

    ``streams``: independent sequences sharing the weights (each reads its own contiguous part of
    the train split, see :attr:`texts`). A driver calls :meth:`check_loss` when a window's loss is
    known and :meth:`record_window` when its updates are done, then :meth:`evaluate` when
    :meth:`evaluation_due`, and :meth:`finish` at the end. ``curve_point`` makes the curve's points
    from (chars, test CE, train CE) and the extras :meth:`evaluate` is given.
    """

    def __init__(
        self,
        workload: WorkloadConfig,
        rpu: RPUConfig | FloatingPointRPUConfig,
        corpus: Corpus | ImageData,
        options: TrainOptions | CosimOptions,
        streams: int = 1,
        curve_point: Callable[..., Any] = CurvePoint,
    ) -> None:
        self.workload, self.rpu, self.options = workload, rpu, options
        lr, dropout = options.learning_rate, options.dropout
        self.learning_rate = workload.training.learning_rate if lr is None else lr
        self.dropout = workload.training.dropout if dropout is None else dropout
        #: The image dataset of an image network (None: a character corpus).
        self.images = corpus if isinstance(corpus, ImageData) else None
        if self.images is not None:
            self._init_images(workload, options, streams, curve_point)
            return
        self.steps = steps = workload.training.bptt_steps
        part = len(corpus.train) // streams
        if part < steps + 1:
            raise ValueError(
                f"corpus '{corpus.name}': {len(corpus.train)} training chars cannot feed {streams} stream(s) "
                f"of windows of {steps + 1}"
            )
        #: The training text of each stream (symbol indices).
        self.texts = (
            [corpus.train]
            if streams == 1
            else [corpus.train[s * part : (s + 1) * part] for s in range(streams)]
        )
        #: Characters of one epoch: whole windows of the train split (the corpus catalogue's rule).
        self.epoch_chars = windows_per_stream(len(corpus.train), steps) * steps
        epochs = options.epochs if isinstance(options, TrainOptions) else None
        #: Training characters in all: whole windows of every stream.
        self.target = target_chars(options.chars, epochs, len(corpus.train), steps, streams)
        self.eval_text = corpus.test if options.eval_chars is None else corpus.test[: options.eval_chars]
        if len(self.eval_text) < 2:
            raise ValueError(f"eval_chars: need at least 2 test characters, got {len(self.eval_text)}")
        self.eval_streams = max(1, min(options.eval_streams, len(self.eval_text) - 1))
        self.eval_every = eval_spacing(options.eval_every, self.target, steps, streams)
        diverge_ce = options.diverge_ce
        self.diverge_ce = 2 * math.log(workload.vocab_size) if diverge_ce is None else diverge_ce
        #: Cross-entropy of guessing uniformly among the V symbols (nats/char): a run that ends
        #: above it learned nothing useful and is reported as diverged.
        self.uniform_ce = math.log(workload.vocab_size)
        self.curve_point = curve_point
        digest = hashlib.sha256()
        for part in (corpus.symbols, corpus.train, corpus.test):
            digest.update(len(part).to_bytes(8, "little") + part.tobytes())
        #: The corpus's content (its name alone, in the workload, does not say what was read).
        self.corpus_sha256 = digest.hexdigest()

        self._init_common(workload, rpu, options)

    def _init_images(self, workload: WorkloadConfig, options: Any, streams: int, curve_point: Any) -> None:
        """The image network's session: one image per window, images counted as ``chars``."""
        data = self.images
        assert data is not None
        if streams != 1:
            raise ConfigError(
                f"streams: image networks train one image at a time (one stream), got {streams}"
            )
        if self.dropout != 0.0:
            raise ValueError(f"dropout: image networks train without dropout, got {self.dropout}")
        self.steps = 1
        self.texts = [data.train_labels]
        self.epoch_chars = len(data.train_labels)
        epochs = options.epochs if isinstance(options, TrainOptions) else None
        self.target = run_target(data, options.chars, epochs, 1)
        n_eval = (
            len(data.test_labels)
            if options.eval_chars is None
            else min(options.eval_chars, len(data.test_labels))
        )
        self.eval_text = data.test_labels[:n_eval]
        self.eval_streams = 1
        self.eval_every = eval_spacing(options.eval_every, self.target, 1, 1)
        classes = workload.classes
        self.diverge_ce = 2 * math.log(classes) if options.diverge_ce is None else options.diverge_ce
        self.uniform_ce = math.log(classes)
        self.curve_point = curve_point
        self.corpus_sha256 = data.sha256()
        self._init_common(workload, self.rpu, options)

    def _init_common(self, workload: WorkloadConfig, rpu: Any, options: Any) -> None:
        self.net = build_network(workload, rpu, options.seed)
        _, dropout_seed, _ = seeds(options.seed)
        #: Draws the dropout masks, window after window.
        self.dropout_rng = np.random.default_rng(dropout_seed)
        self.chars = 0
        self.curve: list[Any] = []
        self.interval_loss, self.interval_chars = 0.0, 0
        self.ema: float | None = None  # exponential running mean of the training CE
        self.recent: deque[float] = deque(maxlen=DIVERGE_WINDOWS)
        #: Told ``(batches evaluated, batches in all, chars trained)`` while :meth:`evaluate` runs
        #: (a progress display); set by whoever drives the session.
        self.on_evaluation: Callable[[int, int, int], None] | None = None

    @property
    def fingerprint(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this run: everything that changes what the
        run computes or reports (resolved values), except its length (chars or epochs), which a
        resumed run may extend."""
        network = network_fingerprint(self.workload, self.rpu)
        return {
            "workload": network["workload"],
            "corpus_sha256": self.corpus_sha256,
            "bptt_steps": self.steps,
            "rpu": network["rpu"],
            "seed": self.options.seed,
            "learning_rate": self.learning_rate,
            "dropout": self.dropout,
            "init": self.workload.training.init,
            "eval_chars": len(self.eval_text),
            "eval_every": "auto" if self.options.eval_every == "auto" else self.eval_every,
            "eval_streams": self.eval_streams,
            "diverge_ce": self.diverge_ce,
        }

    @property
    def sample_unit(self) -> str:
        """What ``chars`` counts: images or characters."""
        return "images" if self.images is not None else "chars"

    @property
    def notes(self) -> list[str]:
        """What the result should say about how the network was run (skipped MVMs)."""
        if self.images is None:
            return []
        replicated = [a.name for a in self.workload.arrays() if a.replicas > 1]
        replicas = (
            [
                f"{', '.join(replicated)}: replicas are a chip mapping option; the numerics train one array "
                "(the copies' weight synchronisation is not modelled)"
            ]
            if replicated
            else []
        )
        return [SKIPPED_NOTE, *replicas]

    def epoch_order(self, epoch: int) -> np.ndarray:
        """The order of the train images in ``epoch``: a permutation drawn from the seed and the
        epoch alone (a resumed run needs no RNG state to continue it)."""
        seq = np.random.SeedSequence(self.options.seed, spawn_key=(1, epoch))
        return np.random.default_rng(seq).permutation(self.epoch_chars)

    # -- windows ---------------------------------------------------------------------------------

    def check_loss(self, loss: float) -> None:
        """The divergence rule, on a window's mean training CE: raises :class:`TrainingDiverged`
        when it is NaN/inf or the mean of the last DIVERGE_WINDOWS windows exceeds the threshold."""
        if not math.isfinite(loss):
            raise TrainingDiverged(f"the training loss became NaN/inf at {self.chars} chars")
        self.recent.append(loss)
        running = sum(self.recent) / len(self.recent)
        if len(self.recent) == self.recent.maxlen and running > self.diverge_ce:
            raise TrainingDiverged(
                f"mean training CE of the last {len(self.recent)} windows is {running:.3f} nats/char at "
                f"{self.chars} chars, above the divergence threshold {self.diverge_ce:.3f}"
            )

    def overflowed(self) -> TrainingDiverged:
        """The divergence to raise when the tiles met NaN/inf (:class:`NonFiniteError`)."""
        return TrainingDiverged(f"the numbers overflowed to NaN/inf at {self.chars} chars")

    def record_window(self, loss: float) -> None:
        """A window of ``steps`` characters is trained (its updates are in the weights)."""
        self.chars += self.steps
        self.interval_loss += loss * self.steps
        self.interval_chars += self.steps
        self.ema = loss if self.ema is None else 0.98 * self.ema + 0.02 * loss

    def evaluation_due(self) -> bool:
        """Whether the windows just recorded crossed an evaluation point before the end."""
        every = self.eval_every
        return every is not None and self.chars % every < self.steps and self.chars < self.target

    # -- evaluation and the result ---------------------------------------------------------------

    def evaluate(self, **extra: Any) -> None:
        """Add a curve point: the test CE now and the mean training CE since the previous point.
        Raises :class:`TrainingDiverged` when the evaluation meets NaN/inf."""
        train_ce = self.interval_loss / self.interval_chars if self.interval_chars else None
        try:
            on = self.on_evaluation
            progress = None if on is None else lambda done, total: on(done, total, self.chars)
            if self.images is not None:
                n = len(self.eval_text)
                test_ce, test_error = evaluate_images(
                    self.net, self.images.test_images[:n], self.eval_text, progress
                )
                extra = {**extra, "test_error": test_error}
            else:
                test_ce = evaluate(self.net, self.eval_text, self.steps, self.eval_streams, progress)
        except NonFiniteError:
            raise self.overflowed() from None
        if not math.isfinite(test_ce):
            raise self.overflowed()
        self.curve.append(self.curve_point(self.chars, test_ce, train_ce, **extra))
        self.interval_loss, self.interval_chars = 0.0, 0

    def finish(self, **extra: Any) -> None:
        """Evaluate at the end, unless the last point is already there. Raises
        :class:`TrainingDiverged` when the final test CE is worse than guessing uniformly."""
        if not self.curve or self.curve[-1].chars != self.chars:
            self.evaluate(**extra)
        test_ce = self.curve[-1].test_ce
        if test_ce > self.uniform_ce:
            raise TrainingDiverged(
                f"the test CE at the end, {test_ce:.3f} nats per sample after {self.chars} "
                f"{self.sample_unit}, is worse than guessing uniformly "
                f"(ln {self.workload.classes} = {self.uniform_ce:.3f})"
            )

    def summary(self) -> dict[str, Any]:
        """The training part of a result (the fields ``TrainResult`` and ``CosimTraining`` share)."""
        last = self.curve[-1] if self.curve else None
        return {
            "learning_rate": self.learning_rate,
            "dropout": self.dropout,
            "bptt_steps": self.steps,
            "test_ce": last.test_ce if last else None,
            "train_ce": next((c.train_ce for c in reversed(self.curve) if c.train_ce is not None), None),
            "chars_trained": self.chars,
            "eval_chars": len(self.eval_text)
            if self.images is not None
            else ((len(self.eval_text) - 1) // self.eval_streams) * self.eval_streams,
            "eval_streams": self.eval_streams,
            "curve": list(self.curve),
        }

    # -- checkpoints -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The counts and the curve as plain data (a checkpoint's ``progress``)."""
        return {
            "chars_trained": self.chars,
            "curve": [asdict(c) for c in self.curve],
            "interval_loss": self.interval_loss,
            "interval_chars": self.interval_chars,
            "recent": list(self.recent),
            "ema": self.ema,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.chars = state["chars_trained"]
        self.curve = [self.curve_point(**c) for c in state["curve"]]
        self.interval_loss, self.interval_chars = state["interval_loss"], state["interval_chars"]
        self.recent = deque(state["recent"], maxlen=DIVERGE_WINDOWS)
        self.ema = state["ema"]
