"""Tiki-Taka and TTv2 train through ``archsim train``'s loop and resume bit for bit: both arrays,
the buffer, the update count and the next column are in the checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config import load_rpu
from archsim.config.options import TrainOptions
from archsim.train.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint, save_checkpoint
from archsim.train.data import load_corpus
from archsim.train.trainer import train

from .tiny_runs import tiny_workload


@pytest.mark.parametrize("rpu_name", ["tiki-taka-sb", "ttv2-sb"])
def test_resume_continues_bit_for_bit(small_corpus, tmp_path, rpu_name):
    workload = tiny_workload(small_corpus, lr=0.05, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    rpu = load_rpu(rpu_name)

    def opts(chars):
        return TrainOptions(chars=chars, eval_every=400, eval_chars=200)

    straight = train(workload, rpu, corpus, opts(800), tmp_path / "a")
    train(workload, rpu, corpus, opts(400), tmp_path / "b")
    resumed = train(workload, rpu, corpus, opts(800), tmp_path / "b", resume=True)
    assert resumed.curve == straight.curve
    a = load_checkpoint(tmp_path / "a" / CHECKPOINT_NAME)["tiles"]
    b = load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)["tiles"]
    arrays = {"weights", "fast_weights"} | ({"buffer"} if rpu_name == "ttv2-sb" else set())
    for ta, tb in zip(a, b, strict=True):
        assert ta["kind"] == "transfer" and arrays <= set(ta) and ta.keys() == tb.keys()
        # One rank-1 update per character, one column per update (transfer_every 1).
        assert ta["updates"] == 800 and ta["column"] == 800 % ta["weights"].shape[1]
        for key in ta:
            np.testing.assert_array_equal(ta[key], tb[key])
    assert np.abs(a[0]["fast_weights"]).max() > 0


def test_a_checkpoint_of_another_algorithm_is_refused(small_corpus, tmp_path):
    workload = tiny_workload(small_corpus, lr=0.05, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    ttv2, folder = load_rpu("ttv2-sb"), tmp_path / "a"
    train(workload, ttv2, corpus, TrainOptions(chars=400, eval_chars=100), folder)
    more = TrainOptions(chars=800, eval_chars=100)
    with pytest.raises(CheckpointError, match="rpu.algorithm.kind"):
        train(workload, load_rpu("tiki-taka-sb"), corpus, more, folder, resume=True)
    # A TTv2 state without its buffer is refused when a TTv2 run resumes from it.
    payload = load_checkpoint(folder / CHECKPOINT_NAME)
    del payload["tiles"][0]["buffer"]
    save_checkpoint(folder / CHECKPOINT_NAME, payload)
    assert "buffer" not in load_checkpoint(folder / CHECKPOINT_NAME)["tiles"][0]
    with pytest.raises(CheckpointError, match=r"tile 0 \(.*\): a buffer only with algorithm ttv2"):
        train(workload, ttv2, corpus, more, folder, resume=True)


@pytest.mark.parametrize("rpu_name", ["idealized-2019-measures"])
def test_the_2019_measures_resume_bit_for_bit(small_corpus, tmp_path, rpu_name):
    workload = tiny_workload(small_corpus, lr=0.05, hidden=8)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    rpu = load_rpu(rpu_name)
    opts = [TrainOptions(chars=n, eval_every=400, eval_chars=200) for n in (400, 800)]
    straight = train(workload, rpu, corpus, opts[1], tmp_path / "a")
    train(workload, rpu, corpus, opts[0], tmp_path / "b")
    assert train(workload, rpu, corpus, opts[1], tmp_path / "b", resume=True).curve == straight.curve
    a = load_checkpoint(tmp_path / "a" / CHECKPOINT_NAME)["tiles"]
    b = load_checkpoint(tmp_path / "b" / CHECKPOINT_NAME)["tiles"]
    for ta, tb in zip(a, b, strict=True):
        assert ta["kind"] == "analog" and ta["bias"].shape == (1, ta["weights"].shape[0])
        assert ta.keys() == tb.keys() and 0 < ta["scale"] < 10
        for key in ta:
            np.testing.assert_array_equal(ta[key], tb[key])
