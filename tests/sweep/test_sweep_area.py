"""Sweep rows carry the area figures; a database of an older archsim gains their columns."""

from __future__ import annotations

import sqlite3

import pytest
from sweep_files import write_sweep

from archsim.sweep import SweepStore, load_sweep
from archsim.sweep.store import FIGURE_TYPES, FIXED_COLUMNS
from archsim.sweep.task import FIGURES, run_point

NEW = ("area_mm2", "teraops_per_s_per_mm2", "static_power_mw", "run_energy_j", "run_static_energy_j")


def test_a_points_figures_hold_area_density_static_power_and_run_energy(tmp_path):
    """The small chip (64 tiles, 8 ADCs each, 1 mW per tile in use) with 1000 um^2 per ADC."""
    body = "command: {kind: simulate, windows: 2}\naxes:\n  chip.tile.adc.area_um2: [1000.0]\n"
    point = load_sweep(write_sweep(tmp_path, body)).points[0]
    out = run_point(point.payload())
    assert out["status"] == "done", out["error"]
    f = out["figures"]
    assert set(NEW) <= set(f) <= set(FIGURES)
    assert f["area_mm2"] == pytest.approx(64 * 8 * 1000e-6)
    assert f["teraops_per_s_per_mm2"] == pytest.approx(f["teraops_per_s"] / f["area_mm2"])
    assert f["static_power_mw"] == pytest.approx(2 * 1.0)  # the two tiles in use: lstm1, softmax
    assert f["run_static_energy_j"] == pytest.approx(2e-3 * f["epoch_seconds"])
    assert f["run_static_energy_j"] < f["run_energy_j"]


def test_an_older_database_gains_the_new_figure_columns_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.sqlite"
    old = [f for f in FIGURES if f not in NEW]
    columns = [f"{n} {k}" for n, k in FIXED_COLUMNS] + [f"{f} {FIGURE_TYPES.get(f, 'REAL')}" for f in old]
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE points ({', '.join(columns)}, PRIMARY KEY (sweep, point_id))")
    con.execute("INSERT INTO points (sweep, point_id, status, teraops_per_s) VALUES ('s', 'p', 'done', 1.5)")
    con.commit()
    con.close()
    body = "command: {kind: simulate}\naxes:\n  command.streams: [1]\n"
    sweep = load_sweep(write_sweep(tmp_path, body, name="s"))
    with SweepStore(db) as store:
        assert set(NEW) <= set(store.columns())
        store.ensure_axis_columns([a.name for a in sweep.axes])
        store.record("s", sweep.points[0], {"status": "done", "figures": {"area_mm2": 2.5}})
        rows = {r["point_id"]: r for r in store.rows("s")}
    assert rows["p"]["teraops_per_s"] == 1.5 and rows["p"]["area_mm2"] is None
    assert rows[sweep.points[0].point_id]["area_mm2"] == 2.5
