"""The training loop: it learns, resumes bit for bit, stops on divergence; the CLI's input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config import FloatingPointRPUConfig, load_rpu
from archsim.config.options import TrainOptions
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from archsim.train.data import load_corpus
from archsim.train.trainer import train

from .tiny_runs import tiny_workload


def test_fp_model_learns_a_repetitive_corpus(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, lr=0.1)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = TrainOptions(chars=6000, eval_every=3000, eval_chars=400)
    result = train(workload, FloatingPointRPUConfig(), corpus, options, tmp_path / "run", rpu_name="fp")
    assert result.status == "completed"
    assert [p.chars for p in result.curve] == [0, 3000, 6000]
    assert result.curve[0].test_ce > 2.5  # about ln(V) = ln 28 before training
    assert result.test_ce < 1.0  # the text repeats: a working LSTM predicts most of it
    assert result.ms_per_char > 0 and result.chars_trained == 6000
    json.dumps(result.to_dict())


def test_epochs_wrap_around_the_train_split(tmp_path):
    path = tmp_path / "short.txt"
    path.write_bytes(b"abcdefgh" * 50)  # 360 train chars: 3 windows of 100 per epoch
    workload = tiny_workload(path, steps=100)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    result = train(workload, FloatingPointRPUConfig(), corpus, TrainOptions(epochs=2), tmp_path / "r")
    assert result.status == "completed"
    assert result.chars_trained == 600 and result.epochs == 2.0
    assert result.eval_chars == 32  # 40 test chars: 16 streams of 2 predictions


def _weights(run_dir):
    return [t["weights"] for t in load_checkpoint(run_dir / CHECKPOINT_NAME)["tiles"]]


@pytest.mark.parametrize("rpu_name", ["fp", "rpu-baseline"])
def test_resume_continues_bit_for_bit(small_corpus, tmp_path, rpu_name):
    workload = tiny_workload(small_corpus, lr=0.05, dropout=0.3, layers=2, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    fp = load_rpu(rpu_name)

    def opts(chars):
        return TrainOptions(chars=chars, eval_every=400, eval_chars=200)

    straight = train(workload, fp, corpus, opts(1600), tmp_path / "a")
    half = train(workload, fp, corpus, opts(800), tmp_path / "b")
    assert half.chars_trained == 800
    resumed = train(workload, fp, corpus, opts(1600), tmp_path / "b", resume=True)
    assert resumed.curve == straight.curve
    for wa, wb in zip(_weights(tmp_path / "a"), _weights(tmp_path / "b"), strict=True):
        np.testing.assert_array_equal(wa, wb)
    state_a = load_checkpoint(tmp_path / "a" / CHECKPOINT_NAME)
    state_b = load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)
    assert state_a["rng_dropout"] == state_b["rng_dropout"]
    for ha, hb in zip(state_a["state"]["h"], state_b["state"]["h"], strict=True):
        np.testing.assert_array_equal(ha, hb)


def test_resume_refuses_a_different_run(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    fp = FloatingPointRPUConfig()
    train(workload, fp, corpus, TrainOptions(chars=100, eval_chars=100), tmp_path)
    with pytest.raises(ValueError, match=r"other options \(learning_rate: 0.1 in the checkpoint, 0.3 now\)"):
        options = TrainOptions(chars=200, eval_chars=100, learning_rate=0.3)
        train(workload, fp, corpus, options, tmp_path, resume=True)
    with pytest.raises(FileExistsError, match="--resume"):
        train(workload, fp, corpus, TrainOptions(chars=200), tmp_path)


def test_divergence_stops_and_keeps_the_last_good_checkpoint(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, lr=200.0)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = TrainOptions(chars=20_000, eval_chars=100, eval_every=100_000)
    result = train(workload, FloatingPointRPUConfig(), corpus, options, tmp_path)
    assert result.status == "diverged"
    assert "last good checkpoint (0 chars)" in result.message and "lower learning rate" in result.message
    assert result.chars_trained < 20_000
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["progress"]["chars_trained"] == 0


def test_cli_trains_and_writes_json(small_corpus, tmp_path):
    wl_file = tmp_path / "tiny.yaml"
    wl_file.write_text(
        f"name: tiny\ncorpus: {small_corpus}\nvocab_size: 28\n"
        "model: {hidden_size: 8, num_layers: 1}\ntraining: {learning_rate: 0.1, bptt_steps: 20}\n"
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        [
            "train",
            str(wl_file),
            "--rpu",
            "fp",
            "--chars",
            "400",
            "--eval-chars",
            "100",
            "--out",
            str(out),
            "--json",
            str(tmp_path / "r.json"),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "r.json").read_text())
    for key in ("test_ce", "train_ce", "chars_trained", "curve", "seconds", "ms_per_char"):
        assert key in data
    assert data["chars_trained"] == 400 and (out / "result.json").exists()
    res = CliRunner().invoke(
        app,
        [
            "train",
            str(wl_file),
            "--rpu",
            "fp",
            "--chars",
            "400",
            "--out",
            str(out),
            "--lr",
            "500",
            "--no-progress",
        ],
    )
    assert res.exit_code == 2 and "--resume" in res.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["no-such-workload", "--rpu", "fp"], "WORKLOAD: unknown workload 'no-such-workload'"),
        (["lstm1-64-wp", "--rpu", "no-such-rpu"], "--rpu: unknown RPU preset"),
        (["lstm1-64-wp", "--rpu", "fp", "--chars", "-5"], "--chars: expected a positive"),
        (["lstm1-64-wp", "--rpu", "fp", "--eval-chars", "1"], "--eval-chars"),
    ],
)
def test_cli_bad_input_names_the_argument(args, needle):
    res = CliRunner().invoke(app, ["train", *args, "--no-progress"])
    assert res.exit_code == 2
    assert needle in " ".join(res.output.split())


def test_cli_divergence_exit_code(small_corpus, tmp_path):
    wl_file = tmp_path / "tiny.yaml"
    wl_file.write_text(
        f"name: tiny\ncorpus: {small_corpus}\nvocab_size: 28\n"
        "model: {hidden_size: 8, num_layers: 1}\ntraining: {learning_rate: 200.0, bptt_steps: 20}\n"
    )
    res = CliRunner().invoke(
        app,
        [
            "train",
            str(wl_file),
            "--rpu",
            "fp",
            "--chars",
            "20000",
            "--eval-chars",
            "100",
            "--out",
            str(tmp_path / "o"),
            "--no-progress",
        ],
    )
    assert res.exit_code == 3
    assert "diverged" in res.output


def test_ctrl_c_checkpoints_at_the_window_boundary_and_resumes(small_corpus, tmp_path):
    import os
    import signal

    workload = tiny_workload(small_corpus, lr=0.05, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    fp = FloatingPointRPUConfig()

    def interrupt_at_600(p):
        if p.chars_trained == 600:
            os.kill(os.getpid(), signal.SIGINT)

    opts = TrainOptions(chars=1200, eval_chars=100, eval_every=400)
    before = signal.getsignal(signal.SIGINT)  # (SIG_IGN where the tests run as a background job)
    stopped = train(workload, fp, corpus, opts, tmp_path / "b", progress=interrupt_at_600)
    assert stopped.status == "interrupted" and stopped.chars_trained == 600
    assert signal.getsignal(signal.SIGINT) is before  # the handler it found is restored
    resumed = train(workload, fp, corpus, opts, tmp_path / "b", resume=True)
    straight = train(workload, fp, corpus, opts, tmp_path / "a")
    assert resumed.curve == straight.curve
    for wa, wb in zip(_weights(tmp_path / "a"), _weights(tmp_path / "b"), strict=True):
        np.testing.assert_array_equal(wa, wb)
