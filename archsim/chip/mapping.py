"""Mapping a workload's arrays onto the chip's tiles and NLF units: a pure step, no simulation.

A logical array of r x c devices larger than a tile of R x C is split into ceil(r/R) row blocks by
ceil(c/C) column blocks; forward partial sums of the column blocks and backward partial sums of the
row blocks are added digitally by the array's NLF unit. With Tiki-Taka (``arrays_per_weight`` 2,
chip/tikitaka.py) each logical array is two physical arrays, C (``slices``) and A
(``fast_slices``), each split the same way onto tiles of its own.
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


@dataclass(frozen=True)
class MappedArray:
    """One logical array (an LSTM layer or the softmax) and where it lives."""

    name: str
    kind: str  # "lstm" or "softmax"
    rows: int
    cols: int
    row_blocks: int
    col_blocks: int
    slices: tuple[TileSlice, ...]
    nlf_unit: int
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
        return self.rows * self.cols * (2 if self.fast_slices else 1)


@dataclass(frozen=True)
class Mapping:
    """The whole workload on the chip."""

    workload: str
    chip: str
    arrays: tuple[MappedArray, ...]
    bptt_steps: int
    tiles_used: int

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
    # Tiles counted before any is assigned: a large array on tiny tiles needs millions of slices.
    copies = arrays_per_weight
    shapes = [dataclasses.replace(s, cols=s.cols - 1) if digital_bias else s for s in workload.arrays()]
    needs = {s.name: copies * -(-s.rows // tile.rows) * -(-s.cols // tile.cols) for s in shapes}
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
    for index, shape in enumerate(shapes):
        row_sizes, col_sizes = _blocks(shape.rows, tile.rows), _blocks(shape.cols, tile.cols)
        copy_slices: list[list[TileSlice]] = []
        for _ in range(copies):
            slices = []
            for i, r in enumerate(row_sizes):
                for j, c in enumerate(col_sizes):
                    slices.append(TileSlice(next_tile, i, j, r, c))
                    next_tile += 1
            copy_slices.append(slices)
        kind = "softmax" if shape.name == "softmax" else "lstm"
        arrays.append(
            MappedArray(
                shape.name,
                kind,
                shape.rows,
                shape.cols,
                len(row_sizes),
                len(col_sizes),
                tuple(copy_slices[0]),
                index % chip.nlf.count,
                tuple(copy_slices[1]) if copies == 2 else (),
            )
        )
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
