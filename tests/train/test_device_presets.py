"""Every RPU preset, whatever its device model, trains a few windows of a tiny workload and its
result records the device."""

from __future__ import annotations

import math

import pytest

from archsim.config import load_rpu, rpu_presets
from archsim.config.options import TrainOptions
from archsim.results import result_from_dict, to_dict
from archsim.train.data import load_corpus
from archsim.train.trainer import train

from .tiny_runs import tiny_workload


@pytest.mark.parametrize("name", rpu_presets())
def test_every_rpu_preset_trains_a_few_windows(small_corpus, tmp_path, name):
    workload = tiny_workload(small_corpus, lr=0.1, hidden=8, steps=20)
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = TrainOptions(chars=400, eval_every=400, eval_chars=100)  # twenty windows of 20
    result = train(workload, load_rpu(name), corpus, options, tmp_path / "run", rpu_name=name)
    assert result.status == "completed" and result.chars_trained == 400
    assert [p.chars for p in result.curve] == [0, 400]
    assert all(math.isfinite(p.test_ce) for p in result.curve)
    assert result.curve[1].test_ce != result.curve[0].test_ce  # the weights moved
    assert result_from_dict(to_dict(result)).record.rpu == load_rpu(name)  # the record keeps the device
