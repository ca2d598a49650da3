"""Co-simulation speed against training (issue 15): wall ms per character of ``archsim cosim`` and
``archsim train`` on the same characters, the same network, seed and evaluations.

    .venv/bin/python benchmarks/bench_cosim.py [--workloads lstm2-512-wp,lstm2-64-wp] [--chars 3000]
        [--chip baseline] [--rpu rpu-baseline] [--repeat 3] [--exact] [--json FILE]

Each run is a whole command's work from the Python API (building the network, the chip model and
its graph, training, the two evaluations at the start and the end, the reductions; the cosim's
timing-only comparison included), one BLAS thread (``ARCHSIM_BLAS_THREADS``, as the commands). The
runs alternate train, cosim, train, cosim, ... so that a change of load hits both; the table gives
the median of ``--repeat`` runs of each and the ratio of the medians, and the same ratio of the
process's CPU time (less sensitive to other jobs on a shared machine than wall time). ``--exact``
also times the co-simulation with every window simulated event by event (``--exact-timing``),
once. One untimed warm-up of each first (Numba's compilation, the corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from archsim.config import load_chip, load_rpu
from archsim.config.options import CosimOptions, TrainOptions
from archsim.cosim import Cosimulation
from archsim.threads import limit_blas
from archsim.train.data import load_workload_corpus
from archsim.train.trainer import train


def time_train(workload, corpus, rpu, chars: int, eval_chars: int) -> float:
    options = TrainOptions(chars=chars, eval_chars=eval_chars, eval_every=chars, seed=0)
    with tempfile.TemporaryDirectory() as out:
        t0, c0 = time.perf_counter(), time.process_time()
        result = train(workload, rpu, corpus, options, Path(out))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.status == "completed", result.message
    return wall, cpu


def time_cosim(workload, corpus, rpu, chip, chars: int, eval_chars: int, exact: bool = False):
    options = CosimOptions(chars=chars, eval_chars=eval_chars, eval_every=chars, seed=0, exact_timing=exact)
    t0, c0 = time.perf_counter(), time.process_time()
    sim = Cosimulation(workload, chip, rpu, corpus, options)
    result, _ = sim.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.status == "completed", result.message
    s = sim.chip_run.scheduler
    return wall, cpu, result, s.simulated_rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="lstm2-512-wp,lstm2-64-wp")
    parser.add_argument("--chars", type=int, default=3000, help="training characters of each run")
    parser.add_argument("--eval-chars", type=int, default=1000, help="test characters of each evaluation")
    parser.add_argument("--chip", default="baseline")
    parser.add_argument("--rpu", default="rpu-baseline")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; the median is reported")
    parser.add_argument("--exact", action="store_true", help="also time the event-by-event co-simulation")
    parser.add_argument("--json", type=str, default=None, help="write the figures to this file")
    args = parser.parse_args()
    threads = limit_blas()
    chip, rpu = load_chip(args.chip), load_rpu(args.rpu)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"# {machine}, BLAS threads {threads}")
    print(f"# load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"# {args.chars} chars, chip {args.chip}, rpu {args.rpu}, median of {args.repeat}")
    header = f"{'workload':14} {'train ms/char':>13} {'cosim ms/char':>13} {'ratio':>6}"
    header += f" {'windows':>8} {'simulated':>9} {'cpu ratio':>9}"
    print(header + (f" {'exact ms/char':>13}" if args.exact else ""))
    rows = []
    for name in args.workloads.split(","):
        workload, corpus = load_workload_corpus(name)
        time_train(workload, corpus, rpu, workload.training.bptt_steps, 100)  # warm-up
        time_cosim(workload, corpus, rpu, chip, workload.training.bptt_steps, 100)
        trains, cosims, train_cpu, cosim_cpu = [], [], [], []
        for _ in range(args.repeat):
            wall, cpu = time_train(workload, corpus, rpu, args.chars, args.eval_chars)
            trains.append(wall)
            train_cpu.append(cpu)
            timed = time_cosim(workload, corpus, rpu, chip, args.chars, args.eval_chars)
            wall, cpu, result, simulated = timed
            cosims.append(wall)
            cosim_cpu.append(cpu)
        chars = result.train.chars_trained
        train_ms, cosim_ms = (1e3 * statistics.median(x) / chars for x in (trains, cosims))
        cpu_ratio = statistics.median(cosim_cpu) / statistics.median(train_cpu)
        row = {
            "workload": name,
            "chars": chars,
            "train_ms_per_char": train_ms,
            "cosim_ms_per_char": cosim_ms,
            "ratio": cosim_ms / train_ms,
            "train_ms_per_char_runs": [1e3 * x / chars for x in trains],
            "cosim_ms_per_char_runs": [1e3 * x / chars for x in cosims],
            "windows": result.windows,
            "windows_simulated": simulated,
            "train_cpu_ms_per_char_runs": [1e3 * x / chars for x in train_cpu],
            "cosim_cpu_ms_per_char_runs": [1e3 * x / chars for x in cosim_cpu],
            "cpu_ratio": cpu_ratio,
        }
        line = f"{name:14} {train_ms:13.3f} {cosim_ms:13.3f} {cosim_ms / train_ms:6.2f}"
        line += f" {result.windows:8d} {simulated:9d} {cpu_ratio:9.2f}"
        if args.exact:
            timed = time_cosim(workload, corpus, rpu, chip, args.chars, args.eval_chars, exact=True)
            wall, _, exact, _ = timed
            assert exact.chip.ns_per_char == result.chip.ns_per_char
            row["exact_ms_per_char"] = 1e3 * wall / chars
            line += f" {row['exact_ms_per_char']:13.3f}"
        print(line, flush=True)
        rows.append(row)
    print(f"# load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
