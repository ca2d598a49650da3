"""Image networks on tiles: conv, pool, fully connected and softmax layers (docs/cnn.md).

A conv layer's M kernels of k x k x d form one array of M x (k^2 d + 1) (the bias column). Its
input map is cut into the (n - k + 1)^2 patches of its output positions (im2col, digital), and
each patch is one column the array multiplies:

- forward: one MVM per position (its patch, and 1 for the bias, as the input vector);
- backward: one MVM per position, K^T delta of that position; the patch errors are added back
  into the input map digitally (col2im);
- update: one stochastic pulsed rank-1 update per position, K <- K - lr delta_i x_i^T, position
  after position; the gradient is never summed digitally.

The positions of one image go through the tile as one batch: a tile's batch is exactly the same
vectors one call at a time (each vector, and each rank-1 update in order, draws from its own
counter-addressed random streams, archsim/numerics/tile.py), so batching changes the speed only.
The first array's backward MVMs would compute the error of the input image, which nothing uses:
they are skipped (:data:`SKIPPED_NOTE`). Pooling (max), activations, softmax and im2col are
digital. A fully connected layer and the softmax are one MVM per phase on [input, 1].

Each image is one SGD step (batch 1): forward, backward through every layer with the weights as
they were in forward, then each tile's updates. Outputs of a tile that reached its output bound
(``tile.clip_level``) get no gradient in backward, as for the LSTM; their update is unmasked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from archsim.config.workload import (
    ConvLayer,
    LayerShape,
    LayersModel,
    PoolLayer,
    SoftmaxLayer,
)
from archsim.numerics.checks import NonFiniteError
from archsim.train.conv_kernels import col2im, im2col, max_pool, max_unpool, tanh_error
from archsim.train.images import pixels
from archsim.train.lstm import Tile, init_weights

#: What the results say about the skipped backward MVMs.
SKIPPED_NOTE = (
    "the first array's backward MVMs are skipped: they would compute the error of the input image, "
    "which nothing uses"
)
#: Images evaluated per batch (bounds the memory of the im2col matrices).
EVAL_BATCH = 64
_TINY = np.finfo(np.float64).tiny
#: ``clipped`` of :func:`tanh_error` when nothing is masked.
_NO_MASK = np.zeros((0, 0), dtype=bool)


def _activate(kind: str, z: np.ndarray) -> np.ndarray:
    """The activation of ``z``; tanh in place (``z`` is not kept)."""
    if kind == "tanh":
        return np.tanh(z, out=z)
    if kind == "sigmoid":
        return (1.0 / (1.0 + np.exp(-z))).astype(z.dtype)
    return z


def _derivative(kind: str, a: np.ndarray) -> np.ndarray:
    """d activation / dz from the activation's output ``a``."""
    if kind == "tanh":
        return 1.0 - a * a
    if kind == "sigmoid":
        return a * (1.0 - a)
    return np.ones_like(a)


@dataclass
class _Trace:
    """What backward needs of one image's forward: per layer its input vectors (the tile's x,
    bias included, for tiles), its outputs and, for pool layers, where each maximum was."""

    inputs: list[Any]
    outputs: list[Any]
    clipped: list[Any]
    probs: np.ndarray
    loss: float


class ImageNetwork:
    """The layers of a :class:`LayersModel` with one tile per conv, fc and softmax layer."""

    def __init__(self, model: LayersModel, tiles: list[Tile], dtype: Any = np.float32):
        self.dtype = dtype
        self.shapes: list[LayerShape] = model.shapes()
        self.tiles = list(tiles)
        #: Tile index of each layer (None for pool layers).
        self.tile_of: list[int | None] = []
        for s in self.shapes:
            self.tile_of.append(
                None if isinstance(s.layer, PoolLayer) else sum(t is not None for t in self.tile_of)
            )
        if sum(t is not None for t in self.tile_of) != len(self.tiles):
            raise ValueError(
                f"tiles: expected {sum(t is not None for t in self.tile_of)}, got {len(self.tiles)}"
            )
        self.first_tile_layer = next(i for i, t in enumerate(self.tile_of) if t is not None)
        self.classes = self.shapes[-1].layer.size
        #: Backward MVMs skipped per image (the first array's), for the results.
        self.skipped_backward = self.shapes[self.first_tile_layer].positions

    def init_weights(self, rng: np.random.Generator) -> None:
        """U(+-1/sqrt(cols)) per array (fan-in, the bias column included)."""
        for tile in self.tiles:
            tile.set_weights(init_weights(tile.out_size, tile.in_size, rng, None))

    def mvm_counts(self) -> list[dict[str, int]]:
        """MVMs per image of each tile in each phase (what :meth:`train_image` runs)."""
        counts = []
        for s, t in zip(self.shapes, self.tile_of, strict=True):
            if t is None:
                continue
            n = s.positions
            counts.append(
                {"forward": n, "backward": 0 if s.index == self.first_tile_layer else n, "update": n}
            )
        return counts

    # -- forward ---------------------------------------------------------------------------------

    def forward(self, images: np.ndarray, labels: np.ndarray) -> _Trace:
        """Forward of a batch of images (B, H, W, C) float32: the trace, with the mean loss."""
        x = images
        batch = x.shape[0]
        inputs: list[Any] = []
        outputs: list[Any] = []
        clipped: list[Any] = []
        probs = np.empty(0, np.float32)
        for s, t in zip(self.shapes, self.tile_of, strict=True):
            layer = s.layer
            if isinstance(layer, PoolLayer):
                pooled = np.empty((batch, *s.output), dtype=x.dtype)
                where = np.empty((batch, *s.output), dtype=np.int64)
                x = max_pool(np.ascontiguousarray(x), layer.size, pooled, where)
                inputs.append(where)
                outputs.append(x)
                clipped.append(None)
                continue
            tile = self.tiles[t]
            if isinstance(layer, ConvLayer):
                k = layer.size
                cols = np.empty((batch * s.positions, tile.in_size), dtype=self.dtype)
                im2col(np.ascontiguousarray(x), k, cols)
            else:
                cols = np.empty((batch, tile.in_size), dtype=self.dtype)
                cols[:, :-1] = x.reshape(batch, -1)
                cols[:, -1] = 1.0
            z = tile.forward(cols)
            inputs.append(cols)
            # The first array's mask would only gate its skipped backward MVMs.
            masked = tile.clip_level is not None and s.index != self.first_tile_layer
            clipped.append(np.abs(z) >= tile.clip_level if masked else None)
            if isinstance(layer, SoftmaxLayer):
                z64 = z.astype(np.float64)
                z64 -= z64.max(axis=1, keepdims=True)
                e = np.exp(z64)
                probs = e / e.sum(axis=1, keepdims=True)
                outputs.append(z)
                break
            a = _activate(layer.activation, z)
            outputs.append(a)
            h, w, c = s.output
            x = a.reshape(batch, h, w, c)
        picked = probs[np.arange(batch), labels] if batch > 1 else probs[0, labels[0]]
        # The mean of one image's loss is that loss (exactly): no reduction for training's batch 1.
        logs = -np.log(np.maximum(picked, _TINY))
        loss = float(logs.mean() if batch > 1 else logs)
        return _Trace(inputs, outputs, clipped, probs, loss)

    # -- backward and update ---------------------------------------------------------------------

    def backward(self, trace: _Trace, label: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Backward of one image's trace: the (x, delta) rows of every tile's rank-1 updates, tile
        order. Raises NonFiniteError when an error becomes NaN/inf."""
        pairs: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(self.tiles)
        delta = trace.probs.astype(self.dtype)
        delta[0, label] -= 1.0  # dL/dz of softmax and cross-entropy
        grad: np.ndarray | None = None  # dL/d(output) of the current layer, in its output shape
        for index in range(len(self.shapes) - 1, -1, -1):
            s, t = self.shapes[index], self.tile_of[index]
            layer = s.layer
            if isinstance(layer, PoolLayer):
                out = np.empty(s.input, dtype=self.dtype)
                grad = max_unpool(grad.reshape(s.output), trace.inputs[index][0], layer.size, out)[None]
                continue
            tile = self.tiles[t]
            clip = trace.clipped[index]
            masked = None
            if isinstance(layer, SoftmaxLayer):
                finite = np.isfinite(delta).all()
            elif layer.activation == "tanh" and self.dtype is np.float32:
                # One Numba pass (conv_kernels.tanh_error, the NumPy expression below's twin).
                a = trace.outputs[index]
                delta = np.empty(a.shape, dtype=np.float32)
                masked = delta if clip is None else np.empty(a.shape, dtype=np.float32)
                mask = _NO_MASK if clip is None else clip
                finite = tanh_error(grad.reshape(a.shape), a, mask, delta, masked)
            else:
                a = trace.outputs[index]
                delta = (grad.reshape(a.shape) * _derivative(layer.activation, a)).astype(self.dtype)
                finite = np.isfinite(delta).all()
            if not finite:
                raise NonFiniteError(f"layer {index} ({layer.kind}): the error became NaN/inf")
            pairs[t] = (trace.inputs[index], np.ascontiguousarray(delta))
            if index == self.first_tile_layer:
                break  # the input image's error is unused: no backward MVMs
            if masked is None:
                masked = delta if clip is None else np.where(clip, 0.0, delta)
            back = tile.backward(np.ascontiguousarray(masked, dtype=self.dtype))
            if isinstance(layer, ConvLayer):
                grad = col2im(back, layer.size, np.empty(s.input, dtype=back.dtype))[None]
            else:
                grad = back[:, :-1].reshape(1, *s.input)
        return [p for p in pairs if p is not None]

    def update(self, pairs: list[tuple[np.ndarray, np.ndarray]], lr: float) -> None:
        """Each tile's rank-1 updates, row after row (one per conv output position)."""
        for tile, (x, d) in zip(self.tiles, pairs, strict=True):
            tile.update(x, d, lr)

    def train_image(self, image: np.ndarray, label: int, lr: float) -> float:
        """One SGD step on one image (H, W) uint8: returns its cross-entropy (nats)."""
        trace = self.forward(pixels(image[None]), np.array([label]))
        if not np.isfinite(trace.loss):
            raise NonFiniteError("the loss became NaN/inf")
        self.update(self.backward(trace, int(label)), lr)
        return trace.loss


def evaluate_images(
    net: ImageNetwork,
    images: np.ndarray,
    labels: np.ndarray,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[float, float]:
    """(mean cross-entropy in nats, error rate) over ``images`` (N, H, W) uint8; the tiles' state is
    restored afterwards, so evaluation never changes the training trajectory. ``progress(done,
    total)`` is told the batches evaluated, from (0, total) to (total, total)."""
    saved = [tile.state_dict() for tile in net.tiles]
    loss, wrong = 0.0, 0
    batches = -(-len(labels) // EVAL_BATCH)
    try:
        for k, start in enumerate(range(0, len(labels), EVAL_BATCH)):
            if progress is not None:
                progress(k, batches)
            x = pixels(images[start : start + EVAL_BATCH])
            y = labels[start : start + EVAL_BATCH]
            trace = net.forward(x, y)
            loss += trace.loss * len(y)
            wrong += int(np.count_nonzero(trace.probs.argmax(axis=1) != y))
        if progress is not None:
            progress(batches, batches)
    finally:
        for tile, st in zip(net.tiles, saved, strict=True):
            tile.load_state_dict(st)
    return loss / len(labels), wrong / len(labels)
