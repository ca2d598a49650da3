"""Chip presets and bad input: every preset loads and maps; errors name the field and the limit."""

from __future__ import annotations

import pytest

from archsim.chip import map_workload
from archsim.config import ConfigError, load_workload, workload_presets
from archsim.config.chip import ChipConfig, chip_presets, load_chip


def test_required_presets_exist():
    assert {"paper-ideal", "baseline"} <= set(chip_presets())


@pytest.mark.parametrize("name", chip_presets())
def test_every_preset_loads_and_maps_every_workload(name):
    chip = load_chip(name)
    assert isinstance(chip, ChipConfig) and chip.name == name
    for workload in workload_presets():
        mapping = map_workload(load_workload(workload), chip)
        assert mapping.tiles_used <= chip.tile.count


def test_baseline_extends_paper_ideal():
    base, ideal = load_chip("baseline"), load_chip("paper-ideal")
    assert (base.tile.rows, base.tile.cols) == (ideal.tile.rows, ideal.tile.cols)
    assert base.nlf.kind == "digital" and base.memory.kind == "sram"


def _write(tmp_path, text):
    path = tmp_path / "chip.yaml"
    path.write_text(text)
    return path


def test_zero_adcs_names_the_field_and_limit(tmp_path):
    path = _write(tmp_path, "extends: baseline\ntile: {adc: {count_per_tile: 0}}\n")
    with pytest.raises(
        ConfigError, match=r"chip.yaml: tile.adc.count_per_tile: .*greater than or equal to 1"
    ):
        load_chip(path)


def test_unknown_key_lists_the_allowed_keys(tmp_path):
    path = _write(tmp_path, "extends: baseline\ntile: {rowz: 4}\n")
    with pytest.raises(ConfigError, match=r"tile.rowz: unknown key 'rowz'; allowed keys: adc, area_mm2, co"):
        load_chip(path)


def test_unknown_key_in_a_variant_lists_that_variants_keys(tmp_path):
    path = _write(tmp_path, "extends: baseline\nnlf: {lanez: 4}\n")
    with pytest.raises(ConfigError, match=r"nlf.lanez: unknown key 'lanez'; allowed keys: .*lanes, latency"):
        load_chip(path)


def test_unknown_kind_lists_the_kinds(tmp_path):
    path = _write(tmp_path, "extends: paper-ideal\nmemory: {kind: dram}\n")
    with pytest.raises(ConfigError, match=r"memory: .*'ideal', 'sram'"):
        load_chip(path)


def test_memory_too_small_names_the_field_and_limit(tmp_path):
    path = _write(tmp_path, "extends: baseline\nmemory: {capacity_bytes: 1000000}\n")
    with pytest.raises(
        ConfigError, match=r"memory.capacity_bytes: .*needs at least 2938000 bytes.*= 1000000"
    ):
        map_workload(load_workload("lstm2-512-wp"), load_chip(path))


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError, match="available presets: baseline, paper-ideal"):
        load_chip("no-such-chip")
