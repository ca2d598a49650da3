"""Tiles: the objects the training code and the chip model call for every array operation.

Both tiles share one interface::

    tile.set_weights(W); tile.get_weights()   # (out_size, in_size)
    y = tile.forward(x)      # x (N,) or (B, N) -> (M,) or (B, M)
    z = tile.backward(d)     # d (M,) or (B, M) -> (N,) or (B, N)
    tile.update(x, d, lr)    # one rank-1 update per row of x and d, in order; E[dW] = -lr outer(d, x)
    tile.last_passes         # MVM passes per vector of the last forward/backward (bound management)
    tile.state_dict(); tile.load_state_dict(state)   # everything needed to resume bit for bit
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archsim.config.rpu import FloatingPointRPUConfig, RPUConfig
from archsim.numerics.checks import as_matrix, as_vectors, check_lr


class FloatingPointTile:
    """Ideal floating-point (float32) weights: exact MVMs and ``W -= lr * outer(d, x)``."""

    def __init__(self, out_size: int, in_size: int, rpu: FloatingPointRPUConfig | None = None, seed: int = 0):
        if out_size < 1 or in_size < 1:
            raise ValueError(f"out_size, in_size: expected >= 1, got ({out_size}, {in_size})")
        self.out_size = int(out_size)
        self.in_size = int(in_size)
        self.rpu = rpu or FloatingPointRPUConfig()
        self.seed = int(seed)
        self._weights = np.zeros((self.out_size, self.in_size), dtype=np.float32)
        self.last_passes = np.ones(1, dtype=np.int32)

    def set_weights(self, weights: np.ndarray) -> None:
        self._weights = as_matrix(weights, "W", self.out_size, self.in_size).copy()

    def get_weights(self) -> np.ndarray:
        return self._weights.copy()

    def forward(self, x: np.ndarray) -> np.ndarray:
        xb, single = as_vectors(x, "x", self.in_size)
        y = xb @ self._weights.T
        self.last_passes = np.ones(xb.shape[0], dtype=np.int32)
        return y[0] if single else y

    def backward(self, d: np.ndarray) -> np.ndarray:
        db, single = as_vectors(d, "d", self.out_size)
        z = db @ self._weights
        self.last_passes = np.ones(db.shape[0], dtype=np.int32)
        return z[0] if single else z

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        xb, _ = as_vectors(x, "x", self.in_size)
        db, _ = as_vectors(d, "d", self.out_size)
        if xb.shape[0] != db.shape[0]:
            raise ValueError(f"x, d: expected the same batch size, got {xb.shape[0]} and {db.shape[0]}")
        lr = check_lr(lr)
        # The sum of the rank-1 updates equals applying them one by one in exact arithmetic.
        self._weights -= np.float32(lr) * (db.T @ xb)

    def state_dict(self) -> dict[str, Any]:
        return {"kind": "fp", "weights": self._weights.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = as_matrix(state["weights"], "state['weights']", self.out_size, self.in_size).copy()


def make_tile(
    out_size: int, in_size: int, rpu: RPUConfig | FloatingPointRPUConfig, seed: int = 0
) -> FloatingPointTile:
    """The tile that ``rpu`` describes: analog for ``kind: analog``, floating point for ``kind: fp``."""
    if isinstance(rpu, FloatingPointRPUConfig):
        return FloatingPointTile(out_size, in_size, rpu, seed)
    raise NotImplementedError("AnalogTile is being built (issue 2)")
