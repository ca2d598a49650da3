"""Device-to-device sampling of constant-step devices (NUMERICS.md 3.3), once per tile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DeviceArrays:
    """Per-device parameters of an (M, N) tile, float32: step sizes and hard bounds."""

    up: np.ndarray
    down: np.ndarray
    bmin: np.ndarray
    bmax: np.ndarray


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
    """Draw each device's up/down step and bounds (NUMERICS.md 3.3), in float64, stored float32."""
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
    return DeviceArrays(
        up=np.abs(up).astype(np.float32),
        down=np.abs(down).astype(np.float32),
        bmin=(-np.abs(bmin)).astype(np.float32),
        bmax=np.abs(bmax).astype(np.float32),
    )
