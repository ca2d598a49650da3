"""``archsim simulate`` on the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from archsim.cli import app

TINY = """name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 2, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 2}
"""


def test_simulate_writes_json_and_trace(tmp_path):
    workload = tmp_path / "tiny.yaml"
    workload.write_text(TINY)
    (tmp_path / "abc.txt").write_text("abcab" * 200)  # found beside the workload file
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(workload),
            "--chip",
            "paper-ideal",
            "--streams",
            "2",
            "--json",
            str(tmp_path / "r.json"),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "TeraOps/s" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    for key in (
        "teraops_per_s",
        "teraops_per_w",
        "ns_per_char",
        "ns_per_window",
        "utilization",
        "energy_pj_per_char",
        "wall_seconds",
    ):
        assert key in data
    assert data["streams"] == 2 and 0 < data["utilization"]["tile0"] <= 1
    trace = json.loads((tmp_path / "out" / "trace.json").read_text())["traceEvents"]
    spans = [e for e in trace if e["ph"] == "X"]
    assert spans and all({"name", "ph", "ts", "dur", "pid", "tid"} <= set(e) for e in spans)
    assert json.loads((tmp_path / "out" / "result.json").read_text()) == data


def test_bad_chip_is_one_clear_line(tmp_path):
    chip = tmp_path / "chip.yaml"
    chip.write_text("extends: paper-ideal\ntile: {adc: {count_per_tile: 0}}\n")
    result = CliRunner().invoke(app, ["simulate", "lstm2-512-wp", "--chip", str(chip)])
    assert result.exit_code == 2
    assert "tile.adc.count_per_tile" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(
        app, ["simulate", "lstm2-512-wp", "--chip", "paper-ideal", "--schedule", "eager"]
    )
    assert result.exit_code == 2 and "allowed: sequential, dataflow" in result.output


def test_memory_overflow_with_streams_is_reported_and_fails(tmp_path):
    workload = tmp_path / "tiny.yaml"
    workload.write_text(TINY)
    (tmp_path / "abc.txt").write_text("abcab" * 200)  # found beside the workload file
    chip = tmp_path / "chip.yaml"
    chip.write_text(
        "extends: paper-ideal\nmemory: {kind: sram, capacity_bytes: 200, bandwidth_gbps: 100, "
        "energy_per_byte_pj: 1, leakage_mw: 0}\n"
    )
    args = ["simulate", str(workload), "--chip", str(chip), "--json", str(tmp_path / "r.json")]
    assert CliRunner().invoke(app, args).exit_code == 0  # one window of one stream: 176 bytes fit
    result = CliRunner().invoke(app, [*args, "--streams", "3"])
    assert result.exit_code == 1
    assert "memory.capacity_bytes" in result.output and "exceeds" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["memory"]["fits"] is False and data["findings"][0]["level"] == "error"
