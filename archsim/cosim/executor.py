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

With several streams each MVM runs when it arrives, and the softmax's cross-entropy and gradient
are taken for the whole window once its last forward MVM has run (nothing reads them before: its
backward follows), as in training.

**With one stream each array's pass of a window runs ahead, as in training.** At the first forward
MVM of an array in a window the executor runs all T forward steps of that array (the softmax's as
one batch, with its cross-entropy), at its first backward MVM all T backward steps (t = T-1 .. 0),
and answers each step's arrival with that step's passes. This is exact: with one stream nothing
else touches an array between its forward (or backward) steps of a window (its reads of the
window come after the previous window's last update there, which the chip's carry edges enforce,
and its updates after its backward), a step needs only the steps before it on its own array and
the same step of the array below (forward) or above (backward), whose pass has begun earlier (the
schedule's edges), and the tiles' random draws are indexed per vector, not per call. So every
tile sees the same vectors in the same order as step by step, and the weights, passes and figures
are the same (``tests/cosim/test_fast_path.py`` compares both). Running an array's steps back to
back, as training does, also keeps its weights in the processor's caches (the pipeline's order
interleaves the arrays). The loss is still reported, and the divergence rule applied, when the
softmax's last forward MVM arrives. A step that meets NaN/inf ends the run-ahead; it and the later
steps then run when they arrive, which raises there, as step by step. Arrivals out of the expected
order are an error, never a silent difference.
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
    #: Per array, its updates still to run.
    tile_updates: list[int]
    passes: dict[tuple[str, str, int], int]
    pairs: list[tuple[np.ndarray, np.ndarray]] | None = None
    #: The softmax's logits of each step, its cross-entropy taken once they are all there.
    logits: np.ndarray | None = None
    logits_done: int = 0
    #: Per tile, whether each step's update gradient is finite (with ``pairs``).
    finite: list[np.ndarray] | None = None
    #: One stream: (verb, array index) -> [passes of each step run ahead (0: not run), the next
    #: step expected], or False: that pass runs step by step.
    ahead: dict[tuple[str, int], list | bool] | None = None


class NumericsExecutor:
    """Runs each scheduled array operation on the tiles of ``net`` and reports its passes.

    Call :meth:`flush` before reading the tiles from outside (evaluation, the final weights).
    ``texts``: the training text of each stream (symbol indices); ``masks_rng`` draws the dropout
    masks when a window starts; ``on_loss(loss)`` is called with a window's mean training CE as
    soon as its forward pass is done (it may raise to stop the run: the divergence rule);
    ``on_window_done(stream, window, loss)`` is called when the last update of a window has run
    (the weights then hold that window's updates).
    """

    #: With one stream, run each array's forward and backward pass of a window at its first step
    #: (module docstring); False: every step when it arrives (the same results; for comparison).
    run_ahead = True

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
        #: Per tile, the held-back updates: (X, D, t) for row t of a window's update pairs.
        self.pending: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in net.tiles]
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
            if op.verb == "update" and not any(run.tile_updates):
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
            self.pending[a].append((x, d, t))
            run.tile_updates[a] -= 1
            bl = tile.update_bl(x[t], d[t], self.lr)
            self._count(op.array, "update", bl)
            return bl
        if self.pending[a]:
            self.flush(a)
        if self.run_ahead and len(self.streams) == 1:
            passes = self._ahead(run, op.verb, a, t)
            if passes:
                if softmax and op.verb == "forward" and t == self.steps - 1:
                    self.on_loss(float(run.window.loss.mean(dtype=np.float64)))
                if not (op.verb == "backward" and a == 0 and t == 0):  # (no numerics: not counted)
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

    def _ahead(self, run: _InFlight, verb: str, a: int, t: int) -> int:
        """Step ``t``'s passes from the run-ahead of array ``a``'s ``verb`` pass of the window (run
        at its first step); 0: run this step alone (the run-ahead met NaN/inf before it)."""
        if run.ahead is None:
            run.ahead = {}
        entry = run.ahead.get((verb, a))
        if entry is None:
            first = 0 if verb == "forward" else self.steps - 1
            if t != first or any(r.tile_updates[a] for r in self.in_flight.values() if r is not run):
                # An earlier window's update of this array is still to come (the chip's graph
                # makes only an array's first step wait for them: a softmax's later steps may
                # run before them): this pass runs step by step.
                run.ahead[verb, a] = False
                return 0
            entry = run.ahead[verb, a] = [self._run_ahead(run.window, verb, a), first]
        elif entry is False:
            return 0
        table, expected = entry
        if t != expected:
            raise RuntimeError(f"co-simulation: {verb} step {t} of array {a} came; step {expected} was due")
        entry[1] = t + 1 if verb == "forward" else t - 1
        return int(table[t])

    def _run_ahead(self, window: Window, verb: str, a: int) -> np.ndarray:
        """All steps of array ``a``'s ``verb`` pass of ``window``, as training runs them; the passes
        of each step (0 from the step that met NaN/inf on: nothing of it was consumed)."""
        net, steps = self.net, self.steps
        table = np.zeros(steps, np.int64)
        tile = net.tiles[a]
        try:
            if a == len(net.tiles) - 1:  # the softmax: one batch (B = 1: one row per step)
                if verb == "forward":
                    net.softmax_loss(window, slice(None), net.softmax_logits(window, slice(None)))
                    table[:] = tile.last_passes.reshape(steps, -1).max(axis=1)
                else:  # (its MVMs run t = T-1 first)
                    net.softmax_backward(window, slice(None))
                    table[::-1] = tile.last_passes.reshape(steps, -1).max(axis=1)
            elif verb == "forward":
                state = self.streams[0].state
                for t in range(steps):
                    net.forward_step(window, a, t, state)
                    table[t] = tile.last_passes.max()
            else:
                for t in range(steps - 1, -1, -1):
                    net.backward_step(window, a, t)
                    # (step 0 of the input layer: the chip runs it, but its result is never used)
                    table[t] = 1 if a == 0 and t == 0 else tile.last_passes.max()
        except NonFiniteError:
            pass
        return table

    def _count(self, array: str, verb: str, amount: int) -> None:
        stats = self.pass_stats.get((array, verb))
        if stats is None:
            stats = self.pass_stats[array, verb] = [0, 0, 0]
        stats[0] += 1
        stats[1] += amount
        if amount > stats[2]:
            stats[2] = amount

    def flush(self, tile: int | None = None) -> None:
        """Apply the held-back updates of one tile (all tiles: None), in schedule order: one batch
        (rows ``t`` of a window's (X, D); consecutive rows of one window are passed as a slice)."""
        for a in range(len(self.pending)) if tile is None else (tile,):
            pending = self.pending[a]
            if not pending:
                continue
            x0, d0, t0 = pending[0]
            n = len(pending)
            if all(x is x0 and t == t0 + k for k, (x, _, t) in enumerate(pending)):
                xs, ds = x0[t0 : t0 + n], d0[t0 : t0 + n]
            else:
                xs = np.stack([x[t] for x, _, t in pending])
                ds = np.stack([d[t] for _, d, t in pending])
            self.net.tiles[a].update(xs, ds, self.lr)
            pending.clear()

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
        tiles = len(self.net.tiles)
        run = self.in_flight[stream, index] = _InFlight(window, [steps] * tiles, {})
        return run

    def _finish(self, stream: int, index: int) -> None:
        run = self.in_flight.pop((stream, index))
        self.on_window_done(stream, index, float(run.window.loss.mean(dtype=np.float64)))
