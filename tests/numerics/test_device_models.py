"""Device models beyond the constant step (docs/numerics.md, "Device models"): the mean and spread
of one step as a function of the weight against each model's closed form, the per-device draws,
twin agreement, and the constant step left as it was."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tile_configs import analog

from archsim.config import (
    ConstantStepDevice,
    ExpStepDevice,
    LinearStepDevice,
    PowStepDevice,
    PulseUpdateConfig,
    RPUConfig,
    SoftBoundsDevice,
)
from archsim.numerics import AnalogTile
from archsim.numerics.update import pulsed_update_shaped, pulsed_update_shaped_reference

NO_SPREAD = {"dw_min_d2d": 0.0, "up_down_d2d": 0.0, "w_max_d2d": 0.0, "w_min_d2d": 0.0}
DW = 0.01
#: Weights at which the step is measured: well inside +-1, so that no noisy step reaches a bound.
WEIGHTS = np.linspace(-0.6, 0.6, 13)
REPLICAS = 400


def _rpu(device) -> RPUConfig:
    # BL = 1 and lr = dw_min give amplitudes of exactly 1: x = d = +-1 fire every slot, so each
    # update is exactly one coincidence on every device.
    return analog(device=device, update=PulseUpdateConfig(bl=1))


def _one_step(device, w0: np.ndarray, direction: str, seed: int = 0) -> np.ndarray:
    """The change of one coincidence on REPLICAS devices at each weight of ``w0`` (rows)."""
    tile = AnalogTile(w0.size, REPLICAS, _rpu(device), seed=seed)
    start = np.repeat(w0[:, None], REPLICAS, axis=1).astype(np.float32)
    tile.set_weights(start)
    x = np.ones((1, REPLICAS), dtype=np.float32)
    d = np.full((1, w0.size), 1.0 if direction == "down" else -1.0, dtype=np.float32)
    tile.update(x, d, DW)
    assert tile.last_pulses == w0.size * REPLICAS
    return tile.get_weights().astype(np.float64) - start


def _soft(w, up):
    return 1.0 - w / (1.0 if up else -1.0)


CASES = {
    "constant": (
        ConstantStepDevice(dw_min=DW, w_max=1.0, w_min=-1.0, **NO_SPREAD), lambda w, up: np.ones_like(w)
    ),
    "soft-bounds": (SoftBoundsDevice(dw_min=DW, w_max=1.0, w_min=-1.0, **NO_SPREAD), _soft),
    "soft-bounds-asymmetric-range": (
        SoftBoundsDevice(dw_min=DW, w_max=1.25, w_min=-0.75, **NO_SPREAD),
        lambda w, up: 1.0 - w / (1.25 if up else -0.75),
    ),
    "linear-step": (
        LinearStepDevice(
            dw_min=DW, w_max=1.0, w_min=-1.0, gamma_up=0.3, gamma_down=0.6,
            gamma_up_d2d=0.0, gamma_down_d2d=0.0, **NO_SPREAD,
        ),
        lambda w, up: 1.0 - (0.3 * w if up else 0.6 * w / -1.0),
    ),
    "exp-step": (
        ExpStepDevice(dw_min=DW, w_max=1.0, w_min=-1.0, **NO_SPREAD),
        lambda w, up: np.maximum(
            1.0 - (0.00081 * np.exp(12.44625 * (0.244 * w + 0.2425)) if up
                   else 0.36833 * np.exp(-12.78785 * (0.244 * w + 0.2425))), 0.0),
    ),
    "pow-step": (
        PowStepDevice(dw_min=DW, w_max=1.0, w_min=-1.0, pow_gamma=2.0, pow_gamma_d2d=0.0, **NO_SPREAD),
        lambda w, up: ((1.0 - w) / 2.0) ** 2 if up else ((w + 1.0) / 2.0) ** 2,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("direction", ["up", "down"])
def test_mean_and_spread_of_one_step_follow_the_closed_form(name, direction):
    device, factor = CASES[name]
    device = device.model_copy(update={"dw_min_c2c": 0.3})
    dw = _one_step(device, WEIGHTS, direction)
    sign = 1.0 if direction == "up" else -1.0
    expected = sign * DW * factor(WEIGHTS.astype(np.float32).astype(np.float64), direction == "up")
    # Multiplicative noise: each step is expected * (1 + 0.3 xi); margins are 5 standard errors of
    # the mean and of the standard deviation (sigma / sqrt(2 n)), plus float32 storage rounding.
    sigma = 0.3 * np.abs(expected)
    mean, std = dw.mean(axis=1), dw.std(axis=1, ddof=1)
    rounding = 1e-7
    assert np.all(np.abs(mean - expected) <= 5 * sigma / math.sqrt(REPLICAS) + rounding)
    assert np.all(np.abs(std - sigma) <= 5 * sigma / math.sqrt(2 * REPLICAS) + rounding)


@pytest.mark.parametrize("name", ["soft-bounds", "linear-step"])
def test_additive_noise_has_the_same_mean_and_a_weight_independent_spread(name):
    device, factor = CASES[name]
    device = device.model_copy(update={"dw_min_c2c": 2.0, "c2c_noise": "additive"})
    weights = np.linspace(-0.3, 0.3, 7)  # a step's noise of 2 dw_min stays far from the bounds
    dw = _one_step(device, weights, "up", seed=4)
    expected = DW * factor(weights.astype(np.float32).astype(np.float64), True)
    sigma = 2.0 * DW  # step(w) + 2 dw_min xi
    assert np.all(np.abs(dw.mean(axis=1) - expected) <= 5 * sigma / math.sqrt(REPLICAS) + 1e-7)
    assert np.all(np.abs(dw.std(axis=1, ddof=1) - sigma) <= 5 * sigma / math.sqrt(2 * REPLICAS) + 1e-7)


def test_soft_bounds_stop_each_device_at_its_own_bound():
    device = SoftBoundsDevice(dw_min=DW, dw_min_c2c=0.0, w_max_d2d=0.3, w_min_d2d=0.3)
    tile = AnalogTile(20, 30, _rpu(device), seed=1)
    tile.set_weights(np.full((20, 30), 50.0))  # clipped to each device's bmax
    at_bound = tile.get_weights()
    assert np.unique(at_bound).size > 100  # the bounds differ from device to device
    tile.update(np.ones((3, 30), dtype=np.float32), -np.ones((3, 20), dtype=np.float32), DW)
    assert tile.last_pulses == 3 * 600 and np.array_equal(tile.get_weights(), at_bound)
    # A down step from the upper bound: dw_down (1 - bmax / bmin), each device's own bounds.
    tile.update(np.ones((1, 30), dtype=np.float32), np.ones((1, 20), dtype=np.float32), DW)
    dev = tile.devices
    expected = at_bound - dev.decode(1) * (1.0 - dev.decode(3) / dev.decode(2))
    np.testing.assert_allclose(tile.get_weights(), expected, rtol=0, atol=2e-7)


def test_per_device_exponents_and_slopes_follow_their_spreads():
    linear = LinearStepDevice(gamma_up=0.4, gamma_down=0.2, gamma_up_d2d=0.05, gamma_down_d2d=0.05)
    tile = AnalogTile(300, 300, _rpu(linear), seed=2)
    k_up, k_down = tile.model.extra[..., 0], tile.model.extra[..., 1]
    n = k_up.size
    # k_up = gamma_up_ij / w_max, k_down = gamma_down_ij / w_min: mean and spread of gamma_ij.
    gamma_up, gamma_down = k_up * 0.6, k_down * -0.6
    assert abs(gamma_up.mean() - 0.4) < 5 * 0.05 / math.sqrt(n)
    assert abs(gamma_up.std() - 0.05) < 5 * 0.05 / math.sqrt(2 * n)
    assert abs(gamma_down.mean() - 0.2) < 5 * 0.05 / math.sqrt(n)
    power = PowStepDevice(pow_gamma=2.0, pow_gamma_d2d=0.1, pow_up_down=0.2, pow_up_down_d2d=0.0)
    tile = AnalogTile(300, 300, _rpu(power), seed=3)
    g_up, g_down = tile.model.extra[..., 0], tile.model.extra[..., 1]
    # gamma_up = 2 g, gamma_down = 2 (g - 0.2), g = 1 + 0.1 xi: the same g for both.
    assert abs(g_up.mean() - 2.0) < 5 * 0.2 / math.sqrt(n)
    assert abs(g_up.std() - 0.2) < 5 * 0.2 / math.sqrt(2 * n)
    np.testing.assert_allclose(g_up - g_down, 0.4, atol=1e-6)


def test_linear_step_without_slopes_is_the_constant_step_bit_for_bit():
    spreads = {"dw_min_d2d": 0.3, "up_down_d2d": 0.01, "w_max_d2d": 0.3, "w_min_d2d": 0.3}
    constant = RPUConfig(device=ConstantStepDevice(**spreads))
    flat = RPUConfig(device=LinearStepDevice(gamma_up_d2d=0.0, gamma_down_d2d=0.0, **spreads))
    gen = np.random.default_rng(5)
    w0 = gen.uniform(-0.7, 0.7, (30, 50))
    xs = gen.uniform(-1, 1, (6, 50)).astype(np.float32)
    ds = gen.normal(0, 0.5, (6, 30)).astype(np.float32)
    results = []
    for rpu in (constant, flat):
        tile = AnalogTile(30, 50, rpu, seed=9)
        tile.set_weights(w0)
        tile.update(xs, ds, 0.05)
        results.append(tile.get_weights())
    assert np.array_equal(*results) and not np.array_equal(results[0], w0.astype(np.float32))


TWIN_DEVICES = {
    "soft-bounds": SoftBoundsDevice(),
    "soft-bounds-additive": SoftBoundsDevice(dw_min_c2c=3.0, c2c_noise="additive"),
    "linear-step": LinearStepDevice(gamma_up=0.3, gamma_down=0.5),
    "exp-step": ExpStepDevice(),
    "pow-step": PowStepDevice(pow_gamma=1.5, pow_up_down=0.1, pow_up_down_d2d=0.05),
    "pow-step-no-c2c": PowStepDevice(dw_min_c2c=0.0),
}


@pytest.mark.parametrize("name", list(TWIN_DEVICES))
@pytest.mark.parametrize("bl_management", [False, True])
def test_shaped_update_kernel_matches_its_twin(name, bl_management):
    device = TWIN_DEVICES[name]
    tile = AnalogTile(24, 40, RPUConfig(device=device), seed=2)
    dev, model = tile.devices, tile.model
    gen = np.random.default_rng(6)
    w0 = np.clip(gen.uniform(-0.9, 0.9, (24, 40)).astype(np.float32), dev.bmin, dev.bmax)
    assert np.any(w0 == dev.bmax) and np.any(w0 == dev.bmin)  # some devices start at a bound
    xs = gen.uniform(-1, 1, (6, 40)).astype(np.float32)
    xs[:, :5] = 0.0
    ds = gen.normal(0, 0.3, (6, 24)).astype(np.float32)
    shaped = (dev.packed, dev.means, dev.scales, model.extra, model.model, model.shape, model.additive)
    args = (xs, ds, 0.05, device.dw_min, 10, device.dw_min_c2c, False, bl_management)
    w_kernel, w_twin = w0.copy(), w0.copy()
    total = pulsed_update_shaped(w_kernel, *shaped, *args, np.array([99, 3], dtype=np.uint64))
    ref_total = pulsed_update_shaped_reference(w_twin, *shaped, *args, 99, 3)
    assert total == ref_total > 0
    np.testing.assert_allclose(w_kernel, w_twin, rtol=0, atol=1e-7)
    assert not np.array_equal(w_kernel, w0)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_pulsed_update_on_soft_bounds_has_the_expected_mean_at_each_weight(direction):
    # The whole stochastic update (BL 10, shared trains, probabilities 1/2): E[dw] = -lr x d f(w)
    # with f the soft-bounds factor, to first order in dw_min (the drift of f within one update,
    # about 1e-3 of the mean here, is far below the margin).
    device = SoftBoundsDevice(dw_min=0.001, dw_min_c2c=0.3, w_max=1.0, w_min=-1.0, **NO_SPREAD)
    tile = AnalogTile(100, 5, analog(device=device), seed=8)
    weights = np.linspace(-0.8, 0.8, 5)
    start = np.tile(weights, (100, 1)).astype(np.float32)
    x = np.full((1, 5), 0.5, dtype=np.float32)
    d = np.full((1, 100), 0.5 if direction == "down" else -0.5, dtype=np.float32)
    lr = 0.01  # A = B = sqrt(lr / (dw_min BL)) = 1: p = q = 1/2
    means = []
    for _ in range(300):  # a fresh x train per update: the rows are independent given it
        tile.set_weights(start)
        tile.update(x, d, lr)
        means.append((tile.get_weights().astype(np.float64) - start).mean(axis=0))
    means = np.array(means)
    sign = 1.0 if direction == "up" else -1.0
    w = start[0].astype(np.float64)
    expected = sign * lr * 0.25 * (1.0 - w / (1.0 if direction == "up" else -1.0))
    standard_error = means.std(axis=0, ddof=1) / math.sqrt(len(means))
    assert np.all(np.abs(means.mean(axis=0) - expected) <= 5 * standard_error)
    assert np.all(np.abs(expected) > 20 * standard_error)  # the test resolves f(w)
