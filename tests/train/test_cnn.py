"""Image networks (docs/cnn.md): the im2col mapping, gradients, MVM counts, the idx reader and a
short training run that resumes bit for bit."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config import FloatingPointRPUConfig, WorkloadConfig, load_rpu, load_workload
from archsim.config.corpus import BUILTIN_DATASETS, DATA_DIR
from archsim.config.options import TrainOptions
from archsim.numerics import FloatingPointTile
from archsim.train import conv_kernels as ck
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from archsim.train.cnn import ImageNetwork
from archsim.train.conv_kernels import col2im, im2col
from archsim.train.data import load_workload_data
from archsim.train.images import IdxError, read_idx
from archsim.train.network import build_network
from archsim.train.trainer import train


def _direct_conv(x: np.ndarray, kernels: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Convolution by its definition: out[p, q, m] = sum_{i, j, c} K[m, i, j, c] x[p+i, q+j, c] + b[m]."""
    h, w, _ = x.shape
    m, k = kernels.shape[0], kernels.shape[1]
    out = np.zeros((h - k + 1, w - k + 1, m))
    for p in range(h - k + 1):
        for q in range(w - k + 1):
            for n in range(m):
                out[p, q, n] = np.sum(kernels[n] * x[p : p + k, q : q + k, :]) + bias[n]
    return out


def test_im2col_on_an_fp_tile_is_the_direct_convolution_exactly():
    rng = np.random.default_rng(0)
    k, c, m = 3, 2, 4
    x = rng.integers(-4, 5, size=(7, 6, c)).astype(np.float32)  # small integers: every sum exact
    kernels = rng.integers(-3, 4, size=(m, k, k, c)).astype(np.float32)
    bias = rng.integers(-3, 4, size=m).astype(np.float32)
    tile = FloatingPointTile(m, k * k * c + 1)
    tile.set_weights(np.concatenate([kernels.reshape(m, -1), bias[:, None]], axis=1))
    cols = im2col(x[None], k, np.empty((5 * 4, k * k * c + 1), np.float32))
    got = tile.forward(cols).reshape(5, 4, m)
    np.testing.assert_array_equal(got, _direct_conv(x, kernels, bias))


def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5, 3))
    patches = rng.standard_normal((4 * 3, 3 * 3 * 3))
    cols = im2col(x[None], 3, np.empty((12, 28)))[:, :-1]
    assert np.sum(cols * patches) == pytest.approx(
        np.sum(x * col2im(patches, 3, np.empty(x.shape))), rel=1e-12
    )


def _tiny_model(activation: str = "tanh") -> dict:
    return {
        "kind": "layers",
        "input": {"height": 6, "width": 6, "channels": 1},
        "layers": [
            {"kind": "conv", "kernels": 2, "size": 3, "activation": activation},
            {"kind": "pool", "size": 2},
            {"kind": "conv", "kernels": 3, "size": 2, "activation": activation},
            {"kind": "fc", "size": 4, "activation": "sigmoid"},
            {"kind": "softmax", "size": 3},
        ],
    }


def _tiny_workload(corpus: str = "fashion-mnist", lr: float = 0.05) -> WorkloadConfig:
    return WorkloadConfig(name="tiny-cnn", corpus=corpus, model=_tiny_model(), training={"learning_rate": lr})


def _learning_workload(corpus: str, devices: int = 1) -> WorkloadConfig:
    """A tiny CNN that learns the _dataset task in a few dozen images, on FP and rpu-baseline."""
    model = {
        "kind": "layers",
        "input": {"height": 6, "width": 6, "channels": 1},
        "layers": [
            {"kind": "conv", "kernels": 4, "size": 3, "devices_per_weight": devices},
            {"kind": "pool", "size": 2},
            {"kind": "fc", "size": 8},
            {"kind": "softmax", "size": 3},
        ],
    }
    return WorkloadConfig(name="tiny-cnn", corpus=corpus, model=model, training={"learning_rate": 0.2})


def test_fp_gradients_match_finite_differences(float64_tile):
    wl = _tiny_workload()
    tiles = [float64_tile(a.rows, a.cols) for a in wl.arrays()]
    net = ImageNetwork(wl.model, tiles, dtype=np.float64)
    net.init_weights(np.random.default_rng(3))
    image = np.random.default_rng(4).random((1, 6, 6, 1))
    label = 2
    trace = net.forward(image, np.array([label]))
    pairs = net.backward(trace, label)
    rng = np.random.default_rng(5)
    eps = 1e-6
    for tile, (x, d) in zip(tiles, pairs, strict=True):
        grad = d.T @ x  # the sum of the rank-1 updates (lr = 1), one per position
        for _ in range(6):
            i, j = rng.integers(tile.out_size), rng.integers(tile.in_size)
            w = tile.weights[i, j]
            tile.weights[i, j] = w + eps
            up = net.forward(image, np.array([label])).loss
            tile.weights[i, j] = w - eps
            down = net.forward(image, np.array([label])).loss
            tile.weights[i, j] = w
            assert grad[i, j] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-9)


class _Counting:
    """A tile that counts the vectors of each phase."""

    def __init__(self, tile):
        self.tile, self.counts = tile, {"forward": 0, "backward": 0, "update": 0}
        self.out_size, self.in_size, self.clip_level = tile.out_size, tile.in_size, tile.clip_level

    def set_weights(self, w):
        self.tile.set_weights(w)

    def forward(self, x):
        self.counts["forward"] += x.shape[0]
        return self.tile.forward(x)

    def backward(self, d):
        self.counts["backward"] += d.shape[0]
        return self.tile.backward(d)

    def update(self, x, d, lr):
        self.counts["update"] += x.shape[0]
        self.tile.update(x, d, lr)


def test_mvm_counts_per_image_of_cnn2():
    wl = load_workload("cnn2-fmnist")
    fp = build_network(wl, load_rpu("fp"), 0)
    tiles = [_Counting(t) for t in fp.tiles]
    net = ImageNetwork(wl.model, tiles)
    net.train_image(np.zeros((28, 28), np.uint8) + 7, 3, 0.01)
    expected = {
        "K1": (576, 0, 576),
        "K2": (64, 64, 64),
        "W3": (1, 1, 1),
        "W4": (1, 1, 1),
    }
    got = {a.name: tuple(t.counts.values()) for a, t in zip(wl.arrays(), tiles, strict=True)}
    assert got == expected
    assert {a.name: (a.forward_mvms, a.backward_mvms, a.updates) for a in wl.arrays()} == expected
    assert [tuple(c.values()) for c in net.mvm_counts()] == list(expected.values())


def test_new_presets_load_with_the_papers_arrays():
    cnn = load_workload("cnn2-fmnist")
    assert [(a.name, a.rows, a.cols) for a in cnn.arrays()] == [
        ("K1", 16, 26),
        ("K2", 32, 401),
        ("W3", 128, 513),
        ("W4", 10, 129),
    ]
    mlp = load_workload("mlp3-fmnist")
    assert [(a.rows, a.cols) for a in mlp.arrays()] == [(256, 785), (128, 257), (10, 129)]
    assert [layer.activation for layer in mlp.model.layers[:-1]] == ["sigmoid", "sigmoid"]
    assert cnn.is_image and cnn.classes == 10 and not load_workload("lstm1-64-wp").is_image


def test_builtin_dataset_files_match_the_catalogue():
    spec = BUILTIN_DATASETS["fashion-mnist"]
    for name, digest in spec.sha256.items():
        assert hashlib.sha256((DATA_DIR / spec.folder / name).read_bytes()).hexdigest() == digest
    labels = read_idx(DATA_DIR / spec.folder / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (spec.test_images,) and labels.max() == spec.classes - 1


def _idx(path: Path, array: np.ndarray, compress: bool = True) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)


def _dataset(folder: Path, n_train: int = 24, n_test: int = 12, side: int = 6) -> Path:
    """A folder of the four idx files: 3 classes of noisy images, each brighter in its own third."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for split, n, compress in (("train", n_train, True), ("t10k", n_test, False)):
        labels = rng.integers(0, 3, n)
        images = rng.integers(0, 40, (n, side, side))
        for k, label in enumerate(labels):
            images[k, 2 * label : 2 * label + 2] += 215
        _idx(folder / f"{split}-images-idx3-ubyte{'.gz' if compress else ''}", images, compress)
        _idx(folder / f"{split}-labels-idx1-ubyte{'.gz' if compress else ''}", labels, compress)
    return folder


def test_idx_reader_reads_a_user_folder_and_refuses_bad_files(tmp_path):
    folder = _dataset(tmp_path / "data")
    data = load_workload_data(_tiny_workload(str(folder)), "tiny")
    assert data.train_images.shape == (24, 6, 6) and data.test_labels.shape == (12,)
    bad = tmp_path / "bad"
    bad.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(IdxError, match=r"needs 5 values, the file holds 2"):
        read_idx(bad)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 9]))
    with pytest.raises(ValueError, match=r"tiny: corpus: .*: test: 12 images but labels of shape \(1,\)"):
        load_workload_data(_tiny_workload(str(folder)), "tiny")


def _weights(out_dir: Path) -> list[np.ndarray]:
    return [t["weights"] for t in load_checkpoint(out_dir / CHECKPOINT_NAME, "--resume")["tiles"]]


@pytest.mark.parametrize("devices", [1, 3])
def test_short_train_and_resume_equal_the_uninterrupted_run(tmp_path, devices):
    wl = _learning_workload(str(_dataset(tmp_path / "data")), devices)
    data = load_workload_data(wl, "tiny")
    rpu = load_rpu("rpu-baseline")
    options = dict(eval_every=10, eval_chars=12)
    whole = train(wl, rpu, data, TrainOptions(chars=30, **options), tmp_path / "whole")
    train(wl, rpu, data, TrainOptions(chars=20, **options), tmp_path / "parts")
    resumed = train(wl, rpu, data, TrainOptions(chars=30, **options), tmp_path / "parts", resume=True)
    assert whole.status == resumed.status == "completed" and whole.chars_trained == 30
    assert [(c.chars, c.test_ce, c.test_error) for c in resumed.curve] == [
        (c.chars, c.test_ce, c.test_error) for c in whole.curve
    ]
    weights = _weights(tmp_path / "whole")
    assert weights[0].shape == (4, 10 * devices)  # the physical array of the conv layer
    for a, b in zip(weights, _weights(tmp_path / "parts"), strict=True):
        np.testing.assert_array_equal(a, b)
    assert (
        whole.test_error < whole.curve[0].test_error and whole.test_ce < whole.curve[0].test_ce
    )  # it learns
    assert whole.notes and "skipped" in whole.notes[0]
    assert whole.epochs == pytest.approx(30 / 24)


def test_conv_kernels_equal_their_numpy_twins_bit_for_bit():
    rng = np.random.default_rng(8)
    maps = rng.standard_normal((2, 8, 6, 3)).astype(np.float32)
    cols = np.empty((2 * 4 * 2, 5 * 5 * 3 + 1), np.float32)
    np.testing.assert_array_equal(ck.im2col(maps, 5, cols.copy()), ck.im2col_reference(maps, 5, cols.copy()))
    patches = rng.standard_normal((4 * 2, 5 * 5 * 3 + 1)).astype(np.float32)
    grad = np.empty((8, 6, 3), np.float32)
    np.testing.assert_array_equal(
        ck.col2im(patches, 5, grad.copy()), ck.col2im_reference(patches, 5, grad.copy())
    )
    ties = rng.integers(0, 3, (2, 8, 6, 3)).astype(np.float32)  # many ties: the first maximum wins
    out, where = np.empty((2, 4, 3, 3), np.float32), np.empty((2, 4, 3, 3), np.int64)
    out2, where2 = out.copy(), where.copy()
    np.testing.assert_array_equal(
        ck.max_pool(ties, 2, out, where), ck.max_pool_reference(ties, 2, out2, where2)
    )
    np.testing.assert_array_equal(where, where2)
    g = rng.standard_normal((4, 3, 3)).astype(np.float32)
    up = np.empty((8, 6, 3), np.float32)
    np.testing.assert_array_equal(
        ck.max_unpool(g, where[0], 2, up.copy()), ck.max_unpool_reference(g, where[0], 2, up.copy())
    )


def test_tanh_error_equals_its_numpy_twin_bit_for_bit():
    rng = np.random.default_rng(9)
    a = np.tanh(rng.standard_normal((7, 5)) * 2).astype(np.float32)
    grad = rng.standard_normal((7, 5)).astype(np.float32)
    clipped = rng.random((7, 5)) < 0.3
    for mask in (clipped, np.zeros((0, 0), bool)):
        got = [np.full((7, 5), 9, np.float32) for _ in range(2)]
        want = [np.full((7, 5), 9, np.float32) for _ in range(2)]
        assert ck.tanh_error(grad, a, mask, *got) and ck.tanh_error_reference(grad, a, mask, *want)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])  # untouched (9) without a mask
        assert (got[1] == 0).any() == bool(mask.size)
    grad[3, 2] = np.inf
    assert not ck.tanh_error(grad, a, clipped, *got)
    assert not ck.tanh_error_reference(grad, a, clipped, *want)


def test_the_cli_trains_an_image_network_by_samples(tmp_path):
    folder = _dataset(tmp_path / "data")
    wl = tmp_path / "tiny.yaml"
    wl.write_text(
        f"name: tiny-cnn\ncorpus: {folder}\nmodel:\n  kind: layers\n  input: {{height: 6, width: 6}}\n"
        "  layers: [{kind: conv, kernels: 4, size: 3}, {kind: pool, size: 2}, {kind: fc, size: 8},\n"
        "           {kind: softmax, size: 3}]\n"
        "training: {learning_rate: 0.2}\n"
    )
    args = ["train", str(wl), "--rpu", "rpu-baseline", "--no-progress", "--out", str(tmp_path / "run")]
    res = CliRunner().invoke(app, [*args, "--samples", "30", "--eval-samples", "12"])
    assert res.exit_code == 0, res.output
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["chars_trained"] == 30 and result["eval_chars"] == 12 and 0 <= result["test_error"] <= 1
    assert "images" in " ".join(res.output.split())
    res = CliRunner().invoke(app, [*args, "--samples", "12", "--chars", "12"])
    assert res.exit_code == 2 and "give one of each pair" in " ".join(res.output.split())


def test_divergence_of_an_image_network_names_the_checkpoint_in_images(tmp_path):
    """A learning rate that overflows the weights: diverged, and the kept checkpoint is counted in
    images (not characters)."""
    wl = _learning_workload(str(_dataset(tmp_path / "data")))
    data = load_workload_data(wl, "tiny")
    options = TrainOptions(chars=20, eval_every=10, eval_chars=12, learning_rate=1e300)
    result = train(wl, FloatingPointRPUConfig(), data, options, tmp_path / "run")
    assert result.status == "diverged"
    kept = tmp_path / "run" / CHECKPOINT_NAME
    assert f"the last good checkpoint (0 images) is kept at {kept}" in result.message
