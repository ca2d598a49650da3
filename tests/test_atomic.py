"""Outputs are written whole: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from archsim import atomic


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_write_replaces_the_file_whole_with_the_usual_permissions(tmp_path):
    target = tmp_path / "sub" / "index.html"
    atomic.write_text(target, "old")
    atomic.write_text(target, "new · µ")
    assert target.read_text(encoding="utf-8") == "new · µ"
    assert _mode(target) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.html"]


def test_a_write_that_fails_midway_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    target.write_text("the old result")

    def killed(fd):
        raise KeyboardInterrupt  # as if the run were stopped while the data is being written

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(target, "a new result that never arrives")
    assert target.read_text() == "the old result"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temporaries_of_killed_runs_are_removed_by_the_next_write(tmp_path):
    dead = _dead_pid()
    left = tmp_path / f".index.html.{dead}.abc123_x.tmp"  # a killed run's leftover
    left.write_text("half a page")
    partial = tmp_path / f".latest.{dead}.k2j4_9.partial"
    partial.mkdir()
    (partial / "index.html").write_text("half a run")
    live = tmp_path / f".index.html.{os.getpid()}.zz9.tmp"  # a write in progress (this process)
    live.write_text("in progress")
    other = tmp_path / f".summary.md.{dead}.abc.tmp"  # another output's: left to its own next write
    other.write_text("x")
    user = tmp_path / ".index.html.notes.tmp"  # not ours: no process id in the name
    user.write_text("mine")
    atomic.write_text(tmp_path / "index.html", "page")
    atomic.temp_folder(tmp_path / "latest")
    assert not left.exists() and not partial.exists()
    assert live.exists() and other.exists() and user.read_text() == "mine"


def test_a_temporary_folder_is_private_to_its_run_and_readable_when_swapped_in(tmp_path):
    a, b = atomic.temp_folder(tmp_path / "latest"), atomic.temp_folder(tmp_path / "latest")
    assert a != b and a.parent == tmp_path and a.name.startswith(".latest.")
    assert _mode(a) == 0o755


@pytest.mark.parametrize("can_exchange", [True, False])
def test_replace_folder_puts_the_new_folder_in_place_and_removes_the_old(tmp_path, monkeypatch, can_exchange):
    if not can_exchange:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    target = tmp_path / "latest"
    target.mkdir()
    (target / "index.html").write_text("old")
    new = atomic.temp_folder(target)
    (new / "index.html").write_text("new")
    atomic.replace_folder(new, target)
    assert (target / "index.html").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["latest"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="atomic exchange is Linux's renameat2")
def test_the_swapped_folder_is_complete_at_every_instant(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        (folder / "name").write_text(folder.name)
    if not atomic.exchange(a, b):
        pytest.skip("this file system cannot exchange two paths in one step")
    assert (a / "name").read_text() == "b" and (b / "name").read_text() == "a"
    target = tmp_path / "latest"
    atomic.replace_folder(atomic.temp_folder(target), target)
    (target / "index.html").write_text("0")
    missing, stop = [], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not (target / "index.html").is_file():
                missing.append(1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(1, 200):
            new = atomic.temp_folder(target)
            (new / "index.html").write_text(str(n))
            atomic.replace_folder(new, target)
    finally:
        stop.set()
        watcher.join()
    assert not missing
    assert (target / "index.html").read_text() == "199"
