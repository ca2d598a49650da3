"""The numerics behind the chip's schedule: every array operation runs on the real vectors.

:class:`NumericsExecutor` is the chip scheduler's hook (``archsim.chip.schedule.ArrayOpHook``).
The scheduler calls it when an array operation starts, in the order the hardware performs the
operations; it runs that operation on the tiles (forward or backward MVM with the digital cell
work that follows it, or one rank-1 update) and returns the number of bound-management passes
the MVM took, which the chip charges as array cycles, or for an update the length of its pulse
trains (BL management picks it per update), which sets the update's time and energy. With K
streams, the updates of one stream and the reads of another interleave on the shared weights
exactly as the schedule says.

A tile's rank-1 updates are held back and applied as one batch just before the tile is next
read (its next MVM, an evaluation, the end of the run): a read still sees every update the
schedule put before it, and the analog tiles' random draws do not depend on batching. With one
stream every tile then sees the same vectors in the same order and batches as in ``archsim train``
(forward t = 0..T-1, backward T-1..0, the window's updates), so the weights after n windows are
bit-identical to training's, for floating point too.

The softmax's cross-entropy and gradient are taken for the whole window once its last forward MVM
has run (nothing reads them before: its backward follows), as in training. With one stream the
softmax tile's backward MVMs of a window run as one batch, as in training:
the schedule performs them in the order t = T-1 .. 0 with nothing else on that tile in between
(its forwards of the window are done, its updates and the next window wait for its backward at
step 0), and the tiles' random draws do not depend on batching; the batch's passes answer each
step's arrival. With several streams another stream's reads may fall between them, so each runs
alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from archsim.chip.schedule import ArrayOp
from archsim.numerics import NonFiniteError
from archsim.train.lstm import LSTMNetwork, RecurrentState, Window
from archsim.train.session import TrainingDiverged


class CosimDiverged(TrainingDiverged):
    """An array operation met NaN/inf (in its input or in the gradients of an update)."""


@dataclass
class _Stream:
    """One independent sequence: its part of the training text and its recurrent state."""

    text: np.ndarray
    state: RecurrentState
    pos: int = 0


@dataclass
class _InFlight:
    """A window being executed: its buffers, the update operations still to run, and the passes
    of its operations (every tile of a split array reports those of its logical operation)."""

    window: Window
    updates_left: int
    passes: dict[tuple[str, str, int], int]
    pairs: list[tuple[np.ndarray, np.ndarray]] | None = None
    #: The softmax's logits of each step, its cross-entropy taken once they are all there.
    logits: np.ndarray | None = None
    logits_done: int = 0
    #: Per tile, whether each step's update gradient is finite (with ``pairs``).
    finite: list[np.ndarray] | None = None
    #: The passes of the softmax's batched backward, step t at [T-1-t]; the next step expected
    #: (-2: the batch met NaN/inf, the steps run one by one).
    softmax_back: np.ndarray | None = None
    softmax_next: int = -1


class NumericsExecutor:
    """Runs each scheduled array operation on the tiles of ``net`` and reports its passes.

    Call :meth:`flush` before reading the tiles from outside (evaluation, the final weights).
    ``texts``: the training text of each stream (symbol indices); ``masks_rng`` draws the dropout
    masks when a window starts; ``on_loss(loss)`` is called with a window's mean training CE as
    soon as its forward pass is done (it may raise to stop the run: the divergence rule);
    ``on_window_done(stream, window, loss)`` is called when the last update of a window has run
    (the weights then hold that window's updates).
    """

    def __init__(
        self,
        net: LSTMNetwork,
        array_names: list[str],
        texts: list[np.ndarray],
        steps: int,
        learning_rate: float,
        dropout: float,
        masks_rng: np.random.Generator,
        on_loss: Callable[[float], None],
        on_window_done: Callable[[int, int, float], None],
    ) -> None:
        if len(array_names) != len(net.tiles):
            raise ValueError(f"array_names: expected {len(net.tiles)} names, got {array_names}")
        self.net = net
        self.index = {name: k for k, name in enumerate(array_names)}
        self.streams = [_Stream(text, net.new_state()) for text in texts]
        self.steps = steps
        self.lr = learning_rate
        self.dropout = dropout
        self.masks_rng = masks_rng
        self.on_loss = on_loss
        self.on_window_done = on_window_done
        self.in_flight: dict[tuple[int, int], _InFlight] = {}
        self.pending: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in net.tiles]
        #: (array, verb) -> [operations, passes (MVMs) or BL (updates) summed, largest]
        self.pass_stats: dict[tuple[str, str], list[int]] = {}

    # -- the hook --------------------------------------------------------------------------------

    def __call__(self, op: ArrayOp) -> int:
        run = self.in_flight.get((op.stream, op.window))
        if run is None:
            run = self._start(op.stream, op.window)
        key = (op.verb, op.array, op.step)
        passes = run.passes.get(key)
        if passes is None:
            try:
                passes = run.passes[key] = self._execute(op, run)
            except NonFiniteError:
                raise CosimDiverged(
                    f"the numbers overflowed to NaN/inf in the {op.verb} of {op.array} at step {op.step}"
                ) from None
            if op.verb == "update" and run.updates_left == 0:
                self._finish(op.stream, op.window)
        return passes

    def _execute(self, op: ArrayOp, run: _InFlight) -> int:
        window, net = run.window, self.net
        a, t = self.index[op.array], op.step
        softmax = a == len(net.tiles) - 1
        tile = net.tiles[a]
        if op.verb == "update":
            if run.pairs is None:  # the window's (X, D) per tile, once its backward pass is done
                run.pairs = net.update_pairs(window)
                run.finite = [np.isfinite(d).all(axis=1) for _, d in run.pairs]
            x, d = run.pairs[a]
            if not run.finite[a][t]:
                raise CosimDiverged(f"the gradient of {op.array} became NaN/inf")
            self.pending[a].append((x[t], d[t]))
            run.updates_left -= 1
            bl = tile.update_bl(x[t], d[t], self.lr)
            self._count(op.array, "update", bl)
            return bl
        if self.pending[a]:
            self.flush(a)
        if softmax and op.verb == "backward" and len(self.streams) == 1 and run.softmax_next != -2:
            passes = self._softmax_backward(run, t)
            if passes is not None:
                self._count(op.array, op.verb, passes)
                return passes
        if op.verb == "forward":
            if softmax:
                logits = net.softmax_logits(window, t)
                if run.logits is None:
                    run.logits = np.empty((self.steps, *logits.shape), logits.dtype)
                run.logits[t] = logits
                run.logits_done += 1
                if t == self.steps - 1:
                    if run.logits_done != self.steps:
                        raise RuntimeError(f"co-simulation: softmax forward step {t} came before others")
                    # The cross-entropy of the whole window at once, as in training.
                    net.softmax_loss(window, slice(None), run.logits.reshape(-1, logits.shape[-1]))
                    self.on_loss(float(window.loss.mean(dtype=np.float64)))
            else:
                net.forward_step(window, a, t, self.streams[op.stream].state)
        elif softmax:
            net.softmax_backward(window, t)
        else:
            net.backward_step(window, a, t)
            if a == 0 and t == 0:
                return 1  # the chip runs it, but its result is never used: no numerics
        last = tile.last_passes
        passes = int(last[0]) if last.shape[0] == 1 else int(last.max())
        self._count(op.array, op.verb, passes)
        return passes

    def _softmax_backward(self, run: _InFlight, t: int) -> int | None:
        """Step ``t`` of the softmax's backward with one stream: the whole window's at the first
        (t = T-1), as in training; the later steps read their passes from it. None: run this step
        alone (the batch met NaN/inf, which a failed MVM leaves unconsumed: the step by step run
        then finds the step that has it)."""
        last = self.steps - 1
        if run.softmax_back is None:
            if t != last:
                raise RuntimeError(f"co-simulation: the softmax backward began at step {t}, not {last}")
            try:
                self.net.softmax_backward(run.window, slice(None))
            except NonFiniteError:
                run.softmax_next = -2
                return None
            run.softmax_back = self.net.softmax_tile.last_passes.reshape(self.steps, -1).max(axis=1)
        elif t != run.softmax_next:
            raise RuntimeError(f"co-simulation: softmax backward step {t} came after step {t + 1} was due")
        run.softmax_next = t - 1
        return int(run.softmax_back[last - t])

    def _count(self, array: str, verb: str, amount: int) -> None:
        stats = self.pass_stats.get((array, verb))
        if stats is None:
            stats = self.pass_stats[array, verb] = [0, 0, 0]
        stats[0] += 1
        stats[1] += amount
        if amount > stats[2]:
            stats[2] = amount

    def flush(self, tile: int | None = None) -> None:
        """Apply the held-back updates of one tile (all tiles: None), in schedule order."""
        for a in range(len(self.pending)) if tile is None else (tile,):
            if self.pending[a]:
                xs, ds = zip(*self.pending[a], strict=True)
                self.net.tiles[a].update(np.stack(xs), np.stack(ds), self.lr)
                self.pending[a].clear()

    # -- windows ---------------------------------------------------------------------------------

    def _start(self, stream: int, index: int) -> _InFlight:
        """A window of ``stream`` starts: its characters, dropout masks and buffers."""
        s, steps = self.streams[stream], self.steps
        if s.pos + steps + 1 > len(s.text):  # the stream's text is used up: start over, fresh state
            s.pos = 0
            s.state.reset()
        seq = s.text[s.pos : s.pos + steps + 1]
        s.pos += steps
        masks = self.net.dropout_masks(self.masks_rng, self.dropout, steps) if self.dropout > 0 else None
        window = self.net.start_window(seq[:-1, None], seq[1:, None], masks, fresh=True)
        run = self.in_flight[stream, index] = _InFlight(window, steps * len(self.net.tiles), {})
        return run

    def _finish(self, stream: int, index: int) -> None:
        run = self.in_flight.pop((stream, index))
        self.on_window_done(stream, index, float(run.window.loss.mean(dtype=np.float64)))
