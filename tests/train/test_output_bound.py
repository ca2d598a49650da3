"""Training through a bounded output (NUMERICS.md 2.1): the error of an output clipped in forward
does not pass back through the tile; the pulsed update still uses it."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.errors import validate
from archsim.config.rpu import RPUConfig
from archsim.numerics import AnalogTile
from archsim.train.lstm import LSTMNetwork

EXACT = {"inp_bits": None, "out_bits": None, "out_noise": 0.0}


def _rpu(mask: bool = True) -> RPUConfig:
    """Exact converters, no noise, an output bound of 1 without bound management, wide devices."""
    return validate(
        RPUConfig,
        {
            "device": {"w_max": 10.0, "w_min": -10.0, "w_max_d2d": 0.0, "w_min_d2d": 0.0, "dw_min_d2d": 0.0},
            "forward": {**EXACT, "out_bound": 1.0, "bound_management": False},
            "backward": {**EXACT, "out_bound": None},
            "bm_backward": False,
            "mask_clipped_outputs": mask,
        },
        "test rpu",
    )


class Recording(AnalogTile):
    """An analog tile that keeps what its backward MVM was given."""

    def backward(self, d):
        self.seen = np.array(d, dtype=np.float64)
        return super().backward(d)


def _net(mask: bool) -> LSTMNetwork:
    rpu = _rpu(mask)
    tiles = [Recording(4, 2 + 1 + 1, rpu, seed=1), Recording(2, 1 + 1, rpu, seed=2)]  # V = 2, H = 1
    return LSTMNetwork(vocab_size=2, hidden_size=1, num_layers=1, tiles=tiles)


@pytest.mark.parametrize("mask", [True, False])
def test_a_clipped_logit_passes_no_error_back_by_hand(mask):
    """Softmax tile W = [[3, 0], [0.2, 0.1]] on [h, 1] = [0.5, 1]: logits 1.5 (clipped to the bound
    1.0) and 0.2. With target 1 the error is g = softmax([1.0, 0.2]) - [0, 1]; the backward MVM gets
    [0, g1] (g with the clipped logit's entry zeroed), so dL/dh = 0.2 g1; the update keeps both."""
    net = _net(mask)
    soft = net.softmax_tile
    soft.set_weights(np.array([[3.0, 0.0], [0.2, 0.1]]))
    window = net.start_window(np.array([[0]]), np.array([[1]]))
    window.buffers.hs[0, 0] = [0.5, 1.0]
    net.softmax_forward(window, 0)
    p = np.exp([1.0, 0.2]) / np.exp([1.0, 0.2]).sum()
    g = p - np.array([0.0, 1.0])
    np.testing.assert_allclose(window.grad_logits[0], g, rtol=1e-6)
    net.softmax_backward(window, 0)
    sent = np.array([0.0, g[1]]) if mask else g
    np.testing.assert_allclose(soft.seen[0], sent, rtol=1e-6)
    dh = 0.2 * g[1] + (3.0 * g[0] if not mask else 0.0)
    np.testing.assert_allclose(window.buffers.dh_above[0][0, 0, 0], dh, rtol=1e-5)
    np.testing.assert_allclose(net.update_pairs(window)[-1][1][0], g, rtol=1e-6)  # the update: all of g


def test_clipped_gate_pre_activations_are_masked_in_the_lstm_backward():
    """An LSTM tile whose forward outputs reach the bound: its backward MVM gets dz with exactly
    those entries zeroed, and the update pairs keep the whole dz."""
    net = _net(True)
    lstm = net.layer_tiles[0]
    # Rows i, f, o, g on [x0, x1, h, 1]: row 0 and row 2 saturate (|z| >= 1), rows 1 and 3 do not.
    lstm.set_weights(np.array([[2.0, 0, 0, 0.5], [0.3, 0, 0, 0.1], [-4.0, 0, 0, 0], [0.5, 0, 0, -0.2]]))
    net.softmax_tile.set_weights(np.array([[0.4, 0.1], [-0.3, 0.2]]))
    state = net.new_state()
    window = net.forward(np.array([[1], [0]]), np.array([[1], [0]]), state)  # two steps
    pairs = net.backward(window)
    dz = pairs[0][1]  # (T, 4m): the update's error, unmasked
    clipped = window.buffers.clipped[0][:, 0]
    assert clipped[0].tolist() == [False, False, False, False]  # step 0 (x = [0, 1]): none
    assert clipped[1].tolist() == [True, False, True, False]  # step 1 (x = [1, 0]): rows 0 and 2
    assert dz[1][0] != 0 and dz[1][2] != 0  # the update keeps the error of the clipped outputs
    # Backward runs t = 1 then stops (step 0 of the input layer has no tile backward): the last
    # backward MVM is step 1's, with the clipped entries zeroed and the others as they are.
    np.testing.assert_array_equal(lstm.seen[0], np.where(clipped[1], 0.0, dz[1]))
    assert lstm.seen[0][1] == dz[1][1] and lstm.seen[0][3] == dz[1][3] and dz[1][3] != 0


def test_the_rule_is_the_default_and_follows_the_forward_bound():
    assert RPUConfig().mask_clipped_outputs
    assert AnalogTile(2, 2, RPUConfig()).clip_level == pytest.approx(0.999 * 12.0)
    assert AnalogTile(2, 2, _rpu(False)).clip_level is None
    unbounded = RPUConfig(forward={"out_bound": None, "out_bits": None})
    assert AnalogTile(2, 2, unbounded).clip_level is None


def test_reference_initialisation_draws_every_weight_within_one_over_sqrt_h():
    """training.init: reference: U(+-1/sqrt(H)) for every weight and bias, no forget-gate bias;
    fan-in (the default): U(+-1/sqrt(cols)) and the forget-gate biases at 0.5."""
    from archsim.config import FloatingPointRPUConfig
    from archsim.numerics import make_tile

    h, v = 16, 5
    for scheme in ("fan-in", "reference"):
        tiles = [
            make_tile(4 * h, v + h + 1, FloatingPointRPUConfig()),
            make_tile(v, h + 1, FloatingPointRPUConfig()),
        ]
        net = LSTMNetwork(v, h, 1, tiles)
        net.init_weights(np.random.default_rng(0), scheme)
        lstm, soft = (t.get_weights() for t in net.tiles)
        forget_bias = lstm[h : 2 * h, -1]
        if scheme == "reference":
            bound = 1 / np.sqrt(h)
            assert np.abs(lstm).max() <= bound and np.abs(soft).max() <= bound
            assert np.abs(lstm).max() > 0.9 * bound and np.abs(forget_bias).max() < bound
        else:
            assert np.all(forget_bias == np.float32(0.5))
            others = np.delete(lstm, np.s_[h : 2 * h], axis=0)
            assert np.abs(others).max() <= 1 / np.sqrt(v + h + 1) and np.abs(soft).max() <= 1 / np.sqrt(h + 1)
    with pytest.raises(ValueError, match="init: unknown 'xavier'; allowed: fan-in, reference"):
        net.init_weights(np.random.default_rng(0), "xavier")
