"""The paper's network mapped onto tiles: stacked LSTM layers and a softmax layer, BPTT over a window.

Mapping (Gokmen, Rasch & Haensch 2018): LSTM layer ``l`` is one tile of 4m x (n + m + 1) whose
input vector is ``[x_t, h_{t-1}, 1]`` (input, recurrent and bias columns; the bias input is the
constant 1) and whose outputs are the stacked gate pre-activations i, f, o, g. The softmax layer is
one tile of V x (m + 1) with input ``[h_t, 1]``. Everything else is digital (kernels.py).

The tiles are only called through their interface (forward, backward, update), so the FP
reference and the analog runs share every line here. Call order is fixed: layer by layer, time
step by time step, then the softmax layer batched over the window.
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
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def init_weights(rows: int, cols: int, rng: np.random.Generator, forget_rows: slice | None) -> np.ndarray:
    """U(-1/sqrt(cols), 1/sqrt(cols)); the forget-gate rows of the bias column set to FORGET_BIAS_INIT."""
    bound = 1.0 / np.sqrt(cols)
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
        self.hs = np.ones((steps, batch, m + 1), dt)  # softmax input [h, 1]
        self.zeros = np.zeros((batch, m), dt)


@dataclass
class Window:
    """What one forward pass leaves for the backward pass."""

    buffers: _Buffers
    steps: int
    batch: int
    inputs: np.ndarray
    masks: list[np.ndarray] | None
    loss: np.ndarray  # (T * B,) cross-entropy per character, nats
    grad_logits: np.ndarray  # (T * B, V)


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

    def init_weights(self, rng: np.random.Generator) -> None:
        """Draw the initial weights (see :func:`init_weights`) and set them on the tiles."""
        m = self.hidden_size
        for tile in self.layer_tiles:
            tile.set_weights(init_weights(tile.out_size, tile.in_size, rng, slice(m, 2 * m)))
        tile = self.softmax_tile
        tile.set_weights(init_weights(tile.out_size, tile.in_size, rng, None))

    def new_state(self, batch: int = 1) -> RecurrentState:
        return RecurrentState.zeros(self.num_layers, batch, self.hidden_size, self.dtype)

    def dropout_masks(
        self, rng: np.random.Generator, p: float, steps: int, batch: int = 1
    ) -> list[np.ndarray]:
        """Inverted-dropout masks (0 or 1/(1-p)) for the output of every layer, (T, B, m) each."""
        scale = self.dtype.type(1.0 / (1.0 - p))
        shape = (steps, batch, self.hidden_size)
        return [(rng.random(shape) >= p).astype(self.dtype) * scale for _ in range(self.num_layers)]

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
        steps, batch = inputs.shape
        key = (steps, batch)
        if key not in self._buffers:
            self._buffers[key] = _Buffers(self, steps, batch)
        buf = self._buffers[key]
        m = self.hidden_size
        x = None
        for layer, tile in enumerate(self.layer_tiles):
            n = self.input_sizes[layer]
            u, c, gates, tanh_c = buf.u[layer], buf.c[layer], buf.gates[layer], buf.tanh_c[layer]
            if layer == 0:
                u[:steps, :, :n] = 0
                u[np.arange(steps)[:, None], np.arange(batch)[None, :], inputs] = 1
            else:
                u[:steps, :, :n] = x
            u[0, :, n : n + m] = state.h[layer]
            c[0] = state.c[layer]
            for t in range(steps):
                z = tile.forward(u[t])
                lstm_cell_forward(z, c[t], gates[t], c[t + 1], tanh_c[t], u[t + 1, :, n : n + m])
            state.h[layer][:] = u[steps, :, n : n + m]
            state.c[layer][:] = c[steps]
            x = u[1:, :, n : n + m]
            if masks is not None:
                x = x * masks[layer]
        buf.hs[:, :, :m] = x
        logits = self.softmax_tile.forward(buf.hs.reshape(steps * batch, m + 1))
        loss, grad = softmax_cross_entropy(logits, targets.reshape(-1))
        return Window(buf, steps, batch, inputs, masks, loss, grad.astype(self.dtype, copy=False))

    def backward(self, window: Window) -> list[tuple[np.ndarray, np.ndarray]]:
        """BPTT through the window (truncated at its start). Returns per tile (X (R, cols), D (R, rows)).

        R = T * B rows in time order; ``D[r]`` is dL/d(output) at step r for the summed loss, so
        ``W -= lr * D.T @ X`` is SGD and ``tile.update(X, D, lr)`` the same as rank-1 updates.
        """
        buf, steps, batch = window.buffers, window.steps, window.batch
        m = self.hidden_size
        d_soft = window.grad_logits
        dx = self.softmax_tile.backward(d_soft)[:, :m].reshape(steps, batch, m)
        pairs = []
        for layer in range(self.num_layers - 1, -1, -1):
            tile, n = self.layer_tiles[layer], self.input_sizes[layer]
            dh_above = dx * window.masks[layer] if window.masks is not None else dx
            gates, c, tanh_c, dz = buf.gates[layer], buf.c[layer], buf.tanh_c[layer], buf.dz[layer]
            dc = np.zeros((batch, m), self.dtype)
            dh_rec = buf.zeros
            dx = np.empty((steps, batch, n), self.dtype) if layer > 0 else None
            for t in range(steps - 1, -1, -1):
                lstm_cell_backward(dh_above[t], dh_rec, dc, gates[t], c[t], tanh_c[t], dz[t])
                if layer == 0 and t == 0:
                    break  # nothing below the input layer and nothing before the window
                du = tile.backward(dz[t])
                dh_rec = du[:, n : n + m]
                if dx is not None:
                    dx[t] = du[:, :n]
            cols = n + m + 1
            pairs.append(
                (buf.u[layer][:steps].reshape(steps * batch, cols), dz.reshape(steps * batch, 4 * m))
            )
        pairs.reverse()
        pairs.append((buf.hs.reshape(steps * batch, m + 1), d_soft))
        return pairs

    def update(self, pairs: list[tuple[np.ndarray, np.ndarray]], lr: float) -> None:
        """One ``tile.update`` per tile (input layer first, softmax last): T rank-1 updates each."""
        for tile, (x, d) in zip(self.tiles, pairs, strict=True):
            tile.update(x, d, lr)
