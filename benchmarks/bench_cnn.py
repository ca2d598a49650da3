"""Training speed of CNN2-FMNIST on one thread: ms per training image, beside the float32 floor.

    .venv/bin/python benchmarks/bench_cnn.py [--workload cnn2-fmnist] [--rpu fp,rpu-baseline]
                                             [--images 200] [--repeat 3]

One training image = forward (K1 576, K2 64, W3 1, W4 1 MVMs), backward (K2 64, W3 1, W4 1; K1's
skipped), and every tile's rank-1 updates (576, 64, 1, 1), with pooling, activations, softmax and
im2col (docs/cnn.md). Images are Fashion-MNIST's first training images, in order; the first 5
(JIT compilation, allocation) are not timed. Each of ``--repeat`` blocks of ``--images`` images
gives a mean; the median block is reported, as wall-clock and as the process's CPU time
(``time.process_time``), with the CPU time of the fastest block (one thread: on a loaded machine
the CPU time is the cost of the work, the wall-clock also the wait for a core, and the fastest
block the one least slowed by the other jobs' use of the caches).

The floor, timed in the same run: the plain float32 work of the same MVMs per image, one NumPy
GEMV per vector (forward W @ x of every position of every array, backward W.T @ d of every
position whose backward runs); and the same products batched per array as one GEMM each.
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
from archsim.config.corpus import DATA_DIR  # noqa: E402
from archsim.train.images import read_idx  # noqa: E402
from archsim.train.network import build_network  # noqa: E402

WARMUP = 5


def _median_block(run, blocks: int) -> tuple[float, float, float]:
    """(wall ms, CPU ms) of the median block of ``run()`` (which returns its item count), and the
    CPU ms of the fastest block (the least disturbed by other jobs on a shared machine)."""
    results = []
    for _ in range(blocks):
        wall, cpu = time.perf_counter(), time.process_time()
        n = run()
        results.append((1e3 * (time.perf_counter() - wall) / n, 1e3 * (time.process_time() - cpu) / n))
    results.sort()
    return (*results[len(results) // 2], min(r[1] for r in results))


def floor_ms(workload, blocks: int, reps: int = 20) -> dict[str, tuple[float, float, float]]:
    """The float32 work of one image's MVMs: one GEMV per vector, and one GEMM per array."""
    rng = np.random.default_rng(0)
    arrays = workload.arrays()
    mats = [rng.uniform(-0.1, 0.1, (a.rows, a.cols)).astype(np.float32) for a in arrays]
    xs = [rng.uniform(-1, 1, (a.forward_mvms, a.cols)).astype(np.float32) for a in arrays]
    ds = [rng.uniform(-1, 1, (a.backward_mvms, a.rows)).astype(np.float32) for a in arrays]

    def gemv() -> int:
        for _ in range(reps):
            for w, x, d in zip(mats, xs, ds, strict=True):
                for v in x:
                    w @ v
                for v in d:
                    v @ w
        return reps

    def gemm() -> int:
        for _ in range(reps):
            for w, x, d in zip(mats, xs, ds, strict=True):
                x @ w.T
                if len(d):
                    d @ w
        return reps

    return {"gemv": _median_block(gemv, blocks), "gemm": _median_block(gemm, blocks)}


def train_ms(workload, rpu_name: str, images: np.ndarray, labels: np.ndarray, n: int, blocks: int):
    net = build_network(workload, load_rpu(rpu_name), seed=0)
    lr = workload.training.learning_rate
    for k in range(WARMUP):
        net.train_image(images[k], labels[k], lr)
    position = [WARMUP]

    def block() -> int:
        start = position[0]
        for k in range(start, start + n):
            net.train_image(images[k], labels[k], lr)
        position[0] = start + n
        return n

    return _median_block(block, blocks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", default="cnn2-fmnist")
    parser.add_argument("--rpu", default="fp,rpu-baseline")
    parser.add_argument("--images", type=int, default=200, help="images per timed block")
    parser.add_argument("--repeat", type=int, default=3, help="timed blocks per RPU (median)")
    args = parser.parse_args()
    workload = load_workload(args.workload)
    folder = DATA_DIR / "fashion-mnist"
    images = read_idx(folder / "train-images-idx3-ubyte.gz")
    labels = read_idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)
    print(f"# {workload.name}, arrays {[(a.name, a.rows, a.cols) for a in workload.arrays()]}")
    machine = platform.processor() or platform.machine()
    print(f"# {machine}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()}")

    def show(what: str, ms: tuple[float, float, float]) -> None:
        print(f"{what}: {ms[0]:.3f} ms/image wall, {ms[1]:.3f} CPU (fastest block {ms[2]:.3f})", flush=True)

    floor = floor_ms(workload, args.repeat)
    show("floor, float32 GEMV per vector (fwd+bwd)", floor["gemv"])
    show("floor, float32 GEMM per array (fwd+bwd)", floor["gemm"])
    for name in args.rpu.split(","):
        show(f"train {name}", train_ms(workload, name, images, labels, args.images, args.repeat))
    floor = floor_ms(workload, args.repeat)
    show("floor, float32 GEMV per vector (again, after training)", floor["gemv"])
    print(f"# load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
