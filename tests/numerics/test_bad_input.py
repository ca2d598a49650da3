"""Bad arrays raise ValueError naming the argument and the expected shape."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config import load_rpu
from archsim.numerics import NonFiniteError, make_tile


@pytest.fixture(params=["rpu-baseline", "fp"])
def tile(request):
    return make_tile(4, 6, load_rpu(request.param), seed=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_rejected(tile, bad):
    x = np.ones(6)
    x[2] = bad
    with pytest.raises(NonFiniteError, match=r"^x: contains NaN or inf"):  # a ValueError: divergence
        tile.forward(x)
    d = np.ones((2, 4))
    d[1, 1] = bad
    with pytest.raises(ValueError, match=r"^d: contains NaN or inf"):
        tile.backward(d)
    w = np.zeros((4, 6))
    w[0, 0] = bad
    with pytest.raises(ValueError, match=r"^W: contains NaN or inf"):
        tile.set_weights(w)
    with pytest.raises(ValueError, match=r"^x: contains NaN or inf"):
        tile.update(x, np.ones(4), 0.01)


def test_wrong_shapes_name_the_argument_and_the_expected_shape(tile):
    with pytest.raises(ValueError, match=r"^x: expected shape \(6,\) or \(B, 6\), got \(4,\)"):
        tile.forward(np.ones(4))
    with pytest.raises(ValueError, match=r"^d: expected shape \(4,\) or \(B, 4\), got \(2, 6\)"):
        tile.backward(np.ones((2, 6)))
    with pytest.raises(ValueError, match=r"^W: expected shape \(4, 6\), got \(6, 4\)"):
        tile.set_weights(np.ones((6, 4)))
    with pytest.raises(ValueError, match=r"^x: expected shape \(6,\) or \(B, 6\), got \(1, 2, 6\)"):
        tile.forward(np.ones((1, 2, 6)))
    with pytest.raises(ValueError, match=r"^x, d: expected the same batch size, got 3 and 2"):
        tile.update(np.ones((3, 6)), np.ones((2, 4)), 0.01)


def test_bad_learning_rate_and_dtype(tile):
    with pytest.raises(ValueError, match=r"^lr: expected a finite learning rate >= 0, got -0.1"):
        tile.update(np.ones(6), np.ones(4), -0.1)
    with pytest.raises(ValueError, match=r"^x: expected real numbers"):
        tile.forward(np.array(["a"] * 6))


def test_inputs_are_not_modified(tile):
    x = np.linspace(-2, 2, 6)
    before = x.copy()
    tile.forward(x)
    tile.update(x, np.ones(4), 0.01)
    assert np.array_equal(x, before)


def test_a_rejected_call_changes_nothing():
    rpu = load_rpu("rpu-baseline")
    x, d = np.linspace(-1, 1, 6), np.linspace(-1, 1, 4)
    clean, failed = make_tile(4, 6, rpu, seed=3), make_tile(4, 6, rpu, seed=3)
    for tile in (clean, failed):
        tile.set_weights(np.full((4, 6), 0.1))
    bad = x.copy()
    bad[-1] = np.nan
    for call in (lambda: failed.forward(bad), lambda: failed.update(x, np.append(d[:3], np.inf), 0.01)):
        with pytest.raises(ValueError):
            call()
    assert np.array_equal(failed.get_weights(), clean.get_weights())
    assert np.array_equal(failed.forward(x), clean.forward(x))
