"""Hostile input at the command line: bad paths and values for every command.

Each case asserts the documented exit status, one line on stderr that names the argument, file or
field, no traceback, and that the command wrote nothing (no file made, none replaced) when it
refused. Output paths are checked before any computation.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.cli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE

WORKLOAD = """\
name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 2, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 4}
"""

CHIP = """\
name: small
clock_ghz: 1.0
tile: {rows: 64, cols: 64, count: 64, t_integration_ns: 10, t_update_slot_ns: 2,
       dac: {t_slot_ns: 2}, adc: {count_per_tile: 8, t_step_ns: 1},
       energy_mvm_per_device_pj: 0.01, leakage_mw: 1.0}
nlf: {kind: digital, count: 1, lanes: 4, latency: {sigmoid_ns: 2, multiply_ns: 1},
      energy_per_element_op_pj: 1.0}
memory: {kind: sram, capacity_bytes: 1048576, bandwidth_gbps: 16, latency_ns: 2, energy_per_byte_pj: 1.0}
links:
  tile_nlf: {kind: wired, bandwidth_gbps: 32, latency_ns: 1}
  nlf_memory: {kind: wired, bandwidth_gbps: 16}
"""

SWEEP = """\
name: faults
base: {workload: tiny.yaml, chip: small.yaml, rpu: rpu-baseline}
command: {kind: simulate}
axes:
  command.streams: [1, 2]
"""


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A working folder (the current directory) with small presets and the user's own files."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(WORKLOAD)
    (tmp_path / "abc.txt").write_text("abcab" * 800)
    (tmp_path / "small.yaml").write_text(CHIP)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    (tmp_path / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.yaml").write_bytes("name: café\n".encode("latin-1"))
    (tmp_path / "notes.txt").write_text("the user's notes\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("the user's thesis\n")
    (tmp_path / "random.bin").write_bytes(os.urandom(4096))
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE accounts (name TEXT, balance REAL)")
        con.execute("INSERT INTO accounts VALUES ('ada', 1.0)")
    con.close()
    (tmp_path / "result-dir").mkdir()
    (tmp_path / "result-dir" / "result.json").write_bytes(os.urandom(512))
    return tmp_path


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file and folder under ``folder``: its mode, size and (for files) content."""
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = b"" if path.is_dir() else path.read_bytes()
        out[str(path.relative_to(folder))] = (info.st_mode, info.st_size, content)
    return out


def refused(args: list[str], code: int, *needles: str):
    """Run ``archsim ARGS``; assert the exit status, one line on stderr holding every needle, and
    no traceback. Returns the result."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception  # nothing escaped the boundary
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return result


SIM = ["simulate", "tiny.yaml", "--chip", "small.yaml"]
TRAIN = ["train", "tiny.yaml", "--rpu", "fp", "--no-progress"]
COSIM = ["cosim", "tiny.yaml", "--chip", "small.yaml", "--rpu", "fp", "--no-progress"]
SWEEP_CMD = ["sweep", "sweep.yaml", "--workers", "1"]

CASES = [
    # configuration files: binary or Latin-1 YAML, a name that is a path
    (["simulate", "binary.yaml", "--chip", "small.yaml"], "WORKLOAD", "binary.yaml: not UTF-8"),
    ([*SIM[:3], "latin1.yaml"], "--chip", "latin1.yaml: not UTF-8"),
    ([*SIM, "--rpu", "../../../tmp/x"], "--rpu", "not a preset name"),
    ([*TRAIN[:2], "--rpu", "../models/rpu/fp"], "--rpu", "not a preset name"),
    (["train", "binary.yaml", "--rpu", "fp"], "WORKLOAD", "not UTF-8"),
    ([*COSIM[:2], "--chip", "latin1.yaml", "--rpu", "fp"], "--chip", "latin1.yaml"),
    (["simulate", "nowhere.yaml", "--chip", "small.yaml"], "WORKLOAD", "nowhere.yaml: no such"),
    # option values: out of range, NaN, infinity
    ([*TRAIN, "--epochs", "inf"], "--epochs: expected a finite number"),
    ([*TRAIN, "--epochs", "nan"], "--epochs: expected a finite number"),
    ([*TRAIN, "--lr", "nan"], "--lr: expected a finite number"),
    ([*TRAIN, "--dropout", "inf"], "--dropout: expected a finite number"),
    ([*COSIM, "--lr", "-inf"], "--lr: expected a finite number"),
    ([*COSIM, "--chars", "0"], "--chars: expected a positive number"),
    ([*SIM, "--streams", "0"], "--streams: expected >= 1"),
    (["run", "--chars", "0", "--no-progress"], "--chars: expected a positive number"),
    ([*SWEEP_CMD[:2], "--workers", "0"], "--workers: expected >= 1"),
    # output paths: a folder where a file goes, a file where a folder goes, a file as a parent
    ([*SIM, "--json", "mine"], "--json mine: is a folder"),
    ([*SIM, "--json", "notes.txt/r.json"], "--json notes.txt/r.json: notes.txt is not a folder"),
    ([*SIM, "--trace", "mine"], "--trace mine: is a folder"),
    ([*SIM, "--out", "notes.txt"], "--out notes.txt: exists and is not a folder"),
    ([*TRAIN, "--json", "mine"], "--json mine: is a folder"),
    ([*TRAIN, "--out", "notes.txt"], "--out notes.txt"),
    ([*COSIM, "--trace", "mine"], "--trace mine: is a folder"),
    ([*COSIM, "--out", "notes.txt/run"], "--out notes.txt/run: notes.txt is not a folder"),
    ([*COSIM, "--init", "mine"], "--init: mine"),
    (["run", "--out", "notes.txt", "--no-progress"], "--out notes.txt: exists and is not a folder"),
    (["run", "--out", "mine", "--no-progress"], "--out mine: a folder `archsim run` did not write"),
    # results and reports: missing, a file, random bytes
    (["report", "nowhere"], "nowhere: no such directory"),
    (["report", "notes.txt"], "notes.txt"),
    (["report", "result-dir"], "result.json: not JSON text"),
    (["rerun", "random.bin"], "random.bin: not JSON text"),
    (["rerun", "mine"], "mine: cannot read"),
    (["rerun", "notes.txt"], "notes.txt: not valid JSON"),
    # sweeps: a bad scheduler address; a --db that is a folder, random bytes, text, another's SQLite
    ([*SWEEP_CMD, "--scheduler", "nonsense://x"], "--scheduler nonsense://x: not a Dask scheduler address"),
    ([*SWEEP_CMD, "--db", "mine"], "--db mine: is a folder"),
    ([*SWEEP_CMD, "--db", "random.bin"], "--db: random.bin: not a usable SQLite database"),
    ([*SWEEP_CMD, "--db", "notes.txt"], "--db: notes.txt: not a usable SQLite database"),
    ([*SWEEP_CMD, "--db", "other.sqlite"], "--db: other.sqlite: an SQLite database without archsim's"),
    ([*SWEEP_CMD, "--db", "s.sqlite", "--out", "notes.txt"], "--out notes.txt"),
    ([*SWEEP_CMD, "--db", "s.sqlite", "--json", "mine"], "--json mine: is a folder"),
    (["sweep", "binary.yaml"], "binary.yaml: not UTF-8"),
]


@pytest.mark.parametrize(("args", *["needles"]), [(c[0], c[1:]) for c in CASES], ids=lambda v: " ".join(v))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(ws, args, needles):
    before = snapshot(ws)
    refused(args, EXIT_USAGE, *needles)
    assert snapshot(ws) == before  # nothing made, nothing replaced, the user's files untouched


def test_output_paths_are_checked_before_any_computation(ws, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the computation started before the output paths were checked")

    monkeypatch.setattr("archsim.chip.simulate", must_not_run)
    monkeypatch.setattr("archsim.train.trainer.train", must_not_run)
    monkeypatch.setattr("archsim.cosim.Cosimulation", must_not_run)
    refused([*SIM, "--json", "ok.json", "--trace", "mine"], EXIT_USAGE, "--trace mine")
    refused([*TRAIN, "--chars", "40", "--json", "mine"], EXIT_USAGE, "--json mine")
    refused([*COSIM, "--chars", "40", "--json", "notes.txt/x.json"], EXIT_USAGE, "--json notes.txt/x.json")
    assert not (ws / "ok.json").exists() and not (ws / "reports").exists()


def test_an_unwritable_output_folder_is_refused(ws):
    """A folder nobody may write in: read-only permissions for a user, /proc for root (whom the
    permission bits do not stop)."""
    if os.geteuid() == 0:
        refused(
            [*SIM, "--json", "/proc/archsim/r.json"],
            EXIT_USAGE,
            "--json /proc/archsim/r.json: cannot write in /proc",
        )
        refused(
            [*SIM, "--out", "/proc/archsim-run"], EXIT_USAGE, "--out /proc/archsim-run: cannot write in /proc"
        )
        return
    locked = ws / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        refused([*SIM, "--json", "locked/r.json"], EXIT_USAGE, "--json locked/r.json: cannot write in locked")
        refused([*SIM, "--out", "locked/run"], EXIT_USAGE, "--out locked/run: cannot write in locked")
    finally:
        locked.chmod(0o755)


def test_outputs_are_whole_files_with_the_usual_permissions(ws):
    (ws / "r.json").write_text("an earlier result the user asked to replace")
    result = CliRunner().invoke(app, [*SIM, "--json", "r.json", "--trace", "t/trace.json", "--out", "run"])
    assert result.exit_code == 0, result.output
    written = [ws / "r.json", ws / "t" / "trace.json"] + sorted((ws / "run").iterdir())
    assert {p.name for p in (ws / "run").iterdir()} == {
        "result.json", "trace.json", "index.html", "summary.md", "figures.json"
    }  # fmt: skip
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert not list(ws.rglob("*.tmp"))
    assert (ws / "r.json").read_text().startswith("{")


def test_names_from_presets_cannot_leave_the_reports_folder(ws):
    (ws / "escape.yaml").write_text(WORKLOAD.replace("name: tiny", "name: ../../../escape"))
    outside = {p.name for p in ws.parent.iterdir()}
    args = ["train", "escape.yaml", "--rpu", "fp", "--chars", "8", "--eval-chars", "8", "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in ws.parent.iterdir()} == outside
    [folder] = (ws / "reports").iterdir()
    assert folder.name == "train-.._.._.._escape-fp-s0" and (folder / "result.json").is_file()


def test_an_internal_error_says_so_and_where_its_traceback_is(ws, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(ws))

    def broken():
        raise TypeError("a bug")

    monkeypatch.setattr("archsim.cli.presets.rpu_presets", broken)
    monkeypatch.delenv("ARCHSIM_DEBUG", raising=False)
    result = refused(["presets"], EXIT_FAILURE, "internal error: TypeError: a bug", "ARCHSIM_DEBUG=1")
    [saved] = ws.glob("archsim-internal-error-*.txt")
    assert str(saved) in result.stderr
    assert "Traceback" in saved.read_text() and "a bug" in saved.read_text()
    monkeypatch.setenv("ARCHSIM_DEBUG", "1")
    result = CliRunner().invoke(app, ["presets"])
    assert result.exit_code == EXIT_FAILURE and "Traceback" in result.stderr


def test_ctrl_c_exits_130_in_one_line(ws, monkeypatch):
    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr("archsim.cli.presets.rpu_presets", interrupted)
    refused(["presets"], EXIT_INTERRUPTED, "interrupted")


def test_a_message_is_shown_as_it_is_and_on_one_line(ws):
    refused(["simulate", "[b]x[/b].yaml", "--chip", "small.yaml"], EXIT_USAGE, "[b]x[/b].yaml: no such")
    (ws / "two.yaml").write_text("name: small\nclock_ghz: -1\nunknown_key: 1\n")
    refused([*SIM[:3], "two.yaml"], EXIT_USAGE, "--chip: two.yaml:", "more problem")


def test_run_refuses_a_path_it_did_not_write_and_accepts_its_own(ws):
    from archsim.cli.errors import InputError
    from archsim.cli.run import MARKER, check_out

    check_out(ws / "new" / "latest")
    (ws / "empty").mkdir()
    check_out(ws / "empty")
    (ws / "earlier").mkdir()
    (ws / "earlier" / MARKER).write_text("{}")
    check_out(ws / "earlier")
    (ws / "legacy").mkdir()  # written by archsim run before the marker existed
    (ws / "legacy" / "overview.json").write_text('{"title": "archsim: ...", "runs": []}')
    (ws / "legacy" / "index.html").write_text("<html>")
    check_out(ws / "legacy")
    (ws / "link").symlink_to(ws / "earlier")
    for path in (ws / "notes.txt", ws / "mine", ws / "link"):
        with pytest.raises(InputError, match="--out"):
            check_out(path)


def test_report_of_an_inconsistent_result_names_it_and_keeps_the_old_report(ws):
    import json

    assert CliRunner().invoke(app, [*SIM, "--out", "run"]).exit_code == 0
    data = json.loads((ws / "run" / "result.json").read_text())
    del data["breakdown_by_array"][next(iter(data["breakdown_by_array"]))]  # valid schema, parts disagree
    (ws / "run" / "result.json").write_text(json.dumps(data))
    before = snapshot(ws / "run")
    refused(["report", "run"], EXIT_USAGE, "run/result.json: an inconsistent result")
    assert snapshot(ws / "run") == before


def test_a_validation_error_no_loader_caught_names_the_model_and_field(capsys):
    import typer

    from archsim.cli.errors import boundary
    from archsim.config.design import Design

    with pytest.raises(typer.Exit) as stop:
        boundary(lambda: Design(chip="secret " * 1000, rpu=None))
    assert stop.value.exit_code == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Design: chip:") and "more problem" in err
    assert len(err.splitlines()) == 1 and "secret" not in err
