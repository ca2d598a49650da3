"""How many threads the BLAS library (OpenBLAS, MKL) of numpy and scipy may use.

archsim's numerics call BLAS one small vector at a time (the LSTM recurrence), where extra threads
gain nothing on a quiet machine and cost much on a busy one: FP training of LSTM2-64-WP ran 6-11x
slower with its BLAS threads competing with a second job (issue 15). So every command limits BLAS to
one thread unless told otherwise: set ``ARCHSIM_BLAS_THREADS=N`` (a positive integer) to allow N.
Python callers choose for themselves (``threadpoolctl.threadpool_limits``, or :func:`limit_blas`).
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

#: The environment variable that sets the thread count, and the count without it.
ENV = "ARCHSIM_BLAS_THREADS"
DEFAULT_THREADS = 1


def blas_threads() -> int:
    """The BLAS thread count to use: ``$ARCHSIM_BLAS_THREADS`` or 1; ValueError names the variable."""
    raw = os.environ.get(ENV)
    if raw is None or raw == "":
        return DEFAULT_THREADS
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{ENV}: expected a positive integer (BLAS threads), got {raw[:40]!r}")
    return n


def limit_blas(threads: int | None = None) -> int:
    """Limit the BLAS libraries loaded in this process to ``threads`` (default :func:`blas_threads`)
    from now on; returns the limit."""
    n = blas_threads() if threads is None else threads
    # threadpoolctl limits the libraries loaded now: load scipy's own OpenBLAS (the FP tile's update
    # calls it) first, or it would run unlimited (2 threads here: 7x slower FP CNN training).
    import scipy.linalg.blas  # noqa: F401

    threadpool_limits(limits=n, user_api="blas")
    return n
