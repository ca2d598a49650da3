"""Short learning-rate sweep behind the `training.learning_rate` values in workloads/*.yaml.

    .venv/bin/python experiments/lr_sweep.py --workload lstm2-64-wp --rpu fp --lrs 0.02,0.05 --chars 300000

Each run trains CHARS characters from seed 0 and evaluates on the first 50,000 test characters;
one JSON line per run goes to runs/lr_sweep/results.jsonl (git-ignored) and to stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from archsim.config import load_rpu, load_workload
from archsim.config.options import TrainOptions
from archsim.train.data import load_corpus
from archsim.train.trainer import train


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", required=True)
    parser.add_argument("--rpu", required=True)
    parser.add_argument("--lrs", required=True, help="comma-separated learning rates")
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--eval-chars", type=int, default=50_000)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--out", type=Path, default=Path("runs/lr_sweep"))
    args = parser.parse_args()
    workload, rpu = load_workload(args.workload), load_rpu(args.rpu)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    for lr in (float(v) for v in args.lrs.split(",")):
        run_dir = args.out / f"{workload.name}-{args.rpu}-lr{lr:g}"
        shutil.rmtree(run_dir, ignore_errors=True)
        options = TrainOptions(
            chars=args.chars,
            eval_chars=args.eval_chars,
            eval_every=args.chars // 3,
            learning_rate=lr,
            dropout=args.dropout,
        )
        result = train(workload, rpu, corpus, options, run_dir, rpu_name=args.rpu)
        line = {
            "workload": workload.name,
            "rpu": args.rpu,
            "lr": lr,
            "dropout": result.dropout,
            "status": result.status,
            "chars": result.chars_trained,
            "curve": [(p.chars, round(p.test_ce, 4)) for p in result.curve],
            "ms_per_char": result.ms_per_char,
        }
        print(json.dumps(line), flush=True)
        with open(args.out / "results.jsonl", "a") as fh:
            fh.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
