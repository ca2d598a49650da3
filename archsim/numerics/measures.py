"""The 2019 measures (Rasch, Gokmen & Haensch, IEEE D&T 2019): weight scaling and digital bias,
a digital layer around any analog tile (docs/numerics.md, "The 2019 measures").

The logical tile is M x N; every network puts the bias in the last column (input 1).

- **digital bias**: the array is M x (N - 1); the bias b (float32) is digital: forward adds
  b x_last, backward gives the exact b^T d for the last input, and each rank-1 update does
  b -= lr d x_last in order (bit for bit whatever the batching).
- **weight scaling** (omega): when weights are set, alpha = max|W_array| / (omega bound), with
  bound the smaller of |w_min| and w_max (the device's mean range), so the largest weight uses
  the fraction omega of it; the array holds W / alpha, forward and backward outputs are
  multiplied by alpha digitally, and the array's pulsed update takes lr / alpha, so that the
  expected change of the logical weight is still -lr d x^T. Alpha stays fixed for the run (it is
  part of the state).

With digital bias the outputs are no longer the array's alone, so the clipped-output mask
(``mask_clipped_outputs``) is not applied (``clip_level`` None); with scaling alone it is the
inner tile's level times alpha.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from archsim.config.rpu import RPUConfig
from archsim.numerics.checks import as_matrix, as_vectors, check_lr


class MeasuredTile:
    """A logical M x N tile: an inner analog tile (``inner``) with the measures of ``rpu.measures``."""

    def __init__(self, out_size: int, in_size: int, rpu: RPUConfig, make_inner: Callable[[int, int], Any]):
        measures = rpu.measures
        self.digital_bias = measures.digital_bias
        if self.digital_bias and in_size < 2:
            raise ValueError(f"in_size: digital bias needs at least 2 columns, got {in_size}")
        self.out_size, self.in_size = int(out_size), int(in_size)
        self.inner = make_inner(self.out_size, self.in_size - 1 if self.digital_bias else self.in_size)
        self.rpu, self.seed = rpu, self.inner.seed
        self.omega = measures.weight_scaling_omega
        self.bound = min(rpu.device.w_max, -rpu.device.w_min)
        self.scale = np.float32(1.0)
        self.bias = np.zeros(self.out_size, np.float32) if self.digital_bias else None

    @property
    def last_passes(self) -> np.ndarray:
        return self.inner.last_passes

    @property
    def clip_level(self) -> float | None:
        level = self.inner.clip_level
        return None if level is None or self.digital_bias else level * float(self.scale)

    def _split(self, xb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The array's inputs and (digital bias) the bias inputs."""
        if not self.digital_bias:
            return xb, None
        return np.ascontiguousarray(xb[:, :-1]), xb[:, -1].copy()

    def set_weights(self, weights: np.ndarray) -> None:
        w = as_matrix(weights, "W", self.out_size, self.in_size)
        if self.digital_bias:
            self.bias = w[:, -1].copy()
            w = w[:, :-1]
        if self.omega is not None:
            largest = float(np.abs(w).max())
            self.scale = np.float32(largest / (self.omega * self.bound)) if largest > 0 else np.float32(1.0)
        self.inner.set_weights(w / self.scale)

    def get_weights(self) -> np.ndarray:
        w = self.inner.get_weights() * self.scale
        return np.concatenate([w, self.bias[:, None]], axis=1) if self.digital_bias else w

    def forward(self, x: np.ndarray) -> np.ndarray:
        xb, single = as_vectors(x, "x", self.in_size, check_finite=False)
        xa, ones = self._split(xb)
        y = self.inner.forward(xa) * self.scale
        if ones is not None:
            y += ones[:, None] * self.bias[None, :]
        return y[0] if single else y

    def backward(self, d: np.ndarray) -> np.ndarray:
        db, single = as_vectors(d, "d", self.out_size, check_finite=False)
        z = self.inner.backward(db) * self.scale
        if self.digital_bias:
            z = np.concatenate([z, (db @ self.bias)[:, None]], axis=1)
        return z[0] if single else z

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        xb, _ = as_vectors(x, "x", self.in_size, check_finite=False)
        db, _ = as_vectors(d, "d", self.out_size, check_finite=False)
        if xb.shape[0] != db.shape[0]:
            raise ValueError(f"x, d: expected the same batch size, got {xb.shape[0]} and {db.shape[0]}")
        lr = check_lr(lr)
        xa, ones = self._split(xb)
        self.inner.update(xa, db, lr / float(self.scale))
        if ones is not None:
            step = np.float32(lr)
            for r in range(db.shape[0]):  # one rank-1 update at a time: batching changes nothing
                self.bias -= step * ones[r] * db[r]

    def update_bl(self, x: np.ndarray, d: np.ndarray, lr: float) -> int:
        xa = x[:-1] if self.digital_bias else x
        return self.inner.update_bl(xa, d, lr / float(self.scale))

    def state_dict(self) -> dict[str, Any]:
        """The inner tile's state, the scale alpha and (digital bias) the bias, (1, M)."""
        state = {**self.inner.state_dict(), "scale": float(self.scale)}
        if self.bias is not None:
            state["bias"] = self.bias[None, :].copy()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if ("bias" in state) != self.digital_bias:
            raise ValueError("state: a bias only with measures.digital_bias")
        scale = float(state["scale"])
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"state: scale must be a finite number > 0, got {scale!r}")
        inner = {k: v for k, v in state.items() if k not in ("scale", "bias")}
        self.inner.load_state_dict(inner)
        self.scale = np.float32(scale)
        if self.digital_bias:
            self.bias = as_matrix(state["bias"], "state['bias']", 1, self.out_size)[0].copy()
