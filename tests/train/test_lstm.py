"""The network mapping, the cell kernels against their NumPy twins, and BPTT against finite differences."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from archsim.config import load_workload
from archsim.train.kernels import (
    _exp_nonpositive,
    lstm_cell_backward,
    lstm_cell_backward_reference,
    lstm_cell_forward,
    lstm_cell_forward_reference,
)
from archsim.train.lstm import LSTMNetwork


def test_vectorised_exp_is_within_two_ulps_of_libm():
    @numba.njit
    def exp_all(t):
        out = np.empty_like(t)
        for k in range(t.size):
            out[k] = _exp_nonpositive(t[k])
        return out

    rng = np.random.default_rng(0)
    t = -np.concatenate([rng.random(200_000) * 40, rng.random(20_000) * 708, [0.0, 5e-324, 708.0]])
    got, want = exp_all(t), np.exp(t)
    assert np.all(np.abs(got - want) <= 2 * np.spacing(want))
    floor = exp_all(np.array([-708.0]))[0]  # the documented floor, for any t below -708
    assert np.array_equal(exp_all(np.array([-708.5, -1000.0, -np.inf])), np.full(3, floor))


def test_cell_kernels_match_numpy_twins():
    rng = np.random.default_rng(0)
    b, m = 3, 5
    z, c_prev = rng.normal(size=(b, 4 * m)) * 3, rng.normal(size=(b, m))
    gates, c, tc, h = (np.zeros((b, k)) for k in (4 * m, m, m, m))
    lstm_cell_forward(z, c_prev, gates, c, tc, h)
    for got, want in zip((gates, c, tc, h), lstm_cell_forward_reference(z, c_prev), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    dh_above, dh_rec, dc = rng.normal(size=(b, m)), rng.normal(size=(b, m)), rng.normal(size=(b, m))
    dz = np.zeros((b, 4 * m))
    dz_ref, dc_ref = lstm_cell_backward_reference(dh_above + dh_rec, dc, gates, c_prev, tc)
    lstm_cell_backward(dh_above, dh_rec, dc, gates, c_prev, tc, dz)
    np.testing.assert_allclose(dz, dz_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc, dc_ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["lstm2-512-wp", "lstm1-64-lk"])
def test_mapping_shapes_follow_the_paper(name):
    from archsim.config import FloatingPointRPUConfig
    from archsim.train.network import build_network

    workload = load_workload(name)
    if workload.model.hidden_size > 128:
        workload = workload.model_copy(
            update={"model": workload.model.model_copy(update={"hidden_size": 16})}
        )
    net = build_network(workload, FloatingPointRPUConfig(), seed=0)
    m, v = workload.model.hidden_size, workload.vocab_size
    shapes = [(t.out_size, t.in_size) for t in net.tiles]
    assert shapes == [(a.rows, a.cols) for a in workload.arrays()]
    assert shapes[0] == (4 * m, v + m + 1) and shapes[-1] == (v, m + 1)


def test_wrong_tile_shapes_are_rejected(float64_tile):
    with pytest.raises(ValueError, match="paper mapping"):
        LSTMNetwork(5, 3, 1, [float64_tile(12, 9), float64_tile(5, 3)])


def _window_loss(net, inputs, targets, state0, masks):
    state = net.new_state()
    state.load(state0)
    return net.forward(inputs, targets, state, masks).loss.sum()


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_bptt_matches_finite_differences(dropout, make_network):
    vocab, hidden, layers, steps = 6, 4, 2, 7
    net = make_network(vocab, hidden, layers, float64=True, seed=1)
    rng = np.random.default_rng(2)
    for tile in net.tiles:  # larger weights than the init, so that every path matters
        tile.set_weights(rng.uniform(-0.8, 0.8, size=(tile.out_size, tile.in_size)))
    seq = rng.integers(0, vocab, size=steps + 1)
    inputs, targets = seq[:-1, None], seq[1:, None]
    state0 = net.new_state()
    for arr in (*state0.h, *state0.c):
        arr[:] = rng.normal(size=arr.shape) * 0.5
    state0 = state0.to_dict()
    masks = net.dropout_masks(rng, dropout, steps) if dropout else None
    state = net.new_state()
    state.load(state0)
    pairs = net.backward(net.forward(inputs, targets, state, masks))
    grads = [d.T @ x for x, d in pairs]  # before the finite differences overwrite the window buffers
    eps = 1e-6
    for tile, grad in zip(net.tiles, grads, strict=True):
        weights = tile.get_weights()
        numeric = np.zeros_like(weights)
        for idx in np.ndindex(*weights.shape):
            for sign in (1, -1):
                w = weights.copy()
                w[idx] += sign * eps
                tile.set_weights(w)
                numeric[idx] += sign * _window_loss(net, inputs, targets, state0, masks) / (2 * eps)
        tile.set_weights(weights)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
