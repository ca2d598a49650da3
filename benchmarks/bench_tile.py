"""Benchmark of the analog tile on the three arrays of LSTM2-512-WP (issue 2), one thread.

Times forward, backward and update of 2048x600, 2048x1029 and 87x513 rpu-baseline tiles with
LSTM-like vectors (inputs: a one-hot part for the first layer, a dense part in (-1, 1) and the
bias 1; errors ~ N(0, 0.02)), lr = 0.01, beside the plain float32 NumPy GEMV of the same matrices
timed in the same run. The update is timed two ways: one rank-1 update per call (latency), and
per rank-1 update when a window of 100 is applied in one call, as training does.
Run:  .venv/bin/python benchmarks/bench_tile.py [--repeat N] [--json FILE] [--rpu PRESET]
(``--rpu``: another preset, e.g. a device model: reram-sb, ecram-ls; its pulses differ too.)
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from archsim.config import load_rpu  # noqa: E402
from archsim.numerics import AnalogTile  # noqa: E402

ARRAYS = [("lstm1", 2048, 600, 87), ("lstm2", 2048, 1029, 0), ("softmax", 87, 513, 0)]
VOCAB = 87


def lstm_like_inputs(rng: np.random.Generator, n_vectors: int, cols: int, one_hot: int) -> np.ndarray:
    """[one-hot(one_hot) | dense U(-1, 1) | 1] rows."""
    x = np.empty((n_vectors, cols), dtype=np.float32)
    x[:, :one_hot] = 0.0
    if one_hot:
        x[np.arange(n_vectors), rng.integers(0, one_hot, n_vectors)] = 1.0
    x[:, one_hot:-1] = rng.uniform(-1, 1, (n_vectors, cols - one_hot - 1))
    x[:, -1] = 1.0
    return x


def median_ms(fn, vectors: np.ndarray) -> float:
    """Median time of one call of fn(vector) over the rows of ``vectors``, in ms."""
    times = []
    for v in vectors:
        t0 = time.perf_counter()
        fn(v)
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def bench_array(
    name: str, rows: int, cols: int, one_hot: int, repeat: int, seed: int, rpu: str = "rpu-baseline"
) -> dict:
    rng = np.random.default_rng(seed)
    tile = AnalogTile(rows, cols, load_rpu(rpu), seed=seed)
    weights = rng.uniform(-0.2, 0.2, (rows, cols)).astype(np.float32)
    tile.set_weights(weights)
    xs = lstm_like_inputs(rng, repeat, cols, one_hot)
    ds = rng.normal(0, 0.02, (repeat, rows)).astype(np.float32)
    # Compile and warm caches outside the timed region.
    tile.forward(xs[0])
    tile.backward(ds[0])
    tile.update(xs[0], ds[0], 0.01)

    passes_f, passes_b = [], []

    def forward(x):
        tile.forward(x)
        passes_f.append(int(tile.last_passes[0]))

    def backward(d):
        tile.backward(d)
        passes_b.append(int(tile.last_passes[0]))

    fwd = median_ms(forward, xs)
    bwd = median_ms(backward, ds)
    pairs = np.concatenate([xs, ds], axis=1)
    upd = median_ms(lambda p: tile.update(p[:cols], p[cols:], 0.01), pairs)
    window = 100
    batches = [(xs[k : k + window], ds[k : k + window]) for k in range(0, repeat - window + 1, window)]
    upd_window = median_ms(lambda xd: tile.update(xd[0], xd[1], 0.01), batches * 3) / window
    w32 = tile.get_weights()
    gemv_f = median_ms(lambda x: w32 @ x, xs)
    gemv_b = median_ms(lambda d: d @ w32, ds)
    mean_pf, mean_pb = float(np.mean(passes_f)), float(np.mean(passes_b))
    return {
        "array": name,
        "shape": [rows, cols],
        "forward_ms": fwd,
        "backward_ms": bwd,
        "update_ms": upd,
        "update_in_window_ms": upd_window,
        "gemv_forward_ms": gemv_f,
        "gemv_backward_ms": gemv_b,
        "mean_passes_forward": mean_pf,
        "mean_passes_backward": mean_pb,
        "forward_per_pass_vs_gemv": fwd / mean_pf / gemv_f,
        "backward_per_pass_vs_gemv": bwd / mean_pb / gemv_b,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per operation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--rpu", default="rpu-baseline", help="RPU preset (its device model) to time")
    args = parser.parse_args()
    results = [bench_array(*spec, repeat=args.repeat, seed=args.seed, rpu=args.rpu) for spec in ARRAYS]
    print(f"archsim tile benchmark: {args.rpu}, lr 0.01, one thread, median of {args.repeat} calls")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, NumPy {np.__version__}")  # fmt: skip
    header = (
        f"{'array':>8} {'shape':>10} | {'fwd ms':>7} {'pass':>5} {'gemv':>6} {'x/pass':>6} | "
        f"{'bwd ms':>7} {'pass':>5} {'gemv':>6} {'x/pass':>6} | {'update ms':>9} {'in window':>9}"
    )
    print(header)
    print("x/pass: ms per bound-management pass / float32 GEMV ms; in window: per update, 100 per call")
    print("-" * len(header))
    for r in results:
        shape = "x".join(map(str, r["shape"]))
        print(
            f"{r['array']:>8} {shape:>10} | {r['forward_ms']:7.3f} {r['mean_passes_forward']:5.2f} "
            f"{r['gemv_forward_ms']:6.3f} {r['forward_per_pass_vs_gemv']:6.2f} | "
            f"{r['backward_ms']:7.3f} {r['mean_passes_backward']:5.2f} {r['gemv_backward_ms']:6.3f} "
            f"{r['backward_per_pass_vs_gemv']:6.2f} | {r['update_ms']:9.3f} {r['update_in_window_ms']:9.3f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "repeat": args.repeat, "rpu": args.rpu}, f, indent=2)


if __name__ == "__main__":
    main()
