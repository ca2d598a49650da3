"""Digital LSTM cell math (the paper's NLF blocks): gate non-linearities and Hadamard products.

Pure loops over arrays, compiled with Numba; ``*_reference`` are the NumPy twins the tests compare
against. Every array is (B, ...) with B independent sequences; gates are stacked i, f, o, g.
"""

from __future__ import annotations

import math

import numpy as np

from archsim.numerics.jit import jit

_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split (fdlibm): k * _LN2_HI is exact for |k| < 2**11
_LN2_LO = 1.90821492927058770002e-10
#: 1/n! for n = 13 .. 0: the Taylor series of exp, whose remainder on |r| <= ln(2)/2 is below
#: 5e-18, under half an ulp of the result.
_EXP_TAYLOR = tuple(1.0 / math.factorial(n) for n in range(13, -1, -1))


@jit
def _exp_nonpositive(t):
    """exp(t) for t <= 0 in float64, to within a couple of ulps, in plain arithmetic that the
    compiler vectorises (libm's exp is a call per element): t = k ln 2 + r, exp(r) by its Taylor
    series, times 2**k built in the exponent bits. Below -708 (exp < 3.3e-308) it returns
    exp(-708)."""
    t = max(np.float64(t), -708.0)
    k = np.rint(t * _INV_LN2)
    r = (t - k * _LN2_HI) - k * _LN2_LO
    p = 0.0
    for coefficient in _EXP_TAYLOR:
        p = p * r + coefficient
    return p * np.int64((np.int64(k) + np.int64(1023)) << np.int64(52)).view(np.float64)


@jit
def _sigmoid(x):
    # exp of -|x| only, so that it never overflows; both branches are computed, then selected.
    e = _exp_nonpositive(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


@jit
def _tanh(x):
    # tanh through the sigmoid (the vectorised exp above).
    return 2.0 * _sigmoid(2.0 * x) - 1.0


@jit
def lstm_cell_forward(z, c_prev, gates, c, tanh_c, h):
    """One step: pre-activations ``z`` (B, 4m) and ``c_prev`` (B, m) -> gates, c, tanh(c), h (outputs)."""
    batch, m = c_prev.shape
    for b in range(batch):
        for j in range(m):
            i = _sigmoid(z[b, j])
            f = _sigmoid(z[b, m + j])
            o = _sigmoid(z[b, 2 * m + j])
            g = _tanh(z[b, 3 * m + j])
            gates[b, j] = i
            gates[b, m + j] = f
            gates[b, 2 * m + j] = o
            gates[b, 3 * m + j] = g
            cc = f * c_prev[b, j] + i * g
            tc = _tanh(cc)
            c[b, j] = cc
            tanh_c[b, j] = tc
            h[b, j] = o * tc


@jit
def lstm_cell_backward(dh_above, dh_rec, dc, gates, c_prev, tanh_c, dz):
    """One step back: dh = dh_above + dh_rec; ``dc`` (B, m) is dL/dc_t on entry, dL/dc_{t-1} on exit.

    Writes dL/dz (B, 4m) into ``dz``.
    """
    batch, m = dc.shape
    for b in range(batch):
        for j in range(m):
            dh = dh_above[b, j] + dh_rec[b, j]
            i = gates[b, j]
            f = gates[b, m + j]
            o = gates[b, 2 * m + j]
            g = gates[b, 3 * m + j]
            tc = tanh_c[b, j]
            dct = dc[b, j] + dh * o * (1.0 - tc * tc)
            dz[b, j] = dct * g * i * (1.0 - i)
            dz[b, m + j] = dct * c_prev[b, j] * f * (1.0 - f)
            dz[b, 2 * m + j] = dh * tc * o * (1.0 - o)
            dz[b, 3 * m + j] = dct * i * (1.0 - g * g)
            dc[b, j] = dct * f


def lstm_cell_forward_reference(z, c_prev):
    """NumPy twin of :func:`lstm_cell_forward`: returns (gates, c, tanh_c, h)."""
    m = c_prev.shape[1]
    i, f, o = (1.0 / (1.0 + np.exp(-z[:, k * m : (k + 1) * m])) for k in range(3))
    g = np.tanh(z[:, 3 * m :])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    return np.concatenate([i, f, o, g], axis=1), c, tc, o * tc


def lstm_cell_backward_reference(dh, dc, gates, c_prev, tanh_c):
    """NumPy twin of :func:`lstm_cell_backward`: returns (dz, dc_prev)."""
    m = dc.shape[1]
    i, f, o, g = (gates[:, k * m : (k + 1) * m] for k in range(4))
    dct = dc + dh * o * (1.0 - tanh_c**2)
    dz = np.concatenate(
        [dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dh * tanh_c * o * (1 - o), dct * i * (1 - g * g)],
        axis=1,
    )
    return dz, dct * f


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row cross-entropy (nats) and its gradient dL/dlogits = softmax - onehot, both (R,), (R, V)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    expd = np.exp(shifted)
    total = expd.sum(axis=1, keepdims=True)
    rows = np.arange(logits.shape[0])
    loss = np.log(total[:, 0]) - shifted[rows, targets]
    grad = expd / total
    grad[rows, targets] -= 1
    return loss, grad
