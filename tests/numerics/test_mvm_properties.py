"""NUMERICS.md section 5, properties 1-8: the forward/backward MVM pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from tile_configs import analog, ideal_io

from archsim.config import load_rpu
from archsim.numerics import AnalogTile

SIGMAS = 5.0


def test_ideal_limit_is_the_exact_product():
    rng = np.random.default_rng(1)
    tile = AnalogTile(40, 70, analog(), seed=3)
    w = rng.uniform(-1, 1, (40, 70)).astype(np.float32)
    tile.set_weights(w)
    x = rng.uniform(-3, 3, (8, 70)).astype(np.float32)
    d = rng.uniform(-3, 3, (8, 40)).astype(np.float32)
    w64 = w.astype(np.float64)
    # Relative to the magnitude of the terms summed (float32 accumulation).
    scale_f = np.abs(x) @ np.abs(w64).T
    scale_b = np.abs(d) @ np.abs(w64)
    assert np.all(np.abs(tile.forward(x) - x @ w64.T) <= 1e-5 * scale_f)
    assert np.all(np.abs(tile.backward(d) - d @ w64) <= 1e-5 * scale_b)
    assert np.all(tile.last_passes == 1)


@pytest.mark.parametrize("bits, levels", [(7, 63), (5, 15)])
def test_dac_rounds_to_nearest_on_the_grid(bits, levels):
    n = 50
    tile = AnalogTile(n, n, analog(ideal_io(inp_bits=bits)), seed=0)
    tile.set_weights(np.eye(n))
    rng = np.random.default_rng(bits)
    x = rng.uniform(-2, 2, (20, n)).astype(np.float32)
    a = np.abs(x.astype(np.float64)).max(axis=1, keepdims=True)
    expected = a * np.rint(levels * x / a) / levels
    np.testing.assert_allclose(tile.forward(x), expected, rtol=1e-6, atol=0)
    np.testing.assert_allclose(tile.backward(x), expected, rtol=1e-6, atol=0)


def test_stochastic_dac_is_unbiased_between_two_levels():
    tile = AnalogTile(2, 2, analog(ideal_io(inp_bits=5, inp_stochastic_round=True)), seed=11)
    tile.set_weights(np.eye(2))
    x = np.tile(np.array([1.0, 0.52], dtype=np.float32), (10_000, 1))
    y2 = np.concatenate([tile.forward(x)[:, 1] for _ in range(10)])  # 1e5 draws over 10 calls
    lower, upper = np.float32(7 / 15), np.float32(8 / 15)
    assert np.all(np.isclose(y2, lower, rtol=1e-6) | np.isclose(y2, upper, rtol=1e-6))
    p_upper = np.isclose(y2, upper, rtol=1e-6).mean()
    assert abs(p_upper - 0.80) <= 0.0063  # 5 standard errors of a proportion over 1e5 draws


def test_zero_input_gives_exact_zeros_with_noise_on():
    tile = AnalogTile(30, 20, load_rpu("rpu-baseline"), seed=0)
    tile.set_weights(np.full((30, 20), 0.3))
    assert np.array_equal(tile.forward(np.zeros(20)), np.zeros(30))
    assert np.all(tile.last_passes == 1)
    assert np.array_equal(tile.backward(np.zeros((4, 30))), np.zeros((4, 20)))


@pytest.mark.parametrize("a", [0.1, 1.0, 10.0])
def test_output_noise_scales_with_the_input_abs_max(a):
    io = ideal_io(out_noise=0.06, out_bound=12.0, inp_bits=7)
    tile = AnalogTile(100, 50, analog(io), seed=5)
    rng = np.random.default_rng(2)
    x = (a * rng.uniform(-1, 1, (2000, 50))).astype(np.float32)
    x[:, 0] = a  # max |x| = a in every vector
    y = tile.forward(x)
    assert abs(y.std() / (0.06 * a) - 1) <= 0.02


def _baseline_io(bits: int, bound_management: bool):
    return ideal_io(
        inp_bits=bits, out_bits=9, out_noise=0.06, out_bound=12.0, bound_management=bound_management
    )


def test_saturation_without_bound_management_clips_at_the_bound():
    tile = AnalogTile(10, 100, analog(_baseline_io(7, False)), seed=0)
    tile.set_weights(np.full((10, 100), 0.5))
    y = tile.forward(np.ones((50, 100)))
    assert np.all(y == 12.0)
    assert np.all(tile.last_passes == 1)


def test_bound_management_settles_at_the_first_unsaturated_scale():
    tile = AnalogTile(10, 100, analog(_baseline_io(7, True)), seed=0)
    tile.set_weights(np.full((10, 100), 0.5))
    y = tile.forward(np.ones((5000, 100)))
    assert np.all(tile.last_passes == 4)  # s = 1, 2, 4 saturate; s = 8 does not
    # 5e4 outputs of std about 8 * 0.06: the 0.02 margin is over 5 standard errors.
    sem = y.std() / np.sqrt(y.size)
    assert SIGMAS * sem < 0.02
    assert abs(y.mean() - 50.794) <= 0.02


@pytest.mark.parametrize("bits, expected, passes", [(7, 192.0, 5), (5, 48.0, 3)])
def test_bound_management_accepts_a_saturated_pass_at_its_cap(bits, expected, passes):
    tile = AnalogTile(4, 512, analog(_baseline_io(bits, True)), seed=0)
    tile.set_weights(np.full((4, 512), 0.5))
    y = tile.forward(np.ones((20, 512)))
    assert np.all(y == expected)
    assert np.all(tile.last_passes == passes)


def test_backward_bound_management_follows_the_mode():
    forward = _baseline_io(7, True)
    paper = AnalogTile(100, 10, analog(forward, _baseline_io(7, True)), seed=0)
    reference = AnalogTile(100, 10, analog(forward, _baseline_io(7, False)), seed=0)
    for tile in (paper, reference):
        tile.set_weights(np.full((100, 10), 0.5))
    assert np.all(paper.backward(np.ones((3, 100))) > 12.0)
    assert np.all(paper.last_passes == 4)
    assert np.all(reference.backward(np.ones((3, 100))) == 12.0)
    assert np.all(reference.last_passes == 1)
