"""Area and static power: per component from the chip configuration, against hand computations on
a small chip; static energy over the run; the ADC-sharing trade-off; bad values named."""

from __future__ import annotations

import json

import pytest
from chip_factories import make_workload, real_chip, real_design

from archsim.chip import simulate
from archsim.config import ConfigError, load_chip
from archsim.config.errors import validate
from archsim.results import ResultError, load_result, result_from_dict

MIB = 2**20


def _chip(adcs: int = 8):
    """real_chip (64 x 64 tiles, 64 of them, 128 lines each; 8 ADCs per tile; one digital NLF unit
    of 4 lanes; a 1 MiB SRAM; wired links) with an area and a static power on every component."""
    data = real_chip().model_dump()
    tile = data["tile"]
    tile.update(device_area_um2=0.5, area_mm2=0.01, leakage_mw=1.0, energy_mvm_per_device_pj=0.01)
    tile.update(line_area_um2=2.0, line_leakage_mw=0.002)
    tile["dac"].update(area_um2=10.0, leakage_mw=0.001)
    tile["adc"].update(count_per_tile=adcs, area_um2=1000.0, leakage_mw=0.05)
    data["nlf"].update(area_mm2=0.1, area_per_lane_um2=2500.0, leakage_mw=2.0, leakage_per_lane_mw=0.5)
    data["memory"].update(area_mm2=0.05, area_per_mib_mm2=2.0, leakage_mw=3.0, leakage_per_mib_mw=7.0)
    data["links"]["tile_nlf"].update(area_mm2=0.02, leakage_mw=0.25)
    data["links"]["nlf_memory"].update(area_mm2=0.3, leakage_mw=0.5)
    return validate(type(real_chip()), data, "area test chip")


# Two LSTM layers of 8 and a softmax of 3: three arrays (32 x 12, 32 x 17, 3 x 9), one tile each.
WORKLOAD = dict(hidden=8, layers=2, vocab=3, steps=4)


def test_area_and_static_power_by_hand():
    r = simulate(make_workload(**WORKLOAD), real_design(_chip()), streams=2).result()
    # Area: every one of the 64 tiles, used or not; one tile-NLF link per tile.
    assert r.area_mm2 == pytest.approx(
        {
            "array": 64 * 64 * 64 * 0.5e-6,  # 64 tiles of 64 x 64 devices of 0.5 um^2
            "dac": 64 * (64 + 64) * 10e-6,  # a driver per row and per column
            "adc": 64 * 8 * 1000e-6,
            "tile": 64 * (0.01 + 128 * 2e-6),  # the fixed part and the circuits of 128 lines
            "nlf": 0.1 + 4 * 2500e-6,
            "memory": 0.05 + 1 * 2.0,  # 1 MiB
            "links": 64 * 0.02 + 0.3,
            "total": 0.131072 + 0.08192 + 0.512 + 0.656384 + 0.11 + 2.05 + 1.58,
        }
    )
    # Static power: the 3 tiles in use with their drivers and ADCs, the NLF unit, the memory, the
    # 3 links in use and the memory link.
    per_tile = 128 * 0.001 + 8 * 0.05 + 1.0 + 128 * 0.002
    power = {
        "dac": 3 * 0.128,
        "adc": 3 * 0.4,
        "tile": 3 * (1.0 + 0.256),
        "nlf": 2.0 + 4 * 0.5,
        "memory": 3.0 + 7.0,
        "links": 3 * 0.25 + 0.5,
    }
    power["total"] = sum(power.values())
    assert power["total"] == pytest.approx(3 * per_tile + 4 + 10 + 1.25)
    assert r.static_power_mw == pytest.approx(power)
    # Static energy per character: the static power times the time per character (mW x ns = pJ),
    # charged to each array's tiles and link, the rest to "shared"; it is part of the total.
    leak = r.energy_pj_per_char["leakage"]
    assert leak == pytest.approx(power["total"] * r.ns_per_char)
    by = r.energy_pj_per_char_by_array
    for array in ("lstm1", "lstm2", "softmax"):
        assert by[array]["leakage"] == pytest.approx((per_tile + 0.25) * r.ns_per_char)
    assert by["shared"]["leakage"] == pytest.approx((4 + 10 + 0.5) * r.ns_per_char)
    dynamic = sum(v for k, v in r.energy_pj_per_char.items() if k not in ("leakage", "total"))
    assert r.energy_pj_per_char["total"] == pytest.approx(dynamic + leak)
    # Over the run (one epoch): dynamic per character x characters, static power x epoch time.
    e = r.run_energy
    assert (e.run, e.seconds, e.chars) == ("one epoch", r.epoch_seconds, r.chars_per_epoch)
    assert e.static_j == pytest.approx(power["total"] * 1e-3 * r.epoch_seconds)
    assert e.dynamic_j == pytest.approx(dynamic * r.chars_per_epoch * 1e-12)
    assert e.total_j == pytest.approx(e.dynamic_j + e.static_j)
    assert 0 < e.static_j < e.total_j
    assert r.teraops_per_s_per_mm2 == pytest.approx(r.teraops_per_s / r.area_mm2["total"])
    assert r.teraops_per_w == pytest.approx(r.operations_per_window / (r.energy_pj_per_char["total"] * 4))


def test_a_co_simulated_run_is_charged_for_the_windows_it_ran():
    """Under a hook (the co-simulation's), the run is the windows simulated, not an epoch."""
    design = real_design(_chip())
    run = simulate(make_workload(**WORKLOAD), design, streams=2, windows=3, hook=lambda op: op.nominal)
    r = run.result()
    e = r.run_energy
    assert e.run == "co-simulated windows"
    assert e.chars == 3 * 2 * 4
    assert e.seconds == pytest.approx(run.scheduler.round_end[-1] * 1e-9)  # 1 GHz: a cycle is 1 ns
    assert e.static_j == pytest.approx(r.static_power_mw["total"] * 1e-3 * e.seconds)


def test_a_chip_without_areas_reports_zero_area_and_no_density():
    r = simulate(make_workload(), real_design(), windows=1).result()
    assert r.area_mm2["total"] == 0 and r.teraops_per_s_per_mm2 is None
    assert r.static_power_mw["total"] == 0 and r.run_energy.static_j == 0


def test_fewer_adcs_take_less_area_and_leak_less_but_run_longer():
    """ADC sharing: 2 ADCs per tile instead of 8 convert in 4x the rounds."""
    w = make_workload(**WORKLOAD)
    many, few = (simulate(w, real_design(_chip(n)), streams=2).result() for n in (8, 2))
    assert few.area_mm2["adc"] == pytest.approx(many.area_mm2["adc"] / 4)
    assert few.area_mm2["total"] == pytest.approx(many.area_mm2["total"] - 64 * 6 * 1000e-6)
    assert few.static_power_mw["adc"] == pytest.approx(many.static_power_mw["adc"] / 4)
    assert few.ns_per_char > many.ns_per_char
    assert few.teraops_per_s < many.teraops_per_s
    assert few.teraops_per_s_per_mm2 != pytest.approx(many.teraops_per_s_per_mm2)


def test_compare_sets_area_density_and_static_power_side_by_side():
    from archsim.report.compare import comparison

    w = make_workload(**WORKLOAD)
    many, few = (simulate(w, real_design(_chip(n)), windows=2).result() for n in (8, 2))
    rows = {r["figure"]: r for r in comparison([many, few], ["8 ADCs", "2 ADCs"])["figures"]}
    assert rows["area"]["values"] == [many.area_mm2["total"], few.area_mm2["total"]]
    assert rows["area"]["ratios"][1] == pytest.approx(few.area_mm2["total"] / many.area_mm2["total"])
    assert rows["TeraOps/s/mm^2"]["higher_is_better"] and not rows["static power"]["higher_is_better"]
    assert rows["static power"]["values"][1] < rows["static power"]["values"][0]


def test_the_new_figures_survive_json_and_older_results_still_load(tmp_path):
    r = simulate(make_workload(**WORKLOAD), real_design(_chip()), windows=2).result()
    back = load_result(r.write_json(tmp_path / "r.json"))
    assert back.area_mm2 == r.area_mm2 and back.static_power_mw == r.static_power_mw
    assert back.run_energy == r.run_energy and back.teraops_per_s_per_mm2 == r.teraops_per_s_per_mm2
    data = json.loads((tmp_path / "r.json").read_text())
    for key in ("area_mm2", "static_power_mw", "teraops_per_s_per_mm2", "run_energy"):
        del data[key]
    old = result_from_dict(data, "old.json")  # a result written before these fields
    assert old.area_mm2 == {} and old.run_energy is None and old.teraops_per_s_per_mm2 is None
    data["area_mm2"] = {"adc": -1.0}
    with pytest.raises(ResultError, match=r"bad\.json: simulate\.area_mm2\.adc: .*greater than or equal"):
        result_from_dict(data, "bad.json")


@pytest.mark.parametrize(
    "text, field",
    [
        ("tile: {adc: {area_um2: -1}}", "tile.adc.area_um2"),
        ("tile: {dac: {leakage_mw: -0.5}}", "tile.dac.leakage_mw"),
        ("tile: {device_area_um2: -0.01}", "tile.device_area_um2"),
        ("nlf: {area_per_lane_um2: -5}", "nlf.area_per_lane_um2"),
        ("memory: {area_per_mib_mm2: -2}", "memory.area_per_mib_mm2"),
        ("links: {nlf_memory: {kind: wired, bandwidth_gbps: 1, area_mm2: -1}}", "links.nlf_memory.area_mm2"),
        ("tile: {area_mm2: .inf}", "tile.area_mm2"),
    ],
)
def test_bad_areas_and_powers_fail_naming_the_field(tmp_path, text, field):
    path = tmp_path / "chip.yaml"
    path.write_text(f"extends: baseline\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_chip(path)
    assert field in str(err.value)
    assert str(path) in str(err.value)


def test_presets_state_an_area_for_every_tile_component():
    for name in ("paper-ideal", "baseline"):
        tile = load_chip(name).tile
        assert tile.device_area_um2 > 0 and tile.dac.area_um2 > 0 and tile.adc.area_um2 > 0, name


def test_rerun_compares_area_and_static_power_when_the_result_has_them():
    from archsim.cli.rerun import figures

    r = simulate(make_workload(**WORKLOAD), real_design(_chip()), windows=2).result()
    f = figures(r)
    assert f["area (mm^2)"] == r.area_mm2["total"] and f["static power (mW)"] == r.static_power_mw["total"]
    data = r.to_dict()
    for key in ("area_mm2", "static_power_mw", "teraops_per_s_per_mm2", "run_energy"):
        del data[key]
    assert "area (mm^2)" not in figures(result_from_dict(data))  # an older result: nothing to compare
