"""The report's input contract: which part of a result.json is the chip and which the training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archsim.report import ReportError, load_input
from archsim.report.inputs import split_result

P = Path("r/result.json")
CHIP = {
    "workload": "w",
    "chip": "baseline",  # a bare chip result names its chip preset: not a section
    "teraops_per_s": 1.0,
    "ideal_peak_teraops_per_s": 2.0,
    "peak_fraction": 0.5,
    "ns_per_char": 10.0,
    "utilization": {"tile0": 0.5},
    "busiest_array": "lstm1",
    "breakdown": {"busy": 0.5, "nlf": 0.5},
    "energy_pj_per_char": {"array": 1.0, "total": 1.0},
}
TRAIN = {"workload": "w", "rpu": "fp", "test_ce": 2.0, "curve": [{"chars": 0, "test_ce": 3.0}]}


def test_bare_results_as_the_commands_write_them():
    assert split_result(CHIP, P) == (CHIP, None)
    assert split_result(TRAIN, P) == (None, TRAIN)


@pytest.mark.parametrize("key", ["train", "training"])
def test_sections_and_the_cosim_shape(key):
    assert split_result({"chip": CHIP, key: TRAIN}, P) == (CHIP, TRAIN)
    assert split_result({key: TRAIN}, P) == (None, TRAIN)
    cosim = CHIP | {key: TRAIN}  # chip fields at the top, the training beside them
    chip, train = split_result(cosim, P)
    assert chip is cosim and train == TRAIN


def test_the_cosim_result_shape():
    cosim = {"workload": "w", "rpu": "rpu-baseline", "seed": 3, "status": "completed", "chip": CHIP}
    timing = {"ns_per_char": 1.0, "slowdown_from_numerics": 1.5}
    chip, train = split_result(cosim | {"train": TRAIN, "passes": [], "timing_only": timing}, P)
    assert chip == CHIP | {"passes": [], "timing_only": timing}  # what the numerics did to the timing
    assert train == TRAIN | {"workload": "w", "rpu": "fp", "seed": 3, "status": "completed"}
    chip, train = split_result(cosim | {"chip": None, "train": TRAIN}, P)  # diverged: no chip part
    assert chip is None and train["status"] == "completed"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([1, 2], "expected a JSON object, got list"),
        ({"teraops_per_s": 1}, "neither a chip result"),
        ({k: v for k, v in CHIP.items() if k != "busiest_array"}, "the chip result lacks busiest_array"),
        ({"chip": {"utilization": {}}}, "lacks teraops_per_s, ideal_peak_teraops_per_s"),
        ({"chip": {k: v for k, v in CHIP.items() if k != "energy_pj_per_char"}}, "lacks energy_pj_per_char"),
        (TRAIN | {"curve": "0 3.0"}, "must be a list"),
        (TRAIN | {"curve": [{"chars": 1}]}, "curve point 0 must be an object with chars and test_ce"),
    ],
)
def test_what_is_not_a_result_is_refused_naming_the_file(data, needle):
    with pytest.raises(ReportError, match="r/result.json") as e:
        split_result(data, P)
    assert needle in str(e.value)


def test_missing_and_broken_files_are_named(tmp_path):
    with pytest.raises(ReportError, match="no such directory"):
        load_input(tmp_path / "nowhere")
    with pytest.raises(ReportError, match=r"result\.json: no such file"):
        load_input(tmp_path)
    (tmp_path / "result.json").write_text("{not json")
    with pytest.raises(ReportError, match=r"result\.json: not valid JSON"):
        load_input(tmp_path)
    (tmp_path / "result.json").write_text(json.dumps(CHIP))
    (tmp_path / "trace.json").write_text('"spans"')
    with pytest.raises(ReportError, match=r"trace\.json: expected a list of trace events"):
        load_input(tmp_path)
    (tmp_path / "trace.json").write_text(json.dumps({"traceEvents": [{"ph": "X"}]}))
    inp = load_input(tmp_path)
    assert inp.chip == CHIP and inp.train is None and inp.trace == [{"ph": "X"}]
