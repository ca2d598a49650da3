"""What Tiki-Taka and TTv2 (docs/numerics.md, "Learning algorithms") cost the chip, in one place.

With ``rpu.algorithm.kind`` tiki-taka or ttv2 every layer is two arrays, the fast A and the slow
C, each mapped onto its own tiles (the tiles, their area and their leakage doubled). In one window
of T steps (T rank-1 updates per array):

- forward and backward run on C's tiles (gamma > 0 also reads A: not charged, see docs/chip.md);
- the T SGD updates run on A's tiles;
- after the update of step t, for every t with (t + 1) % transfer_every == 0, one transfer:
  ``columns_per_transfer`` one-hot reads of A (a forward cycle of one driven column on the tiles
  of A that hold that column, its rows converted), the read values over the array's link, TTv2's
  buffer work on the NLF unit, the d vector back over the link, and one rank-1 update of C (one
  driven column) per column read.

The columns cycle in order from column 0 at the start of each window (the numerics carry the
position over windows; the chip's window graph is the same every window), and a window whose T
is not a multiple of transfer_every is charged floor(T / transfer_every) transfers.
"""

from __future__ import annotations

import math

from archsim.chip import costs
from archsim.chip.mapping import MappedArray, Mapping, MappingError
from archsim.config.rpu import AlgorithmConfig, FloatingPointRPUConfig, RPUConfig

#: Phase names (the first element of a graph node's key) of the transfer operations.
READ, READ_OUT, BUFFER, WRITE_IN, WRITE = "t_read", "t_out", "t_nlf", "t_in", "t_upd"
PHASES = (READ, READ_OUT, BUFFER, WRITE_IN, WRITE)


def algorithm_of(rpu: RPUConfig | FloatingPointRPUConfig) -> AlgorithmConfig | None:
    """The transfer algorithm of ``rpu``, or None when it learns by plain SGD (or is floating point)."""
    if isinstance(rpu, RPUConfig) and rpu.algorithm.transfers:
        return rpu.algorithm
    return None


def arrays_per_weight(rpu: RPUConfig | FloatingPointRPUConfig) -> int:
    """Physical arrays that hold each layer: 2 (A and C) with Tiki-Taka, else 1."""
    return 1 if algorithm_of(rpu) is None else 2


def transfer_steps(algorithm: AlgorithmConfig, steps: int) -> list[int]:
    """The steps of a window after whose update a transfer runs: (t + 1) % transfer_every == 0."""
    every = algorithm.transfer_every
    return [t for t in range(steps) if (t + 1) % every == 0]


def updates_per_window(mapping: Mapping, array: MappedArray) -> int:
    """Rank-1 updates of ``array`` in one window: the BPTT steps of an LSTM window, the output
    positions of an image layer (one per position, as the numerics update)."""
    return array.updates if mapping.image else mapping.bptt_steps


def window_transfers(
    algorithm: AlgorithmConfig | None, mapping: Mapping, array: MappedArray
) -> dict[int, int]:
    """Step (or position) -> index of the transfer after its update, for ``array`` in one window;
    empty with plain SGD. Raises MappingError naming ``algorithm.transfer_every`` unless it divides
    the array's updates per window: the window graph is the same every window, so only then is it
    charged exactly the transfers the numerics do."""
    if algorithm is None:
        return {}
    updates = updates_per_window(mapping, array)
    if updates % algorithm.transfer_every:
        common = math.gcd(*(updates_per_window(mapping, a) for a in mapping.arrays))
        allowed = [d for d in range(1, common + 1) if common % d == 0]
        raise MappingError(
            f"workload '{mapping.workload}': algorithm.transfer_every: {algorithm.transfer_every} does "
            f"not divide the {updates} rank-1 updates per window of array '{array.name}', so the "
            f"chip model cannot charge its transfers per window; allowed: "
            + ", ".join(map(str, allowed[:12]))
            + (", ..." if len(allowed) > 12 else "")
        )
    return {t: n for n, t in enumerate(transfer_steps(algorithm, updates))}


def transfer_columns(algorithm: AlgorithmConfig, transfer: int, cols: int) -> list[int]:
    """The columns that the ``transfer``-th transfer of a window reads (from column 0, wrapping)."""
    k = algorithm.columns_per_transfer
    return [(transfer * k + i) % cols for i in range(k)]


def buffer_work(algorithm: AlgorithmConfig, rows: int) -> costs.NLFWork:
    """TTv2's digital work on one read column of ``rows`` values: scale by transfer_lr and add to
    the buffer, divide by the threshold and truncate, multiply the whole thresholds back and
    subtract them (truncation charged as an add); tiki-taka: none."""
    if algorithm.kind != "ttv2":
        return ()
    return (
        ("multiply", rows),
        ("add", rows),
        ("multiply", rows),
        ("add", rows),
        ("multiply", rows),
        ("add", rows),
    )


def counts_per_window(algorithm: AlgorithmConfig, steps: int, rows: int, cols: int) -> dict[str, int]:
    """Per window, for one logical array of rows x cols: transfers, one-hot reads of A, rank-1
    updates of C and TTv2's NLF elements (the hand-checkable totals of the graph's transfer nodes,
    before the split of the array over tiles)."""
    transfers = len(transfer_steps(algorithm, steps))
    reads = transfers * algorithm.columns_per_transfer
    elements = costs.work_elements(buffer_work(algorithm, rows))
    return {"transfers": transfers, "reads": reads, "updates": reads, "nlf_elements": reads * elements}
