"""Device models in the RPU configuration: the kinds, their presets and their published numbers,
old configurations unchanged, bad parameters named."""

from __future__ import annotations

import pytest

from archsim.config import (
    ConfigError,
    ConstantStepDevice,
    ExpStepDevice,
    LinearStepDevice,
    RPUConfig,
    SoftBoundsDevice,
    load_rpu,
    rpu_presets,
)

DEVICE_PRESETS = ["idealized-2019", "reram-sb", "ecram-ls", "pcm-pair-sb"]


def test_a_device_without_kind_is_the_constant_step_and_old_configurations_load_unchanged():
    rpu = RPUConfig.model_validate({"device": {"dw_min": 0.002}})
    assert isinstance(rpu.device, ConstantStepDevice) and rpu.device.dw_min == 0.002
    assert isinstance(RPUConfig().device, ConstantStepDevice)
    for name in ["rpu-baseline", "rpu-7bit", "no-variation", "4x-states", "symmetric"]:
        old = load_rpu(name)
        assert old.device.kind == "constant_step"
        dumped = old.model_dump(mode="json")
        assert set(dumped["device"]) == set(ConstantStepDevice.model_fields)  # no new key in a record
        assert RPUConfig.model_validate(dumped) == old


def test_device_presets_carry_their_published_numbers():
    assert set(DEVICE_PRESETS) <= set(rpu_presets())
    ideal = load_rpu("idealized-2019").device
    assert isinstance(ideal, ConstantStepDevice)
    assert (ideal.dw_min, ideal.dw_min_d2d, ideal.dw_min_c2c) == (0.0002, 0.3, 0.3)
    assert (ideal.up_down, ideal.up_down_d2d, ideal.w_max, ideal.w_min) == (0.0, 0.0, 1.0, -1.0)
    assert (ideal.w_max_d2d, ideal.w_min_d2d) == (0.3, 0.3)
    reram = load_rpu("reram-sb").device
    assert isinstance(reram, SoftBoundsDevice) and reram.c2c_noise == "additive"
    assert (reram.dw_min, reram.w_max, reram.w_min, reram.dw_min_c2c) == (0.002, 1.25, -0.75, 3.75)
    ecram = load_rpu("ecram-ls").device
    assert isinstance(ecram, LinearStepDevice)
    assert (ecram.gamma_up, ecram.gamma_down, ecram.w_max, ecram.w_min) == (0.1153, 0.5085, 1.1724, -0.8276)
    pcm = load_rpu("pcm-pair-sb").device
    assert isinstance(pcm, SoftBoundsDevice) and (pcm.dw_min, pcm.w_max) == (0.1026, 1.882)
    base = load_rpu("rpu-7bit")
    for name in DEVICE_PRESETS:  # the 7-bit paper baseline with update management: only the device differs
        rpu = load_rpu(name)
        assert (rpu.forward, rpu.backward) == (base.forward, base.backward)
        assert rpu.update == base.update.model_copy(update={"update_management": True})


def test_the_exponential_step_defaults_are_the_reference_simulators():
    device = ExpStepDevice()
    assert (device.A_up, device.A_down) == (0.00081, 0.36833)
    assert (device.gamma_up, device.gamma_down) == (12.44625, 12.78785)
    assert (device.a, device.b) == (0.244, 0.2425)


BAD = [
    ("kind: soft_step", "device:", "'constant_step', 'soft_bounds', 'linear_step', 'exp_step', 'pow_step'"),
    ("kind: soft_bounds, dw_min_c2c: 3.0", "device:", "dw_min_c2c (3) must be at most 1"),
    ("kind: soft_bounds, c2c_noise: additive, dw_min_c2c: 30.0", "device.dw_min_c2c:", "10"),
    ("kind: soft_bounds, c2c_noise: both", "device.c2c_noise:", "'multiplicative' or 'additive'"),
    ("kind: soft_bounds, gamma_up: 0.5", "device.gamma_up:", "allowed keys"),
    ("kind: constant_step, c2c_noise: additive", "device.c2c_noise:", "unknown key"),
    ("kind: linear_step, gamma_up: 1.5", "device.gamma_up:", "less than or equal to 1"),
    ("kind: linear_step, gamma_down_d2d: -0.1", "device.gamma_down_d2d:", "greater than or equal to 0"),
    ("kind: linear_step, gamma_up: .nan", "device.gamma_up:", "finite"),
    ("kind: exp_step, A_up: 1000.0", "device.A_up:", "less than or equal to 100"),
    ("kind: exp_step, A_up: 5.0, b: 1.0", "device:", "A_up, gamma_up, a, b: the mean up step at w = 0"),
    ("kind: exp_step, A_down: -50.0, gamma_down: 40.0, b: -1.0", "device:", "the down step reaches"),
    ("kind: exp_step, gamma_up: 51", "device.gamma_up:", "50"),
    ("kind: pow_step, pow_gamma: 0", "device.pow_gamma:", "greater than 0"),
    ("kind: pow_step, pow_up_down: 1.0", "device.pow_up_down:", "less than 1"),
    ("kind: pow_step, pow_gamma_d2d: true", "device.pow_gamma_d2d:", "number"),
    ("kind: soft_bounds, dw_min: 0.9", "device:", "dw_min (0.9) must be between"),
]  # fmt: skip


@pytest.mark.parametrize("body, where, needle", BAD)
def test_bad_device_parameters_fail_naming_the_field(tmp_path, body, where, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: rpu-baseline\ndevice: {{{body}}}\n")
    with pytest.raises(ConfigError) as err:
        load_rpu(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {where}") and needle in message, message
    assert "\n" not in message
