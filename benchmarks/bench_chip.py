"""Benchmark of the SimPy chip model (issue 3): wall time of the cases the issue sets targets for.

- one training window of LSTM2-512-WP (target <= 1 s), on paper-ideal and baseline, each timed
  with the paper's RPU baseline (rpu-baseline: its resolutions and BL);
- the epoch estimate of LSTM2-512-WP (target <= 5 s): simulate until periodic, extrapolate;
- one window of a stacked LSTM of more than 1e9 devices: 4 layers of 8192 on 4096x4096 tiles
  (paper-ideal with 256 tiles; target <= 30 s).

Each case is built from scratch (mapping, graph, SimPy run, reductions) and timed end to end.
Run:  .venv/bin/python benchmarks/bench_chip.py [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from archsim.chip import simulate
from archsim.config import ChipConfig, Design, WorkloadConfig, load_chip, load_design, load_rpu, load_workload
from archsim.config.errors import validate


def big_workload() -> WorkloadConfig:
    data = load_workload("lstm2-512-wp").model_dump()
    data["name"] = "lstm4-8192-wp"
    data["model"].update(hidden_size=8192, num_layers=4)
    return validate(WorkloadConfig, data, "bench_chip")


def big_chip() -> ChipConfig:
    data = load_chip("paper-ideal").model_dump()
    data["name"] = "paper-ideal-256-tiles"
    data["tile"]["count"] = 256
    return validate(ChipConfig, data, "bench_chip")


def cases():
    wp = load_workload("lstm2-512-wp")
    ideal, base = load_design("paper-ideal"), load_design("baseline")
    yield "window  lstm2-512-wp  paper-ideal", 1.0, lambda: simulate(wp, ideal, windows=1)
    yield "window  lstm2-512-wp  baseline", 1.0, lambda: simulate(wp, base, windows=1)
    yield "epoch   lstm2-512-wp  paper-ideal", 5.0, lambda: simulate(wp, ideal)
    yield "epoch   lstm2-512-wp  paper-ideal K=2", 5.0, lambda: simulate(wp, ideal, streams=2)
    yield "epoch   lstm2-512-wp  baseline", 5.0, lambda: simulate(wp, base)
    yield "epoch   lstm2-512-wp  baseline K=2", None, lambda: simulate(wp, base, streams=2)
    big, chip = big_workload(), Design(chip=big_chip(), rpu=load_rpu("rpu-baseline"))
    yield "window  lstm4-8192 (1.9e9 devices) 4096^2", 30.0, lambda: simulate(big, chip, windows=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the best is reported")
    parser.add_argument("--json", type=str, default=None, help="write the figures to this file")
    args = parser.parse_args()
    print(f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"{'case':44} {'wall s':>7} {'target':>7} {'events':>9} {'TeraOps/s':>10} {'devices':>10}")
    rows = []
    for name, target, make in cases():
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = make().result()
            wall = time.perf_counter() - t0
            best = wall if best is None else min(best, wall)
        ok = "" if target is None else ("ok" if best <= target else "SLOW")
        print(
            f"{name:44} {best:7.2f} {target or '-':>7} {result.simulated_events:9d} "
            f"{result.teraops_per_s:10.2f} {result.devices:10.3g} {ok}"
        )
        rows.append(
            {
                "case": name,
                "wall_seconds": best,
                "target_seconds": target,
                "events": result.simulated_events,
                "teraops_per_s": result.teraops_per_s,
            }
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
