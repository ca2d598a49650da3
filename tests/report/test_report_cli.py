"""The report on the command line: ``archsim simulate --out`` writes it, ``archsim report DIR`` redoes it."""

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


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_simulate_out_writes_the_report(tmp_path):
    workload = tmp_path / "tiny.yaml"
    workload.write_text(TINY)
    (tmp_path / "abc.txt").write_text("abcab" * 200)  # found beside the workload file
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["simulate", str(workload), "--chip", "baseline", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"report: {out / 'index.html'}" in _flat(res.output)
    for name in ("result.json", "trace.json", "index.html", "summary.md", "figures.json"):
        assert (out / name).stat().st_size > 0, name
    assert "chart-gantt" in json.loads((out / "figures.json").read_text())["charts"]


def test_report_rerenders_from_saved_results(chip_dir, tmp_path):
    for name in ("result.json", "trace.json"):
        (tmp_path / name).write_bytes((chip_dir / name).read_bytes())
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert f"report: {tmp_path / 'index.html'}" in _flat(res.output)
    assert all((tmp_path / n).exists() for n in ("index.html", "summary.md", "figures.json"))


def test_report_fails_clearly_naming_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    res = CliRunner().invoke(app, ["report", str(missing)])
    assert res.exit_code == 2 and f"{missing}: no such directory" in _flat(res.output)
    assert "Traceback" not in res.output
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and f"{tmp_path / 'result.json'}: no such file" in _flat(res.output)
    (tmp_path / "result.json").write_text('{"teraops_per_s": 1.0, "utilization": {}}')
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "result.json: schema_version None, this archsim reads" in _flat(res.output)
    assert not (tmp_path / "index.html").exists()
