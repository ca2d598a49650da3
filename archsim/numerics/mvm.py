"""Analog matrix-vector products (NUMERICS.md 2): DAC, GEMV, output noise, ADC, management.

``mvm`` is the fused Numba kernel; ``mvm_reference`` its NumPy twin (same random draws).
Both compute, for each row ``v`` of ``vectors``, ``M @ v`` with ``M = W`` (forward) or ``W.T``
(backward, ``transpose=True``), and record the number of array passes per vector.

Random draws: vector b of a call draws from the streams of ``counter + b``, so a batch of B vectors
gives exactly what B single-vector calls with consecutive counters give. Output noise of pass p,
output i is draw ``p * n_out + i`` of that vector's TAG_NOISE stream; stochastic rounding of input
j is draw ``p * n_in + j`` of its TAG_ROUND stream.
"""

from __future__ import annotations

import numpy as np

from archsim.numerics.jit import jit
from archsim.numerics.rng import (
    TAG_NOISE,
    TAG_ROUND,
    call_base,
    call_base_np,
    normal,
    normal_np,
    uniform,
    uniform_np,
)

#: Upper bound on passes per vector (no DAC: s = 1 ... 1024 is 11 passes).
MAX_PASSES = 16


def scale_cap(inp_res: float) -> float:
    """Largest accepted bound-management factor s: a pass at s > cap is accepted saturated."""
    return min(1000.0, 0.25 / inp_res) if inp_res > 0 else 1000.0


@jit
def mvm(
    weights,
    vectors,
    transpose,
    inp_res,
    inp_sr,
    out_res,
    out_noise,
    out_bound,
    noise_management,
    bound_management,
    s_cap,
    key,
    counter,
    out,
    passes,
):
    """Analog MVM of each row of ``vectors`` (B, n_in) into ``out`` (B, n_out); fills ``passes``.

    inp_res: DAC step (0: no DAC); out_res: ADC step (0: no ADC); out_bound: saturation level
    (inf: none); s_cap: see :func:`scale_cap`. All in the normalised domain.
    Returns -1, or the index of the first vector holding NaN or inf (then nothing is computed).
    """
    n_batch, n_in = vectors.shape
    n_out = out.shape[1]
    for b in range(n_batch):
        for j in range(n_in):
            if not np.isfinite(vectors[b, j]):
                return b
    u = np.empty(n_in, dtype=np.float32)
    for b in range(n_batch):
        base_noise = call_base(key, counter + np.uint64(b), TAG_NOISE)
        base_round = call_base(key, counter + np.uint64(b), TAG_ROUND)
        v = vectors[b]
        a = 1.0
        if noise_management:
            a = 0.0
            for j in range(n_in):
                a = max(a, abs(np.float64(v[j])))
            if a == 0.0:
                out[b, :] = 0.0
                passes[b] = 1
                continue
        s = 1.0
        p = 0
        while True:
            denom = a * s
            for j in range(n_in):
                x = np.float64(v[j]) / denom
                if inp_res > 0.0:
                    if inp_sr:
                        r = uniform(base_round, p * n_in + j)
                        x = inp_res * np.rint(x / inp_res + r - 0.5)
                    else:
                        x = inp_res * np.rint(x / inp_res)
                    x = min(max(x, -1.0), 1.0)
                u[j] = x
            z = np.dot(u, weights) if transpose else np.dot(weights, u)
            saturated = False
            for i in range(n_out):
                y = np.float64(z[i])
                if out_noise > 0.0:
                    y += out_noise * normal(base_noise, p * n_out + i)
                if out_res > 0.0:
                    y = out_res * np.rint(y / out_res)
                if abs(y) > out_bound:
                    saturated = True
                    y = out_bound if y > 0 else -out_bound
                out[b, i] = y * denom
            p += 1
            if not bound_management or not saturated or s > s_cap:
                break
            s *= 2.0
        passes[b] = p
    return -1


def mvm_reference(
    weights: np.ndarray,
    vectors: np.ndarray,
    transpose: bool,
    inp_res: float,
    inp_sr: bool,
    out_res: float,
    out_noise: float,
    out_bound: float,
    noise_management: bool,
    bound_management: bool,
    s_cap: float,
    key: int,
    counter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of :func:`mvm`: returns (out, passes)."""
    matrix = weights.T if transpose else weights
    n_batch, n_in = vectors.shape
    n_out = matrix.shape[0]
    out = np.zeros((n_batch, n_out), dtype=np.float32)
    passes = np.ones(n_batch, dtype=np.int32)
    for b in range(n_batch):
        base_noise = call_base_np(key, counter + b, TAG_NOISE)
        base_round = call_base_np(key, counter + b, TAG_ROUND)
        v = vectors[b].astype(np.float64)
        a = np.abs(v).max() if noise_management else 1.0
        if a == 0.0:
            continue
        s, p = 1.0, 0
        while True:
            x = v / (a * s)
            if inp_res > 0:
                if inp_sr:
                    r = uniform_np(base_round, p * n_in + np.arange(n_in))
                    x = inp_res * np.rint(x / inp_res + r - 0.5)
                else:
                    x = inp_res * np.rint(x / inp_res)
                x = np.clip(x, -1.0, 1.0)
            y = (matrix @ x.astype(np.float32)).astype(np.float64)
            if out_noise > 0:
                y = y + out_noise * normal_np(base_noise, p * n_out + np.arange(n_out))
            if out_res > 0:
                y = out_res * np.rint(y / out_res)
            saturated = bool(np.any(np.abs(y) > out_bound))
            out[b] = np.clip(y, -out_bound, out_bound) * (a * s)
            p += 1
            if not bound_management or not saturated or s > s_cap:
                break
            s *= 2.0
        passes[b] = p
    return out, passes


@jit
def exact_mvm(weights, vectors, transpose, out):
    """Exact products of each row of ``vectors``, one GEMV per vector: a batch gives bit for bit
    what single-vector calls give (a matrix-matrix product would round differently)."""
    for b in range(vectors.shape[0]):
        out[b] = np.dot(vectors[b], weights) if transpose else np.dot(weights, vectors[b])
