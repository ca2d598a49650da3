"""Tiki-Taka and TTv2: a tile whose weight is two analog arrays, a fast A and a slow C
(docs/numerics.md, "Learning algorithms").

After the reference simulator's ``TransferCompound`` (Tiki-Taka, Gokmen & Haensch 2020) and
``BufferedTransferCompound`` (TTv2, Gokmen 2021), with ``units_in_mbatch`` off, one-hot column
reads in order, the SGD learning rate on A and an unscaled transfer learning rate:

- forward and backward read W = C + gamma A: one MVM of C's periphery and random stream (the two
  arrays' currents summed on the same lines; gamma = 0 reads C alone);
- update: the pulsed rank-1 updates go to A; after every ``transfer_every``-th of them (counted
  over the run, across calls), ``columns_per_transfer`` columns j of A, the next ones in order
  (wrapping), are read by forward MVMs of A with the one-hot inputs e_j (A's forward periphery:
  DAC, noise, ADC, management: a real read, v_j = A e_j + noise), then
  - tiki-taka: one pulsed rank-1 update of C per column, x = e_j, d = -v_j, lr = transfer_lr, so
    E[dC[:, j]] = transfer_lr v_j;
  - ttv2: a digital buffer H (float32, the shape of C) takes H[:, j] += transfer_lr v_j; with
    the threshold t = buffer_threshold dw_min (C's mean step), n = trunc(H[:, j] / t) whole
    thresholds are pulsed into C (x = e_j, d = -n t, lr = 1: E[dC[:, j]] = n t) and
    H[:, j] -= n t keeps the remainder (the reference's forget_buffer off, momentum 0).

A and C have the preset's device and periphery, each its own device-to-device draw: C from the
tile's seed, A from a seed derived from it. The state is both arrays, the buffer, the number of
updates so far and the next column, so a run resumes bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archsim.config.rpu import RPUConfig
from archsim.numerics.checks import as_matrix, as_vectors, check_lr
from archsim.numerics.tile import AnalogTile


def fast_seed(seed: int) -> int:
    """The seed of the fast array A of the tile with ``seed`` (C has the tile's own)."""
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1, dtype=np.uint32)[0])


def transfer_columns(first: int, count: int, in_size: int) -> np.ndarray:
    """The columns one transfer reads: ``count`` from ``first`` in order, wrapping at ``in_size``."""
    return (first + np.arange(count)) % in_size


class TransferTile:
    """A logical M x N tile of Tiki-Taka (``rpu.algorithm.kind`` tiki-taka or ttv2): the fast array
    ``fast`` (A) and the slow array ``slow`` (C), two :class:`AnalogTile` of M x N."""

    def __init__(self, out_size: int, in_size: int, rpu: RPUConfig, seed: int = 0):
        if not isinstance(rpu, RPUConfig) or not rpu.algorithm.transfers:
            raise ValueError("rpu: expected an analog RPUConfig with algorithm.kind tiki-taka or ttv2")
        self.slow = AnalogTile(out_size, in_size, rpu, seed)
        self.fast = AnalogTile(out_size, in_size, rpu, fast_seed(seed))
        self.out_size, self.in_size = self.slow.out_size, self.slow.in_size
        self.rpu, self.seed = rpu, self.slow.seed
        self.algorithm = rpu.algorithm
        self.gamma = np.float32(self.algorithm.gamma)
        #: Rank-1 updates of A so far, and the first column of the next transfer.
        self.updates = 0
        self.column = 0
        #: TTv2's digital buffer (None for tiki-taka).
        self.buffer = (
            np.zeros((self.out_size, self.in_size), np.float32) if self.algorithm.kind == "ttv2" else None
        )
        self.threshold = np.float32(self.algorithm.buffer_threshold * rpu.device.dw_min)
        #: Transfers done by the last update call, and the d vectors of C's updates (ttv2: -n t).
        self.last_transfers = 0
        self.last_transfer_d: list[np.ndarray] = []
        self.clip_level = self.slow.clip_level
        self._effective_weights: np.ndarray | None = None

    @property
    def last_passes(self) -> np.ndarray:
        return self.slow.last_passes

    def set_weights(self, weights: np.ndarray) -> None:
        """The weights go to C; A (and the buffer) start at zero, as in the reference."""
        self._effective_weights = None
        self.slow.set_weights(weights)
        self.fast.set_weights(np.zeros((self.out_size, self.in_size), np.float32))
        if self.buffer is not None:
            self.buffer[:] = 0

    def _effective(self) -> np.ndarray | None:
        """C + gamma A (float32), or None when gamma is 0 (C is read alone); kept until an update."""
        if self.gamma == 0:
            return None
        if self._effective_weights is None:
            self._effective_weights = self.slow._weights + self.gamma * self.fast._weights
        return self._effective_weights

    def get_weights(self) -> np.ndarray:
        effective = self._effective()
        return self.slow.get_weights() if effective is None else effective.copy()

    def forward(self, x: np.ndarray) -> np.ndarray:
        xb, single = as_vectors(x, "x", self.in_size, check_finite=False)
        slow = self.slow
        y = slow._mvm(xb, "x", False, slow._forward_io, self.out_size, self._effective())
        return y[0] if single else y

    def backward(self, d: np.ndarray) -> np.ndarray:
        db, single = as_vectors(d, "d", self.out_size, check_finite=False)
        slow = self.slow
        z = slow._mvm(db, "d", True, slow._backward_io, self.in_size, self._effective())
        return z[0] if single else z

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        """The rank-1 updates on A, in order, with a transfer after every ``transfer_every``-th."""
        xb, _ = as_vectors(x, "x", self.in_size, check_finite=False)
        db, _ = as_vectors(d, "d", self.out_size, check_finite=False)
        if xb.shape[0] != db.shape[0]:
            raise ValueError(f"x, d: expected the same batch size, got {xb.shape[0]} and {db.shape[0]}")
        lr = check_lr(lr)
        self._effective_weights = None
        every = self.algorithm.transfer_every
        self.last_transfers = 0
        self.last_transfer_d = []
        start, rows = 0, xb.shape[0]
        while start < rows:
            stop = min(rows, start + every - self.updates % every)
            self.fast.update(xb[start:stop], db[start:stop], lr)
            self.updates += stop - start
            start = stop
            if self.updates % every == 0:
                self._transfer()

    def _transfer(self) -> None:
        """Read the next columns of A and pulse them (tiki-taka) or the buffer's excess (ttv2) into C."""
        count = self.algorithm.columns_per_transfer
        columns = transfer_columns(self.column, count, self.in_size)
        self.column = int((self.column + count) % self.in_size)
        one_hot = np.zeros((count, self.in_size), np.float32)
        one_hot[np.arange(count), columns] = 1
        reads = self.fast.forward(one_hot)  # (count, M): v_j = A e_j through A's forward periphery
        lr = np.float32(self.algorithm.transfer_lr)
        if self.buffer is None:
            d = -reads
            self.slow.update(one_hot, d, float(lr))
        else:
            d = np.empty_like(reads)
            t = self.threshold
            for k, j in enumerate(columns):  # in order: a column may come twice when count > N
                h = self.buffer[:, j] + lr * reads[k]
                steps = np.trunc(h / t)
                self.buffer[:, j] = h - steps * t
                d[k] = -steps * t
            self.slow.update(one_hot, d, 1.0)
        self.last_transfers += 1
        self.last_transfer_d.append(d)

    def update_bl(self, x: np.ndarray, d: np.ndarray, lr: float) -> int:
        """The SGD update's pulse-train length on A (the chip model charges the transfers apart)."""
        return self.fast.update_bl(x, d, lr)

    def state_dict(self) -> dict[str, Any]:
        """C's state (its weights, seed and counter), A's weights and counter, the buffer, the
        update count and the next column."""
        state = self.slow.state_dict()
        fast = self.fast.state_dict()
        state.update(
            kind="transfer",
            fast_counter=fast["counter"],
            fast_weights=fast["weights"],
            updates=self.updates,
            column=self.column,
        )
        if self.buffer is not None:
            state["buffer"] = self.buffer.copy()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != "transfer" or int(state["seed"]) != self.seed:
            raise ValueError(
                f"state: expected a transfer tile state with seed {self.seed}, "
                f"got kind={state.get('kind')!r} seed={state.get('seed')!r}"
            )
        if ("buffer" in state) != (self.buffer is not None):
            raise ValueError(f"state: a buffer only with algorithm ttv2, the tile's is {self.algorithm.kind}")
        shape = (self.out_size, self.in_size)
        self._effective_weights = None
        self.slow.load_state_dict(
            {"kind": "analog", "seed": self.seed, "counter": state["counter"], "weights": state["weights"]}
        )
        self.fast.load_state_dict(
            {
                "kind": "analog",
                "seed": self.fast.seed,
                "counter": state["fast_counter"],
                "weights": state["fast_weights"],
            }
        )
        if self.buffer is not None:
            self.buffer = as_matrix(state["buffer"], "state['buffer']", *shape).copy()
        self.updates = int(state["updates"])
        self.column = int(state["column"])
