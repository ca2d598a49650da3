"""The chip's hardware units, one class each. Their methods are hardware verbs: SimPy generators
that hold the unit (a ``simpy.Resource``) for the cost given by :mod:`archsim.chip.costs` and
return the cycle at which the unit started serving. The units keep state (the memory's
occupancy), not counts: operations, energy and traffic are reduced from the scheduler's records
(:mod:`archsim.chip.reduce`).

Ideal units (no time) hold no resource: they never contend. Every verb ``V`` has its cost as a
plain function, ``account_V`` (the cycles, and the unit's state changes such as the memory's
occupancy): the scheduler calls it directly for ideal units, so no event is spent on them, and
the lean event engine (:mod:`archsim.chip.engine`) for every operation.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from archsim.chip import costs
from archsim.config.chip import TileConfig


class _Unit:
    """Common part: the name and, for a unit that takes time, its resource."""

    kind = "unit"

    def __init__(self, env: simpy.Environment, name: str, timed: bool) -> None:
        self.env = env
        self.name = name
        self.resource = simpy.PriorityResource(env, capacity=1) if timed else None

    def _hold(self, cycles: int, priority: int = 0) -> Generator[simpy.Event, None, int]:
        """Acquire the unit (lower ``priority`` first, then FIFO), stay busy ``cycles``; returns the
        start cycle."""
        if self.resource is None:
            start = self.env.now
            if cycles:
                yield self.env.timeout(cycles)
            return start
        with self.resource.request(priority=priority) as req:
            yield req
            start = self.env.now
            yield self.env.timeout(cycles)
        return start


class DACBank:
    """The input drivers of one tile (no own process: it works inside the tile's cycle)."""

    def __init__(self, tile: TileConfig, timing: costs.TileTiming) -> None:
        self.cfg = tile.dac
        self.timing = timing

    def encode(self, direction: int, passes: int) -> int:
        """Drive the inputs of ``passes`` passes of a forward (0) or backward (1) MVM (every line
        in parallel); returns the encoding cycles."""
        return passes * self.timing.encode_cycles[direction]


class ADCBank:
    """The shared ADCs of one tile: ceil(outputs / count) conversion rounds per pass."""

    def __init__(self, tile: TileConfig, timing: costs.TileTiming) -> None:
        self.cfg = tile.adc
        self.timing = timing

    def convert(self, direction: int, outputs: int, passes: int) -> int:
        """Convert ``outputs`` values per pass of a forward (0) or backward (1) MVM; returns the
        conversion cycles."""
        return passes * self.timing.conversion_cycles(direction, outputs)


class RPUTile(_Unit):
    """One physical RPU tile with its DAC and ADC banks. One SimPy timeout per array operation."""

    kind = "tile"

    def __init__(self, env: simpy.Environment, name: str, tile: TileConfig, timing: costs.TileTiming) -> None:
        super().__init__(env, name, timed=True)
        self.cfg = tile
        self.timing = timing
        self.dac = DACBank(tile, timing)
        self.adc = ADCBank(tile, timing)

    def _mvm_cycles(self, direction: int, outputs: int, passes: int) -> int:
        cycles = self.dac.encode(direction, passes) + passes * self.timing.integrate_cycles
        return cycles + self.adc.convert(direction, outputs, passes)

    def account_forward(self, rows: int, cols: int, passes: int = 1) -> int:
        return self._mvm_cycles(0, rows, passes)

    def forward(self, rows: int, cols: int, passes: int = 1, priority: int = 0):
        """Forward MVM on the used rows x cols: cols inputs driven, rows outputs converted."""
        return (yield from self._hold(self.account_forward(rows, cols, passes), priority))

    def account_backward(self, rows: int, cols: int, passes: int = 1) -> int:
        return self._mvm_cycles(1, cols, passes)

    def backward(self, rows: int, cols: int, passes: int = 1, priority: int = 0):
        """Backward (transposed) MVM: rows inputs driven, cols outputs converted."""
        return (yield from self._hold(self.account_backward(rows, cols, passes), priority))

    def account_update(self, rows: int, cols: int, bl: int | None = None) -> int:
        return self.timing.update_cycles(bl)

    def update(self, rows: int, cols: int, bl: int | None = None, priority: int = 0):
        """Rank-1 pulsed update of the used rows x cols with trains of ``bl`` slots (None: the
        design's BL; BL management in the co-simulation picks it per update)."""
        return (yield from self._hold(self.account_update(rows, cols, bl), priority))


class NLFUnit(_Unit):
    """A digital non-linear-function unit: sigmoid, tanh, element-wise multiply/add, exp."""

    kind = "nlf"

    def __init__(self, env: simpy.Environment, name: str, timing: costs.NLFTiming) -> None:
        super().__init__(env, name, timed=timing.lanes > 0)
        self.timing = timing

    def account_activate(self, work: costs.NLFWork) -> int:
        return self.timing.cycles(work)

    def activate(self, work: costs.NLFWork, priority: int = 0):
        """Run the stages of ``work`` (activations and element-wise operations)."""
        return (yield from self._hold(self.account_activate(work), priority))

    account_accumulate = account_activate

    def accumulate(self, work: costs.NLFWork, priority: int = 0):
        """Add the partial sums of a split array."""
        return (yield from self._hold(self.account_activate(work), priority))


class Link(_Unit):
    """A link (bus) carrying one transfer at a time."""

    kind = "link"

    def __init__(self, env: simpy.Environment, name: str, timing: costs.TransferTiming) -> None:
        super().__init__(env, name, timed=timing.bytes_per_cycle > 0)
        self.timing = timing

    def account_transfer(self, nbytes: int) -> int:
        return self.timing.cycles(nbytes)

    def transfer(self, nbytes: int, priority: int = 0):
        """Move ``nbytes`` across the link."""
        return (yield from self._hold(self.account_transfer(nbytes), priority))


class ActivationMemory(_Unit):
    """The activation memory (one port): BPTT stores and loads; its occupancy and peak."""

    kind = "memory"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        timing: costs.TransferTiming,
        capacity_bytes: int | None,
    ) -> None:
        super().__init__(env, name, timed=timing.bytes_per_cycle > 0)
        self.timing = timing
        self.capacity_bytes = capacity_bytes
        self.occupancy_bytes = 0
        self.peak_bytes = 0

    def account_store(self, nbytes: int, keep_bytes: int) -> int:
        self.occupancy_bytes += keep_bytes
        self.peak_bytes = max(self.peak_bytes, self.occupancy_bytes)
        return self.timing.cycles(nbytes)

    def account_load(self, nbytes: int, free_bytes: int) -> int:
        self.occupancy_bytes -= free_bytes
        return self.timing.cycles(nbytes)

    def store(self, nbytes: int, keep_bytes: int, priority: int = 0):
        """Write ``nbytes``; ``keep_bytes`` of them stay allocated until a load frees them."""
        return (yield from self._hold(self.account_store(nbytes, keep_bytes), priority))

    def load(self, nbytes: int, free_bytes: int, priority: int = 0):
        """Read ``nbytes`` and release ``free_bytes`` no longer needed."""
        return (yield from self._hold(self.account_load(nbytes, free_bytes), priority))
