"""Result directories as the commands write them: a real chip result (with its trace), a real
training result (a tiny ``archsim train``), and a co-simulation-shaped result built from both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli import app

CORPUS = b"the quick brown fox jumps over the lazy dog. " * 200


@pytest.fixture(scope="session")
def chip_dir(tmp_path_factory) -> Path:
    """A small two-layer LSTM on the baseline chip (contended NLF, links, memory), two streams."""
    from archsim.chip import simulate
    from archsim.config.design import load_design
    from archsim.config.workload import WorkloadConfig

    out = tmp_path_factory.mktemp("chip")
    (out.parent / "abcde.txt").write_text("abcde" * 400)
    workload = WorkloadConfig(
        name="tiny-report",
        corpus=str(out.parent / "abcde.txt"),
        vocab_size=5,
        model={"hidden_size": 8, "num_layers": 2},
        training={"learning_rate": 0.1, "bptt_steps": 10},
    )
    run = simulate(workload, load_design("baseline"), "dataflow", 2)
    run.result().write_json(out / "result.json")
    (out / "trace.json").write_text(json.dumps(run.trace()))
    return out


@pytest.fixture(scope="session")
def train_dir(tmp_path_factory) -> Path:
    """``archsim train --out DIR`` on a tiny corpus (FP tiles, 600 characters, three evaluations)."""
    base = tmp_path_factory.mktemp("train")
    corpus = base / "tiny.txt"
    corpus.write_bytes(CORPUS)
    workload = base / "tiny.yaml"
    workload.write_text(
        f"name: tiny\ncorpus: {corpus}\nvocab_size: {len(set(CORPUS))}\n"
        "model: {hidden_size: 8, num_layers: 1}\ntraining: {learning_rate: 0.1, bptt_steps: 20}\n"
    )
    out = base / "out"
    args = ["train", str(workload), "--rpu", "fp", "--chars", "600", "--eval-chars", "100"]
    res = CliRunner().invoke(app, [*args, "--eval-every", "300", "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    out.joinpath("printed.txt").write_text(res.output)
    return out


@pytest.fixture(scope="session")
def cosim_dir(tmp_path_factory, train_dir) -> Path:
    """``archsim cosim --out DIR`` of the training workload on the baseline chip (FP tiles, 600
    characters, three evaluations): the chip part, the training part whose curve points carry the
    simulated chip time, and the trace."""
    base = train_dir.parent
    out = tmp_path_factory.mktemp("cosim")
    args = ["cosim", str(base / "tiny.yaml"), "--chip", "baseline", "--rpu", "fp", "--chars", "600"]
    res = CliRunner().invoke(
        app, [*args, "--eval-chars", "100", "--eval-every", "300", "--out", str(out), "--no-progress"]
    )
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def chip_report(chip_dir) -> Path:
    """``chip_dir`` with its report drawn (once for the session)."""
    from archsim.report import render

    render(chip_dir)
    return chip_dir


@pytest.fixture(scope="session")
def cosim_report(cosim_dir) -> Path:
    """``cosim_dir`` with its report drawn (once for the session)."""
    from archsim.report import render

    render(cosim_dir)
    return cosim_dir
