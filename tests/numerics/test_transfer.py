"""Tiki-Taka and TTv2 tiles (NUMERICS.md 5): the transfer schedule, the TTv2 buffer arithmetic, the
weight read in forward, batching independence, the state, and the algorithm's bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config import AlgorithmConfig, ConfigError, IOConfig, load_rpu
from archsim.numerics import AnalogTile, make_tile
from archsim.numerics.transfer import TransferTile, fast_seed, transfer_columns

#: A read that is exactly A e_j: no DAC, ADC, noise or bound.
QUIET = IOConfig(inp_bits=None, out_bits=None, out_noise=0.0, out_bound=None)


def _rpu(kind="tiki-taka", quiet=False, **algorithm):
    base = load_rpu("reram-sb")
    update = {"algorithm": AlgorithmConfig(kind=kind, **algorithm)}
    if quiet:
        update |= {"forward": QUIET}
    return base.model_copy(update=update)


def _data(rows, m, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, n)).astype(np.float32), rng.normal(size=(rows, m)).astype(np.float32)


def test_sgd_keeps_the_plain_analog_tile():
    assert type(make_tile(3, 4, load_rpu("reram-sb"), 1)) is AnalogTile
    assert type(make_tile(3, 4, _rpu(), 1)) is TransferTile


def test_transfer_columns_cycle_in_order():
    assert transfer_columns(3, 4, 5).tolist() == [3, 4, 0, 1]
    assert transfer_columns(0, 7, 3).tolist() == [0, 1, 2, 0, 1, 2, 0]


@pytest.mark.parametrize("kind", ["tiki-taka", "ttv2"])
def test_the_schedule_reads_and_pulses_the_next_columns_every_n_updates(kind):
    # transfer_every 3, 2 columns per transfer, 5 columns: after updates 3, 6, 9 the columns
    # [0, 1], [2, 3], [4, 0]; each transfer is 2 one-hot forward reads of A and 2 rank-1 updates of C.
    tile = make_tile(4, 5, _rpu(kind, transfer_every=3, columns_per_transfer=2, transfer_lr=0.5), 7)
    tile.set_weights(np.full((4, 5), 0.1))
    x, d = _data(10, 4, 5)
    transfers = []
    for rows in (slice(0, 4), slice(4, 5), slice(5, 10)):
        tile.update(x[rows], d[rows], 0.05)
        transfers.append(tile.last_transfers)
    assert transfers == [1, 0, 2] and tile.updates == 10 and tile.column == 1
    assert tile.fast.counter == 10 + 3 * 2  # the SGD updates and the reads (one vector each)
    assert tile.slow.counter == 3 * 2  # one pulsed update per transferred column
    assert all(d.shape == (2, 4) for d in tile.last_transfer_d)


@pytest.mark.parametrize("kind", ["tiki-taka", "ttv2"])
def test_batching_does_not_change_the_result(kind):
    rpu = _rpu(kind, transfer_every=2, columns_per_transfer=3, transfer_lr=0.3)
    x, d = _data(9, 3, 4)
    whole, parts = make_tile(3, 4, rpu, 11), make_tile(3, 4, rpu, 11)
    for tile in (whole, parts):
        tile.set_weights(np.full((3, 4), -0.05))
    whole.update(x, d, 0.1)
    for k in range(9):
        parts.update(x[k : k + 1], d[k : k + 1], 0.1)
    a, b = whole.state_dict(), parts.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_ttv2_buffer_pulses_whole_thresholds_and_keeps_the_remainder():
    # dw_min 0.002, threshold 1.5 dw_min = 0.003, transfer_lr 0.5; column 0 of A = [0.02, -0.008,
    # 0.002], buffer [0.0004, 0, -0.0015]: h = buffer + 0.5 A = [0.0104, -0.004, -0.0005],
    # n = trunc(h / 0.003) = [3, -1, 0], C's d = -n t = [-0.009, 0.003, 0], the buffer keeps
    # h - n t = [0.0014, -0.001, -0.0005].
    tile = make_tile(3, 2, _rpu("ttv2", quiet=True, transfer_lr=0.5, buffer_threshold=1.5), 3)
    tile.set_weights(np.zeros((3, 2)))
    tile.fast.set_weights(np.array([[0.02, 0.0], [-0.008, 0.0], [0.002, 0.0]]))
    tile.buffer[:, 0] = [0.0004, 0.0, -0.0015]
    tile.update(np.zeros(2), np.zeros(3), 0.1)  # no pulse on A; then the transfer of column 0
    np.testing.assert_allclose(tile.last_transfer_d[0][0], [-0.009, 0.003, 0.0], atol=1e-8)
    np.testing.assert_allclose(tile.buffer[:, 0], [0.0014, -0.001, -0.0005], atol=1e-8)
    np.testing.assert_array_equal(tile.buffer[:, 1], 0)
    assert tile.column == 1 and tile.slow.last_pulses > 0


def test_tiki_taka_transfers_the_read_column_times_the_transfer_lr():
    tile = make_tile(3, 2, _rpu("tiki-taka", quiet=True, transfer_lr=0.25), 3)
    tile.set_weights(np.zeros((3, 2)))
    column = np.array([0.02, -0.008, 0.002], np.float32)
    tile.fast.set_weights(np.stack([column, np.zeros(3, np.float32)], axis=1))
    tile.update(np.zeros(2), np.zeros(3), 0.1)
    np.testing.assert_array_equal(tile.last_transfer_d[0][0], -column)  # with lr 0.25 on C


def test_the_weight_is_c_with_gamma_zero_and_c_plus_gamma_a_otherwise():
    x, d = _data(6, 3, 4, seed=2)
    for gamma in (0.0, 0.5):
        tile = make_tile(3, 4, _rpu(transfer_every=2, gamma=gamma), 5)
        tile.set_weights(np.full((3, 4), 0.2))
        tile.update(x, d, 0.1)
        c, a = tile.slow.get_weights(), tile.fast.get_weights()
        assert np.abs(a).max() > 0
        np.testing.assert_array_equal(tile.get_weights(), c + np.float32(gamma) * a)
        # The forward reads that weight through C's periphery and random stream: an analog tile
        # with C's seed, counter and the same weights gives the same outputs bit for bit.
        twin = AnalogTile(3, 4, tile.rpu, tile.seed)
        twin._weights = tile.get_weights()
        twin.counter = tile.slow.counter
        np.testing.assert_array_equal(tile.forward(x), twin.forward(x))
        np.testing.assert_array_equal(tile.backward(d), twin.backward(d))


@pytest.mark.parametrize("kind", ["tiki-taka", "ttv2"])
def test_the_state_resumes_bit_for_bit(kind):
    rpu = _rpu(kind, transfer_every=2, columns_per_transfer=1, transfer_lr=0.3, gamma=0.1)
    x, d = _data(12, 3, 4, seed=4)
    straight = make_tile(3, 4, rpu, 9)
    straight.set_weights(np.full((3, 4), 0.1))
    straight.update(x[:5], d[:5], 0.1)
    resumed = make_tile(3, 4, rpu, 9)
    resumed.load_state_dict(straight.state_dict())
    for tile in (straight, resumed):
        tile.update(x[5:], d[5:], 0.1)
    np.testing.assert_array_equal(straight.forward(x), resumed.forward(x))
    a, b = straight.state_dict(), resumed.state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert straight.fast.seed == fast_seed(9) != straight.seed


BAD = [
    ("{kind: tiki-taka, transfer_every: 0}", "algorithm.transfer_every:", "greater than or equal to 1"),
    ("{kind: tiki-taka, columns_per_transfer: 0}", "algorithm.columns_per_transfer:", "greater than or"),
    ("{kind: tiki-taka, transfer_lr: -1.0}", "algorithm.transfer_lr:", "greater than 0"),
    ("{kind: tiki-taka, transfer_lr: .inf}", "algorithm.transfer_lr:", "finite"),
    ("{kind: tiki-taka, gamma: 1.5}", "algorithm.gamma:", "less than or equal to 1"),
    ("{kind: ttv2, buffer_threshold: 0}", "algorithm.buffer_threshold:", "greater than 0"),
    ("{kind: tiki-taka, buffer_threshold: 2.0}", "algorithm:", "buffer_threshold: only with kind ttv2"),
    ("{transfer_every: 5}", "algorithm:", "transfer_every: only with kind tiki-taka or ttv2"),
    ("{kind: tikitaka}", "algorithm.kind:", "'sgd', 'tiki-taka' or 'ttv2'"),
    ("{kind: ttv2, transfer_every: true}", "algorithm.transfer_every:", "integer"),
    ("{kind: ttv2, chopper: 0.1}", "algorithm.chopper:", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize("body, where, needle", BAD)
def test_bad_algorithm_parameters_fail_naming_the_field(tmp_path, body, where, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: reram-sb\nalgorithm: {body}\n")
    with pytest.raises(ConfigError) as err:
        load_rpu(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {where}") and needle in message, message
    assert "\n" not in message


def test_the_presets_and_old_configurations():
    assert load_rpu("tiki-taka-sb").algorithm.kind == "tiki-taka"
    assert load_rpu("ttv2-sb").algorithm.kind == "ttv2"
    for name in ("tiki-taka-sb", "ttv2-sb"):
        assert load_rpu(name).device == load_rpu("reram-sb").device  # the SGD comparison's device
    assert load_rpu("rpu-baseline").algorithm == AlgorithmConfig()  # plain SGD by default
