"""Shared helpers of the training tests: a float64 tile double and tiny networks."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.numerics import FloatingPointTile
from archsim.train.lstm import LSTMNetwork


class Float64Tile:
    """Exact float64 tile with the tile interface (for the gradient check only)."""

    clip_level = None  # exact: never clipped

    def __init__(self, out_size: int, in_size: int):
        self.out_size, self.in_size = out_size, in_size
        self.weights = np.zeros((out_size, in_size))

    def set_weights(self, weights):
        self.weights = np.array(weights, dtype=np.float64)

    def get_weights(self):
        return self.weights.copy()

    def forward(self, x):
        return x @ self.weights.T

    def backward(self, d):
        return d @ self.weights

    def update(self, x, d, lr):
        self.weights -= lr * d.T @ x

    def state_dict(self):
        return {"weights": self.weights.copy()}

    def load_state_dict(self, state):
        self.weights = state["weights"].copy()


def tiny_network(vocab: int, hidden: int, layers: int, float64: bool = False, seed: int = 0) -> LSTMNetwork:
    sizes = [vocab] + [hidden] * (layers - 1)
    make = Float64Tile if float64 else FloatingPointTile
    tiles = [make(4 * hidden, n + hidden + 1) for n in sizes] + [make(vocab, hidden + 1)]
    net = LSTMNetwork(vocab, hidden, layers, tiles, dtype=np.float64 if float64 else np.float32)
    net.init_weights(np.random.default_rng(seed))
    return net


@pytest.fixture
def float64_tile():
    return Float64Tile


@pytest.fixture
def make_network():
    return tiny_network


@pytest.fixture
def small_corpus(tmp_path):
    """A tiny repetitive text file (a corpus given by path)."""
    path = tmp_path / "tiny.txt"
    path.write_bytes(b"the quick brown fox jumps over the lazy dog. " * 200)
    return path
