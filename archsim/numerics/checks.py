"""Input validation for tile calls: clear ValueErrors naming the argument and the expected shape."""

from __future__ import annotations

import math

import numpy as np

_FLOAT32 = np.dtype(np.float32)


def as_vectors(value: np.ndarray, name: str, size: int, check_finite: bool = True) -> tuple[np.ndarray, bool]:
    """``value`` as a C-contiguous float32 (B, size) batch, and whether it was a single vector.

    ``check_finite=False`` leaves the NaN/inf check to a kernel that scans the values anyway
    (the caller then raises :func:`non_finite_error`).
    """
    if type(value) is np.ndarray and value.dtype is _FLOAT32 and value.flags.c_contiguous:
        # The common cases (training's own buffers), checked cheaply.
        if value.shape == (size,):
            arr, single = value[None, :], True
        elif value.ndim == 2 and value.shape[1] == size:
            arr, single = value, False
        else:
            raise ValueError(f"{name}: expected shape ({size},) or (B, {size}), got {value.shape}")
        if check_finite and not np.isfinite(arr).all():
            raise non_finite_error(name)
        return arr, single
    arr = value if type(value) is np.ndarray else np.asarray(value)
    if arr.ndim == 1 and arr.shape[0] == size:
        single = True
        arr = arr[None, :]
    elif arr.ndim == 2 and arr.shape[1] == size:
        single = False
    else:
        raise ValueError(f"{name}: expected shape ({size},) or (B, {size}), got {arr.shape}")
    if arr.dtype != np.float32 or not arr.flags.c_contiguous:
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr, dtype=np.float32)
    if check_finite and not np.isfinite(arr).all():
        raise non_finite_error(name)
    return arr, single


class NonFiniteError(ValueError):
    """NaN or inf where finite values are expected: in training, the numbers overflowed (divergence)."""


def non_finite_error(name: str) -> NonFiniteError:
    return NonFiniteError(f"{name}: contains NaN or inf (expected finite values)")


def as_matrix(value: np.ndarray, name: str, rows: int, cols: int) -> np.ndarray:
    """``value`` as a finite C-contiguous float32 (rows, cols) matrix."""
    arr = np.asarray(value)
    if arr.shape != (rows, cols):
        raise ValueError(f"{name}: expected shape ({rows}, {cols}), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise non_finite_error(name)
    return arr


def check_lr(lr: float) -> float:
    lr = float(lr)
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"lr: expected a finite learning rate >= 0, got {lr}")
    return lr
