"""Sweeps on a real Dask LocalCluster (two worker processes, started once for this module)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3

import pytest
from sweep_files import write_sweep
from typer.testing import CliRunner

from archsim.cli import app
from archsim.sweep import SweepStore, dask_client, load_sweep, run_sweep
from archsim.sweep.report import write_report

# Six points; the two with one tile cannot map the workload (2 tiles needed) and fail.
BODY = """\
command: {kind: simulate, schedule: dataflow}
axes:
  chip.tile.adc.count_per_tile: [2, 8]
  command.streams: [1, 2]
  chip.tile.count: [64]
"""


@pytest.fixture(scope="module")
def client():
    with dask_client(None, workers=2) as c:
        yield c


def test_small_sweep_runs_on_two_workers_and_reruns_nothing(client, tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, BODY, name="run-twice"))
    db = tmp_path / "run.sqlite"
    first = run_sweep(sweep, db, client)
    assert (first.points, first.skipped, first.submitted, first.done, first.failed) == (4, 0, 4, 4, 0)
    with SweepStore(db) as store:
        rows = store.rows("run-twice")
    assert [r["status"] for r in rows] == ["done"] * 4
    assert all(r["teraops_per_s"] > 0 and r["teraops_per_w"] > 0 and r["ns_per_char"] > 0 for r in rows)
    assert {r["command.streams"] for r in rows} == {1, 2}
    assert all(r["wall_seconds"] >= 0 and r["started_at"] <= r["finished_at"] for r in rows)
    assert len({r["worker"] for r in rows}) >= 1
    # Two streams fill the pipeline: more throughput than one, at the same ADC sharing.
    by = {(r["chip.tile.adc.count_per_tile"], r["command.streams"]): r["teraops_per_s"] for r in rows}
    assert by[2, 2] > by[2, 1] and by[8, 2] > by[8, 1]
    # Each point's result is one of the results schema, recording the design that ran.
    with SweepStore(db) as store:
        typed = store.result("run-twice", rows[0]["point_id"])
    assert typed.teraops_per_s == rows[0]["teraops_per_s"] and typed.record.command == "simulate"
    assert typed.record.chip.tile.adc.count_per_tile == rows[0]["chip.tile.adc.count_per_tile"]

    # A rerun, even with the axes listed in another order, submits nothing.
    swapped = BODY.replace("[2, 8]", "[8, 2]").replace("[1, 2]", "[2, 1]")
    again = run_sweep(load_sweep(write_sweep(tmp_path, swapped, name="run-twice")), db, client)
    assert (again.skipped, again.submitted) == (4, 0)

    # Adding a value runs only the new points.
    more = run_sweep(
        load_sweep(write_sweep(tmp_path, BODY.replace("[1, 2]", "[1, 2, 3]"), "run-twice")), db, client
    )
    assert (more.points, more.skipped, more.submitted, more.done) == (6, 4, 2, 2)


def test_failing_point_is_recorded_and_the_others_finish(client, tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, BODY.replace("[64]", "[64, 1]"), name="with-failure"))
    db = tmp_path / "fail.sqlite"
    summary = run_sweep(sweep, db, client)
    assert (summary.done, summary.failed) == (4, 4)
    with SweepStore(db) as store:
        rows = store.rows("with-failure")
    failed = [r for r in rows if r["status"] == "failed"]
    assert {r["chip.tile.count"] for r in failed} == {1}
    assert all("MappingError" in r["error"] and "tile.count" in r["error"] for r in failed)
    assert all(r["teraops_per_s"] is None for r in failed)
    # Failed points are tried again on a rerun; done points are not.
    rerun = run_sweep(sweep, db, client)
    assert (rerun.skipped, rerun.submitted, rerun.failed) == (4, 4, 4)
    report = write_report(sweep, rows, tmp_path / "report")
    html = report.read_text()
    assert "Pareto front" in html and "<svg" in html and "MappingError" in html


def test_interrupted_client_keeps_finished_points(client, tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, BODY, name="interrupted"))
    db = tmp_path / "int.sqlite"
    seen = []

    def stop_after_two(outcome):
        seen.append(outcome)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, db, client, on_point=stop_after_two)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM points WHERE status = 'done'").fetchone()[0] == 2
    resumed = run_sweep(sweep, db, client)
    assert (resumed.skipped, resumed.submitted, resumed.done) == (2, 2, 2)


def test_cli_on_a_given_scheduler(client, tmp_path):
    path = write_sweep(tmp_path, BODY, name="cli-sweep")
    db, out, js = tmp_path / "cli.sqlite", tmp_path / "rep", tmp_path / "rows.json"
    args = ["sweep", str(path), "--scheduler", client.scheduler.address, "--db", str(db), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--json", str(js), "--csv", str(tmp_path / "rows.csv")])
    assert result.exit_code == 0, result.output
    assert "4 points: 0 already done, 4 run (4 done, 0 failed)" in result.output
    assert (out / "index.html").is_file() and js.is_file()
    lines = (tmp_path / "rows.csv").read_text().splitlines()
    assert len(lines) == 5 and "teraops_per_s" in lines[0].split(",")  # a header and a line per point
    result = CliRunner().invoke(app, args)
    assert "4 points: 4 already done, 0 run" in result.output


def test_cli_exits_1_when_points_failed(client, tmp_path):
    path = write_sweep(tmp_path, BODY.replace("[64]", "[1]"), name="cli-failing")  # one tile: no mapping
    args = ["sweep", str(path), "--scheduler", client.scheduler.address, "--db", str(tmp_path / "f.sqlite")]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "rep")])
    assert result.exit_code == 1, result.output
    assert "error: 4 of 4 points failed" in result.stderr and (tmp_path / "rep" / "index.html").is_file()


def test_cli_bad_sweep_file_fails_before_running(tmp_path):
    path = write_sweep(tmp_path, "command: {kind: simulate}\naxes:\n  chip.tile.adc.count_per_tile: [0]\n")
    result = CliRunner().invoke(app, ["sweep", str(path), "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 2
    assert "chip.tile.adc.count_per_tile: Input should be greater than or equal to 1" in result.output
    assert not (tmp_path / "x.sqlite").exists()


def test_cosim_points_record_test_cross_entropy(client, tmp_path):
    rng = random.Random(0)
    corpus = tmp_path / "abc.txt"
    corpus.write_text("".join(rng.choice("abc") for _ in range(4000)))
    body = """\
    command: {kind: cosim, seed: 0, chars: 400, eval_chars: 200}
    axes:
      input:
        zip:
          rpu: [rpu-baseline, rpu-7bit, rpu-5bit-sr]
        labels: [5-bit nearest, 7-bit nearest, 5-bit SR]
    """
    path = write_sweep(tmp_path, body, name="cosim-small")
    (tmp_path / "tiny.yaml").write_text(
        (tmp_path / "tiny.yaml").read_text().replace("corpus: abc.txt", f"corpus: {corpus}")
    )
    sweep = load_sweep(path)
    db = tmp_path / "cosim.sqlite"
    summary = run_sweep(sweep, db, client)
    with SweepStore(db) as store:
        rows = store.rows("cosim-small")
    assert summary.done == 3, [r["error"] for r in rows]
    assert all(r["test_ce"] > 0 and r["teraops_per_s"] > 0 for r in rows)
    speed = {r["input"]: r["teraops_per_s"] for r in rows}
    assert speed["7-bit nearest"] < speed["5-bit nearest"]  # 63 input slots instead of 15
    html = write_report(sweep, rows, tmp_path / "report").read_text()
    assert "throughput vs test cross-entropy" in html


def test_killed_worker_loses_no_finished_point(client, tmp_path):
    body = """\
    command: {kind: simulate}
    axes:
      workload.model.hidden_size: [16]
      workload.training.bptt_steps: [10, 20]
      command.streams: [1, 2, 3]
    """
    sweep = load_sweep(write_sweep(tmp_path, body, name="killed-worker"))
    db = tmp_path / "killed.sqlite"
    pids = client.run(os.getpid)  # worker address -> process id
    killed = []

    def kill_the_other_worker(outcome):
        # The first point is done; the other worker is most likely running a point: kill it.
        if not killed:
            victim = next((a for a in pids if a != outcome["worker"]), next(iter(pids)))
            os.kill(pids[victim], signal.SIGKILL)
            killed.append(victim)
            with sqlite3.connect(db) as con:
                assert con.execute("SELECT count(*) FROM points").fetchone()[0] == 1

    summary = run_sweep(sweep, db, client, on_point=kill_the_other_worker)
    assert killed and summary.done + summary.failed == 6
    with SweepStore(db) as store:
        rows = store.rows("killed-worker")
    assert len(rows) == 6
    # Dask runs the lost point again elsewhere; a point is failed only after repeated worker deaths.
    assert all(r["status"] == "done" or "KilledWorker" in r["error"] for r in rows)
    assert summary.done >= 5
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
