"""Do the trained softmax weights themselves drive the outputs past the ADC bound?

    .venv/bin/python experiments/softmax_saturation.py --workload lstm2-64-wp \
        --runs fp-d0,rpu-baseline-d0,rpu-7bit-d0,rpu-5bit-sr-d0 [--chars 20000]

For each finished run of experiments/figures.py (runs/experiments/WORKLOAD-RUN/checkpoint.pkl),
the trained weights are loaded into floating-point tiles and the network is run over the first
CHARS test characters with exact arithmetic. The softmax layer's outputs are taken in the
tile's normalised domain (its input divided by max |input|, as noise management does) and
compared with the output bound of the analog presets (12): the fraction of vectors with some
|output| > 12 is the fraction whose forward MVM an analog tile would saturate even without any
quantization or noise. One line per run to stdout.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from archsim.config import load_rpu, load_workload
from archsim.train.checkpoint import load_checkpoint
from archsim.train.data import load_corpus
from archsim.train.trainer import build_network

RUNS_DIR = Path("runs/experiments")
OUT_BOUND = 12.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", required=True)
    parser.add_argument("--runs", required=True, help="comma-separated run names, e.g. rpu-5bit-sr-d0")
    parser.add_argument("--chars", type=int, default=20_000)
    args = parser.parse_args()
    workload = load_workload(args.workload)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    steps, hidden = workload.training.bptt_steps, workload.model.hidden_size
    text = corpus.test[: args.chars + 1]
    print(f"# {workload.name}, first {args.chars} test characters, exact arithmetic, bound {OUT_BOUND:g}")
    for run in args.runs.split(","):
        path = RUNS_DIR / f"{workload.name}-{run}" / "checkpoint.pkl"
        if not path.exists():
            raise SystemExit(f"--runs: no checkpoint {path} (run experiments/figures.py first)")
        net = build_network(workload, load_rpu("fp"), seed=0)
        for tile, state in zip(net.tiles, load_checkpoint(path)["tiles"], strict=True):
            tile.set_weights(state["weights"])
        state = net.new_state()
        largest, losses = [], []
        for start in range(0, len(text) - steps, steps):
            seq = text[start : start + steps + 1]
            window = net.forward(seq[:-1, None], seq[1:, None], state)
            inputs = window.buffers.hs.reshape(-1, hidden + 1)
            normalised = inputs / np.abs(inputs).max(axis=1, keepdims=True)
            largest.append(np.abs(normalised @ net.softmax_tile.get_weights().T).max(axis=1))
            losses.append(window.loss)
        peak = np.concatenate(largest)
        rms = float(np.sqrt((net.softmax_tile.get_weights() ** 2).mean()))
        print(
            f"{run:22s} exact CE {np.concatenate(losses).mean():.3f}  softmax W rms {rms:.3f}"
            f"  max|output| median {np.median(peak):.2f}, 90th pct {np.percentile(peak, 90):.2f}"
            f"  over the bound: {(peak > OUT_BOUND).mean():.1%}"
        )


if __name__ == "__main__":
    main()
