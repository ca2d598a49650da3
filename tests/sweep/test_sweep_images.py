"""Sweeps over an image network's fields: the replicas of a conv layer as an axis (a list index in
the dotted path), the per-sample figures in every row."""

from __future__ import annotations

import pytest

from archsim.config import ConfigError, load_workload
from archsim.config.overrides import override_configs
from archsim.sweep import load_sweep
from archsim.sweep.task import FIGURES, run_point


def test_replicas_axis_on_cnn2(tmp_path):
    """One stream, dataflow, paper-ideal, two images (hand chains in tests/chip/test_chip_images.py):
    1,284 array cycles of 80 ns per image with K1 on one tile, 708 with two copies."""
    path = tmp_path / "replicas.yaml"
    path.write_text(
        "name: replicas\nbase: {workload: cnn2-fmnist, chip: paper-ideal, rpu: rpu-baseline}\n"
        "command: {kind: simulate, windows: 2}\naxes:\n  workload.model.layers.0.replicas: [1, 2]\n"
    )
    sweep = load_sweep(path)
    assert [p.config.workload.model.layers[0].replicas for p in sweep.points] == [1, 2]
    figures = []
    for point in sweep.points:
        out = run_point(point.payload())
        assert out["status"] == "done", out["error"]
        assert {"ns_per_sample", "samples_per_s", "test_error"} <= set(out["figures"]) <= set(FIGURES)
        figures.append(out["figures"])
    assert [f["ns_per_sample"] for f in figures] == [1284 * 80, 708 * 80]
    assert figures[1]["samples_per_s"] == pytest.approx(1e9 / (708 * 80))
    assert figures[0]["test_error"] is None  # simulate trains nothing


def test_a_list_index_in_a_path():
    wl = load_workload("cnn2-fmnist")
    out = with_overrides_workload(wl, {"workload.model.layers.2.devices_per_weight": 3})
    assert out.model.layers[2].devices_per_weight == 3
    with pytest.raises(ConfigError, match=r"workload.model.layers is a list of 6; '9' is not an index"):
        with_overrides_workload(wl, {"workload.model.layers.9.replicas": 2})


def with_overrides_workload(wl, assignments):
    return override_configs({"workload": wl}, assignments, "--set")["workload"]


def test_cosim_point_of_cnn2_gives_its_test_error(tmp_path):
    path = tmp_path / "cosim.yaml"
    path.write_text(
        "name: cnn-cosim\nbase: {workload: cnn2-fmnist, chip: paper-ideal, rpu: rpu-baseline}\n"
        "command: {kind: cosim, chars: 3, eval_chars: 20, timing_only: false}\n"
        "axes:\n  workload.model.layers.0.replicas: [2]\n"
    )
    (point,) = load_sweep(path).points
    out = run_point(point.payload())
    assert out["status"] == "done", out["error"]
    curve = out["result"]["train"]["curve"]
    assert curve[0]["chars"] == 0 and curve[-1]["chars"] == 3
    assert out["figures"]["test_error"] == curve[-1]["test_error"] is not None
    assert out["figures"]["test_ce"] == curve[-1]["test_ce"]
    # Two copies of K1, one stream: the chain of an image is 708 array cycles of 80 ns.
    assert out["figures"]["ns_per_sample"] == 708 * 80
