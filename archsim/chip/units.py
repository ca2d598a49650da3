"""The chip's hardware units, one class each. Their methods are hardware verbs: SimPy generators
that hold the unit (a ``simpy.Resource``) for the cost given by :mod:`archsim.chip.costs`, count
busy cycles and energy, and return the cycle at which the unit started serving.

Ideal units (no time) hold no resource: they never contend. Every verb also has a zero-time path
used by the scheduler for ideal units (``account_*``), so no SimPy event is spent on them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator

import simpy

from archsim.chip import costs
from archsim.config.chip import TileConfig


class _Unit:
    """Common bookkeeping: busy cycles, actions, energy by component (pJ)."""

    kind = "unit"

    def __init__(self, env: simpy.Environment, name: str, timed: bool) -> None:
        self.env = env
        self.name = name
        self.resource = simpy.PriorityResource(env, capacity=1) if timed else None
        self.busy_cycles = 0
        self.actions = 0
        self.energy_pj: dict[str, float] = defaultdict(float)

    def _hold(self, cycles: int, priority: int = 0) -> Generator[simpy.Event, None, int]:
        """Acquire the unit (lower ``priority`` first, then FIFO), stay busy ``cycles``; returns the
        start cycle."""
        self.actions += 1
        self.busy_cycles += cycles
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
        self.conversions = 0

    def encode(self, direction: int, inputs: int, passes: int) -> int:
        """Drive ``inputs`` lines for ``passes`` passes of a forward (0) or backward (1) MVM;
        returns the encoding cycles."""
        self.conversions += inputs * passes
        return passes * self.timing.encode_cycles[direction]


class ADCBank:
    """The shared ADCs of one tile: ceil(outputs / count) conversion rounds per pass."""

    def __init__(self, tile: TileConfig, timing: costs.TileTiming) -> None:
        self.cfg = tile.adc
        self.timing = timing
        self.conversions = 0
        self.busy_cycles = 0

    def convert(self, direction: int, outputs: int, passes: int) -> int:
        """Convert ``outputs`` values per pass of a forward (0) or backward (1) MVM; returns the
        conversion cycles."""
        self.conversions += outputs * passes
        cycles = passes * self.timing.conversion_cycles(direction, outputs)
        self.busy_cycles += cycles
        return cycles


class RPUTile(_Unit):
    """One physical RPU tile with its DAC and ADC banks. One SimPy timeout per array operation."""

    kind = "tile"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        tile: TileConfig,
        timing: costs.TileTiming,
        periphery: costs.Periphery,
    ) -> None:
        super().__init__(env, name, timed=True)
        self.cfg = tile
        self.timing = timing
        self.periphery = periphery
        self.dac = DACBank(tile, timing)
        self.adc = ADCBank(tile, timing)
        self.extra_pass_cycles = 0
        self.operations = 0

    def _mvm(self, direction: int, rows: int, cols: int, passes: int, priority: int):
        inputs, outputs = (cols, rows) if direction == 0 else (rows, cols)
        one = self.timing.mvm_cycles(direction, outputs)
        cycles = self.dac.encode(direction, inputs, passes) + passes * self.timing.integrate_cycles
        cycles += self.adc.convert(direction, outputs, passes)
        self.extra_pass_cycles += cycles - one
        self.operations += costs.operations(rows, cols)
        for k, v in costs.mvm_energy_pj(self.cfg, self.periphery, direction, rows, cols, passes).items():
            self.energy_pj[k] += v
        return (yield from self._hold(cycles, priority))

    def forward(self, rows: int, cols: int, passes: int = 1, priority: int = 0):
        """Forward MVM on the used rows x cols: cols inputs driven, rows outputs converted."""
        return (yield from self._mvm(0, rows, cols, passes, priority))

    def backward(self, rows: int, cols: int, passes: int = 1, priority: int = 0):
        """Backward (transposed) MVM: rows inputs driven, cols outputs converted."""
        return (yield from self._mvm(1, rows, cols, passes, priority))

    def update(self, rows: int, cols: int, bl: int | None = None, priority: int = 0):
        """Rank-1 pulsed update of the used rows x cols with trains of ``bl`` slots (None: the
        design's BL; BL management in the co-simulation picks it per update)."""
        bl = self.timing.bl if bl is None else bl
        self.operations += costs.operations(rows, cols)
        for k, v in costs.update_energy_pj(self.cfg, rows, cols, bl).items():
            self.energy_pj[k] += v
        return (yield from self._hold(self.timing.update_cycles(bl), priority))


class NLFUnit(_Unit):
    """A digital non-linear-function unit: sigmoid, tanh, element-wise multiply/add, exp."""

    kind = "nlf"

    def __init__(
        self, env: simpy.Environment, name: str, timing: costs.NLFTiming, energy_per_element_op_pj: float
    ) -> None:
        super().__init__(env, name, timed=timing.lanes > 0)
        self.timing = timing
        self.energy_per_element_op_pj = energy_per_element_op_pj
        self.elements = 0

    def account_activate(self, work: costs.NLFWork) -> int:
        n = costs.work_elements(work)
        self.elements += n
        self.energy_pj["nlf"] += n * self.energy_per_element_op_pj
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

    def __init__(
        self, env: simpy.Environment, name: str, timing: costs.TransferTiming, energy_per_byte_pj: float
    ) -> None:
        super().__init__(env, name, timed=timing.bytes_per_cycle > 0)
        self.timing = timing
        self.energy_per_byte_pj = energy_per_byte_pj
        self.bytes = 0

    def account_transfer(self, nbytes: int) -> int:
        self.bytes += nbytes
        self.energy_pj["link"] += nbytes * self.energy_per_byte_pj
        return self.timing.cycles(nbytes)

    def transfer(self, nbytes: int, priority: int = 0):
        """Move ``nbytes`` across the link."""
        return (yield from self._hold(self.account_transfer(nbytes), priority))


class ActivationMemory(_Unit):
    """The activation memory (one port): BPTT stores and loads, occupancy and traffic."""

    kind = "memory"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        timing: costs.TransferTiming,
        energy_per_byte_pj: float,
        capacity_bytes: int | None,
    ) -> None:
        super().__init__(env, name, timed=timing.bytes_per_cycle > 0)
        self.timing = timing
        self.energy_per_byte_pj = energy_per_byte_pj
        self.capacity_bytes = capacity_bytes
        self.occupancy_bytes = 0
        self.peak_bytes = 0
        self.bytes_written = 0
        self.bytes_read = 0

    def account_store(self, nbytes: int, keep_bytes: int) -> int:
        self.bytes_written += nbytes
        self.occupancy_bytes += keep_bytes
        self.peak_bytes = max(self.peak_bytes, self.occupancy_bytes)
        self.energy_pj["memory"] += nbytes * self.energy_per_byte_pj
        return self.timing.cycles(nbytes)

    def account_load(self, nbytes: int, free_bytes: int) -> int:
        self.bytes_read += nbytes
        self.occupancy_bytes -= free_bytes
        self.energy_pj["memory"] += nbytes * self.energy_per_byte_pj
        return self.timing.cycles(nbytes)

    def store(self, nbytes: int, keep_bytes: int, priority: int = 0):
        """Write ``nbytes``; ``keep_bytes`` of them stay allocated until a load frees them."""
        return (yield from self._hold(self.account_store(nbytes, keep_bytes), priority))

    def load(self, nbytes: int, free_bytes: int, priority: int = 0):
        """Read ``nbytes`` and release ``free_bytes`` no longer needed."""
        return (yield from self._hold(self.account_load(nbytes, free_bytes), priority))
