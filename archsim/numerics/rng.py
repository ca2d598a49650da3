"""Counter-based random numbers: every draw is a pure function of (key, counter, index).

A tile owns a 64-bit ``key`` (from its seed) and a call ``counter``; each kernel call derives a
``base`` from the two and draws element ``idx`` as ``mix64(base + (idx + 1) * GOLDEN)``: the
SplitMix64 generator jumped to position ``idx``. Draws are therefore independent of loop order
and thread count, and a tile's random state is two integers (trivial to checkpoint).

Each function has a Numba scalar form (used inside kernels) and a NumPy array form (used by the
reference twins); the tests check they agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from archsim.numerics.jit import jit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53

# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425
A0, A1, A2, A3, A4, A5 = _A
B0, B1, B2, B3, B4 = _B
C0, C1, C2, C3, C4, C5 = _C
D0, D1, D2, D3 = _D

# Draw tags: separate sub-streams of one call.
TAG_NOISE = 0
TAG_ROUND = 1
TAG_TRAIN_X = 2
TAG_TRAIN_D = 3
TAG_C2C = 4
TAG_C2C_STEP = 5


@jit
def mix64(z):
    """SplitMix64 finalizer: a bijective avalanche of a uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def call_base(key, counter, tag):
    """The base of one kernel call's sub-stream ``tag``."""
    return mix64(mix64(np.uint64(key) ^ mix64(np.uint64(counter) + GOLDEN)) + np.uint64(tag))


@jit
def draw(base, idx):
    """The uint64 at position ``idx`` of the stream ``base``."""
    return mix64(np.uint64(base) + (np.uint64(idx) + _ONE) * GOLDEN)


@jit
def uniform(base, idx):
    """U[0, 1) with 53 random bits."""
    return np.float64(draw(base, idx) >> _S11) * _TWO_M53


@jit
def normal(base, idx):
    """N(0, 1) by the inverse CDF of an open-interval uniform."""
    p = (np.float64(draw(base, idx) >> _S11) + 0.5) * _TWO_M53
    if p < _P_LOW:
        q = np.sqrt(-2.0 * np.log(p))
        return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / (
            (((D0 * q + D1) * q + D2) * q + D3) * q + 1.0
        )
    if p > 1.0 - _P_LOW:
        q = np.sqrt(-2.0 * np.log(1.0 - p))
        return -(((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / (
            (((D0 * q + D1) * q + D2) * q + D3) * q + 1.0
        )
    q = p - 0.5
    r = q * q
    return (
        (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5)
        * q
        / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1.0)
    )


# NumPy twins (array forms) --------------------------------------------------------------------


def mix64_np(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps by design
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def call_base_np(key: int, counter: int, tag: int) -> np.uint64:
    with np.errstate(over="ignore"):
        inner = mix64_np(np.uint64(counter) + GOLDEN)
        return mix64_np(mix64_np(np.uint64(key) ^ inner) + np.uint64(tag))[()]


def draw_np(base: np.uint64, idx: np.ndarray) -> np.ndarray:
    idx = np.asarray(idx, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return mix64_np(np.uint64(base) + (idx + _ONE) * GOLDEN)


def uniform_np(base: np.uint64, idx: np.ndarray) -> np.ndarray:
    return (draw_np(base, idx) >> _S11).astype(np.float64) * _TWO_M53


def normal_np(base: np.uint64, idx: np.ndarray) -> np.ndarray:
    p = ((draw_np(base, idx) >> _S11).astype(np.float64) + 0.5) * _TWO_M53
    out = np.empty_like(p)
    low, high = p < _P_LOW, p > 1.0 - _P_LOW
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = (
        (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5)
        * q
        / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1.0)
    )
    for mask, tail, sign in ((low, p[low], 1.0), (high, 1.0 - p[high], -1.0)):
        q = np.sqrt(-2.0 * np.log(tail))
        out[mask] = sign * (
            (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5)
            / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1.0)
        )
    return out
