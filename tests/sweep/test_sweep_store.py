"""The sweep database keeps what finished, and refuses files that are not sweep databases."""

from __future__ import annotations

import csv
import sqlite3

import pytest
from sweep_files import write_sweep
from typer.testing import CliRunner

from archsim.cli import app
from archsim.sweep import SweepStore, load_sweep
from archsim.sweep.store import APPLICATION_ID, StoreError

BODY = "command: {kind: simulate}\naxes:\n  command.streams: [1, 2]\n"
DONE = {"status": "done", "figures": {"teraops_per_s": 1.5}, "worker": "first run"}
FAILED = {"status": "failed", "error": "KilledWorker: the worker died", "figures": {}, "worker": "second run"}


def _rows(db, name):
    with SweepStore(db) as store:
        return {r["point_id"]: r for r in store.rows(name)}


def test_a_failed_point_never_replaces_a_finished_one(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, BODY, name="twice"))
    first, second = sweep.points
    db = tmp_path / "s.sqlite"
    with SweepStore(db) as store:
        store.ensure_axis_columns([a.name for a in sweep.axes])
        store.record(sweep.name, first, DONE)  # the first run finished this point ...
        store.record(sweep.name, first, FAILED)  # ... while a worker of a second run died on it
        store.record(sweep.name, second, FAILED)
        store.record(sweep.name, second, DONE | {"worker": "a later run"})  # a failed point is retried
        store.record(sweep.name, second, DONE | {"worker": "rerun", "figures": {"teraops_per_s": 2.0}})
    rows = _rows(db, sweep.name)
    assert rows[first.point_id]["status"] == "done" and rows[first.point_id]["worker"] == "first run"
    assert rows[first.point_id]["teraops_per_s"] == 1.5 and rows[first.point_id]["error"] is None
    assert rows[second.point_id]["status"] == "done" and rows[second.point_id]["teraops_per_s"] == 2.0


def test_another_programs_database_is_refused_untouched(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE accounts (name TEXT)")
    before = other.read_bytes()
    with pytest.raises(StoreError, match=r"other.sqlite: an SQLite database without archsim's sweep table"):
        SweepStore(other)
    assert other.read_bytes() == before
    marked = tmp_path / "marked.sqlite"
    with sqlite3.connect(marked) as con:
        con.execute("PRAGMA application_id = 7")
    with pytest.raises(StoreError, match="the SQLite database of another program"):
        SweepStore(marked)


@pytest.mark.parametrize(
    ("content", "needle"),
    [(bytes(range(256)) * 20, "not a usable SQLite database"), (b"name: not SQLite\n" * 50, "not a usable")],
)
def test_a_file_that_is_not_a_database_is_refused(tmp_path, content, needle):
    path = tmp_path / "x.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=needle):
        SweepStore(path)
    assert path.read_bytes() == content
    with pytest.raises(StoreError, match="is a folder"):
        SweepStore(tmp_path)


def test_a_new_database_is_marked_as_archsims(tmp_path):
    SweepStore(tmp_path / "new.sqlite").close()
    with sqlite3.connect(tmp_path / "new.sqlite") as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    SweepStore(tmp_path / "new.sqlite").close()  # and opens again


def _filled(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, BODY, name="export"))
    first, second = sweep.points
    db = tmp_path / "s.sqlite"
    with SweepStore(db) as store:
        store.ensure_axis_columns([a.name for a in sweep.axes])
        store.record(sweep.name, first, DONE | {"figures": {"teraops_per_s": 1.5, "memory_fits": True}})
        store.record(sweep.name, second, FAILED)
    return sweep, db


def test_a_sweep_exports_one_csv_line_per_point(tmp_path):
    sweep, db = _filled(tmp_path)
    out = tmp_path / "points.csv"
    res = CliRunner().invoke(app, ["sweep-export", str(db), "--csv", str(out)])
    assert res.exit_code == 0, res.output
    lines = list(csv.DictReader(out.open(newline="")))
    assert [line["point_id"] for line in lines] == [p.point_id for p in sweep.points]
    assert [line["command.streams"] for line in lines] == ["1", "2"]
    assert (
        lines[0]["status"] == "done" and lines[0]["teraops_per_s"] == "1.5" and lines[0]["memory_fits"] == "1"
    )
    assert (
        lines[1]["status"] == "failed"
        and lines[1]["error"] == FAILED["error"]
        and lines[1]["teraops_per_s"] == ""
    )
    assert "config" not in lines[0] and "result" not in lines[0]  # JSON stays in the database


def test_sweep_export_refuses_what_it_cannot_export(tmp_path):
    _, db = _filled(tmp_path)
    out = tmp_path / "points.csv"
    cases = [
        ([str(tmp_path / "none.sqlite")], "none.sqlite: no such file"),
        ([str(db), "--sweep", "other"], "--sweep other: not in"),
        ([str(tmp_path)], "is a folder"),
    ]
    for args, needle in cases:
        res = CliRunner().invoke(app, ["sweep-export", *args, "--csv", str(out)])
        assert res.exit_code == 2 and needle in res.output, res.output
    assert not out.exists() and not (tmp_path / "none.sqlite").exists()
