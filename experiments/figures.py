"""The paper's Fig. 3, 4 and 5 experiments: run (checkpointed, resumable), then plot.

    .venv/bin/python experiments/figures.py run --figs fig3,fig5,fig4 --workloads lstm2-64-wp --epochs 1
    .venv/bin/python experiments/figures.py plot --workloads lstm2-64-wp,lstm2-128-wp
    .venv/bin/python experiments/figures.py status

Every run lives in runs/experiments/RUN/ (git-ignored): checkpoint.npz, result.json, log.txt.
``run`` skips finished runs and resumes interrupted ones bit for bit, so rerunning the same command
continues where it stopped. Runs share ids across figures (the dropout-0 runs of Fig. 4 are the
Fig. 3 runs). ``plot`` writes docs/experiments/FIG-WORKLOAD.png and docs/experiments/results.json
(a summary: final test CE and curve of every run found).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from archsim.config import load_rpu, load_workload
from archsim.config.options import TrainOptions
from archsim.results import TrainResult, load_result
from archsim.train.checkpoint import CHECKPOINT_NAME
from archsim.train.data import load_corpus
from archsim.train.trainer import Progress, train

RUNS_DIR = Path("runs/experiments")
DOCS_DIR = Path("docs/experiments")

#: (rpu preset, dropout or None for the workload's) per figure, in the order they are run.
FIGURES: dict[str, list[tuple[str, float | None]]] = {
    "fig3": [("fp", None), ("rpu-baseline", None), ("rpu-7bit", None), ("rpu-5bit-sr", None)],
    "fig5": [
        ("rpu-7bit", None),
        ("no-variation", None),
        ("4x-states", None),
        ("symmetric", None),
        ("symmetric-4x-states", None),
    ],
    "fig4": [(rpu, p) for rpu in ("fp", "rpu-7bit") for p in (0.0, 0.2, 0.4)],
}
TITLES = {
    "fig3": "Fig. 3: FP vs RPU baseline (5-bit), 7-bit, 5-bit stochastic rounding",
    "fig4": "Fig. 4: dropout 0 / 0.2 / 0.4, FP and rpu-7bit",
    "fig5": "Fig. 5: device ablations at 7 bits",
}


def run_id(workload_name: str, rpu: str, dropout: float) -> str:
    return f"{workload_name}-{rpu}-d{dropout:g}"


def planned_runs(figs: list[str], workloads: list[str]) -> list[tuple[str, str, float]]:
    runs: list[tuple[str, str, float]] = []
    for wl_name in workloads:
        default_p = load_workload(wl_name).training.dropout
        for fig in figs:
            for rpu, p in FIGURES[fig]:
                key = (wl_name, rpu, default_p if p is None else p)
                if key not in runs:
                    runs.append(key)
    return runs


def _logger(path: Path):
    last = [0.0]

    def log(message: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(path, "a") as fh:
            fh.write(f"{stamp} {message}\n")

    def on_window(p: Progress) -> None:
        now = time.time()
        if now - last[0] >= 30:
            last[0] = now
            log(f"{p.chars_trained}/{p.target_chars} chars, loss {p.loss:.4f}, {p.chars_per_s:.0f} chars/s")

    return log, on_window


def cmd_run(args: argparse.Namespace) -> None:
    figs = args.figs.split(",")
    only = set(args.only.split(",")) if args.only else None
    for wl_name, rpu_name, p in planned_runs(figs, args.workloads.split(",")):
        if only is not None and run_id(wl_name, rpu_name, p) not in only:
            continue
        run_dir = RUNS_DIR / run_id(wl_name, rpu_name, p)
        run_dir.mkdir(parents=True, exist_ok=True)
        log, on_window = _logger(run_dir / "log.txt")
        workload, rpu = load_workload(wl_name), load_rpu(rpu_name)
        corpus = load_corpus(workload.corpus, workload.vocab_size)
        epoch_chars = ((len(corpus.train) - 1) // workload.training.bptt_steps) * workload.training.bptt_steps
        target = int(round(args.epochs * epoch_chars))
        done = run_dir / "result.json"
        if done.exists():
            previous = json.loads(done.read_text())
            if previous["status"] == "diverged" or previous["chars_trained"] >= target:
                print(
                    f"skip {run_dir.name}: {previous['status']}, {previous['chars_trained']} chars",
                    flush=True,
                )
                continue
        resume = (run_dir / CHECKPOINT_NAME).exists()
        log(f"{'resume' if resume else 'start'} {wl_name} {rpu_name} dropout {p} target {target} chars")
        print(f"{'resume' if resume else 'start'} {run_dir.name}", flush=True)
        options = TrainOptions(
            chars=target, eval_chars=args.eval_chars, eval_every=args.eval_every, seed=args.seed, dropout=p
        )
        result = train(workload, rpu, corpus, options, run_dir, resume, rpu_name=rpu_name, progress=on_window)
        result.write_json(done)
        log(f"{result.status}: {result.message}; test CE {result.test_ce}; {result.ms_per_char} ms/char")
        print(f"{result.status} {run_dir.name}: test CE {result.test_ce}", flush=True)
        if result.status == "interrupted":
            break


def _results() -> dict[str, TrainResult]:
    found = {}
    for path in sorted(RUNS_DIR.glob("*/result.json")):
        found[path.parent.name] = load_result(path)
    return found


def cmd_plot(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = _results()
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    summary = {
        name: {
            "workload": r.workload,
            "rpu": r.rpu,
            "dropout": r.dropout,
            "learning_rate": r.learning_rate,
            "status": r.status,
            "chars_trained": r.chars_trained,
            "epochs": round(r.epochs, 4),
            "test_ce": r.test_ce,
            "train_ce": r.train_ce,
            "eval_chars": r.eval_chars,
            "ms_per_char": r.ms_per_char,
            "curve": [[c.chars, round(c.test_ce, 5)] for c in r.curve],
        }
        for name, r in results.items()
    }
    (DOCS_DIR / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
    for wl_name in args.workloads.split(","):
        default_p = load_workload(wl_name).training.dropout
        for fig, runs in FIGURES.items():
            fig_ax = plt.subplots(figsize=(6.4, 4.2))
            ax = fig_ax[1]
            plotted = 0
            for rpu, p in runs:
                p = default_p if p is None else p
                r = results.get(run_id(wl_name, rpu, p))
                if r is None or not r.curve:
                    continue
                label = f"{rpu}" + (f", dropout {p:g}" if fig == "fig4" else "") + f" ({r.status})"
                ax.plot(
                    [c.chars / 1e6 for c in r.curve], [c.test_ce for c in r.curve], marker=".", label=label
                )
                plotted += 1
            if plotted:
                ax.set_xlabel("training characters (millions)")
                ax.set_ylabel("test cross-entropy (nats/char)")
                ax.set_title(f"{wl_name}: {TITLES[fig]}", fontsize=9)
                ax.set_ylim(top=min(ax.get_ylim()[1], 3.5))
                ax.grid(alpha=0.3)
                ax.legend(fontsize=8)
                fig_ax[0].tight_layout()
                fig_ax[0].savefig(DOCS_DIR / f"{fig}-{wl_name}.png", dpi=110)
                print(f"wrote {DOCS_DIR / f'{fig}-{wl_name}.png'} ({plotted} runs)")
            plt.close(fig_ax[0])


def cmd_fulltest(args: argparse.Namespace) -> None:
    """Evaluate the final checkpoint of every completed run on the whole test split (full_test.json)."""
    from archsim.train.checkpoint import load_checkpoint, restore_tiles
    from archsim.train.network import build_network, evaluate

    for name, r in _results().items():
        out = RUNS_DIR / name / "full_test.json"
        if r.status != "completed" or out.exists():
            continue
        workload, rpu = load_workload(r.workload), load_rpu(r.rpu)
        corpus = load_corpus(workload.corpus, workload.vocab_size)
        net = build_network(workload, rpu, r.seed)
        path = RUNS_DIR / name / CHECKPOINT_NAME
        restore_tiles(path, load_checkpoint(path)["tiles"], net.tiles, [a.name for a in workload.arrays()])
        ce = evaluate(net, corpus.test, workload.training.bptt_steps, 16)
        out.write_text(
            json.dumps({"chars_trained": r.chars_trained, "test_chars": len(corpus.test), "test_ce": ce})
        )
        print(f"{name}: full test split CE {ce:.4f}", flush=True)


def _full_test(name: str) -> str:
    path = RUNS_DIR / name / "full_test.json"
    return f"{json.loads(path.read_text())['test_ce']:.3f}" if path.exists() else "-"


def cmd_table(args: argparse.Namespace) -> None:
    """A Markdown table per figure: final test CE, curve points, train CE, speed."""
    results = _results()
    for wl_name in args.workloads.split(","):
        default_p = load_workload(wl_name).training.dropout
        for fig, runs in FIGURES.items():
            print(f"\n{wl_name}, {TITLES[fig]}\n")
            print("| RPU | dropout | status | chars | test CE (final) | mean of last 3 evals ", end="")
            print("| full test split | test CE at 0.5M / 1M / 2M | train CE | ms/char |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for rpu, p in runs:
                p = default_p if p is None else p
                r = results.get(run_id(wl_name, rpu, p))
                if r is None:
                    print(f"| {rpu} | {p:g} | pending | - | - | - | - | - | - | - |")
                    continue
                at = {c.chars: c.test_ce for c in r.curve}
                mid = " / ".join(f"{at[k]:.3f}" if k in at else "-" for k in (500_000, 1_000_000, 2_000_000))
                ce = f"{r.test_ce:.3f}" if r.test_ce is not None else "-"
                tr = f"{r.train_ce:.3f}" if r.train_ce is not None else "-"
                ms = f"{r.ms_per_char:.3f}" if r.ms_per_char is not None else "-"
                last3 = [c.test_ce for c in r.curve[1:]][-3:]
                m3 = f"{sum(last3) / len(last3):.3f}" if last3 else "-"
                full = _full_test(run_id(wl_name, rpu, p))
                cells = [rpu, f"{p:g}", r.status, f"{r.chars_trained:,}", ce, m3, full, mid, tr, ms]
                print("| " + " | ".join(cells) + " |")


def cmd_status(args: argparse.Namespace) -> None:
    for name, r in _results().items():
        ce = f"{r.test_ce:.4f}" if r.test_ce is not None else "n/a"
        print(f"{name:40s} {r.status:11s} {r.chars_trained:>9d} chars  test CE {ce}  {r.ms_per_char} ms/char")
    for ckpt in sorted(RUNS_DIR.glob(f"*/{CHECKPOINT_NAME}")):
        if not (ckpt.parent / "result.json").exists():
            print(f"{ckpt.parent.name:40s} running or interrupted (checkpoint, no result yet)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train the runs of the given figures (skips finished, resumes the rest)")
    run.add_argument("--figs", default="fig3,fig5,fig4")
    run.add_argument("--workloads", default="lstm2-64-wp")
    run.add_argument("--epochs", type=float, default=1.0)
    run.add_argument("--eval-chars", type=int, default=100_000, help="test prefix per evaluation")
    run.add_argument("--eval-every", type=int, default=250_000)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--only", default="", help="comma-separated run ids (e.g. lstm2-64-wp-fp-d0.2)")
    run.set_defaults(func=cmd_run)
    plot = sub.add_parser("plot", help="plot the curves and write docs/experiments/results.json")
    plot.add_argument("--workloads", default="lstm2-64-wp,lstm2-128-wp")
    plot.set_defaults(func=cmd_plot)
    table = sub.add_parser("table", help="print Markdown tables of the results")
    table.add_argument("--workloads", default="lstm2-64-wp,lstm2-128-wp")
    table.set_defaults(func=cmd_table)
    fulltest = sub.add_parser("fulltest", help="evaluate finished runs on the whole test split")
    fulltest.set_defaults(func=cmd_fulltest)
    status = sub.add_parser("status", help="list the runs and their state")
    status.set_defaults(func=cmd_status)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
