"""RPU presets load; invalid configuration fails with the file, the field and what is allowed."""

from __future__ import annotations

import pytest

from archsim.config import (
    ConfigError,
    FloatingPointRPUConfig,
    RPUConfig,
    load_rpu,
    load_workload,
    rpu_presets,
    workload_presets,
)

PAPER_PRESETS = [
    "fp", "rpu-baseline", "rpu-7bit", "rpu-5bit-sr",
    "no-variation", "4x-states", "symmetric", "symmetric-4x-states",
]  # fmt: skip


def test_every_named_preset_exists_and_loads():
    assert set(PAPER_PRESETS) <= set(rpu_presets())
    for name in rpu_presets():
        rpu = load_rpu(name)
        assert rpu.description, f"{name} has no description"


def test_preset_values_follow_the_paper():
    base = load_rpu("rpu-baseline")
    assert isinstance(base, RPUConfig) and isinstance(load_rpu("fp"), FloatingPointRPUConfig)
    assert (base.forward.inp_bits, base.forward.out_bits, base.forward.out_bound) == (5, 9, 12.0)
    assert base.device.dw_min == 0.001 and base.update.bl == 10 and base.bm_backward
    assert load_rpu("rpu-7bit").backward.inp_bits == 7
    assert load_rpu("rpu-5bit-sr").forward.inp_stochastic_round
    assert load_rpu("no-variation").device.dw_min_d2d == 0 and load_rpu("no-variation").forward.inp_bits == 7
    assert load_rpu("4x-states").device.dw_min == 0.00025
    assert load_rpu("symmetric").device.up_down_d2d == 0
    sym4 = load_rpu("symmetric-4x-states").device
    assert sym4.up_down_d2d == 0 and sym4.dw_min == 0.00025


def test_every_workload_preset_loads():
    names = workload_presets()
    assert {f"lstm{n}-{h}-{c}" for n in (1, 2) for h in (64, 128, 256, 512) for c in ("wp", "lk")} <= set(
        names
    )
    arrays = load_workload("lstm2-512-wp").arrays()
    assert [(a.rows, a.cols) for a in arrays] == [(2048, 600), (2048, 1025), (87, 513)]


def write(tmp_path, text: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, field, allowed",
    [
        ("device: {dw_min: -0.001}", "device.dw_min", "greater than 0"),
        ("forward: {inp_bits: 0}", "forward.inp_bits", "greater than or equal to 2"),
        ("update: {bl: 0}", "update.bl", "greater than or equal to 1"),
        ("device: {dw_min_d2d: -0.3}", "device.dw_min_d2d", "greater than or equal to 0"),
        ("forward: {out_bound: null}", "forward", "out_bits needs out_bound"),
    ],
)
def test_invalid_values_name_file_field_and_limit(tmp_path, text, field, allowed):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_rpu(path)
    message = str(err.value)
    assert str(path) in message and f": {field}:" in message and allowed in message


def test_unknown_keys_list_the_allowed_keys(tmp_path):
    path = write(tmp_path, "forward: {inp_bitz: 7}")
    with pytest.raises(ConfigError) as err:
        load_rpu(path)
    message = str(err.value)
    assert f"{path}: forward.inp_bitz: unknown key 'inp_bitz'" in message
    assert "allowed keys: bound_management, inp_bits, inp_stochastic_round" in message


def test_unknown_kind_and_missing_preset(tmp_path):
    with pytest.raises(ConfigError, match="kind: unknown 'digital'; allowed: analog, fp"):
        load_rpu(write(tmp_path, "kind: digital"))
    with pytest.raises(
        ConfigError, match=r"unknown RPU preset 'rpu-9bit'.*available presets: .*rpu-baseline"
    ):
        load_rpu("rpu-9bit")
    with pytest.raises(ConfigError, match="no such RPU preset file"):
        load_rpu(tmp_path / "missing.yaml")


def test_extends_resolves_and_reports_its_errors(tmp_path):
    rpu = load_rpu(write(tmp_path, "extends: rpu-7bit\nforward: {out_noise: 0.1}"))
    assert rpu.forward.out_noise == 0.1 and rpu.forward.inp_bits == 7 and rpu.backward.out_noise == 0.06
    with pytest.raises(ConfigError, match="extends: unknown RPU preset 'nope'"):
        load_rpu(write(tmp_path, "extends: nope"))


def test_backward_bound_management_has_one_switch(tmp_path):
    reference = load_rpu(write(tmp_path, "extends: rpu-baseline\nbm_backward: false"))
    assert not reference.backward.bound_management and reference.forward.bound_management
    with pytest.raises(ConfigError, match="contradicts bm_backward"):
        load_rpu(write(tmp_path, "bm_backward: true\nbackward: {bound_management: false}"))


def test_yaml_that_is_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="the top level must be a mapping"):
        load_rpu(write(tmp_path, "- 1\n- 2"))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rpu(write(tmp_path, "device: {dw_min: [}"))
