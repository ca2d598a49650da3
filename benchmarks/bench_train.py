"""Training speed of LSTM2-512-WP on one thread: ms per training character, beside the GEMV floor.

    .venv/bin/python benchmarks/bench_train.py [--workload lstm2-512-wp] [--rpu fp,rpu-baseline] [--windows 5]

One training window = forward over nBPTT = 100 characters, BPTT, and the 100 rank-1 updates of
every tile; ms/char = window time / 100. The first window (JIT compilation, buffer allocation) is
not timed. The floor is the plain float32 GEMVs of the same matrices per character: forward
(W @ x) and backward (W.T @ d) of every tile, one vector at a time, in the same process.
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from archsim.config import load_rpu, load_workload  # noqa: E402
from archsim.train.data import load_corpus  # noqa: E402
from archsim.train.network import build_network  # noqa: E402


def gemv_floor_ms(workload, reps: int = 200) -> float:
    """Median ms of forward + backward float32 GEMVs of all the workload's matrices, one character."""
    rng = np.random.default_rng(0)
    mats = [rng.uniform(-0.1, 0.1, (a.rows, a.cols)).astype(np.float32) for a in workload.arrays()]
    xs = [rng.uniform(-1, 1, a.cols).astype(np.float32) for a in workload.arrays()]
    ds = [rng.uniform(-1, 1, a.rows).astype(np.float32) for a in workload.arrays()]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for w, x, d in zip(mats, xs, ds, strict=True):
            w @ x
            d @ w
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def train_ms_per_char(workload, rpu_name: str, windows: int) -> float:
    rpu = load_rpu(rpu_name)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    net = build_network(workload, rpu, seed=0)
    state = net.new_state()
    steps, lr = workload.training.bptt_steps, workload.training.learning_rate
    times = []
    for w in range(windows + 1):
        seq = corpus.train[w * steps : (w + 1) * steps + 1]
        t0 = time.perf_counter()
        window = net.forward(seq[:-1, None], seq[1:, None], state)
        net.update(net.backward(window), lr)
        if w > 0:
            times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times)) / steps


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", default="lstm2-512-wp")
    parser.add_argument("--rpu", default="fp,rpu-baseline")
    parser.add_argument("--windows", type=int, default=5, help="timed windows per RPU (median)")
    args = parser.parse_args()
    workload = load_workload(args.workload)
    print(f"# {workload.name}, arrays {[(a.rows, a.cols) for a in workload.arrays()]}")
    machine = platform.processor() or platform.machine()
    print(f"# {machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"gemv floor (fwd+bwd, float32): {gemv_floor_ms(workload):.3f} ms/char")
    for name in args.rpu.split(","):
        print(f"train {name}: {train_ms_per_char(workload, name, args.windows):.3f} ms/char", flush=True)
    print(f"gemv floor (fwd+bwd, float32): {gemv_floor_ms(workload):.3f} ms/char (again, after training)")


if __name__ == "__main__":
    main()
