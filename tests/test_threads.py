"""BLAS threads: one by default, ARCHSIM_BLAS_THREADS=N allows N, a bad value is one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from archsim.threads import blas_threads


def test_the_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("ARCHSIM_BLAS_THREADS", raising=False)
    assert blas_threads() == 1
    monkeypatch.setenv("ARCHSIM_BLAS_THREADS", "3")
    assert blas_threads() == 3
    for bad in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv("ARCHSIM_BLAS_THREADS", bad)
        with pytest.raises(ValueError, match="ARCHSIM_BLAS_THREADS: expected a positive integer"):
            blas_threads()


def _blas_threads_seen_by_a_command(env: dict[str, str]) -> str:
    """Run a command's start-up (the CLI callback) and report the BLAS pools' thread counts."""
    code = (
        "import numpy, scipy.linalg; from threadpoolctl import threadpool_info; "
        "from typer.testing import CliRunner; from archsim.cli import app; "
        "r = CliRunner().invoke(app, ['presets']); assert r.exit_code == 0, r.output; "
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()


def test_every_command_limits_blas(monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env.pop("ARCHSIM_BLAS_THREADS", None)
    assert _blas_threads_seen_by_a_command(env) == "[1]"
    assert _blas_threads_seen_by_a_command(env | {"ARCHSIM_BLAS_THREADS": "2"}) == "[2]"


def test_the_limit_reaches_scipys_blas_loaded_after_it():
    """Commands import the numerics (and scipy's own OpenBLAS, which the FP tile's update calls)
    after the start-up has set the limit: the limit must reach that library too."""
    code = (
        "import os; os.environ.pop('ARCHSIM_BLAS_THREADS', None); "
        "from archsim.threads import limit_blas; limit_blas(); "
        "import archsim.numerics.tile; from threadpoolctl import threadpool_info; "
        "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[1]"
