"""Do the trained softmax weights themselves drive the outputs past the ADC bound?

    .venv/bin/python experiments/softmax_saturation.py --out DIR --workload lstm2-64-wp \
        --runs fp-lr0.02-d0-s0,rpu-5bit-sr-lr0.02-d0-s0 [--chars 20000]

For each finished run of `archsim experiment run --out DIR` (DIR/runs/WORKLOAD/RUN/checkpoint.npz),
the trained weights are loaded into floating-point tiles and the network is run over the first
CHARS test characters with exact arithmetic. The softmax layer's outputs are taken in the
tile's normalised domain (its input divided by max |input|, as noise management does) and
compared with the output bound of the analog presets (12): the fraction of vectors with some
|output| > 12 is the fraction whose forward MVM an analog tile would saturate even without any
quantization or noise. For comparison the same weights are also read out through the run's own
tiles (its RPU preset, noise and quantization included) on the same text. One line per run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from archsim.config import load_rpu, load_workload
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from archsim.train.data import load_corpus
from archsim.train.network import build_network

OUT_BOUND = 12.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", required=True)
    parser.add_argument("--out", type=Path, required=True, help="the experiment folder")
    parser.add_argument("--runs", required=True, help="run ids, e.g. fp-lr0.02-d0-s0,rpu-7bit-lr0.02-d0-s0")
    parser.add_argument("--chars", type=int, default=20_000)
    args = parser.parse_args()
    workload = load_workload(args.workload)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    steps, hidden = workload.training.bptt_steps, workload.model.hidden_size
    text = corpus.test[: args.chars + 1]
    print(f"# {workload.name}, first {args.chars} test characters, one stream, bound {OUT_BOUND:g}")
    for run in args.runs.split(","):
        run_dir = args.out / "runs" / workload.name / run
        if not (run_dir / CHECKPOINT_NAME).exists():
            raise SystemExit(f"--runs: no checkpoint in {run_dir} (run archsim experiment run first)")
        tiles = load_checkpoint(run_dir / CHECKPOINT_NAME, "--runs")["tiles"]
        # The trained weights read out exactly.
        exact = build_network(workload, load_rpu("fp"), seed=0)
        for tile, state in zip(exact.tiles, tiles, strict=True):
            tile.set_weights(state["weights"])
        largest: list[np.ndarray] = []

        def softmax_outputs(window, net=exact, largest=largest) -> None:
            inputs = window.buffers.hs.reshape(-1, hidden + 1)
            normalised = inputs / np.abs(inputs).max(axis=1, keepdims=True)
            largest.append(np.abs(normalised @ net.softmax_tile.get_weights().T).max(axis=1))

        exact_ce = _cross_entropy(exact, text, steps, softmax_outputs)
        # The same weights through the run's own tiles, on the same text.
        result = json.loads((run_dir / "result.json").read_text())
        analog = build_network(workload, load_rpu(result["rpu"]), seed=result["seed"])
        for tile, state in zip(analog.tiles, tiles, strict=True):
            tile.load_state_dict(state)
        tile_ce = _cross_entropy(analog, text, steps)
        peak = np.concatenate(largest)
        rms = float(np.sqrt((exact.softmax_tile.get_weights() ** 2).mean()))
        print(
            f"{run:30s} CE exact {exact_ce:.3f}, through its tiles {tile_ce:.3f}  softmax W rms {rms:.3f}"
            f"  max|output| median {np.median(peak):.2f}, 90th pct {np.percentile(peak, 90):.2f}"
            f"  over the bound: {(peak > OUT_BOUND).mean():.1%}"
        )


def _cross_entropy(net, text: np.ndarray, steps: int, on_window=None) -> float:
    """Mean test cross-entropy of ``net`` over ``text``, one stream, state carried across windows."""
    state, losses = net.new_state(), []
    for start in range(0, len(text) - steps, steps):
        seq = text[start : start + steps + 1]
        window = net.forward(seq[:-1, None], seq[1:, None], state)
        if on_window is not None:
            on_window(window)
        losses.append(window.loss)
    return float(np.concatenate(losses).mean())

if __name__ == "__main__":
    main()
