"""Several devices per weight (SummedTile): the weight is the sum of its devices, forward reads the
sum in one MVM, the expected update is plain SGD's, and the device-to-device spread shrinks."""

from __future__ import annotations

import numpy as np

from archsim.config import load_rpu
from archsim.numerics.devices import DOWN, UP
from archsim.numerics.summed import SummedTile


def test_the_weight_is_the_sum_and_forward_reads_it_in_one_mvm():
    rpu = load_rpu("rpu-baseline")
    tile = SummedTile(5, 7, rpu, seed=3, n=4)
    w = np.random.default_rng(0).uniform(-0.2, 0.2, (5, 7)).astype(np.float32)
    tile.set_weights(w)
    np.testing.assert_allclose(tile.get_weights(), w, rtol=0, atol=1e-7)
    x = np.random.default_rng(1).uniform(-1, 1, (3, 7)).astype(np.float32)
    twin = SummedTile(5, 7, rpu, seed=3, n=4)
    twin.set_weights(w)
    # One physical MVM per vector, x applied to every device block (same draws as the array's).
    np.testing.assert_array_equal(tile.forward(x), twin.array.forward(np.tile(x, (1, 4))))
    assert tile.array.counter == 3


def test_the_expected_update_of_the_sum_is_sgd_and_the_spread_shrinks():
    rpu = load_rpu("rpu-baseline")
    n, lr, trials, bl, dw = 4, 0.001, 1000, 10, rpu.device.dw_min
    tile = SummedTile(2, 3, rpu, seed=5, n=n)
    x = np.array([0.5, -0.8, 0.3], np.float32)
    d = np.array([0.6, -0.4], np.float32)
    tile.set_weights(np.zeros((2, 3), np.float32))
    tile.update(np.tile(x, (trials, 1)), np.tile(d, (trials, 1)), lr)
    # Each device: lr / n per update, so E[change of the sum] = -lr d x^T (times the devices' mean
    # step / dw_min), far from the bounds here.
    down = np.outer(d, x) > 0
    steps = np.where(down[:, None, :], tile.array.devices.decode(DOWN).reshape(2, n, 3), 0)
    steps += np.where(down[:, None, :], 0, tile.array.devices.decode(UP).reshape(2, n, 3))
    expected = -lr * np.outer(d, x) * steps.mean(axis=1) / dw * trials
    # Coincidences per device and update ~ Binomial(BL, p q) with p = A|x|, q = A|d|, A^2 = lr/(n dw BL);
    # each a step of dw (1 + 0.3 xi): the standard error of the summed change.
    pq = np.outer(np.abs(d), np.abs(x)) * lr / (n * dw * bl)
    var = trials * n * bl * (pq * (1 - pq) + pq * 0.3**2) * dw**2
    assert np.all(np.abs(tile.get_weights() - expected) < 5 * np.sqrt(var))
    # Device-to-device spread of the per-weight step: 30 % for one device, about 30 % / sqrt(n) here.
    big = SummedTile(64, 64, rpu, seed=6, n=n)
    mean_step = big.array.devices.decode(UP).reshape(64, n, 64).mean(axis=1) / rpu.device.dw_min
    assert abs(mean_step.std() - 0.3 / np.sqrt(n)) < 0.01
