"""Divergence, the same in training and co-simulation (the shared TrainingSession): a float overflow
is divergence (exit 3, the kept checkpoint named), and a run that ends worse than guessing
uniformly (test CE above ln V) is reported as diverged, not completed."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config import FloatingPointRPUConfig, load_chip, load_rpu
from archsim.config.options import CosimOptions, TrainOptions
from archsim.cosim import Cosimulation
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from archsim.train.data import load_corpus
from archsim.train.trainer import train

from .tiny_runs import tiny_workload, tiny_workload_file


def _noisy_rpu():
    """rpu-baseline with a forward output noise far beyond the signal: nothing can be learned."""
    base = load_rpu("rpu-baseline")
    return base.model_copy(update={"forward": base.forward.model_copy(update={"out_noise": 20.0})})


def test_float_overflow_is_divergence_with_the_checkpoint_kept(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = TrainOptions(chars=400, eval_chars=100, learning_rate=1e300)
    result = train(workload, FloatingPointRPUConfig(), corpus, options, tmp_path)
    assert result.status == "diverged"
    assert "overflowed to NaN/inf" in result.message
    assert f"last good checkpoint (0 chars) is kept at {tmp_path / CHECKPOINT_NAME}" in result.message
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["progress"]["chars_trained"] == 0
    assert all(math.isfinite(p.test_ce) for p in result.curve)  # no NaN point in the curve


def test_cosim_float_overflow_is_divergence(small_corpus):
    workload = tiny_workload(small_corpus, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = CosimOptions(chars=400, eval_chars=100, learning_rate=1e300, timing_only=False)
    cosim = Cosimulation(workload, load_chip("baseline"), FloatingPointRPUConfig(), corpus, options)
    result, trace = cosim.run()
    assert result.status == "diverged" and result.chip is None and trace == []
    assert "overflowed to NaN/inf" in result.message


def test_ending_worse_than_uniform_guessing_is_divergence(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    rpu = _noisy_rpu()
    # diverge_ce out of the way: the final test CE alone decides
    options = TrainOptions(chars=200, eval_chars=100, eval_every=None, diverge_ce=1e6)
    result = train(workload, rpu, corpus, options, tmp_path)
    assert result.status == "diverged"
    assert result.test_ce > math.log(workload.vocab_size)
    assert f"worse than guessing uniformly (ln {workload.vocab_size} = " in result.message
    # the state that ended worse than guessing is not checkpointed
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["progress"]["chars_trained"] == 0
    options = CosimOptions(chars=200, eval_chars=100, diverge_ce=1e6, timing_only=False)
    cosim, _ = Cosimulation(workload, load_chip("baseline"), rpu, corpus, options).run()
    assert cosim.status == "diverged" and "worse than guessing uniformly" in cosim.message
    assert cosim.train.test_ce == result.test_ce  # one stream: the same numerics as training


def test_a_run_that_learns_is_not_flagged(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = TrainOptions(chars=400, eval_chars=100)
    result = train(workload, load_rpu("rpu-baseline"), corpus, options, tmp_path)
    assert result.status == "completed" and result.test_ce < math.log(workload.vocab_size)


@pytest.mark.parametrize("command", ["train", "cosim"])
def test_cli_float_overflow_exits_3(small_corpus, tmp_path, command):
    wl_file = tiny_workload_file(small_corpus, tmp_path)
    out = tmp_path / "out"
    args = [command, str(wl_file), "--rpu", "fp", "--chars", "400", "--eval-chars", "100", "--lr", "1e300"]
    if command == "cosim":
        args += ["--chip", "baseline"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert res.exit_code == 3, res.output
    text = " ".join(res.output.split())
    assert "diverged" in text and "overflowed to NaN/inf" in text and "Traceback" not in text
    if command == "train":  # the console may wrap the line anywhere, even inside the path
        assert f"iskeptat{out / CHECKPOINT_NAME}" in "".join(res.output.split())
