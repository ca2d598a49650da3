"""Digital work of a conv layer (the paper's NLF blocks): im2col, col2im and max pooling.

Pure loops over arrays, compiled with Numba; ``*_reference`` are the NumPy twins the tests compare
against (bit for bit: the kernels add in the twins' order). Maps are (B, H, W, C), C innermost.
Patch columns are ordered (kernel row, kernel column, channel), rows (image, output row, output
column), with 1 in the last (bias) column.
"""

from __future__ import annotations

import numpy as np

from archsim.numerics.jit import jit


@jit
def im2col(maps, k, out):
    """The patches of ``maps`` (B, H, W, C) for a k x k kernel (stride 1, no padding) into ``out``
    (B (H-k+1) (W-k+1), k k C + 1), the bias column set to 1; returns ``out``. Each kernel row
    of a patch is k C consecutive elements of ``maps`` (C innermost), copied as one run."""
    b_n, h, w, c_n = maps.shape
    oh, ow = h - k + 1, w - k + 1
    width = k * k * c_n
    run = k * c_n
    flat = maps.reshape(maps.size)
    row = 0
    for b in range(b_n):
        for p in range(oh):
            for q in range(ow):
                dst = out[row]
                for i in range(k):
                    src = ((b * h + p + i) * w + q) * c_n
                    col = i * run
                    for t in range(run):
                        dst[col + t] = flat[src + t]
                dst[width] = 1.0
                row += 1
    return out


def im2col_reference(maps: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`im2col`."""
    b, h, w, c = maps.shape
    oh, ow = h - k + 1, w - k + 1
    view = out[:, :-1].reshape(b, oh, ow, k, k, c)
    for i in range(k):
        for j in range(k):
            view[:, :, :, i, j, :] = maps[:, i : i + oh, j : j + ow, :]
    out[:, -1] = 1.0
    return out


@jit
def col2im(patches, k, grad):
    """The adjoint of :func:`im2col` for one image: the patch errors ``patches`` (positions,
    >= k k C; extra columns, such as the bias's, are ignored) added into ``grad`` (H, W, C), which
    is zeroed first; returns ``grad``. Each element sums its contributions in kernel-offset order."""
    h, w, c_n = grad.shape
    oh, ow = h - k + 1, w - k + 1
    grad[:] = 0.0
    for i in range(k):
        for j in range(k):
            base = (i * k + j) * c_n
            for p in range(oh):
                for q in range(ow):
                    row = p * ow + q
                    for c in range(c_n):
                        grad[p + i, q + j, c] += patches[row, base + c]
    return grad


def col2im_reference(patches: np.ndarray, k: int, grad: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`col2im`."""
    h, w, c = grad.shape
    oh, ow = h - k + 1, w - k + 1
    view = patches[:, : k * k * c].reshape(oh, ow, k, k, c)
    grad[:] = 0.0
    for i in range(k):
        for j in range(k):
            grad[i : i + oh, j : j + ow, :] += view[:, :, i, j, :]
    return grad


@jit
def max_pool(maps, p, out, where):
    """Max over non-overlapping p x p windows of ``maps`` (B, H, W, C) into ``out`` (B, H/p, W/p,
    C); ``where`` (same shape, int64) gets the index a * p + b of the first maximum of each window."""
    b_n, h, w, c_n = out.shape
    for b in range(b_n):
        for y in range(h):
            for x in range(w):
                for c in range(c_n):
                    best = maps[b, y * p, x * p, c]
                    arg = 0
                    for a in range(p):
                        for e in range(p):
                            v = maps[b, y * p + a, x * p + e, c]
                            if v > best:
                                best, arg = v, a * p + e
                    out[b, y, x, c] = best
                    where[b, y, x, c] = arg
    return out


def max_pool_reference(maps: np.ndarray, p: int, out: np.ndarray, where: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`max_pool`."""
    b, h, w, c = out.shape
    blocks = maps.reshape(b, h, p, w, p, c).transpose(0, 1, 3, 5, 2, 4).reshape(b, h, w, c, p * p)
    where[...] = blocks.argmax(axis=-1)
    out[...] = np.take_along_axis(blocks, where[..., None], axis=-1)[..., 0]
    return out


@jit
def max_unpool(grad, where, p, out):
    """Backward of :func:`max_pool` for one image: ``grad`` (h, w, C) routed to the maximum of
    each window of ``out`` (h p, w p, C), every other element zero; returns ``out``."""
    h, w, c_n = grad.shape
    out[:] = 0.0
    for y in range(h):
        for x in range(w):
            for c in range(c_n):
                arg = where[y, x, c]
                out[y * p + arg // p, x * p + arg % p, c] = grad[y, x, c]
    return out


def max_unpool_reference(grad: np.ndarray, where: np.ndarray, p: int, out: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`max_unpool`."""
    h, w, c = grad.shape
    blocks = np.zeros((h, w, c, p * p), dtype=out.dtype)
    np.put_along_axis(blocks, where[..., None], grad[..., None], axis=-1)
    out[...] = blocks.reshape(h, w, c, p, p).transpose(0, 3, 1, 4, 2).reshape(h * p, w * p, c)
    return out


@jit
def tanh_error(grad, a, clipped, delta, masked):
    """The error at the input of a tanh layer, float32: ``delta = grad * (1 - a * a)`` from the
    layer's outputs ``a`` and the error ``grad`` at them (all (B, M), each product rounded to
    float32 as NumPy rounds it), and, when ``clipped`` (B, M) bool has entries, ``masked``: delta
    with 0 where the output was clipped (what backward sends through the tile). Returns whether
    every delta is finite. One pass, no temporaries."""
    one, zero = np.float32(1.0), np.float32(0.0)
    mask = clipped.size > 0
    finite = True
    for r in range(a.shape[0]):
        for c in range(a.shape[1]):
            v = a[r, c]
            e = grad[r, c] * (one - v * v)
            delta[r, c] = e
            finite &= np.isfinite(e)
            if mask:
                masked[r, c] = zero if clipped[r, c] else e
    return finite


def tanh_error_reference(
    grad: np.ndarray, a: np.ndarray, clipped: np.ndarray, delta: np.ndarray, masked: np.ndarray
) -> bool:
    """NumPy twin of :func:`tanh_error`."""
    delta[...] = grad * (1 - a * a)
    if clipped.size:
        masked[...] = np.where(clipped, 0.0, delta)
    return bool(np.isfinite(delta).all())
