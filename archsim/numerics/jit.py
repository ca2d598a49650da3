"""The project-wide JIT decorator: one place for Numba's options.

``cache=True`` keeps compiled kernels on disk between runs; ``nogil`` lets callers thread.
fastmath stays off so that kernels and their NumPy twins round identically.
"""

from __future__ import annotations

import functools

import numba

jit = functools.partial(numba.njit, cache=True, nogil=True, error_model="numpy")
