"""Tiles: the objects the training code and the chip model call for every array operation.

Both tiles share one interface::

    tile.set_weights(W); tile.get_weights()   # (out_size, in_size)
    y = tile.forward(x)      # x (N,) or (B, N) -> (M,) or (B, M)
    z = tile.backward(d)     # d (M,) or (B, M) -> (N,) or (B, N)
    tile.update(x, d, lr)    # one rank-1 update per row of x and d, in order; E[dW] = -lr outer(d, x)
    tile.last_passes         # MVM passes per vector of the last forward/backward (bound management)
    tile.state_dict(); tile.load_state_dict(state)   # everything needed to resume bit for bit
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg.blas import sgemm

from archsim.config.rpu import FloatingPointRPUConfig, IOConfig, RPUConfig
from archsim.numerics.checks import as_matrix, as_vectors, check_lr, non_finite_error
from archsim.numerics.devices import BMAX, BMIN, DeviceArrays, DeviceModel, device_model, sample_devices
from archsim.numerics.mvm import exact_mvm, io_array, mvm
from archsim.numerics.update import pulsed_update_shaped, train_length


class FloatingPointTile:
    """Ideal floating-point (float32) weights: exact MVMs and ``W -= lr * outer(d, x)``.

    Like the analog tile, a batch of vectors gives bit for bit what the same vectors one call at a
    time give (one GEMV per vector), so that training and the co-simulation agree exactly.
    """

    def __init__(self, out_size: int, in_size: int, rpu: FloatingPointRPUConfig | None = None, seed: int = 0):
        if out_size < 1 or in_size < 1:
            raise ValueError(f"out_size, in_size: expected >= 1, got ({out_size}, {in_size})")
        self.out_size = int(out_size)
        self.in_size = int(in_size)
        self.rpu = rpu or FloatingPointRPUConfig()
        self.seed = int(seed)
        self._weights = np.zeros((self.out_size, self.in_size), dtype=np.float32)
        self.last_passes = np.ones(1, dtype=np.int32)

    def set_weights(self, weights: np.ndarray) -> None:
        self._weights = as_matrix(weights, "W", self.out_size, self.in_size).copy()

    def get_weights(self) -> np.ndarray:
        return self._weights.copy()

    def _mvm(self, vectors: np.ndarray, transpose: bool, n_out: int, name: str) -> np.ndarray:
        out = np.empty((vectors.shape[0], n_out), dtype=np.float32)
        if not exact_mvm(self._weights, vectors, transpose, out):
            raise non_finite_error(name)
        if self.last_passes.size != vectors.shape[0]:  # always one pass: reused between calls
            self.last_passes = np.ones(vectors.shape[0], dtype=np.int32)
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:
        xb, single = as_vectors(x, "x", self.in_size, check_finite=False)  # checked by the kernel
        y = self._mvm(xb, False, self.out_size, "x")
        return y[0] if single else y

    def backward(self, d: np.ndarray) -> np.ndarray:
        db, single = as_vectors(d, "d", self.out_size, check_finite=False)
        z = self._mvm(db, True, self.in_size, "d")
        return z[0] if single else z

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        xb, _ = as_vectors(x, "x", self.in_size)
        db, _ = as_vectors(d, "d", self.out_size)
        if xb.shape[0] != db.shape[0]:
            raise ValueError(f"x, d: expected the same batch size, got {xb.shape[0]} and {db.shape[0]}")
        lr = check_lr(lr)
        # The sum of the rank-1 updates equals applying them one by one in exact arithmetic:
        # W -= lr * D^T X as one BLAS call that accumulates into W (C-ordered W is the
        # Fortran-ordered W^T, so W^T += -lr * X^T D), with no temporary the size of W.
        weights_t = sgemm(-lr, xb.T, db.T, beta=1.0, c=self._weights.T, trans_b=True, overwrite_c=True)
        self._weights = weights_t.T

    def update_bl(self, x: np.ndarray, d: np.ndarray, lr: float) -> int:
        """One slot: an ideal floating-point update has no pulse trains to time."""
        return 1

    #: Exact outputs are never clipped: no error is masked in training.
    clip_level = None

    def state_dict(self) -> dict[str, Any]:
        return {"kind": "fp", "weights": self._weights.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = as_matrix(state["weights"], "state['weights']", self.out_size, self.in_size).copy()


def _io(io: IOConfig) -> np.ndarray:
    """The MVM kernel's periphery array of one direction."""
    return io_array(
        io.inp_bits,
        io.inp_stochastic_round,
        io.out_bits,
        io.out_bound,
        io.out_noise,
        io.noise_management,
        io.bound_management,
    )


class AnalogTile:
    """An RPU cross-point array trained in place (NUMERICS.md): the analog twin of FloatingPointTile.

    Device-to-device parameters are drawn once from ``seed``; every later random draw is a pure
    function of (seed, counter, index), where the counter counts the vectors (forward, backward)
    and rank-1 updates processed so far. So the same seed and sequence of vectors give the same
    result however they are batched, and the state to checkpoint is the weights plus one counter.
    """

    def __init__(self, out_size: int, in_size: int, rpu: RPUConfig, seed: int = 0):
        if out_size < 1 or in_size < 1:
            raise ValueError(f"out_size, in_size: expected >= 1, got ({out_size}, {in_size})")
        if not isinstance(rpu, RPUConfig):
            raise ValueError(f"rpu: expected an analog RPUConfig, got {type(rpu).__name__}")
        self.out_size = int(out_size)
        self.in_size = int(in_size)
        self.rpu = rpu
        self.seed = int(seed)
        seq = np.random.SeedSequence(self.seed)
        device_seed, key_seed = seq.spawn(2)
        dev = rpu.device
        device_rng = np.random.default_rng(device_seed)
        self.devices: DeviceArrays = sample_devices(
            (self.out_size, self.in_size),
            device_rng,
            dw_min=dev.dw_min,
            dw_min_d2d=dev.dw_min_d2d,
            up_down=dev.up_down,
            up_down_d2d=dev.up_down_d2d,
            w_max=dev.w_max,
            w_min=dev.w_min,
            w_max_d2d=dev.w_max_d2d,
            w_min_d2d=dev.w_min_d2d,
        )
        #: How each device's step depends on its weight (the device model's kernel parameters).
        self.model: DeviceModel = device_model(dev, self.devices, device_rng)
        self.key = int(key_seed.generate_state(1, dtype=np.uint64)[0])
        self.counter = 0
        self._stream = np.array([self.key, 0], dtype=np.uint64)  # [key, first counter] of a call
        self._single_passes = np.ones(1, dtype=np.int32)
        self._weights = np.zeros((self.out_size, self.in_size), dtype=np.float32)
        self._forward_io = _io(rpu.forward)
        self._backward_io = _io(rpu.backward)
        #: MVM passes per vector of the last forward/backward (overwritten by the next call).
        self.last_passes = self._single_passes
        #: Coincidences (device pulses) applied by the last update call.
        self.last_pulses = 0
        #: Forward outputs (real units) at or beyond this magnitude count as clipped: training
        #: masks their error in backward (``rpu.mask_clipped_outputs``); None: nothing is masked.
        bound = rpu.forward.out_bound
        self.clip_level = None if bound is None or not rpu.mask_clipped_outputs else 0.999 * bound

    def set_weights(self, weights: np.ndarray) -> None:
        w = as_matrix(weights, "W", self.out_size, self.in_size)
        self._weights = np.clip(w, self.devices.decode(BMIN), self.devices.decode(BMAX)).astype(np.float32)

    def get_weights(self) -> np.ndarray:
        return self._weights.copy()

    def _next_stream(self) -> np.ndarray:
        """The kernels' [key, counter] of the next vector or update (consumed on success only)."""
        self._stream[1] = self.counter + 1
        return self._stream

    def _mvm(
        self,
        vectors: np.ndarray,
        name: str,
        transpose: bool,
        io: np.ndarray,
        n_out: int,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """The MVM of this tile's periphery and random stream; ``weights``: another (M, N) float32
        conductance matrix read through them (Tiki-Taka's C + gamma A), by default this tile's."""
        n = vectors.shape[0]
        out = np.empty((n, n_out), dtype=np.float32)
        # One vector at a time is the common call (the recurrence): reuse its passes buffer.
        passes = self._single_passes if n == 1 else np.empty(n, dtype=np.int32)
        status = mvm(
            self._weights if weights is None else weights,
            vectors,
            transpose,
            io,
            self._next_stream(),
            out,
            passes,
        )
        if status >= 0:
            raise non_finite_error(name)
        self.counter += vectors.shape[0]  # only a completed call consumes random numbers
        self.last_passes = passes
        return out

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = W x through DAC, array, noise and ADC; x (N,) or (B, N)."""
        xb, single = as_vectors(x, "x", self.in_size, check_finite=False)
        y = self._mvm(xb, "x", False, self._forward_io, self.out_size)
        return y[0] if single else y

    def backward(self, d: np.ndarray) -> np.ndarray:
        """z = W^T d through DAC, array, noise and ADC; d (M,) or (B, M)."""
        db, single = as_vectors(d, "d", self.out_size, check_finite=False)
        z = self._mvm(db, "d", True, self._backward_io, self.in_size)
        return z[0] if single else z

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        """One stochastic pulsed rank-1 update per row of x and d, in order: E[dW] = -lr outer(d, x)."""
        xb, _ = as_vectors(x, "x", self.in_size, check_finite=False)
        db, _ = as_vectors(d, "d", self.out_size, check_finite=False)
        if xb.shape[0] != db.shape[0]:
            raise ValueError(f"x, d: expected the same batch size, got {xb.shape[0]} and {db.shape[0]}")
        lr = check_lr(lr)
        up = self.rpu.update
        dev = self.devices
        model = self.model
        pulses = pulsed_update_shaped(
            self._weights,
            dev.packed,
            dev.means,
            dev.scales,
            model.extra,
            model.model,
            model.shape,
            model.additive,
            xb,
            db,
            lr,
            self.rpu.device.dw_min,
            up.bl,
            self.rpu.device.dw_min_c2c,
            up.update_management,
            up.bl_management,
            self._next_stream(),
        )
        if pulses < 0:
            raise non_finite_error("x" if pulses == -1 else "d")
        self.counter += xb.shape[0]
        self.last_pulses = pulses

    def update_bl(self, x: np.ndarray, d: np.ndarray, lr: float) -> int:
        """Pulse-train length (slots) that :meth:`update` gives the rank-1 update of one x and d:
        the chip model charges it (BL management picks it per update)."""
        up = self.rpu.update
        if not up.bl_management:
            return int(up.bl)
        xmax = float(np.abs(x).max()) if x.size else 0.0
        dmax = float(np.abs(d).max()) if d.size else 0.0
        return train_length(
            xmax, dmax, lr, self.rpu.device.dw_min, up.bl, up.update_management, up.bl_management
        )

    def state_dict(self) -> dict[str, Any]:
        """Weights and the random-stream counter (device parameters follow from the seed)."""
        return {"kind": "analog", "seed": self.seed, "counter": self.counter, "weights": self._weights.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != "analog" or int(state["seed"]) != self.seed:
            raise ValueError(
                f"state: expected an analog tile state with seed {self.seed}, "
                f"got kind={state.get('kind')!r} seed={state.get('seed')!r}"
            )
        self._weights = as_matrix(state["weights"], "state['weights']", self.out_size, self.in_size).copy()
        self.counter = int(state["counter"])


def make_tile(out_size: int, in_size: int, rpu: RPUConfig | FloatingPointRPUConfig, seed: int = 0) -> Any:
    """The tile that ``rpu`` describes: analog for ``kind: analog`` (Tiki-Taka's two arrays when its
    ``algorithm`` transfers; in a digital layer when its ``measures`` are on), floating point for
    ``kind: fp``."""
    if isinstance(rpu, FloatingPointRPUConfig):
        return FloatingPointTile(out_size, in_size, rpu, seed)
    if rpu.measures.active:
        from archsim.numerics.measures import MeasuredTile  # a digital layer around the tile below

        plain = rpu.model_copy(update={"measures": type(rpu.measures)()})
        return MeasuredTile(out_size, in_size, rpu, lambda rows, cols: make_tile(rows, cols, plain, seed))
    if rpu.algorithm.transfers:
        from archsim.numerics.transfer import TransferTile  # it builds on AnalogTile

        return TransferTile(out_size, in_size, rpu, seed)
    return AnalogTile(out_size, in_size, rpu, seed)
