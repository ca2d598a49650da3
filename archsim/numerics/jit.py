"""The project-wide JIT decorator: one place for Numba's options.

``cache=True`` keeps compiled kernels on disk between runs; ``nogil`` lets callers thread.
fastmath stays off so that kernels and their NumPy twins round identically.

Numba invalidates a cached kernel only when its own source file changes, not when a function it
inlines from another module does (a changed ``rng.py`` would leave ``mvm.py``'s cached kernel
stale). The cache therefore lives in a folder named after a hash of every archsim source that
defines kernels: ``$NUMBA_CACHE_DIR`` or ``~/.cache/archsim/numba``, then ``<hash>/``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numba

_PACKAGE = Path(__file__).resolve().parent.parent


def _kernel_sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        text = path.read_bytes()
        if b"@jit" in text or path == Path(__file__).resolve():
            digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + text)
    return digest.hexdigest()[:16]


_base = os.environ.get("NUMBA_CACHE_DIR") or Path.home() / ".cache" / "archsim" / "numba"
numba.config.CACHE_DIR = str(Path(_base) / _kernel_sources_digest())

jit = functools.partial(numba.njit, cache=True, nogil=True, error_model="numpy")
