"""The report shows the chip's area, area density, static power and the energy of the run."""

from __future__ import annotations

import json

import pytest

from archsim.report import figures


def _head(folder):
    figs = json.loads((folder / "figures.json").read_text())
    return {r["figure"]: r for r in figs["chip_headline"]}


def test_chip_report_shows_area_density_static_power_and_epoch_energy(chip_report):
    result = json.loads((chip_report / "result.json").read_text())
    head = _head(chip_report)
    area = result["area_mm2"]["total"]
    assert area > 0 and head["Area"]["text"] == f"{area:.4g} mm²"
    assert head["Area"]["card"] == f"{area:.4g} mm²"  # a card, with the density as its note
    density = result["teraops_per_s_per_mm2"]
    assert density == pytest.approx(result["teraops_per_s"] / area)
    assert head["Area density"]["text"] == f"{density:.3g} TeraOps/s/mm²"
    assert head["Area by component"]["text"].startswith("memory ")  # the baseline's largest part
    power = result["static_power_mw"]["total"]
    assert head["Static power"]["text"].startswith(f"{power:.4g} mW (")
    run = result["run_energy"]
    assert run["run"] == "one epoch"
    assert head["Energy of an epoch"]["text"].startswith(f"{run['total_j']:.3g} J: dynamic ")
    html = (chip_report / "index.html").read_text()
    assert "TeraOps/s/mm²" in html and "Static power" in html


def test_cosim_report_charges_the_co_simulated_windows(cosim_report):
    result = json.loads((cosim_report / "result.json").read_text())
    run = result["chip"]["run_energy"]
    assert run["run"] == "co-simulated windows" and run["chars"] == result["train"]["chars_trained"]
    assert "Energy of the co-simulated windows" in _head(cosim_report)


def test_a_result_without_the_area_model_shows_no_area_rows(chip_dir):
    data = json.loads((chip_dir / "result.json").read_text())
    for key in ("area_mm2", "static_power_mw", "teraops_per_s_per_mm2", "run_energy"):
        del data[key]
    names = {r["figure"] for r in figures.chip_headline(data)}
    assert not names & {"Area", "Area density", "Static power", "Energy of an epoch"}
    assert "Throughput" in names
