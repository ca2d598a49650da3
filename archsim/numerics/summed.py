"""Device-variability reduction (Gokmen, Onen & Haensch 2017): several devices per weight.

A layer with ``n`` devices per weight is one physical array of M x (N n): device k of weight
(i, j) sits in column ``k N + j``, and the weight is the sum of its n devices. The logical tile
(M x N, the interface of :class:`~archsim.numerics.tile.AnalogTile`) drives it so:

- forward: the input x is applied to all n column blocks at once (the same voltages), so one MVM
  of the physical array, through one DAC/ADC/noise pass, reads ``sum_k W_k x``;
- backward: one MVM of the physical array's transpose gives the n blocks' ``W_k^T d``; they are
  added digitally (each carries its own output noise);
- update: one pulsed rank-1 update of the physical array with x repeated over the blocks and the
  learning rate lr / n, so that each device gets its own pulse trains and cycle-to-cycle noise
  and the expected change of the sum is ``-lr d x^T``; the device-to-device spread of the sum's
  steps and bounds shrinks by about sqrt(n) relative to its mean.

Weights set on the tile are split evenly over the n devices; its state (and checkpoint) is the
physical array's. A floating-point tile needs no such layer (its devices have no variability).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archsim.config.rpu import RPUConfig
from archsim.numerics.checks import as_matrix, as_vectors
from archsim.numerics.tile import AnalogTile


class SummedTile:
    """A logical M x N tile whose every weight is the sum of ``n`` devices of one physical
    M x (N n) :class:`AnalogTile` (``array``)."""

    def __init__(self, out_size: int, in_size: int, rpu: RPUConfig, seed: int, n: int):
        if n < 1:
            raise ValueError(f"devices per weight: expected >= 1, got {n}")
        self.out_size, self.in_size, self.n = int(out_size), int(in_size), int(n)
        self.array = AnalogTile(self.out_size, self.in_size * self.n, rpu, seed)
        self.rpu, self.seed = rpu, self.array.seed
        self.clip_level = self.array.clip_level

    @property
    def last_passes(self) -> np.ndarray:
        return self.array.last_passes

    def set_weights(self, weights: np.ndarray) -> None:
        w = as_matrix(weights, "W", self.out_size, self.in_size)
        self.array.set_weights(np.tile(w / np.float32(self.n), (1, self.n)))

    def get_weights(self) -> np.ndarray:
        physical = self.array.get_weights().reshape(self.out_size, self.n, self.in_size)
        return physical.sum(axis=1, dtype=np.float32)

    def forward(self, x: np.ndarray) -> np.ndarray:
        xb, single = as_vectors(x, "x", self.in_size, check_finite=False)
        y = self.array.forward(np.tile(xb, (1, self.n)))
        return y[0] if single else y

    def backward(self, d: np.ndarray) -> np.ndarray:
        db, single = as_vectors(d, "d", self.out_size, check_finite=False)
        blocks = self.array.backward(db).reshape(db.shape[0], self.n, self.in_size)
        z = blocks.sum(axis=1, dtype=np.float32)
        return z[0] if single else z

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        xb, _ = as_vectors(x, "x", self.in_size, check_finite=False)
        self.array.update(np.tile(xb, (1, self.n)), d, lr / self.n)

    def update_bl(self, x: np.ndarray, d: np.ndarray, lr: float) -> int:
        return self.array.update_bl(np.tile(x, self.n), d, lr / self.n)

    def state_dict(self) -> dict[str, Any]:
        return self.array.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.array.load_state_dict(state)
