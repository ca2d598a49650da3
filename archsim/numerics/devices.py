"""Device-to-device sampling (NUMERICS.md 3.3), once per tile: the steps and bounds every device
model has, and the per-device parameters of the models whose step depends on the weight.

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
from typing import Any

import numpy as np

from archsim.numerics.update import (
    EXP_A,
    EXP_A_DOWN,
    EXP_A_UP,
    EXP_B,
    EXP_GAMMA_DOWN,
    EXP_GAMMA_UP,
    MODEL_CONSTANT,
    MODEL_EXP,
    MODEL_LINEAR,
    MODEL_POW,
)

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


@dataclass
class DeviceModel:
    """How the step of each device depends on its weight: the kernel's view of a device model.

    ``model``: MODEL_*; ``shape`` (6,) float64: the tile-wide parameters (the exponential step's,
    else zeros); ``extra`` (M, N, 2) float32: two per-device parameters (the linear family's
    slopes [k_up, k_down], the power step's exponents [gamma_up, gamma_down]; zeros otherwise);
    ``additive``: additive rather than multiplicative cycle-to-cycle noise.
    """

    model: int
    shape: np.ndarray
    extra: np.ndarray
    additive: bool


def linear_slopes(
    devices: DeviceArrays,
    rng: np.random.Generator,
    *,
    soft_bounds: bool,
    gamma_up: float = 1.0,
    gamma_down: float = 1.0,
    gamma_up_d2d: float = 0.0,
    gamma_down_d2d: float = 0.0,
    w_max: float = 1.0,
    w_min: float = -1.0,
) -> np.ndarray:
    """Per-device slopes (M, N, 2) [k_up, k_down] of the linear family, the step being
    up_ij (1 - k_up w) and down_ij (1 - k_down w).

    Soft bounds: k = 1 / the device's own bound (the step vanishes at it). Linear step (the
    reference simulator's default of slopes relative to the mean bounds): k_up = |gamma_up +
    gamma_up_d2d xi| / w_max, k_down = |gamma_down + gamma_down_d2d xi| / w_min (negative)."""
    if soft_bounds:
        return np.stack([1.0 / devices.decode(BMAX), 1.0 / devices.decode(BMIN)], axis=-1).astype(np.float32)
    shape = devices.packed.shape[:2]
    xi = rng.standard_normal((2, *shape))
    k_up = np.abs(gamma_up + gamma_up_d2d * xi[0]) / w_max
    k_down = np.abs(gamma_down + gamma_down_d2d * xi[1]) / w_min
    return np.stack([k_up, k_down], axis=-1).astype(np.float32)


def pow_exponents(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    pow_gamma: float,
    pow_gamma_d2d: float,
    pow_up_down: float,
    pow_up_down_d2d: float,
) -> np.ndarray:
    """Per-device exponents (M, N, 2) [gamma_up, gamma_down] of the power step, drawn like the
    steps (NUMERICS.md 3.3): g = 1 + pow_gamma_d2d xi, r = pow_up_down_d2d xi, a mean imbalance
    > 0 lowering gamma_down (< 0 gamma_up), magnitudes kept."""
    xi = rng.standard_normal((2, *shape))
    g = 1.0 + pow_gamma_d2d * xi[0]
    r = pow_up_down_d2d * xi[1]
    up = np.abs((g + r + min(pow_up_down, 0.0)) * pow_gamma)
    down = np.abs((g - r - max(pow_up_down, 0.0)) * pow_gamma)
    return np.stack([up, down], axis=-1).astype(np.float32)


def device_model(device: Any, devices: DeviceArrays, rng: np.random.Generator) -> DeviceModel:
    """The kernel's parameters of the configured ``device`` (an ``archsim.config.rpu`` device model)
    on the sampled ``devices``; the per-device draws continue ``rng`` (the constant step draws
    nothing more, so its devices are those it always had)."""
    shape = devices.packed.shape[:2]
    none = np.zeros(6)
    additive = getattr(device, "c2c_noise", "multiplicative") == "additive"
    if device.kind == "constant_step":
        return DeviceModel(MODEL_CONSTANT, none, np.zeros((*shape, 2), dtype=np.float32), False)
    if device.kind in ("soft_bounds", "linear_step"):
        soft = device.kind == "soft_bounds"
        gammas = {} if soft else {
            "gamma_up": device.gamma_up,
            "gamma_down": device.gamma_down,
            "gamma_up_d2d": device.gamma_up_d2d,
            "gamma_down_d2d": device.gamma_down_d2d,
        }
        bounds = {"w_max": device.w_max, "w_min": device.w_min}
        slopes = linear_slopes(devices, rng, soft_bounds=soft, **bounds, **gammas)
        return DeviceModel(MODEL_LINEAR, none, slopes, additive)
    if device.kind == "exp_step":
        params = np.zeros(6)
        params[[EXP_A, EXP_B, EXP_A_UP, EXP_A_DOWN, EXP_GAMMA_UP, EXP_GAMMA_DOWN]] = (
            device.a, device.b, device.A_up, device.A_down, device.gamma_up, device.gamma_down
        )
        return DeviceModel(MODEL_EXP, params, np.zeros((*shape, 2), dtype=np.float32), False)
    if device.kind == "pow_step":
        exponents = pow_exponents(
            shape,
            rng,
            pow_gamma=device.pow_gamma,
            pow_gamma_d2d=device.pow_gamma_d2d,
            pow_up_down=device.pow_up_down,
            pow_up_down_d2d=device.pow_up_down_d2d,
        )
        return DeviceModel(MODEL_POW, none, exponents, False)
    raise ValueError(f"device.kind: unknown {device.kind!r}")
