"""Mapping a workload's arrays onto the chip's tiles and NLF units: a pure step, no simulation.

A logical array of r x c devices larger than a tile of R x C is split into ceil(r/R) row blocks by
ceil(c/C) column blocks; forward partial sums of the column blocks and backward partial sums of the
row blocks are added digitally by the array's NLF unit.

An image network's conv layer may be replicated (``replicas`` R on the layer): R copies of its
blocks on separate tiles, output position p running on copy p mod R (docs/chip.md). With Tiki-Taka
(``arrays_per_weight`` 2, chip/tikitaka.py) each logical array is two physical arrays, C
(``slices``) and A (``fast_slices``), each split the same way onto tiles of its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from archsim.chip.costs import bptt_bytes
from archsim.config.chip import ChipConfig, SRAMMemoryConfig
from archsim.config.errors import ConfigError
from archsim.config.workload import WorkloadConfig


class MappingError(ConfigError):
    """The workload does not fit the chip; the message names the chip field and the limit."""


@dataclass(frozen=True)
class TileSlice:
    """The part of a logical array held by one physical tile."""

    tile: int  # physical tile index on the chip
    row_block: int
    col_block: int
    rows: int  # used rows of the tile
    cols: int  # used columns of the tile
    replica: int = 0  # which copy of a replicated array (image networks)


@dataclass(frozen=True)
class MappedArray:
    """One logical array (an LSTM layer, a conv or fc layer, the softmax) and where it lives; the
    slices of every replica, replica by replica."""

    name: str
    kind: str  # "lstm", "softmax", "conv" or "fc"
    rows: int
    cols: int  # physical columns: the logical ones times the devices per weight
    row_blocks: int
    col_blocks: int
    slices: tuple[TileSlice, ...]
    nlf_unit: int
    #: Image networks: array cycles per image in each phase, and the copies of the array.
    forward_mvms: int = 1
    backward_mvms: int = 1
    updates: int = 1
    replicas: int = 1
    #: Image networks: values of the layer's input map (im2col reads patches of it), of its output
    #: map (positions x rows) and after the pooling that follows it (= the output map if none).
    input_values: int = 0
    output_values: int = 0
    pooled_values: int = 0
    #: Image networks: values of one input vector without the bias (a conv layer's patch) and the
    #: layer's activation (tanh, sigmoid, none; the softmax's is its own).
    patch_values: int = 0
    activation: str = "none"
    #: Tiki-Taka's fast array A (``slices`` then hold the slow array C); empty with plain SGD.
    fast_slices: tuple[TileSlice, ...] = ()

    @property
    def all_slices(self) -> tuple[TileSlice, ...]:
        """Every tile the array occupies (C's, then A's)."""
        return self.slices + self.fast_slices

    @property
    def update_slices(self) -> tuple[TileSlice, ...]:
        """The tiles that take the SGD updates: A's with Tiki-Taka, else the array's own."""
        return self.fast_slices or self.slices

    @property
    def devices(self) -> int:
        return self.rows * self.cols * self.replicas * (2 if self.fast_slices else 1)

    def replica_slices(self, replica: int) -> tuple[TileSlice, ...]:
        return tuple(s for s in self.slices if s.replica == replica)


@dataclass(frozen=True)
class Mapping:
    """The whole workload on the chip."""

    workload: str
    chip: str
    arrays: tuple[MappedArray, ...]
    bptt_steps: int  # samples per window: the BPTT steps of an LSTM, 1 (an image) for an image network
    tiles_used: int
    image: bool = False  # an image network: a window is one image (build_image_graph)

    @property
    def devices(self) -> int:
        return sum(a.devices for a in self.arrays)

    def bptt_window_bytes(self, bytes_per_value: int) -> int:
        """Least activation memory one window needs: every step's inputs, and its saved state or
        its deltas, whichever is larger (the saved state is freed as the deltas are written)."""
        per_step = 0
        for a in self.arrays:
            b = bptt_bytes(a.kind, a.rows, a.cols, bytes_per_value)
            per_step += b.inputs + max(b.saved, b.delta)
        return per_step * self.bptt_steps

    def image_bytes(self, bytes_per_value: int) -> int:
        """Activation memory one image needs at most (image networks): every array's input map,
        output map and delta map (a bound: each is freed once used, see build_image_graph)."""
        values = sum(a.input_values + 2 * a.output_values for a in self.arrays)
        return values * bytes_per_value


def _blocks(n: int, size: int) -> list[int]:
    """Sizes of the blocks of n split into pieces of at most ``size``."""
    full, rest = divmod(n, size)
    return [size] * full + ([rest] if rest else [])


def map_workload(
    workload: WorkloadConfig,
    chip: ChipConfig,
    check_memory: bool = True,
    arrays_per_weight: int = 1,
    digital_bias: bool = False,
) -> Mapping:
    """Assign each array to tiles (split when larger than a tile) and to an NLF unit (round robin);
    ``arrays_per_weight`` 2: each array twice (Tiki-Taka's C and A, chip/tikitaka.py);
    ``digital_bias``: each array without its bias column (chip/measures.py).

    Raises MappingError naming ``tile.count`` when the tiles do not suffice, and
    ``memory.capacity_bytes`` when one window's BPTT storage cannot fit (unless ``check_memory``
    is False, in which case the simulation reports it as a finding).
    """
    tile = chip.tile
    shapes = workload.arrays()
    copies = arrays_per_weight
    shapes = [dataclasses.replace(s, cols=s.cols - 1) if digital_bias else s for s in shapes]
    if copies > 1 and any(s.replicas > 1 for s in shapes):
        raise MappingError(
            f"workload '{workload.name}': replicas: a replicated layer with Tiki-Taka (two arrays per "
            "weight) is not modelled; use replicas 1 or plain SGD"
        )
    # Tiles counted before any is assigned: a large array on tiny tiles needs millions of slices.
    needs = {
        s.name: copies * -(-s.rows // tile.rows) * -(-s.cols * s.devices_per_weight // tile.cols) * s.replicas
        for s in shapes
    }
    if sum(needs.values()) > tile.count:
        raise MappingError(
            f"chip '{chip.name}': tile.count: workload '{workload.name}' needs {sum(needs.values())} tiles "
            f"of {tile.rows}x{tile.cols} ("
            + "; ".join(f"{s.name} {s.rows}x{s.cols} needs {needs[s.name]}" for s in shapes)
            + (", two arrays each for Tiki-Taka" if copies == 2 else "")
            + f") but the chip has tile.count = {tile.count}"
        )
    arrays: list[MappedArray] = []
    next_tile = 0
    maps = _image_maps(workload) if workload.is_image else {}
    for index, shape in enumerate(shapes):
        cols = shape.cols * shape.devices_per_weight
        row_sizes, col_sizes = _blocks(shape.rows, tile.rows), _blocks(cols, tile.cols)
        copy_slices: list[list[TileSlice]] = []
        for _ in range(copies):
            slices = []
            for replica in range(shape.replicas):
                for i, r in enumerate(row_sizes):
                    for j, c in enumerate(col_sizes):
                        slices.append(TileSlice(next_tile, i, j, r, c, replica))
                        next_tile += 1
            copy_slices.append(slices)
        arrays.append(
            MappedArray(
                shape.name,
                shape.kind,
                shape.rows,
                cols,
                len(row_sizes),
                len(col_sizes),
                tuple(copy_slices[0]),
                index % chip.nlf.count,
                shape.forward_mvms,
                shape.backward_mvms,
                shape.updates,
                shape.replicas,
                *maps.get(shape.name, (0, 0, 0, 0, "none")),
                fast_slices=tuple(copy_slices[1]) if copies == 2 else (),
            )
        )
    if workload.is_image:
        mapping = Mapping(workload.name, chip.name, tuple(arrays), 1, next_tile, image=True)
        if check_memory and isinstance(chip.memory, SRAMMemoryConfig):
            need = mapping.image_bytes(chip.bytes_per_value)
            if need > chip.memory.capacity_bytes:
                raise MappingError(
                    f"chip '{chip.name}': memory.capacity_bytes: the feature maps of one image of "
                    f"'{workload.name}' need up to {need} bytes; the limit is memory.capacity_bytes = "
                    f"{chip.memory.capacity_bytes}"
                )
        return mapping
    mapping = Mapping(workload.name, chip.name, tuple(arrays), workload.training.bptt_steps, next_tile)
    if check_memory and isinstance(chip.memory, SRAMMemoryConfig):
        need = mapping.bptt_window_bytes(chip.bytes_per_value)
        if need > chip.memory.capacity_bytes:
            raise MappingError(
                f"chip '{chip.name}': memory.capacity_bytes: the BPTT storage of one window of "
                f"'{workload.name}' ({workload.training.bptt_steps} steps) needs at least {need} bytes; "
                f"the limit is memory.capacity_bytes = {chip.memory.capacity_bytes}"
            )
    return mapping


def _image_maps(workload: WorkloadConfig) -> dict[str, tuple]:
    """Per array of an image network: values of its input map, its output map, the map after the
    pooling that follows it (its output map when none follows), its patch and its activation."""
    shapes = {a.layer: a for a in workload.arrays()}
    maps: dict[str, tuple] = {}
    last = None
    for s in workload.model.shapes():
        size = s.output[0] * s.output[1] * s.output[2]
        if s.index in shapes:
            a = shapes[s.index]
            last = a.name
            activation = getattr(s.layer, "activation", "none")
            maps[last] = (s.input[0] * s.input[1] * s.input[2], size, size, a.cols - 1, activation)
        elif last is not None:  # a pool after the array ``last``
            maps[last] = (*maps[last][:2], size, *maps[last][3:])
    return maps
