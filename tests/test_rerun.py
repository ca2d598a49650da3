"""``archsim rerun``: a result records what produced it, and running it again from that record
alone gives the same figures."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from archsim.cli import app
from archsim.results import load_result

TINY = """name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 4, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 10}
"""


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_simulate_reruns_from_its_record_after_its_chip_file_is_gone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "abc.txt").write_text("abcab" * 400)
    chip = tmp_path / "edited.yaml"
    chip.write_text("extends: baseline\nname: edited\ntile: {t_integration_ns: 33.0}\n")
    runner = CliRunner()
    args = ["simulate", "tiny.yaml", "--chip", str(chip), "--rpu", "rpu-7bit", "--streams", "2"]
    res = runner.invoke(app, [*args, "--json", "r.json"])
    assert res.exit_code == 0, res.output
    chip.unlink()
    result = load_result(tmp_path / "r.json")
    record = result.record
    assert (record.chip.name, record.chip.tile.t_integration_ns, record.rpu.name) == (
        "edited",
        33.0,
        "rpu-7bit",
    )
    assert record.options.streams == 2 and record.workload.corpus == str(tmp_path / "abc.txt")
    assert record.archsim_version and record.date.startswith("20")
    res = runner.invoke(app, ["rerun", "r.json", "--json", "again.json"])
    assert res.exit_code == 0, res.output
    assert "the rerun gives the same figures" in _flat(res.output)
    again = load_result(tmp_path / "again.json")
    assert again.ns_per_char == result.ns_per_char and again.record.chip == record.chip
    # A figure that differs from what the record produces is reported, with exit status 1.
    data = json.loads((tmp_path / "r.json").read_text())
    data["ns_per_char"] *= 1.01
    (tmp_path / "r.json").write_text(json.dumps(data))
    res = runner.invoke(app, ["rerun", "r.json"])
    assert res.exit_code == 1 and "differs: ns per char" in _flat(res.output)


def test_a_short_training_reruns_to_the_same_curve(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "abc.txt").write_text("abcabcbca" * 300)
    runner = CliRunner()
    args = ["train", "tiny.yaml", "--rpu", "rpu-baseline", "--chars", "300", "--eval-chars", "200"]
    res = runner.invoke(app, [*args, "--eval-every", "100", "--seed", "3", "--out", "t", "--no-progress"])
    assert res.exit_code == 0, res.output
    first = load_result(tmp_path / "t" / "result.json")
    assert first.record.options.seed == 3 and first.record.rpu.name == "rpu-baseline"
    res = runner.invoke(app, ["rerun", "t/result.json", "--out", "t2", "--no-progress"])
    assert res.exit_code == 0, res.output
    again = load_result(tmp_path / "t2" / "result.json")
    assert [p.test_ce for p in again.curve] == [p.test_ce for p in first.curve] and len(first.curve) == 4
    # The rerun never writes into a folder that exists.
    res = runner.invoke(app, ["rerun", "t/result.json", "--out", "t2", "--no-progress"])
    assert res.exit_code == 2 and "--out: t2 exists" in _flat(res.output)


def test_what_is_not_a_result_is_refused_naming_the_file(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text('{"teraops_per_s": 1}')
    res = CliRunner().invoke(app, ["rerun", str(bad)])
    assert res.exit_code == 2 and f"{bad}: schema_version None" in _flat(res.output)
    assert "Traceback" not in res.output


def test_a_short_cosimulation_reruns_to_the_same_accuracy_and_timing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    (tmp_path / "abc.txt").write_text("abcabcbca" * 300)
    runner = CliRunner()
    args = ["cosim", "tiny.yaml", "--chip", "baseline", "--rpu", "rpu-baseline", "--chars", "200"]
    res = runner.invoke(app, [*args, "--eval-chars", "100", "--streams", "2", "--out", "c", "--no-progress"])
    assert res.exit_code == 0, res.output
    first = load_result(tmp_path / "c" / "result.json")
    assert first.record.command == "cosim" and first.record.options.streams == 2
    res = runner.invoke(app, ["rerun", "c/result.json", "--out", "c2", "--no-progress"])
    assert res.exit_code == 0, res.output
    again = load_result(tmp_path / "c2" / "result.json")
    assert again.chip.ns_per_char == first.chip.ns_per_char and again.train.test_ce == first.train.test_ce
