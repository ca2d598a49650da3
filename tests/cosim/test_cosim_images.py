"""Co-simulation of an image network: the chip's schedule drives the CNN's numerics (docs/chip.md)."""

from __future__ import annotations

import pytest

from archsim.config import ConfigError, load_chip, load_rpu
from archsim.config.options import CosimOptions, TrainOptions
from archsim.cosim.cosim import cosimulate
from archsim.train.data import load_workload_corpus
from archsim.train.trainer import train


@pytest.mark.parametrize("chip", ["paper-ideal", "baseline"])
def test_cosim_of_a_few_images_equals_training(tmp_path, chip):
    """One stream: every tile sees the same vectors in the same order and batches as in `archsim
    train` (each image's forward, backward, then its updates), so every evaluation is the same to
    the bit: the test CE and error after 0, 1, 2 and 3 images of cnn2-fmnist on analog tiles."""
    wl, data = load_workload_corpus("cnn2-fmnist")
    rpu = load_rpu("rpu-baseline")
    opts = {"chars": 3, "seed": 0, "eval_chars": 20}
    result, trace = cosimulate(wl, load_chip(chip), rpu, data, CosimOptions(**opts, timing_only=False))
    trained = train(wl, rpu, data, TrainOptions(**opts), tmp_path)
    assert result.status == "completed" and trained.status == "completed"
    cosim = [(c.chars, c.test_ce, c.test_error, c.train_ce) for c in result.train.curve]
    assert cosim == [(c.chars, c.test_ce, c.test_error, c.train_ce) for c in trained.curve]
    assert [c.chars for c in result.train.curve] == [0, 1, 2, 3]
    # Chip time advances image by image; the passes and BLs are those of the scheduled operations.
    seconds = [c.chip_seconds for c in result.train.curve]
    assert seconds == sorted(seconds) and seconds[0] == 0 < seconds[1]
    passes = {(p.array, p.verb): p.operations for p in result.passes}
    assert passes == {
        ("K1", "forward"): 3 * 576,
        ("K2", "forward"): 3 * 64,
        ("K2", "backward"): 3 * 64,
        ("W3", "forward"): 3,
        ("W3", "backward"): 3,
        ("W4", "forward"): 3,
        ("W4", "backward"): 3,
    }
    assert {u.array: u.updates for u in result.update_bl} == {"K1": 1728, "K2": 192, "W3": 3, "W4": 3}
    assert result.chip.sample == "image" and result.chip.samples_per_s > 0
    assert trace


def test_cosim_of_an_image_network_takes_one_stream():
    wl, data = load_workload_corpus("cnn2-fmnist")
    with pytest.raises(ConfigError, match="streams: image networks train one image at a time"):
        cosimulate(wl, load_chip("paper-ideal"), load_rpu("fp"), data, CosimOptions(chars=2, streams=2))


def test_the_cosim_command_counts_images_by_samples(tmp_path):
    """`archsim cosim` takes --samples/--eval-samples as `archsim train` does (one option under two
    names with --chars/--eval-chars; both of a pair is an error)."""
    import json

    from typer.testing import CliRunner

    from archsim.cli import app

    base = ["cosim", "cnn2-fmnist", "--chip", "paper-ideal", "--rpu", "fp", "--no-progress"]
    out = tmp_path / "run"
    ok = CliRunner().invoke(app, [*base, "--samples", "2", "--eval-samples", "5", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    result = json.loads((out / "result.json").read_text())
    assert result["record"]["options"]["chars"] == 2 and result["record"]["options"]["eval_chars"] == 5
    both = CliRunner().invoke(app, [*base, "--samples", "2", "--chars", "2"])
    assert both.exit_code == 2
    assert "--samples/--chars, --eval-samples/--eval-chars: give one of each pair, not both" in both.output
