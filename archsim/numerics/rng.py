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
from numba.cpython.unsafe.numbers import trailing_zeros

from archsim.numerics.jit import jit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53

# Ziggurat of 1024 layers for N(0, 1) (Marsaglia & Tsang 2000, with Doornik's 2005 separation of
# the layer bits from the uniform's bits). _ZX[i] is the right edge of layer i; a draw whose
# |u| < _ZR[i] = _ZX[i+1] / _ZX[i] lies inside the rectangle and is accepted at once (99.57 %;
# 256 layers would reject 1.5 %, and a rejection costs some 50 fast draws). _ZIG_R is the edge of
# the base strip for which the layers, each of area _ZIG_V = R f(R) + the tail beyond R, close
# at the top (tests/numerics/test_twins.py checks it).
_ZIG_LAYERS = 1024
_ZIG_R = 4.038849846109504
_ZIG_V = 0.0012263246463530893


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    x = np.empty(_ZIG_LAYERS + 1)
    f_r = np.exp(-0.5 * _ZIG_R * _ZIG_R)
    x[0] = _ZIG_V / f_r
    x[1] = _ZIG_R
    for i in range(2, _ZIG_LAYERS):
        x[i] = np.sqrt(-2.0 * np.log(_ZIG_V / x[i - 1] + np.exp(-0.5 * x[i - 1] * x[i - 1])))
    x[_ZIG_LAYERS] = 0.0
    return x, x[1:] / x[:-1]


_ZX, _ZR = _ziggurat_tables()
_LAYER_MASK = np.uint64(_ZIG_LAYERS - 1)

# The fast path reads one table entry per draw (a vector gather is the costly part of a draw):
# _ZTAB[i] holds the float32 bits of _ZX[i] in its low half and the rectangle test as a threshold
# on 32 uniform bits, floor(_ZR[i] * 2**32), in its high half. A draw r gives the layer (bits 0-9),
# the sign (bit 31) and |u| = (r >> 32) / 2**32; it is accepted when r >> 32 < threshold and is
# then +-|u| * float32(_ZX[layer]).
_ZTAB = (np.minimum(np.floor(_ZR * 2.0**32), 2.0**32 - 1).astype(np.uint64) << np.uint64(32)) | _ZX[
    :_ZIG_LAYERS
].astype(np.float32).view(np.uint32).astype(np.uint64)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO_M32 = 1.0 / 4294967296.0

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
def _unit(r):
    """U[0, 1) from the top 53 bits of a uint64."""
    return np.float64(r >> _S11) * _TWO_M53


@jit
def _normal_slow(seed, layer, u):
    """The rare ziggurat path: the wedge test of ``layer`` or the tail, drawing from ``seed``."""
    k = 1
    while True:
        if layer == 0:  # the tail beyond R (Marsaglia 1964)
            while True:
                tx = np.log(1.0 - _unit(np.uint64(mix64(seed + np.uint64(k) * GOLDEN)))) / _ZIG_R
                ty = np.log(1.0 - _unit(np.uint64(mix64(seed + np.uint64(k + 1) * GOLDEN))))
                k += 2
                if -2.0 * ty >= tx * tx:
                    return tx - _ZIG_R if u < 0 else _ZIG_R - tx
        x = u * _ZX[layer]
        f0 = np.exp(-0.5 * (_ZX[layer] * _ZX[layer] - x * x))
        f1 = np.exp(-0.5 * (_ZX[layer + 1] * _ZX[layer + 1] - x * x))
        if f1 + _unit(np.uint64(mix64(seed + np.uint64(k) * GOLDEN))) * (f0 - f1) < 1.0:
            return x
        r = np.uint64(mix64(seed + np.uint64(k + 1) * GOLDEN))
        k += 2
        layer = np.int64(r & _LAYER_MASK)
        u = 2.0 * _unit(r) - 1.0
        if abs(u) < _ZR[layer]:
            return u * _ZX[layer]


@jit
def _fast_normal(r):
    """(value, accepted, u) of the ziggurat fast path for the draw ``r`` (see _ZTAB)."""
    entry = _ZTAB[r & _LAYER_MASK]
    magnitude = r >> _S32
    edge = np.float64(np.uint32(entry & _LOW32).view(np.float32)) * _TWO_M32
    x = np.float64(magnitude) * edge
    negative = (r >> _S31) & _ONE
    u = np.float64(magnitude) * _TWO_M32
    return (-x if negative else x), magnitude < (entry >> _S32), (-u if negative else u)


@jit
def normal(base, idx):
    """N(0, 1) by the ziggurat: one draw on the fast path, a local stream seeded by it otherwise."""
    r = draw(base, idx)
    value, accepted, u = _fast_normal(r)
    if accepted:
        return value
    return _normal_slow(r, np.int64(r & _LAYER_MASK), u)


_ZIG_BLOCK = 64


@jit
def _ziggurat_block(raw, out):
    """The ziggurat fast path on the (at most 64) draws ``raw`` (vectorised): accepted draws are
    written to ``out``; returns the rejections (about 0.4 %) as a bit mask."""
    rejected = np.uint64(0)
    for t in range(raw.size):
        value, accepted, _ = _fast_normal(raw[t])
        out[t] = value
        rejected |= np.uint64(not accepted) << np.uint64(t)
    return rejected


@jit
def _ziggurat_batch(raw, count, out):
    """The ziggurat's normal of each draw ``raw[:count]`` into ``out``: the fast path 64 draws at
    a time, then that block's rejections one by one."""
    for first in range(0, count, _ZIG_BLOCK):
        last = min(first + _ZIG_BLOCK, count)
        rejected = _ziggurat_block(raw[first:last], out[first:last])
        while rejected:
            k = first + np.int64(trailing_zeros(rejected))
            rejected &= rejected - _ONE
            out[k] = _normal_slow(raw[k], np.int64(raw[k] & _LAYER_MASK), _fast_normal(raw[k])[2])


@jit
def fill_normals_fast(base, cols, col_shift, stride, offset, scale, shift, raw, out):
    """``out[k] = shift + scale * normal(base, (cols[k] >> col_shift) * stride + offset)`` where the
    ziggurat's fast path accepts the draw, NaN where it does not (about 0.4 %): two vectorised
    passes (the draws into the scratch ``raw``, then the fast path), for a caller that visits
    every entry anyway and completes the NaNs with :func:`normal` (the update kernel)."""
    start = np.uint64(base) + (np.uint64(offset) + _ONE) * GOLDEN
    step = np.uint64(stride) * GOLDEN
    for k in range(cols.size):
        raw[k] = mix64(start + np.uint64(cols[k] >> col_shift) * step)
    for k in range(cols.size):
        value, accepted, _ = _fast_normal(raw[k])
        out[k] = shift + scale * value if accepted else np.nan


@jit
def fill_normals_range(base, offset, count, raw, out):
    """``out[k] = normal(base, offset + k)`` for k < count, in batch; ``raw`` is scratch of at
    least ``count`` entries. The draws are a pure uint64 map that the compiler vectorises."""
    first = np.uint64(offset) + _ONE
    for k in range(count):
        raw[k] = mix64(np.uint64(base) + (np.uint64(k) + first) * GOLDEN)
    _ziggurat_batch(raw, count, out)


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
    r = draw_np(base, idx)
    entry = _ZTAB[(r & _LAYER_MASK).astype(np.int64)]
    magnitude = (r >> _S32).astype(np.float64)
    edge = (entry & _LOW32).astype(np.uint32).view(np.float32).astype(np.float64) * _TWO_M32
    negative = ((r >> _S31) & _ONE).astype(bool)
    out = np.where(negative, -(magnitude * edge), magnitude * edge)
    with np.errstate(over="ignore"):
        for k in np.flatnonzero((r >> _S32) >= (entry >> _S32)):
            u = magnitude[k] * _TWO_M32
            out[k] = _normal_slow.py_func(r[k], int(r[k] & _LAYER_MASK), -u if negative[k] else u)
    return out
