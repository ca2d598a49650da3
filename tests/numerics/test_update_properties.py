"""NUMERICS.md section 5, properties 9-14: device sampling and the stochastic pulsed update."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from tile_configs import analog, exact_device

from archsim.config import PulseUpdateConfig, load_rpu
from archsim.numerics import AnalogTile

SIGMAS = 5.0


def single_device(c2c: float = 0.3, up_down: float = 0.0, seed: int = 0) -> AnalogTile:
    """The 1x1 tile of properties 9-12: every d2d spread 0, bounds +-0.6, BL = 10."""
    device = exact_device(dw_min_c2c=c2c, up_down=up_down, w_max=0.6, w_min=-0.6)
    return AnalogTile(1, 1, analog(device=device, update=PulseUpdateConfig(bl=10)), seed=seed)


def trials(tile: AnalogTile, x: float, d: float, n: int, lr: float = 0.01) -> np.ndarray:
    """dw of n independent updates, each from w = 0."""
    out = np.empty(n)
    xs, ds = np.array([x], dtype=np.float32), np.array([d], dtype=np.float32)
    zero = np.zeros((1, 1), dtype=np.float32)
    for k in range(n):
        tile.set_weights(zero)
        tile.update(xs, ds, lr)
        out[k] = tile.get_weights()[0, 0]
    return out


def test_single_device_mean_and_spread_of_one_update():
    dw = trials(single_device(c2c=0.3), 0.5, 0.5, 10_000)
    assert abs(dw.mean() - (-2.5e-3)) <= 7.2e-5
    assert abs(dw.std() / 1.449e-3 - 1) <= 0.03


def test_without_cycle_noise_the_update_is_binomial():
    dw = trials(single_device(c2c=0.0), 0.5, 0.5, 100_000)
    steps = -dw / 1e-3
    counts = np.rint(steps)
    assert np.allclose(steps, counts, atol=1e-4)
    observed = np.bincount(counts.astype(int), minlength=11)[:11]
    expected = stats.binom.pmf(np.arange(11), 10, 0.25) * dw.size
    # Pool the sparse tail (k >= 7) so every expected count is large enough for chi-square.
    observed = np.append(observed[:7], observed[7:].sum())
    expected = np.append(expected[:7], expected[7:].sum())
    assert stats.chisquare(observed, expected).pvalue > 1e-4


@pytest.mark.parametrize("x, d, mean", [(0.5, 0.5, -2.25e-3), (-0.5, 0.5, 2.5e-3)])
def test_up_down_imbalance_shrinks_the_down_step(x, d, mean):
    dw = trials(single_device(c2c=0.3, up_down=0.1), x, d, 10_000)
    assert abs(dw.mean() - mean) <= SIGMAS * dw.std() / np.sqrt(dw.size)


def test_hard_bound_holds_the_weight_at_the_bound():
    tile = single_device(c2c=0.0)
    tile.set_weights(np.array([[0.55]]))
    bmax = tile.devices.bmax[0, 0]
    history = []
    for _ in range(1000):
        tile.update(np.ones(1), -np.ones(1), 0.01)
        history.append(tile.get_weights()[0, 0])
    history = np.array(history)
    assert bmax == np.float32(0.6)
    assert np.all(history[:4] < bmax - 0.005)
    # In exact arithmetic update 5 lands exactly on the bound (0.55 + 5 * 0.01): float32 storage
    # decides the last ulp. From then on the weight is held at the bound exactly.
    assert abs(history[4] - bmax) <= np.spacing(bmax)
    assert np.all(history[5:] == bmax)


def test_device_to_device_statistics():
    tile = AnalogTile(1000, 1000, load_rpu("rpu-baseline"), seed=42)
    dev, dw_min = tile.devices, 1e-3
    up, down = dev.up.astype(np.float64) / dw_min, dev.down.astype(np.float64) / dw_min
    assert abs(up.mean() - 1) <= 0.0015
    assert abs(up.std() - 0.30) <= 0.003
    assert abs(((up - down) / 2).std() - 0.0100) <= 0.0002
    bmax = dev.bmax.astype(np.float64)
    assert abs(bmax.mean() - 0.6) <= SIGMAS * 0.18 / 1000
    assert abs(bmax.std() - 0.18) <= SIGMAS * 0.18 / np.sqrt(2 * bmax.size)
    assert np.all(dev.up > 0) and np.all(dev.down > 0)
    assert np.all(dev.bmin <= 0) and np.all(dev.bmax >= 0)


def test_rank_one_update_matches_sgd_in_expectation_per_cell():
    rpu = load_rpu("rpu-baseline")
    tile = AnalogTile(16, 32, rpu, seed=8)
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, 32).astype(np.float32)  # B|x| <= 1: no probability clipping (A = B = 1)
    d = rng.uniform(-1, 1, 16).astype(np.float32)
    lr, n = 0.01, 20_000
    zero = np.zeros((16, 32), dtype=np.float32)
    total = np.zeros((16, 32))
    total_sq = np.zeros((16, 32))
    for _ in range(n):
        tile.set_weights(zero)
        tile.update(x, d, lr)
        w = tile.get_weights().astype(np.float64)
        total += w
        total_sq += w * w
    mean = total / n
    sem = np.sqrt((total_sq / n - mean**2) / n)
    down = np.outer(d, x) > 0
    step = np.where(down, tile.devices.down, tile.devices.up) / rpu.device.dw_min
    expected = -lr * np.outer(d, x) * step
    assert np.all(np.abs(mean - expected) <= SIGMAS * sem)
