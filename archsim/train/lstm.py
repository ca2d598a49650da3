"""The paper's network mapped onto tiles: stacked LSTM layers and a softmax layer, BPTT over a window.

Mapping (Gokmen, Rasch & Haensch 2018): LSTM layer ``l`` is one tile of 4m x (n + m + 1) whose
input vector is ``[x_t, h_{t-1}, 1]`` (input, recurrent and bias columns; the bias input is the
constant 1) and whose outputs are the stacked gate pre-activations i, f, o, g. The softmax layer is
one tile of V x (m + 1) with input ``[h_t, 1]``. Everything else is digital (kernels.py).

The tiles are only called through their interface (forward, backward, update), so the FP
reference and the analog runs share every line here. The LSTM layers run through step-level
methods (:meth:`LSTMNetwork.forward_step`, :meth:`LSTMNetwork.backward_step`), which training calls
for a whole window and the co-simulation one array operation at a time, in the order the chip's
schedule performs them; the softmax layer is batched over the window in training (the tiles'
random draws do not depend on batching, so both give the same result), and the co-simulation
batches its cross-entropy (:meth:`LSTMNetwork.softmax_loss`) and, with one stream, its backward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from archsim.train.kernels import lstm_cell_backward, lstm_cell_forward, softmax_cross_entropy

#: Initial bias of the forget gate: opens it a little so that early gradients survive the window.
#: Within the mean device bound (0.6), so FP and analog start from the same weights.
FORGET_BIAS_INIT = 0.5


class Tile(Protocol):
    out_size: int
    in_size: int

    def set_weights(self, weights: np.ndarray) -> None: ...
    def get_weights(self) -> np.ndarray: ...
    def forward(self, x: np.ndarray) -> np.ndarray: ...
    def backward(self, d: np.ndarray) -> np.ndarray: ...
    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None: ...

    clip_level: float | None  # forward outputs at or beyond it are clipped: no gradient through them

    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


#: Initialisation schemes (``training.init`` of a workload).
INIT_SCHEMES = ("fan-in", "reference")


def init_weights(
    rows: int, cols: int, rng: np.random.Generator, forget_rows: slice | None, bound: float | None = None
) -> np.ndarray:
    """U(-bound, bound), by default bound = 1/sqrt(cols); the forget-gate rows of the bias column set
    to FORGET_BIAS_INIT when ``forget_rows`` is given."""
    bound = 1.0 / np.sqrt(cols) if bound is None else bound
    weights = rng.uniform(-bound, bound, size=(rows, cols))
    if forget_rows is not None:
        weights[forget_rows, -1] = FORGET_BIAS_INIT
    return weights


@dataclass
class RecurrentState:
    """Hidden and cell state of every layer, (B, m) each: carried from one window to the next."""

    h: list[np.ndarray]
    c: list[np.ndarray]

    @classmethod
    def zeros(cls, num_layers: int, batch: int, hidden: int, dtype: Any) -> RecurrentState:
        return cls(
            [np.zeros((batch, hidden), dtype) for _ in range(num_layers)],
            [np.zeros((batch, hidden), dtype) for _ in range(num_layers)],
        )

    def reset(self) -> None:
        for arr in (*self.h, *self.c):
            arr[:] = 0

    def to_dict(self) -> dict[str, list[np.ndarray]]:
        return {"h": [a.copy() for a in self.h], "c": [a.copy() for a in self.c]}

    def load(self, state: dict[str, list[np.ndarray]]) -> None:
        for dst, src in zip((*self.h, *self.c), (*state["h"], *state["c"]), strict=True):
            dst[:] = src


class _Buffers:
    """Preallocated arrays of one window of T steps and B sequences."""

    def __init__(self, net: LSTMNetwork, steps: int, batch: int):
        m, dt = net.hidden_size, net.dtype
        self.u = []  # [x_t, h_{t-1}, 1] per layer; row t + 1 receives h_t
        self.c = []  # c_{t-1} at row t
        self.gates, self.tanh_c, self.dz = [], [], []
        for n in net.input_sizes:
            u = np.zeros((steps + 1, batch, n + m + 1), dt)
            u[:, :, -1] = 1
            self.u.append(u)
            self.c.append(np.zeros((steps + 1, batch, m), dt))
            self.gates.append(np.zeros((steps, batch, 4 * m), dt))
            self.tanh_c.append(np.zeros((steps, batch, m), dt))
            self.dz.append(np.zeros((steps, batch, 4 * m), dt))
        # Which forward outputs of each LSTM tile reached the output bound (None: never masked).
        self.clipped = [
            None if tile.clip_level is None else np.zeros((steps, batch, 4 * m), bool)
            for tile in net.layer_tiles
        ]
        self.hs = np.ones((steps, batch, m + 1), dt)  # softmax input [h, 1]
        # Backward: dL/dh_t of each layer's output from above, the carried dc and dh_{t+1}.
        self.dh_above = [np.zeros((steps, batch, m), dt) for _ in net.input_sizes]
        self.dc = [np.zeros((batch, m), dt) for _ in net.input_sizes]
        self.dh_rec = [np.zeros((batch, m), dt) for _ in net.input_sizes]


@dataclass
class Window:
    """One window in flight: its buffers, inputs and what the forward pass leaves for backward."""

    buffers: _Buffers
    steps: int
    batch: int
    inputs: np.ndarray  # (T, B) symbol indices
    targets: np.ndarray  # (T, B)
    masks: list[np.ndarray] | None
    loss: np.ndarray  # (T * B,) cross-entropy per character, nats
    grad_logits: np.ndarray  # (T * B, V)
    clipped_logits: np.ndarray | None  # (T * B, V): logits at the output bound (None: never masked)


class LSTMNetwork:
    """Stacked LSTM layers and a softmax layer, each one tile.

    ``tiles`` are the layer tiles (input layer first) followed by the softmax tile; their shapes
    must follow the mapping. ``dtype`` is the dtype of the digital cell math (float32 in training;
    float64 for the gradient check with float64 tiles).
    """

    def __init__(
        self, vocab_size: int, hidden_size: int, num_layers: int, tiles: list[Tile], dtype=np.float32
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dtype = np.dtype(dtype)
        self.input_sizes = [vocab_size] + [hidden_size] * (num_layers - 1)
        expected = [(4 * hidden_size, n + hidden_size + 1) for n in self.input_sizes]
        expected.append((vocab_size, hidden_size + 1))
        got = [(t.out_size, t.in_size) for t in tiles]
        if got != expected:
            raise ValueError(f"tiles: expected shapes {expected} (paper mapping), got {got}")
        self.tiles = list(tiles)
        self._buffers: dict[tuple[int, int], _Buffers] = {}

    @property
    def layer_tiles(self) -> list[Tile]:
        return self.tiles[:-1]

    @property
    def softmax_tile(self) -> Tile:
        return self.tiles[-1]

    def init_weights(self, rng: np.random.Generator, scheme: str = "fan-in") -> None:
        """Draw the initial weights and set them on the tiles. ``fan-in``: U(+-1/sqrt(cols)) per
        array, the forget-gate biases at FORGET_BIAS_INIT. ``reference``: U(+-1/sqrt(H)) for every
        weight and bias of every array, the reference simulator's LSTM (aihwkit 1.2.0)."""
        if scheme not in INIT_SCHEMES:
            raise ValueError(f"init: unknown {scheme!r}; allowed: {', '.join(INIT_SCHEMES)}")
        m = self.hidden_size
        reference = scheme == "reference"
        bound = 1.0 / np.sqrt(m) if reference else None
        forget = None if reference else slice(m, 2 * m)
        for tile in self.layer_tiles:
            tile.set_weights(init_weights(tile.out_size, tile.in_size, rng, forget, bound))
        tile = self.softmax_tile
        tile.set_weights(init_weights(tile.out_size, tile.in_size, rng, None, bound))

    def new_state(self, batch: int = 1) -> RecurrentState:
        return RecurrentState.zeros(self.num_layers, batch, self.hidden_size, self.dtype)

    def dropout_masks(
        self, rng: np.random.Generator, p: float, steps: int, batch: int = 1
    ) -> list[np.ndarray]:
        """Inverted-dropout masks (0 or 1/(1-p)) for the output of every layer, (T, B, m) each."""
        scale = self.dtype.type(1.0 / (1.0 - p))
        shape = (steps, batch, self.hidden_size)
        return [(rng.random(shape) >= p).astype(self.dtype) * scale for _ in range(self.num_layers)]

    def start_window(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        masks: list[np.ndarray] | None = None,
        fresh: bool = False,
    ) -> Window:
        """A window of ``inputs``, ``targets`` (T, B) symbol indices. ``fresh``: buffers of its own
        (several windows in flight, as in the co-simulation), else reused between windows."""
        steps, batch = inputs.shape
        key = (steps, batch)
        if fresh:
            buf = _Buffers(self, steps, batch)
        else:
            if key not in self._buffers:
                self._buffers[key] = _Buffers(self, steps, batch)
            buf = self._buffers[key]
        n = self.input_sizes[0]
        u = buf.u[0]
        u[:steps, :, :n] = 0
        u[np.arange(steps)[:, None], np.arange(batch)[None, :], inputs] = 1
        loss = np.zeros(steps * batch)
        grad = np.zeros((steps * batch, self.vocab_size), self.dtype)
        clipped = None if self.softmax_tile.clip_level is None else np.zeros(grad.shape, bool)
        return Window(buf, steps, batch, inputs, targets, masks, loss, grad, clipped)

    def forward_step(self, window: Window, layer: int, t: int, state: RecurrentState) -> None:
        """Step ``t`` of LSTM ``layer``: one tile forward and the cell. Step 0 reads the carried
        ``state``; the last step writes it back. Needs step ``t`` of the layer below done."""
        buf, steps, m = window.buffers, window.steps, self.hidden_size
        n = self.input_sizes[layer]
        u, c = buf.u[layer], buf.c[layer]
        if t == 0:
            u[0, :, n : n + m] = state.h[layer]
            c[0] = state.c[layer]
        if layer > 0:
            below = buf.u[layer - 1][t + 1, :, self.input_sizes[layer - 1] :][:, :m]
            u[t, :, :n] = below * window.masks[layer - 1][t] if window.masks is not None else below
        tile = self.layer_tiles[layer]
        z = tile.forward(u[t])
        if tile.clip_level is not None:
            np.greater_equal(np.abs(z), tile.clip_level, out=buf.clipped[layer][t])
        h_next = u[t + 1, :, n : n + m]
        lstm_cell_forward(z, c[t], buf.gates[layer][t], c[t + 1], buf.tanh_c[layer][t], h_next)
        if layer == self.num_layers - 1:
            buf.hs[t, :, :m] = h_next * window.masks[layer][t] if window.masks is not None else h_next
        if t == steps - 1:
            state.h[layer][:] = u[steps, :, n : n + m]
            state.c[layer][:] = c[steps]

    def softmax_forward(self, window: Window, t: slice | int) -> None:
        """Softmax tile forward, cross-entropy and its gradient for step(s) ``t``."""
        self.softmax_loss(window, t, self.softmax_logits(window, t))

    def softmax_logits(self, window: Window, t: slice | int) -> np.ndarray:
        """The softmax tile's forward for step(s) ``t``: the logits (rows t-major, B per step).
        :meth:`softmax_loss` takes them (the co-simulation batches it over the window)."""
        m = self.hidden_size
        tile = self.softmax_tile
        logits = tile.forward(window.buffers.hs[t].reshape(-1, m + 1))
        if tile.clip_level is not None:
            window.clipped_logits[_rows(t, window.batch)] = np.abs(logits) >= tile.clip_level
        return logits

    def softmax_loss(self, window: Window, t: slice | int, logits: np.ndarray) -> None:
        """Cross-entropy and its gradient for step(s) ``t`` from their ``logits``."""
        rows = _rows(t, window.batch)
        loss, grad = softmax_cross_entropy(logits, window.targets[t].reshape(-1))
        window.loss[rows] = loss
        window.grad_logits[rows] = grad

    def forward(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        state: RecurrentState,
        masks: list[np.ndarray] | None = None,
    ) -> Window:
        """Run one window: ``inputs``, ``targets`` (T, B) symbol indices; ``state`` is advanced in place.

        ``masks``: dropout masks for the non-recurrent connections (each layer's output towards the
        next layer or the softmax), or None for no dropout.
        """
        window = self.start_window(inputs, targets, masks)
        for layer in range(self.num_layers):
            for t in range(window.steps):
                self.forward_step(window, layer, t, state)
        self.softmax_forward(window, slice(None))
        return window

    def softmax_backward(self, window: Window, t: slice | int) -> None:
        """Softmax tile backward for step(s) ``t``: dL/dh of the top layer. A slice runs in reverse
        time order, as the hardware does (t = T-1 first). The error of a clipped logit is zeroed
        before the MVM (no gradient through a clipped output); the update keeps it."""
        dh_above = window.buffers.dh_above[self.num_layers - 1]
        rows = _rows(t, window.batch)
        g = window.grad_logits[rows]
        if window.clipped_logits is not None:
            g = np.where(window.clipped_logits[rows], g.dtype.type(0), g)
        dh = self.softmax_tile.backward(g[::-1])[::-1]
        dh_above[t] = dh[:, : self.hidden_size].reshape(dh_above[t].shape)

    def backward_step(self, window: Window, layer: int, t: int) -> None:
        """Step ``t`` of LSTM ``layer`` backward: the cell, then the tile backward (except at step 0
        of the input layer: nothing lies below it or before the window). Steps run T-1 down to 0;
        needs step ``t`` of the layer above (or the softmax) and step ``t + 1`` of this layer."""
        buf, m = window.buffers, self.hidden_size
        n = self.input_sizes[layer]
        dc, dh_rec = buf.dc[layer], buf.dh_rec[layer]
        if t == window.steps - 1:
            dc[:] = 0
            dh_rec[:] = 0
        dh_above = buf.dh_above[layer][t]
        if window.masks is not None:
            dh_above = dh_above * window.masks[layer][t]
        dz = buf.dz[layer][t]
        saved = (buf.gates[layer][t], buf.c[layer][t], buf.tanh_c[layer][t])
        lstm_cell_backward(dh_above, dh_rec, dc, *saved, dz)
        if layer == 0 and t == 0:
            return
        clipped = buf.clipped[layer]
        # The error of a gate pre-activation that was clipped in forward does not pass back through
        # the tile (the update still uses it: dz itself is kept).
        du = self.layer_tiles[layer].backward(
            dz if clipped is None else np.where(clipped[t], dz.dtype.type(0), dz)
        )
        dh_rec[:] = du[:, n : n + m]
        if layer > 0:
            buf.dh_above[layer - 1][t] = du[:, :n]

    def backward(self, window: Window) -> list[tuple[np.ndarray, np.ndarray]]:
        """BPTT through the window (truncated at its start). Returns per tile (X (R, cols), D (R, rows)).

        R = T * B rows in time order; ``D[r]`` is dL/d(output) at step r for the summed loss, so
        ``W -= lr * D.T @ X`` is SGD and ``tile.update(X, D, lr)`` the same as rank-1 updates.
        """
        self.softmax_backward(window, slice(None))
        for layer in range(self.num_layers - 1, -1, -1):
            for t in range(window.steps - 1, -1, -1):
                self.backward_step(window, layer, t)
        return self.update_pairs(window)

    def update_pairs(self, window: Window) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per tile (input layer first, softmax last): the window's inputs X (R, cols) and output
        gradients D (R, rows), R = T * B rows in time order."""
        buf, r, m = window.buffers, window.steps * window.batch, self.hidden_size
        pairs = [
            (buf.u[layer][: window.steps].reshape(r, n + m + 1), buf.dz[layer].reshape(r, 4 * m))
            for layer, n in enumerate(self.input_sizes)
        ]
        pairs.append((buf.hs.reshape(r, m + 1), window.grad_logits))
        return pairs

    def update(self, pairs: list[tuple[np.ndarray, np.ndarray]], lr: float) -> None:
        """One ``tile.update`` per tile (input layer first, softmax last): T rank-1 updates each."""
        for tile, (x, d) in zip(self.tiles, pairs, strict=True):
            tile.update(x, d, lr)


def _rows(t: slice | int, batch: int) -> slice:
    """The rows (t-major, B per step) of step(s) ``t`` in the flattened (T * B, ...) arrays."""
    if isinstance(t, slice):
        start, stop, _ = t.indices(10**12)
        return slice(start * batch, None if t.stop is None else stop * batch)
    return slice(t * batch, (t + 1) * batch)
