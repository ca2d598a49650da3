"""Tiny workloads on a tiny corpus, so that whole runs (and the CLI) take a fraction of a second."""

from __future__ import annotations

from pathlib import Path

from archsim.config import WorkloadConfig


def tiny_workload(corpus_path: Path, lr=0.1, dropout=0.0, hidden=16, layers=1, steps=20) -> WorkloadConfig:
    """An LSTM of ``layers`` x ``hidden`` on the text file ``corpus_path``."""
    return WorkloadConfig(
        name="tiny",
        corpus=str(corpus_path),
        vocab_size=len(set(corpus_path.read_bytes())),
        model={"hidden_size": hidden, "num_layers": layers},
        training={"learning_rate": lr, "dropout": dropout, "bptt_steps": steps},
    )


def tiny_workload_file(corpus_path: Path, folder: Path, lr=0.1, hidden=8) -> Path:
    """The same workload as a YAML file, for the command line."""
    path = folder / "tiny.yaml"
    path.write_text(
        f"name: tiny\ncorpus: {corpus_path}\nvocab_size: {len(set(corpus_path.read_bytes()))}\n"
        f"model: {{hidden_size: {hidden}, num_layers: 1}}\n"
        f"training: {{learning_rate: {lr}, bptt_steps: 20}}\n"
    )
    return path
