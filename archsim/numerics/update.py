"""Stochastic pulsed update on constant-step devices (NUMERICS.md 3).

``pulsed_update`` is the Numba kernel, ``pulsed_update_reference`` its NumPy twin (same draws).
For each row b of ``xs`` (B, N) and ``ds`` (B, M), in order, the kernel

1. sets the pulse amplitudes (fixed BL, or update / bit-length management),
2. draws one Bernoulli train of BL slots per column j (probability min(B|x_j|, 1)) and per row i
   (min(A|d_i|, 1)), packed into a uint64; trains are shared by the whole row / column,
3. applies n_ij = popcount(train_d_i & train_x_j) coincidences to each device at once,
   w += n*step*(1 + c2c*xi/sqrt(n)), and step by step (clipping after each) when a bound is
   within reach, moving the weight down when sign(x_j) * sign(d_i) > 0.

Random draws of update b: the train slots of column j are 32-bit halves of draws
``b * N * 32 + j * 32 + k`` (k < ceil(BL/2)) of sub-stream TAG_TRAIN_X, rows likewise on
TAG_TRAIN_D; the cell noise of (i, j) is draw ``(b * M + i) * N + j`` of TAG_C2C; the per-pulse
noise of the step-by-step fallback is draw ``((b * M + i) * N + j) * 64 + k`` of TAG_C2C_STEP.
"""

from __future__ import annotations

import math

import numpy as np

from archsim.numerics.jit import jit
from archsim.numerics.rng import (
    TAG_C2C,
    TAG_C2C_STEP,
    TAG_TRAIN_D,
    TAG_TRAIN_X,
    call_base,
    call_base_np,
    draw,
    draw_np,
    normal,
    normal_np,
)

#: A device is updated pulse by pulse when its bound is closer than n steps of this many c2c sigmas.
BOUND_REACH_SIGMAS = 6.0
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_TWO32 = 4294967296.0


@jit
def pulse_amplitudes(xmax, dmax, lr, dw_min, bl, update_management, bl_management):
    """(A, B, BL): amplitudes of the d and x trains and the train length of one update."""
    k = lr * xmax * dmax / dw_min
    n_slots = bl
    if bl_management:
        n_slots = min(max(int(math.ceil(k)), 1), bl)
    amp_d = math.sqrt(lr / (dw_min * n_slots))
    amp_x = amp_d
    if update_management or bl_management:
        dm = dmax
        if k > n_slots:
            dm = dmax * n_slots / k
        amp_x *= math.sqrt(dm / xmax)
        amp_d *= math.sqrt(xmax / dm)
    return amp_d, amp_x, n_slots


@jit
def _train(base, first, prob, n_slots):
    """A Bernoulli(prob) train of n_slots slots packed in a uint64 (slot k is bit k)."""
    if prob <= 0.0:
        return np.uint64(0)
    if prob >= 1.0:
        return ~np.uint64(0) >> np.uint64(64 - n_slots)
    threshold = np.uint64(prob * _TWO32)
    mask = np.uint64(0)
    for k in range((n_slots + 1) // 2):
        r = draw(base, first + k)
        if (r & _LOW32) < threshold:
            mask |= np.uint64(1) << np.uint64(2 * k)
        if 2 * k + 1 < n_slots and (r >> _S32) < threshold:
            mask |= np.uint64(1) << np.uint64(2 * k + 1)
    return mask


@jit
def _popcount(v):
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((v * np.uint64(0x0101010101010101)) >> np.uint64(56))


@jit
def pulsed_update(
    weights,
    up,
    down,
    bmin,
    bmax,
    xs,
    ds,
    lr,
    dw_min,
    bl,
    c2c,
    update_management,
    bl_management,
    key,
    counter,
):
    """Apply the B rank-1 pulsed updates of ``xs`` (B, N) and ``ds`` (B, M) to ``weights`` in place.

    Returns the total number of coincidences (pulses that reached a device).
    """
    n_batch, n_cols = xs.shape
    n_rows = ds.shape[1]
    base_x = call_base(key, counter, TAG_TRAIN_X)
    base_d = call_base(key, counter, TAG_TRAIN_D)
    base_c2c = call_base(key, counter, TAG_C2C)
    base_step = call_base(key, counter, TAG_C2C_STEP)
    col_mask = np.empty(n_cols, dtype=np.uint64)
    col_index = np.empty(n_cols, dtype=np.int64)
    col_sign = np.empty(n_cols, dtype=np.float64)
    total = 0
    for b in range(n_batch):
        x = xs[b]
        d = ds[b]
        xmax = 0.0
        for j in range(n_cols):
            xmax = max(xmax, abs(np.float64(x[j])))
        dmax = 0.0
        for i in range(n_rows):
            dmax = max(dmax, abs(np.float64(d[i])))
        if xmax == 0.0 or dmax == 0.0 or lr == 0.0:
            continue
        amp_d, amp_x, n_slots = pulse_amplitudes(xmax, dmax, lr, dw_min, bl, update_management, bl_management)
        n_active = 0
        for j in range(n_cols):
            mask = _train(base_x, (b * n_cols + j) * 32, amp_x * abs(np.float64(x[j])), n_slots)
            if mask:
                col_mask[n_active] = mask
                col_index[n_active] = j
                col_sign[n_active] = 1.0 if x[j] > 0 else -1.0
                n_active += 1
        for i in range(n_rows):
            row_mask = _train(base_d, (b * n_rows + i) * 32, amp_d * abs(np.float64(d[i])), n_slots)
            if not row_mask:
                continue
            d_sign = 1.0 if d[i] > 0 else -1.0
            w_row = weights[i]
            cell0 = (b * n_rows + i) * n_cols
            for jj in range(n_active):
                n = _popcount(row_mask & col_mask[jj])
                if n == 0:
                    continue
                total += n
                j = col_index[jj]
                moving_down = d_sign * col_sign[jj] > 0.0
                step = np.float64(down[i, j] if moving_down else up[i, j])
                w = np.float64(w_row[j])
                lo = np.float64(bmin[i, j])
                hi = np.float64(bmax[i, j])
                room = w - lo if moving_down else hi - w
                direction = -1.0 if moving_down else 1.0
                if n > 1 and room <= n * step * (1.0 + BOUND_REACH_SIGMAS * c2c):
                    for k in range(n):
                        dw = step
                        if c2c > 0.0:
                            dw = step * (1.0 + c2c * normal(base_step, (cell0 + j) * 64 + k))
                        w = min(max(w + direction * dw, lo), hi)
                else:
                    dw = n * step
                    if c2c > 0.0:
                        dw = n * step * (1.0 + c2c * normal(base_c2c, cell0 + j) / math.sqrt(n))
                    w = min(max(w + direction * dw, lo), hi)
                w_row[j] = w
    return total


def _train_np(base: np.uint64, first: np.ndarray, prob: np.ndarray, n_slots: int) -> np.ndarray:
    """Twin of ``_train`` for a vector of probabilities: the slot bits as (len, n_slots) bools."""
    threshold = (np.minimum(prob, 1.0) * _TWO32).astype(np.uint64)
    half = (n_slots + 1) // 2
    r = draw_np(base, first[:, None] + np.arange(half, dtype=np.uint64)[None, :])
    bits = np.empty((prob.size, 2 * half), dtype=bool)
    bits[:, 0::2] = (r & _LOW32) < threshold[:, None]
    bits[:, 1::2] = (r >> _S32) < threshold[:, None]
    bits = bits[:, :n_slots]
    bits[prob <= 0] = False
    bits[prob >= 1] = True
    return bits


def pulsed_update_reference(
    weights: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    bmin: np.ndarray,
    bmax: np.ndarray,
    xs: np.ndarray,
    ds: np.ndarray,
    lr: float,
    dw_min: float,
    bl: int,
    c2c: float,
    update_management: bool,
    bl_management: bool,
    key: int,
    counter: int,
) -> int:
    """NumPy twin of :func:`pulsed_update` (same draws), vectorised over the whole array."""
    n_batch, n_cols = xs.shape
    n_rows = ds.shape[1]
    base_x = call_base_np(key, counter, TAG_TRAIN_X)
    base_d = call_base_np(key, counter, TAG_TRAIN_D)
    base_c2c = call_base_np(key, counter, TAG_C2C)
    base_step = call_base_np(key, counter, TAG_C2C_STEP)
    total = 0
    for b in range(n_batch):
        x, d = xs[b].astype(np.float64), ds[b].astype(np.float64)
        xmax, dmax = np.abs(x).max(), np.abs(d).max()
        if xmax == 0 or dmax == 0 or lr == 0:
            continue
        amp_d, amp_x, n_slots = pulse_amplitudes.py_func(
            xmax, dmax, lr, dw_min, bl, update_management, bl_management
        )
        cols = np.arange(n_cols, dtype=np.uint64)
        rows = np.arange(n_rows, dtype=np.uint64)
        tx = _train_np(base_x, (b * n_cols + cols) * 32, amp_x * np.abs(x), n_slots)
        td = _train_np(base_d, (b * n_rows + rows) * 32, amp_d * np.abs(d), n_slots)
        n = td.astype(np.int64) @ tx.T.astype(np.int64)  # coincidences (M, N)
        total += int(n.sum())
        moving_down = np.sign(d)[:, None] * np.sign(x)[None, :] > 0
        step = np.where(moving_down, down, up).astype(np.float64)
        w = weights.astype(np.float64)
        lo, hi = bmin.astype(np.float64), bmax.astype(np.float64)
        direction = np.where(moving_down, -1.0, 1.0)
        room = np.where(moving_down, w - lo, hi - w)
        cell = (b * n_rows + rows[:, None]) * n_cols + cols[None, :]
        stepwise = (n > 1) & (room <= n * step * (1.0 + BOUND_REACH_SIGMAS * c2c))
        summed = (n > 0) & ~stepwise
        dw = n * step
        if c2c > 0:
            xi = normal_np(base_c2c, cell)
            dw = n * step * (1.0 + c2c * xi / np.sqrt(np.maximum(n, 1)))
        new = np.where(summed, np.clip(w + direction * dw, lo, hi), w)
        for i, j in zip(*np.nonzero(stepwise), strict=True):
            wij = w[i, j]
            for k in range(n[i, j]):
                dwk = step[i, j]
                if c2c > 0:
                    dwk = step[i, j] * (1.0 + c2c * normal_np(base_step, np.array([cell[i, j] * 64 + k]))[0])
                wij = min(max(wij + direction[i, j] * dwk, lo[i, j]), hi[i, j])
            new[i, j] = wij
        weights[...] = new.astype(np.float32)
    return total
