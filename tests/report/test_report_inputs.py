"""The report's input contract: a result of the typed results schema, validated before it is drawn;
which part of it is the chip, which the training, and what produced it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archsim.report import ReportError, load_input
from archsim.report.inputs import split_result
from archsim.results import SCHEMA_VERSION

P = Path("r/result.json")


def _data(folder: Path) -> dict:
    return json.loads((folder / "result.json").read_text())


def test_the_three_results_as_the_commands_write_them(chip_dir, train_dir, cosim_dir):
    chip = _data(chip_dir)
    c, t, record = split_result(chip, P)
    assert t is None and c["teraops_per_s"] == chip["teraops_per_s"] and c["kind"] == "simulate"
    assert record["command"] == "simulate" and record["chip"]["name"] == "baseline"
    assert record["rpu"]["name"] == "rpu-baseline" and record["options"]["streams"] == 2
    c, t, record = split_result(_data(train_dir), P)
    assert c is None and t["curve"] and record["command"] == "train" and record["rpu"]["kind"] == "fp"
    cosim = _data(cosim_dir)
    c, t, record = split_result(cosim, P)
    assert c["ns_per_char"] == cosim["chip"]["ns_per_char"]
    assert {"passes", "update_bl", "timing_only"} <= set(c)  # what the numerics did to the timing
    assert t["curve"][-1]["chip_seconds"] > 0 and t["seed"] == 0 and t["status"] == "completed"
    assert record["command"] == "cosim" and record["options"]["chars"] == 600


def test_a_diverged_cosim_has_no_chip_part(cosim_dir):
    cosim = _data(cosim_dir) | {"chip": None, "status": "diverged"}
    c, t, _ = split_result(cosim, P)
    assert c is None and t["status"] == "diverged"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: [d], "expected a JSON object, got list"),
        (lambda d: d | {"schema_version": SCHEMA_VERSION + 1}, f"schema_version {SCHEMA_VERSION + 1}"),
        (lambda d: {k: v for k, v in d.items() if k != "schema_version"}, "schema_version None"),
        (lambda d: {k: v for k, v in d.items() if k != "busiest_array"}, "busiest_array: Field required"),
        (lambda d: d | {"teraops_per_s": "fast"}, "teraops_per_s: Input should be a valid number"),
        (lambda d: d | {"kind": "weather"}, "does not match any of the expected tags"),
        (lambda d: d | {"surprise": 1}, "surprise: Unexpected keyword argument"),
    ],
)
def test_what_is_not_a_result_is_refused_naming_the_file_and_field(chip_dir, change, needle):
    with pytest.raises(ReportError, match="r/result.json") as e:
        split_result(change(_data(chip_dir)), P)
    assert needle in str(e.value)


def test_missing_and_broken_files_are_named(tmp_path, chip_dir):
    with pytest.raises(ReportError, match="no such directory"):
        load_input(tmp_path / "nowhere")
    with pytest.raises(ReportError, match=r"result\.json: no such file"):
        load_input(tmp_path)
    (tmp_path / "result.json").write_text("{not json")
    with pytest.raises(ReportError, match=r"result\.json: not valid JSON"):
        load_input(tmp_path)
    (tmp_path / "result.json").write_text((chip_dir / "result.json").read_text())
    (tmp_path / "trace.json").write_text('"spans"')
    with pytest.raises(ReportError, match=r"trace\.json: expected a list of trace events"):
        load_input(tmp_path)
    (tmp_path / "trace.json").write_text(json.dumps({"traceEvents": [{"ph": "X"}]}))
    inp = load_input(tmp_path)
    assert inp.chip["workload"] == "tiny-report" and inp.train is None and inp.trace == [{"ph": "X"}]
    assert inp.record["command"] == "simulate"
