"""The workload's network on tiles, reproducibly from a seed, and its test cross-entropy.

Every stochastic piece derives from ``seed`` through numpy's SeedSequence: children 0 (weight
init), 1 (dropout masks), 2 (one seed per tile). Evaluation restores the tiles' state afterwards,
so it never changes the training trajectory (analog tiles draw noise in forward).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from archsim.config import ArrayShape, FloatingPointRPUConfig, RPUConfig, WorkloadConfig
from archsim.numerics import make_tile
from archsim.numerics.summed import SummedTile
from archsim.train.cnn import ImageNetwork
from archsim.train.lstm import LSTMNetwork


def seeds(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence, np.random.SeedSequence]:
    """The seeds of the weight init, the dropout masks and the tiles."""
    init, dropout, tiles = np.random.SeedSequence(seed).spawn(3)
    return init, dropout, tiles


def _tile(array: ArrayShape, rpu: RPUConfig | FloatingPointRPUConfig, seed: int) -> Any:
    """The tile of one array: with several devices per weight (analog), their summed tile."""
    if array.devices_per_weight > 1 and isinstance(rpu, RPUConfig):
        if rpu.algorithm.transfers or rpu.measures.active:
            raise ValueError(
                f"array {array.name}: devices_per_weight {array.devices_per_weight} with algorithm "
                f"{rpu.algorithm.kind} or measures: these arrays have one device per weight"
            )
        return SummedTile(array.rows, array.cols, rpu, seed, array.devices_per_weight)
    return make_tile(array.rows, array.cols, rpu, seed)


def build_network(
    workload: WorkloadConfig, rpu: RPUConfig | FloatingPointRPUConfig, seed: int
) -> LSTMNetwork | ImageNetwork:
    """The workload's network on tiles of ``rpu``, initialised from ``seed``."""
    init_ss, _, tiles_ss = seeds(seed)
    shapes = workload.arrays()
    tile_seeds = tiles_ss.generate_state(len(shapes), dtype=np.uint32)
    tiles = [_tile(a, rpu, int(s)) for a, s in zip(shapes, tile_seeds, strict=True)]
    if workload.is_image:
        image_net = ImageNetwork(workload.model, tiles)
        image_net.init_weights(np.random.default_rng(init_ss))
        return image_net
    net = LSTMNetwork(workload.vocab_size, workload.model.hidden_size, workload.model.num_layers, tiles)
    net.init_weights(np.random.default_rng(init_ss), workload.training.init)
    return net


def evaluate(
    net: LSTMNetwork,
    text: np.ndarray,
    steps: int,
    streams: int,
    progress: Callable[[int, int], None] | None = None,
) -> float:
    """Mean cross-entropy (nats/char) of predicting ``text[k+1]`` from ``text[:k+1]``, no dropout.

    The text is cut into ``streams`` contiguous pieces run side by side (batched forward), each
    from a zero state; the tiles' state is restored afterwards. ``progress(done, total)`` is told
    the windows evaluated, from (0, total) to (total, total).
    """
    streams = max(1, min(streams, len(text) - 1))
    length = (len(text) - 1) // streams
    cols = np.stack([text[s * length : s * length + length + 1] for s in range(streams)], axis=1)
    saved = [tile.state_dict() for tile in net.tiles]
    state = net.new_state(streams)
    total = 0.0
    windows = -(-length // steps)
    try:
        for k, start in enumerate(range(0, length, steps)):
            if progress is not None:
                progress(k, windows)
            stop = min(start + steps, length)
            window = net.forward(cols[start:stop], cols[start + 1 : stop + 1], state)
            total += float(window.loss.sum(dtype=np.float64))
        if progress is not None:
            progress(windows, windows)
    finally:
        for tile, st in zip(net.tiles, saved, strict=True):
            tile.load_state_dict(st)
    return total / (length * streams)
