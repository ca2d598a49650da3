"""Device-to-device sampling of constant-step devices (NUMERICS.md 3.3), once per tile.

Storage: the update kernel streams every parameter of each pulsed row from memory (a 2048 x 1029
tile's parameters do not fit in cache), so they are packed to 8 bytes per device: four int16
offsets ``q`` relative to the configured means, ``value = mean * (1 + scale * q)``, interleaved
as ``packed[i, j] = [up, down, bmin, bmax]`` so that one cache line serves 8 devices. A zero
spread gives ``q = 0`` and the mean exactly; the resolution is ``max|offset| / 32767`` of the
mean per parameter (about 5e-5 at the paper's 30 % spreads), far below the 30 % cycle-to-cycle
noise of a single step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UP, DOWN, BMIN, BMAX = 0, 1, 2, 3


_Q_MAX = 32767


@dataclass
class DeviceArrays:
    """Per-device parameters of an (M, N) tile, packed (see the module docstring)."""

    packed: np.ndarray  # (M, N, 4) int16 offsets
    means: np.ndarray  # (4,) float64: dw_min, dw_min, w_min, w_max
    scales: np.ndarray  # (4,) float64: relative offset per unit of q

    def decode(self, which: int) -> np.ndarray:
        """One parameter (UP, DOWN, BMIN or BMAX) as float64 (M, N), as the kernel computes it."""
        return self.means[which] * (1.0 + self.scales[which] * self.packed[..., which])

    @property
    def up(self) -> np.ndarray:
        return self.decode(UP).astype(np.float32)

    @property
    def down(self) -> np.ndarray:
        return self.decode(DOWN).astype(np.float32)

    @property
    def bmin(self) -> np.ndarray:
        return self.decode(BMIN).astype(np.float32)

    @property
    def bmax(self) -> np.ndarray:
        return self.decode(BMAX).astype(np.float32)


def sample_devices(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    dw_min: float,
    dw_min_d2d: float,
    up_down: float,
    up_down_d2d: float,
    w_max: float,
    w_min: float,
    w_max_d2d: float,
    w_min_d2d: float,
) -> DeviceArrays:
    """Draw each device's up/down step and bounds (NUMERICS.md 3.3) and pack them."""
    xi = rng.standard_normal((4, *shape))
    bmax = w_max * (1.0 + w_max_d2d * xi[0])
    bmin = w_min * (1.0 + w_min_d2d * xi[1])
    g = 1.0 + dw_min_d2d * xi[2]
    r = up_down_d2d * xi[3]
    # A mean imbalance beta > 0 shrinks the down step, beta < 0 the up step.
    up = (g + r + min(up_down, 0.0)) * dw_min
    down = (g - r - max(up_down, 0.0)) * dw_min
    swap = bmin > bmax
    bmin, bmax = np.where(swap, bmax, bmin), np.where(swap, bmin, bmax)
    means = np.array([dw_min, dw_min, w_min, w_max], dtype=np.float64)
    packed = np.zeros((*shape, 4), dtype=np.int16)
    scales = np.zeros(4)
    values = (np.abs(up), np.abs(down), -np.abs(bmin), np.abs(bmax))
    for k, value in enumerate(values):
        offset = value / means[k] - 1.0
        largest = np.abs(offset).max(initial=0.0)
        if largest > 0:
            scales[k] = largest / _Q_MAX
            q = np.rint(offset / scales[k])
            # Each parameter is a magnitude with the sign of its mean: keep 1 + scale * q > 0.
            packed[..., k] = np.maximum(q, np.ceil(-1.0 / scales[k]) + 1.0)
    return DeviceArrays(packed=packed, means=means, scales=scales)
