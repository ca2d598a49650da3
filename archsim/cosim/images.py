"""The numerics behind the chip's schedule of an image network (docs/chip.md, "Co-simulation").

:class:`ImageExecutor` is the chip scheduler's hook for an image network, as
:class:`~archsim.cosim.executor.NumericsExecutor` is for the LSTMs. A window is one image; each
scheduled array operation is (verb, array, position). One stream only, as ``archsim train`` trains
image networks (one image at a time):

- the first forward operation of an image runs the image's forward through the network
  (:meth:`ImageNetwork.forward`, each tile's positions in one call, which equals the positions
  one by one), after applying the updates of the previous image still held back; every forward
  operation returns the passes its position took (bound management);
- the first backward operation runs the image's backward (:meth:`ImageNetwork.backward`) and holds
  back every update row of the image; each backward operation returns its position's passes;
- each update operation returns the pulse-train length BL of its position's rank-1 update (BL
  management); the rows are applied as one batch per tile just before the tile is next read.

This is the order of the chip's schedule: a tile's forward of the next image waits for the last
update of this image on that tile, and its backward comes before its updates, so every read sees
exactly the updates the schedule put before it, and the weights after n images are those of
``archsim train`` after n images (bit for bit: the same calls in the same order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from archsim.chip.schedule import ArrayOp
from archsim.cosim.executor import CosimDiverged
from archsim.numerics import NonFiniteError
from archsim.train.cnn import ImageNetwork
from archsim.train.images import ImageData, pixels
from archsim.train.session import TrainingSession


@dataclass
class _Image:
    """One image in flight: its trace, the passes of its MVMs, its update rows and how many of its
    update operations are still to run."""

    index: int  # the image in the train split
    updates_left: int
    trace: object | None = None
    forward_passes: list[np.ndarray] = field(default_factory=list)
    backward_passes: list[np.ndarray] = field(default_factory=list)
    pairs: list[tuple[np.ndarray, np.ndarray]] | None = None
    done: dict[tuple[str, int, int], int] = field(default_factory=dict)  # (verb, array, position)


class ImageExecutor:
    """Runs the scheduled operations of an image network on the tiles of ``net``.

    ``order(epoch)`` gives the train images' order of an epoch (the session's seeded permutation);
    ``on_loss(loss)`` is called with an image's cross-entropy once its forward has run (the
    divergence rule); ``on_window_done(stream, window, loss)`` once its last update has run.
    """

    def __init__(
        self,
        net: ImageNetwork,
        array_names: list[str],
        data: ImageData,
        order: Callable[[int], np.ndarray],
        learning_rate: float,
        on_loss: Callable[[float], None],
        on_window_done: Callable[[int, int, float], None],
    ) -> None:
        if len(array_names) != len(net.tiles):
            raise ValueError(f"array_names: expected {len(net.tiles)} names, got {array_names}")
        self.net = net
        self.index = {name: k for k, name in enumerate(array_names)}
        self.data = data
        self.order = order
        self.lr = learning_rate
        self.on_loss = on_loss
        self.on_window_done = on_window_done
        self.updates_per_image = sum(c["update"] for c in net.mvm_counts())
        self.in_flight: dict[int, _Image] = {}
        self.finished: dict[int, _Image] = {}
        self.pending: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in net.tiles]
        self._epoch, self._order = -1, np.empty(0, dtype=np.int64)
        #: (array, verb) -> [operations, passes (MVMs) or BL (updates) summed, largest]
        self.pass_stats: dict[tuple[str, str], list[int]] = {}

    def __call__(self, op: ArrayOp) -> int:
        if op.stream != 0:
            raise ValueError("streams: image networks are co-simulated with one stream")
        image = self.in_flight.get(op.window) or self.finished.get(op.window) or self._start(op.window)
        a, p = self.index[op.array], op.step
        key = (op.verb, a, p)
        amount = image.done.get(key)
        if amount is not None:  # another tile of a split array: the same logical operation
            return amount
        try:
            if op.verb == "forward":
                if image.trace is None:
                    self._forward(image)
                amount = int(image.forward_passes[a][p])
            elif op.verb == "backward":
                if image.pairs is None:
                    self._backward(image)
                amount = int(image.backward_passes[a][p])
            else:
                x, d = image.pairs[a]
                amount = self.net.tiles[a].update_bl(x[p], d[p], self.lr)
                image.updates_left -= 1
        except NonFiniteError:
            raise CosimDiverged(
                f"the numbers overflowed to NaN/inf in the {op.verb} of {op.array} at position {p}"
            ) from None
        image.done[key] = amount
        self._count(op.array, op.verb, amount)
        if op.verb == "update" and image.updates_left == 0:
            del self.in_flight[op.window]
            self.finished = {op.window: image}  # the other tiles of its last update may still ask
            self.on_window_done(op.stream, op.window, float(image.trace.loss))
        return amount

    # -- one image -------------------------------------------------------------------------------

    def _start(self, window: int) -> _Image:
        """Image ``window`` of the stream: the train split in the seeded order of its epoch."""
        n = len(self.data.train_labels)
        epoch, pos = divmod(window, n)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, self.order(epoch)
        image = self.in_flight[window] = _Image(int(self._order[pos]), self.updates_per_image)
        return image

    def _forward(self, image: _Image) -> None:
        self.flush()
        k = image.index
        trace = self.net.forward(pixels(self.data.train_images[k][None]), self.data.train_labels[k : k + 1])
        if not np.isfinite(trace.loss):
            raise NonFiniteError("the loss became NaN/inf")
        image.trace = trace
        image.forward_passes = [np.array(t.last_passes, copy=True) for t in self.net.tiles]
        self.on_loss(trace.loss)

    def _backward(self, image: _Image) -> None:
        image.pairs = self.net.backward(image.trace, int(self.data.train_labels[image.index]))
        # The first array's backward is skipped: the chip asks none of its passes.
        image.backward_passes = [np.array(t.last_passes, copy=True) for t in self.net.tiles]
        for a, (x, d) in enumerate(image.pairs):
            self.pending[a].append((x, d))

    def _count(self, array: str, verb: str, amount: int) -> None:
        stats = self.pass_stats.setdefault((array, verb), [0, 0, 0])
        stats[0] += 1
        stats[1] += amount
        stats[2] = max(stats[2], amount)

    def flush(self, tile: int | None = None) -> None:
        """Apply the held-back update rows (each tile's image's rows in one call, as training)."""
        for a in range(len(self.pending)) if tile is None else (tile,):
            for x, d in self.pending[a]:
                self.net.tiles[a].update(x, d, self.lr)
            self.pending[a].clear()


def image_executor(
    session: TrainingSession, on_window_done: Callable[[int, int, float], None]
) -> ImageExecutor:
    """The executor of an image network's training session (its network, data, order and rate)."""
    names = [a.name for a in session.workload.arrays()]
    return ImageExecutor(
        session.net,
        names,
        session.images,
        session.epoch_order,
        session.learning_rate,
        session.check_loss,
        on_window_done,
    )
