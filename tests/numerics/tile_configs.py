"""Builders of tile configurations for the numerics tests."""

from __future__ import annotations

from archsim.config import ConstantStepDevice, IOConfig, PulseUpdateConfig, RPUConfig


def ideal_io(**overrides) -> IOConfig:
    """No DAC, no ADC, no noise, no bound; noise management on."""
    fields = dict(
        inp_bits=None,
        out_bits=None,
        out_noise=0.0,
        out_bound=None,
        noise_management=True,
        bound_management=False,
    )
    fields.update(overrides)
    return IOConfig(**fields)


def exact_device(**overrides) -> ConstantStepDevice:
    """Every device-to-device spread 0, wide bounds: an ideal weight store."""
    fields = dict(
        dw_min=0.001,
        dw_min_d2d=0.0,
        dw_min_c2c=0.0,
        up_down=0.0,
        up_down_d2d=0.0,
        w_max=100.0,
        w_min=-100.0,
        w_max_d2d=0.0,
        w_min_d2d=0.0,
    )
    fields.update(overrides)
    return ConstantStepDevice(**fields)


def analog(forward=None, backward=None, device=None, update=None) -> RPUConfig:
    forward = forward or ideal_io()
    backward = backward or forward
    return RPUConfig(
        device=device or exact_device(),
        forward=forward,
        backward=backward,
        update=update or PulseUpdateConfig(),
        bm_backward=backward.bound_management,
    )
