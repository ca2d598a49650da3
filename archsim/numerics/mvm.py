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

from archsim.config.rpu import dac_levels
from archsim.numerics.jit import jit
from archsim.numerics.rng import (
    TAG_NOISE,
    TAG_ROUND,
    call_base,
    call_base_np,
    fill_normals_range,
    normal_np,
    uniform,
    uniform_np,
)

#: Upper bound on passes per vector (no DAC: s = 1 ... 1024 is 11 passes).
MAX_PASSES = 16

# Layout of the ``io`` array that carries a direction's periphery to :func:`mvm` (one array
# instead of ten scalars: a kernel call's cost grows with its argument count).
INP_RES, INP_LEVELS, INP_SR, OUT_RES, OUT_LEVELS, OUT_NOISE, OUT_BOUND, NM, BM, S_CAP = range(10)


def scale_cap(inp_res: float) -> float:
    """Largest accepted bound-management factor s: a pass at s > cap is accepted saturated."""
    return min(1000.0, 0.25 / inp_res) if inp_res > 0 else 1000.0


def io_array(
    inp_bits: int | None,
    inp_stochastic_round: bool,
    out_bits: int | None,
    out_bound: float | None,
    out_noise: float,
    noise_management: bool,
    bound_management: bool,
) -> np.ndarray:
    """The ``io`` array of one MVM direction (NUMERICS.md 2 conventions).

    DAC: b bits give 2^(b-1) - 1 levels per sign, step 1/levels (0: no DAC). ADC: b bits over
    [-bound, bound] give steps of 2 bound / (2^b - 2) (0: no ADC). No bound: inf, and no bound
    management. Quantisation multiplies by the level count (exact) instead of dividing by the step.
    """
    io = np.zeros(10)
    if inp_bits is not None:
        levels = dac_levels(inp_bits)
        io[INP_RES], io[INP_LEVELS] = 1.0 / levels, levels
        io[INP_SR] = float(inp_stochastic_round)
    bound = np.inf if out_bound is None else out_bound
    if out_bits is not None:
        io[OUT_RES], io[OUT_LEVELS] = 2.0 * bound / (2**out_bits - 2), (2**out_bits - 2) / (2.0 * bound)
    io[OUT_NOISE], io[OUT_BOUND] = out_noise, bound
    io[NM] = float(noise_management)
    io[BM] = float(bound_management and out_bound is not None)
    io[S_CAP] = scale_cap(io[INP_RES])
    return io


@jit
def mvm(weights, vectors, transpose, io, stream, out, passes):
    """Analog MVM of each row of ``vectors`` (B, n_in) into ``out`` (B, n_out); fills ``passes``.

    ``io``: the direction's periphery (:func:`io_array`), all in the normalised domain.
    ``stream``: uint64 [key, counter of the first vector] (an array: scalar uint64 arguments make a
    kernel call several times slower).
    Returns -1, or the index of the first vector holding NaN or inf (then nothing is computed).
    """
    n_batch, n_in = vectors.shape
    n_out = out.shape[1]
    for b in range(n_batch):
        for j in range(n_in):
            if not np.isfinite(vectors[b, j]):
                return b
    inp_res, inp_levels, inp_sr = io[INP_RES], io[INP_LEVELS], io[INP_SR] != 0.0
    out_res, out_levels, out_noise, out_bound = io[OUT_RES], io[OUT_LEVELS], io[OUT_NOISE], io[OUT_BOUND]
    noise_management, bound_management, s_cap = io[NM] != 0.0, io[BM] != 0.0, io[S_CAP]
    u = np.empty(n_in, dtype=np.float32)
    z = np.empty(n_out, dtype=np.float32)  # the GEMV's output, reused (the same BLAS call)
    raw = np.empty(n_out, dtype=np.uint64)
    noise = np.zeros(n_out)
    key, counter = stream[0], stream[1]
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
            # One loop per DAC kind, so that the common ones (no stochastic rounding) vectorise.
            if inp_res > 0.0 and inp_sr:
                for j in range(n_in):
                    r = uniform(base_round, p * n_in + j)
                    x = inp_res * np.rint(np.float64(v[j]) / denom * inp_levels + r - 0.5)
                    u[j] = min(max(x, -1.0), 1.0)
            elif inp_res > 0.0:
                for j in range(n_in):
                    x = inp_res * np.rint(np.float64(v[j]) / denom * inp_levels)
                    u[j] = min(max(x, -1.0), 1.0)
            else:
                for j in range(n_in):
                    u[j] = np.float64(v[j]) / denom
            if transpose:
                np.dot(u, weights, z)
            else:
                np.dot(weights, u, z)
            if out_noise > 0.0:
                fill_normals_range(base_noise, p * n_out, n_out, raw, noise)
            # Branch-free, so that the compiler vectorises the output stage.
            saturated = False
            row = out[b]
            if out_res > 0.0:
                for i in range(n_out):
                    y = out_res * np.rint((np.float64(z[i]) + out_noise * noise[i]) * out_levels)
                    saturated |= abs(y) > out_bound
                    row[i] = min(max(y, -out_bound), out_bound) * denom
            else:
                for i in range(n_out):
                    y = np.float64(z[i]) + out_noise * noise[i]
                    saturated |= abs(y) > out_bound
                    row[i] = min(max(y, -out_bound), out_bound) * denom
            p += 1
            if not bound_management or not saturated or s > s_cap:
                break
            s *= 2.0
        passes[b] = p
    return -1


def mvm_reference(
    weights: np.ndarray, vectors: np.ndarray, transpose: bool, io: np.ndarray, key: int, counter: int
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of :func:`mvm`: returns (out, passes)."""
    matrix = weights.T if transpose else weights
    n_batch, n_in = vectors.shape
    n_out = matrix.shape[0]
    inp_res, inp_levels, inp_sr = io[INP_RES], io[INP_LEVELS], io[INP_SR] != 0.0
    out_res, out_levels, out_noise, out_bound = io[OUT_RES], io[OUT_LEVELS], io[OUT_NOISE], io[OUT_BOUND]
    out = np.zeros((n_batch, n_out), dtype=np.float32)
    passes = np.ones(n_batch, dtype=np.int32)
    for b in range(n_batch):
        base_noise = call_base_np(key, counter + b, TAG_NOISE)
        base_round = call_base_np(key, counter + b, TAG_ROUND)
        v = vectors[b].astype(np.float64)
        a = np.abs(v).max() if io[NM] else 1.0
        if a == 0.0:
            continue
        s, p = 1.0, 0
        while True:
            x = v / (a * s)
            if inp_res > 0:
                if inp_sr:
                    r = uniform_np(base_round, p * n_in + np.arange(n_in))
                    x = inp_res * np.rint(x * inp_levels + r - 0.5)
                else:
                    x = inp_res * np.rint(x * inp_levels)
                x = np.clip(x, -1.0, 1.0)
            y = (matrix @ x.astype(np.float32)).astype(np.float64)
            if out_noise > 0:
                y = y + out_noise * normal_np(base_noise, p * n_out + np.arange(n_out))
            if out_res > 0:
                y = out_res * np.rint(y * out_levels)
            saturated = bool(np.any(np.abs(y) > out_bound))
            out[b] = np.clip(y, -out_bound, out_bound) * (a * s)
            p += 1
            if not io[BM] or not saturated or s > io[S_CAP]:
                break
            s *= 2.0
        passes[b] = p
    return out, passes


@jit
def exact_mvm(weights, vectors, transpose, out):
    """Exact products of each row of ``vectors``, one GEMV per vector: a batch gives bit for bit
    what single-vector calls give (a matrix-matrix product would round differently).

    Returns False, computing nothing, when ``vectors`` holds NaN or inf."""
    finite = True
    for b in range(vectors.shape[0]):
        row = vectors[b]
        for k in range(row.size):
            finite &= np.isfinite(row[k])
    if not finite:
        return False
    for b in range(vectors.shape[0]):
        out[b] = np.dot(vectors[b], weights) if transpose else np.dot(weights, vectors[b])
    return True
