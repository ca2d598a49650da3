"""The 2019 measures (weight scaling, digital bias) around an analog tile: the mapping, the
digital scale and bias in forward, backward and update bit for bit against the plain tile, the
state, and bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config import ConfigError, MeasuresConfig, load_rpu
from archsim.numerics import AnalogTile, make_tile
from archsim.numerics.measures import MeasuredTile

W = np.array([[0.1, -0.2, 0.05, 0.3], [0.0, 0.04, -0.1, -0.5], [0.2, 0.2, 0.2, 0.7]], np.float32)


def _rpu(omega=0.5, bias=True, base="idealized-2019"):
    rpu = load_rpu(base)
    return rpu.model_copy(update={"measures": MeasuresConfig(weight_scaling_omega=omega, digital_bias=bias)})


def _data(rows=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)).astype(np.float32)
    x[:, -1] = 1
    return x, rng.normal(size=(rows, 3)).astype(np.float32)


def test_the_largest_weight_is_omega_of_the_range_and_the_bias_is_digital():
    tile = make_tile(3, 4, _rpu(0.5), 5)
    assert type(tile) is MeasuredTile and type(tile.inner) is AnalogTile
    tile.set_weights(W)
    # idealized-2019: bounds +-1; the array's largest |w| (0.2, the bias column aside) maps to 0.5.
    assert tile.inner.in_size == 3 and tile.scale == np.float32(0.4)
    assert np.abs(tile.inner.get_weights()).max() == pytest.approx(0.5, rel=1e-6)
    np.testing.assert_array_equal(tile.bias, W[:, -1])
    np.testing.assert_allclose(tile.get_weights(), W, rtol=1e-6)
    assert type(make_tile(3, 4, load_rpu("idealized-2019"), 5)) is AnalogTile  # off by default


@pytest.mark.parametrize("omega, bias", [(0.5, True), (0.5, False), (None, True)])
def test_forward_backward_update_are_the_plain_tiles_with_the_digital_parts(omega, bias):
    tile = make_tile(3, 4, _rpu(omega, bias), 5)
    tile.set_weights(W)
    plain = load_rpu("idealized-2019")
    twin = AnalogTile(3, 3 if bias else 4, plain, tile.seed)
    twin.set_weights(tile.inner.get_weights())
    x, d = _data()
    xa = x[:, :-1] if bias else x
    alpha = tile.scale
    y = twin.forward(xa) * alpha + (x[:, -1:] * W[:, -1] if bias else 0)
    np.testing.assert_array_equal(tile.forward(x), y)
    z = tile.backward(d)
    np.testing.assert_array_equal(z[:, : xa.shape[1]], twin.backward(d) * alpha)
    if bias:
        np.testing.assert_array_equal(z[:, -1], d @ W[:, -1])
    tile.update(x, d, 0.1)
    twin.update(xa, d, 0.1 / float(alpha))
    np.testing.assert_array_equal(tile.inner.get_weights(), twin.get_weights())
    if bias:
        expected = W[:, -1].copy()
        for r in range(5):
            expected -= np.float32(0.1) * x[r, -1] * d[r]
        np.testing.assert_array_equal(tile.bias, expected)


def test_batching_and_the_state():
    x, d = _data(8, seed=3)
    whole, parts = make_tile(3, 4, _rpu(), 2), make_tile(3, 4, _rpu(), 2)
    for tile in (whole, parts):
        tile.set_weights(W)
    whole.update(x, d, 0.05)
    for r in range(8):
        parts.update(x[r], d[r], 0.05)
    a, b = whole.state_dict(), parts.state_dict()
    assert a.keys() == b.keys() and {"scale", "bias"} <= a.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    resumed = make_tile(3, 4, _rpu(), 2)
    resumed.load_state_dict(a)
    np.testing.assert_array_equal(resumed.forward(x), whole.forward(x))
    assert resumed.scale == whole.scale


BAD = [
    ("{weight_scaling_omega: 0}", "measures.weight_scaling_omega:", "greater than 0"),
    ("{weight_scaling_omega: 1.5}", "measures.weight_scaling_omega:", "less than or equal to 1"),
    ("{digital_bias: 'yes'}", "measures.digital_bias:", "boolean"),
    ("{weight_scaling: 0.5}", "measures.weight_scaling:", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize("body, where, needle", BAD)
def test_bad_measures_fail_naming_the_field(tmp_path, body, where, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: idealized-2019\nmeasures: {body}\n")
    with pytest.raises(ConfigError) as err:
        load_rpu(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {where}") and needle in message, message
