"""Every Numba kernel agrees with its NumPy reference twin (same random draws)."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from tile_configs import ideal_io

from archsim.config import load_rpu
from archsim.numerics import AnalogTile, make_tile, rng
from archsim.numerics.mvm import mvm, mvm_reference
from archsim.numerics.tile import _io
from archsim.numerics.update import pulsed_update, pulsed_update_reference


def test_rng_scalar_kernels_match_the_array_forms():
    @numba.njit
    def draws(key, counter, n):
        base = rng.call_base(key, counter, rng.TAG_NOISE)
        raw = np.empty(n, dtype=np.uint64)
        uni = np.empty(n)
        nor = np.empty(n)
        for i in range(n):
            raw[i] = rng.draw(base, i)
            uni[i] = rng.uniform(base, i)
            nor[i] = rng.normal(base, i)
        return raw, uni, nor

    raw, uni, nor = draws(np.uint64(12345), np.uint64(6), 100_000)
    base = rng.call_base_np(12345, 6, rng.TAG_NOISE)
    idx = np.arange(100_000)
    assert np.array_equal(raw, rng.draw_np(base, idx))
    assert np.array_equal(uni, rng.uniform_np(base, idx))
    np.testing.assert_allclose(nor, rng.normal_np(base, idx), rtol=1e-13, atol=1e-13)


def test_batched_normals_equal_the_scalar_draws_including_rejections():
    @numba.njit
    def scalar(base, cols, stride, offset):
        out = np.empty(cols.size)
        for k in range(cols.size):
            out[k] = rng.normal(base, cols[k] * stride + offset)
        return out

    cols = np.sort(np.random.default_rng(0).choice(200_000, 50_000, replace=False)).astype(np.uint32)
    base = rng.call_base(np.uint64(3), np.uint64(4), rng.TAG_C2C)
    expected = scalar(base, cols, 64, 7)
    # The fast pass: every draw its fast path accepts, NaN where it rejects (the caller redraws).
    raw, out = np.empty(cols.size, dtype=np.uint64), np.empty(cols.size)
    rng.fill_normals_fast(base, cols, np.uint32(0), 64, 7, 0.3, 1.0, raw, out)
    threshold = rng._ZTAB[(raw & rng._LAYER_MASK).astype(np.int64)] >> np.uint64(32)
    rejected = (raw >> np.uint64(32)) >= threshold
    assert rejected.sum() > 100  # the slow path is exercised (about 0.4 %)
    assert np.array_equal(np.isnan(out), rejected)
    assert np.array_equal(out[~rejected], 1.0 + 0.3 * expected[~rejected])
    # The batched ziggurat with its own fix-up, on consecutive draws.
    offset = 1000
    rng.fill_normals_range(base, offset, cols.size, raw, out)
    assert np.array_equal(out, scalar(base, np.arange(cols.size, dtype=np.uint32), 1, offset))


def test_ziggurat_layers_have_equal_area_and_close_at_the_top():
    # Every layer i >= 1 spans [f(x_i), f(x_{i+1})] with area V = x_i (f(x_{i+1}) - f(x_i)), and
    # the last one reaches f(0) = 1; the base strip's virtual width x_0 makes its area V too.
    x = rng._ZX
    f = np.exp(-0.5 * x * x)
    areas = x[1:-1] * (f[2:] - f[1:-1])
    np.testing.assert_allclose(areas, rng._ZIG_V, rtol=1e-9)
    assert x[0] * f[1] == pytest.approx(rng._ZIG_V, rel=1e-12)
    assert x[-1] == 0.0 and x.size == rng._ZIG_LAYERS + 1


def test_normal_draws_are_standard_normal():
    z = rng.normal_np(rng.call_base_np(1, 2, 3), np.arange(1_000_000))
    assert abs(z.mean()) <= 5 / 1000
    assert abs(z.std() - 1) <= 5 / np.sqrt(2e6)
    assert abs((np.abs(z) > 3).mean() - 0.0026998) <= 5 * np.sqrt(0.0027 / 1e6)


MVM_CASES = {
    "baseline-5bit": load_rpu("rpu-baseline").forward,
    "7bit-stochastic": ideal_io(
        inp_bits=7, inp_stochastic_round=True, out_bits=9, out_noise=0.06, out_bound=12.0
    ),
    "bound-managed": ideal_io(inp_bits=7, out_bits=9, out_noise=0.06, out_bound=2.0, bound_management=True),
    "no-dac-no-adc": ideal_io(out_noise=0.1, out_bound=3.0, bound_management=True),
    "unmanaged": ideal_io(inp_bits=5, out_bits=9, out_noise=0.06, out_bound=12.0, noise_management=False),
}


@pytest.mark.parametrize("case", sorted(MVM_CASES))
@pytest.mark.parametrize("transpose", [False, True])
def test_mvm_kernel_matches_its_twin(case, transpose):
    io = _io(MVM_CASES[case])
    gen = np.random.default_rng(4)
    w = gen.uniform(-0.5, 0.5, (37, 53)).astype(np.float32)
    n_in, n_out = (37, 53) if transpose else (53, 37)
    v = gen.uniform(-1.5, 1.5, (9, n_in)).astype(np.float32)
    v[3] = 0.0
    out = np.empty((9, n_out), dtype=np.float32)
    passes = np.empty(9, dtype=np.int32)
    mvm(w, v, transpose, io, np.array([77, 5], dtype=np.uint64), out, passes)
    ref_out, ref_passes = mvm_reference(w, v, transpose, io, 77, 5)
    assert np.array_equal(passes, ref_passes)
    # Equal up to float32 rounding of the final scaling.
    np.testing.assert_allclose(out, ref_out, rtol=1e-6, atol=1e-7)
    if case == "bound-managed":
        assert passes.max() > 1  # the case exercises repeated passes


@pytest.mark.parametrize(
    "preset, update_management, bl_management",
    [("rpu-baseline", False, False), ("rpu-baseline", True, False), ("rpu-baseline", False, True),
     ("no-variation", False, False)],
)  # fmt: skip
def test_update_kernel_matches_its_twin(preset, update_management, bl_management):
    rpu = load_rpu(preset)
    tile = AnalogTile(24, 40, rpu, seed=2)
    dev = tile.devices
    gen = np.random.default_rng(6)
    w0 = gen.uniform(-0.9, 0.9, (24, 40)).astype(np.float32)  # some devices start at a bound
    w0 = np.clip(w0, dev.bmin, dev.bmax)
    assert np.any(w0 == dev.bmax) and np.any(w0 == dev.bmin)
    xs = gen.uniform(-1, 1, (6, 40)).astype(np.float32)
    xs[:, :5] = 0.0
    ds = gen.normal(0, 0.3, (6, 24)).astype(np.float32)
    c2c = rpu.device.dw_min_c2c
    args = (xs, ds, 0.05, rpu.device.dw_min, 10, c2c, update_management, bl_management)
    w_kernel = w0.copy()
    packed = (dev.packed, dev.means, dev.scales)
    total = pulsed_update(w_kernel, *packed, *args, np.array([99, 3], dtype=np.uint64))
    w_twin = w0.copy()
    ref_total = pulsed_update_reference(w_twin, *packed, *args, 99, 3)
    assert total == ref_total > 0
    np.testing.assert_allclose(w_kernel, w_twin, rtol=0, atol=1e-7)
    assert not np.array_equal(w_kernel, w0)


def test_update_kernel_matches_its_twin_on_mostly_zero_errors_and_inputs():
    """A pooled conv layer's errors are mostly 0 (and an image's pixels often): the kernel then
    draws only the trains that can fire; the twin draws them all."""
    rpu = load_rpu("rpu-baseline")
    tile = AnalogTile(16, 26, rpu, seed=4)
    dev = tile.devices
    gen = np.random.default_rng(7)
    xs = gen.uniform(-1, 1, (40, 26)).astype(np.float32) * (gen.random((40, 26)) < 0.3)
    ds = gen.normal(0, 0.5, (40, 16)).astype(np.float32) * (gen.random((40, 16)) < 0.25)
    ds[:20] = np.abs(ds[:20])  # some updates with only dense and all-zero rows as well
    xs[::2, :13] = 0.7
    args = (xs, ds, 0.05, rpu.device.dw_min, 10, rpu.device.dw_min_c2c, False, False)
    packed = (dev.packed, dev.means, dev.scales)
    w_kernel = np.zeros((16, 26), np.float32)
    total = pulsed_update(w_kernel, *packed, *args, np.array([5, 1], dtype=np.uint64))
    w_twin = np.zeros((16, 26), np.float32)
    assert total == pulsed_update_reference(w_twin, *packed, *args, 5, 1) > 0
    np.testing.assert_allclose(w_kernel, w_twin, rtol=0, atol=1e-7)


def test_kernels_compose_inside_another_jitted_function():
    @numba.njit
    def forward_then_update(w, packed, means, scales, io, x, d, out, passes):
        mvm(w, x, False, io, np.array([1, 1], dtype=np.uint64), out, passes)
        stream = np.array([1, 2], dtype=np.uint64)
        return pulsed_update(w, packed, means, scales, x, d, 0.01, 0.001, 10, 0.3, False, False, stream)

    tile = AnalogTile(8, 16, load_rpu("rpu-baseline"), seed=0)
    tile.set_weights(np.full((8, 16), 0.1))
    dev = tile.devices
    w = tile.get_weights()
    x = np.ones((1, 16), dtype=np.float32)
    d = np.full((1, 8), 0.5, dtype=np.float32)
    out = np.empty((1, 8), dtype=np.float32)
    passes = np.empty(1, dtype=np.int32)
    pulses = forward_then_update(w, dev.packed, dev.means, dev.scales, tile._forward_io, x, d, out, passes)
    assert pulses > 0 and np.all(w < 0.1 + 1e-9) and np.any(w < 0.1)
    assert np.allclose(out, 1.6, atol=0.3)


def test_same_seed_same_results_and_different_seed_different_results():
    def run(seed):
        tile = AnalogTile(20, 30, load_rpu("rpu-baseline"), seed=seed)
        tile.set_weights(np.full((20, 30), 0.05))
        x = np.linspace(-1, 1, 30, dtype=np.float32)
        d = np.linspace(-0.5, 0.5, 20, dtype=np.float32)
        ys = [tile.forward(x), tile.backward(d)]
        tile.update(np.stack([x, -x]), np.stack([d, d]), 0.01)
        return ys, tile.get_weights()

    (a_y, a_w), (b_y, b_w), (c_y, c_w) = run(1), run(1), run(2)
    assert all(np.array_equal(p, q) for p, q in zip(a_y, b_y, strict=True)) and np.array_equal(a_w, b_w)
    assert not np.array_equal(a_w, c_w) and not np.array_equal(a_y[0], c_y[0])


@pytest.mark.parametrize("preset", ["rpu-baseline", "rpu-5bit-sr", "fp"])
def test_a_batch_equals_the_same_vectors_one_call_at_a_time(preset):
    rpu = load_rpu(preset)
    gen = np.random.default_rng(12)
    xs = gen.uniform(-1.5, 1.5, (7, 30)).astype(np.float32)
    ds = gen.normal(0, 0.3, (7, 20)).astype(np.float32)
    batched, single = make_tile(20, 30, rpu, seed=4), make_tile(20, 30, rpu, seed=4)
    for tile in (batched, single):
        tile.set_weights(gen.uniform(-0.4, 0.4, (20, 30)) if tile is batched else batched.get_weights())
    y = batched.forward(xs)
    assert np.array_equal(y, np.stack([single.forward(x) for x in xs]))
    z = batched.backward(ds)
    assert np.array_equal(z, np.stack([single.backward(d) for d in ds]))
    batched.update(xs, ds, 0.05)
    for x, d in zip(xs, ds, strict=True):
        single.update(x, d, 0.05)
    if preset == "fp":  # a batched FP update is one GEMM: equal to the rank-1 sum up to rounding
        np.testing.assert_allclose(batched.get_weights(), single.get_weights(), rtol=0, atol=1e-6)
    else:
        assert np.array_equal(batched.get_weights(), single.get_weights())
        assert batched.counter == single.counter == 21


def test_state_dict_resumes_bit_for_bit():
    rpu = load_rpu("rpu-5bit-sr")
    x = np.linspace(-1, 1, 30, dtype=np.float32)
    d = np.linspace(-0.5, 0.5, 20, dtype=np.float32)
    straight = AnalogTile(20, 30, rpu, seed=5)
    straight.update(x, d, 0.01)
    state = straight.state_dict()
    straight.update(x, d, 0.01)
    y_straight = straight.forward(x)
    resumed = AnalogTile(20, 30, rpu, seed=5)
    resumed.load_state_dict(state)
    resumed.update(x, d, 0.01)
    assert np.array_equal(resumed.get_weights(), straight.get_weights())
    assert np.array_equal(resumed.forward(x), y_straight)
    with pytest.raises(ValueError, match="seed 6"):
        AnalogTile(20, 30, rpu, seed=6).load_state_dict(state)
