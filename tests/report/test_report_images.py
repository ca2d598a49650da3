"""The report of an image network: time per image, utilization and energy by layer, the test error
against images and against chip time."""

from __future__ import annotations

import json

from archsim.config import load_chip, load_rpu
from archsim.config.options import CosimOptions
from archsim.cosim.cosim import cosimulate
from archsim.report import render
from archsim.results import write_json
from archsim.train.data import load_workload_corpus


def test_report_of_a_cosimulated_cnn(tmp_path):
    wl, data = load_workload_corpus("cnn2-fmnist")
    options = CosimOptions(chars=3, seed=0, eval_chars=20, timing_only=False)
    result, trace = cosimulate(wl, load_chip("paper-ideal"), load_rpu("rpu-baseline"), data, options)
    assert result.status == "completed", result.message
    write_json(result, tmp_path / "result.json")
    (tmp_path / "trace.json").write_text(json.dumps(trace))
    render(tmp_path)
    figures = json.loads((tmp_path / "figures.json").read_text())
    rows = {r["figure"]: r for r in figures["chip_headline"]}
    assert "Time per image" in rows and "images/s" in rows["Time per image"]["text"]
    layers = rows["Tile utilization by layer"]["text"]
    assert all(name in layers for name in ("K1", "K2", "W3", "W4"))
    assert "K1" in rows["Energy by layer"]["text"]
    curve = figures["charts"]["chart-ce-chars"]
    errors = [c.test_error for c in result.train.curve]
    assert curve["unit"] == "images" and curve["chars"] == [0, 1, 2, 3] and curve["test_error"] == errors
    assert figures["charts"]["chart-ce-chip-time"]["test_error"] == errors
    summary = (tmp_path / "summary.md").read_text()
    assert "| images | test CE (nats/image) | train CE | test error |" in summary
    assert f"{100 * errors[-1]:.1f} %" in summary
    # The training figures count images, not characters, and show the test error.
    train = {r["figure"]: r for r in figures["train_headline"]}
    assert train["Test error"]["text"] == f"{100 * errors[-1]:.2f} %"
    assert "nats/image" in train["Test cross-entropy"]["text"] and "Images trained" in train
    assert "test images" in train["Evaluation"]["text"] and "BPTT" not in train["Setup"]["text"]
    assert "char" not in json.dumps([train[k]["text"] for k in ("Test cross-entropy", "Train cross-entropy")])
