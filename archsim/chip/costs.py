"""Costs of every hardware action as pure functions: (configuration, action) -> cycles or energy.

Times are integer clock cycles; ns are converted once, rounding up (a unit cannot finish early).
Energies are in pJ. The counting rule (TIMING.md section 1): one logical array cycle on a region
of r used rows x c used columns performs 2*r*c operations; a repeated pass adds time, not operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.chip import ChipConfig, DigitalNLFConfig, SRAMMemoryConfig, TileConfig, WiredLinkConfig

#: NLF operation classes, in the order their latencies are listed in the configuration.
NLF_CLASSES = ("sigmoid", "tanh", "multiply", "add", "exp")

#: Element counts of one NLF operation: ((class, elements), ...), stages run one after the other.
NLFWork = tuple[tuple[str, int], ...]


def ns_to_cycles(ns: float, clock_ghz: float) -> int:
    """Whole clock cycles that cover ``ns`` (rounded up; a tolerance absorbs float noise)."""
    return max(0, math.ceil(ns * clock_ghz - 1e-9))


def operations(rows_used: int, cols_used: int) -> int:
    """Operations of one logical array cycle on r x c used devices: a multiply and an add each."""
    return 2 * rows_used * cols_used


def input_slots(dac_bits: int) -> int:
    """Pulse slots of a time-encoded input of ``dac_bits`` bits: 2^(bits-1) - 1 (7 bits: 63, 5 bits: 15)."""
    return 2 ** (dac_bits - 1) - 1


@dataclass(frozen=True)
class TileTiming:
    """A tile's cycle parts in clock cycles, converted once from the configuration."""

    encode_cycles: int
    integrate_cycles: int
    conversion_round_cycles: int
    adcs: int
    update_cycles: int

    @classmethod
    def of(cls, tile: TileConfig, clock_ghz: float) -> TileTiming:
        return cls(
            encode_cycles=ns_to_cycles(input_slots(tile.dac.bits) * tile.dac.t_slot_ns, clock_ghz),
            integrate_cycles=ns_to_cycles(tile.t_integration_ns, clock_ghz),
            conversion_round_cycles=ns_to_cycles(tile.adc.t_conversion_ns, clock_ghz),
            adcs=tile.adc.count_per_tile,
            update_cycles=ns_to_cycles(
                tile.update_bl * tile.t_update_slot_ns + tile.t_update_overhead_ns, clock_ghz
            ),
        )

    def conversion_cycles(self, outputs: int) -> int:
        """ADC time of one pass: ceil(outputs / ADCs) conversion rounds."""
        return self.conversion_round_cycles * -(-outputs // self.adcs)

    def mvm_cycles(self, outputs: int, passes: int = 1) -> int:
        """One forward or backward MVM: (encoding + integration + conversion) per pass."""
        return passes * (self.encode_cycles + self.integrate_cycles + self.conversion_cycles(outputs))


def mvm_energy_pj(
    tile: TileConfig, rows_used: int, cols_used: int, inputs: int, outputs: int, passes: int = 1
) -> dict[str, float]:
    """Energy of one forward (inputs = cols) or backward (inputs = rows) MVM, by component."""
    return {
        "array": passes * rows_used * cols_used * tile.energy_mvm_per_device_pj,
        "dac": passes * inputs * tile.dac.energy_per_conversion_pj,
        "adc": passes * outputs * tile.adc.energy_per_conversion_pj,
    }


def update_energy_pj(tile: TileConfig, rows_used: int, cols_used: int) -> dict[str, float]:
    """Energy of one rank-1 pulsed update: the devices and BL pulses on every row and column line."""
    return {
        "array": rows_used * cols_used * tile.energy_update_per_device_pj,
        "update_pulses": (rows_used + cols_used) * tile.update_bl * tile.energy_update_pulse_pj,
    }


def lstm_forward_work(m: int) -> NLFWork:
    """Forward NLF of one LSTM step of width m: 3m sigmoid + m tanh (gates), c = f*c + i*g
    (2 multiplies, 1 add), h = o * tanh(c) (1 tanh, 1 multiply)."""
    return (("sigmoid", 3 * m), ("tanh", m), ("multiply", 2 * m), ("add", m), ("tanh", m), ("multiply", m))


def lstm_backward_work(m: int) -> NLFWork:
    """Backward NLF of one LSTM step of width m: dh = dh_above + dh_recurrent (m adds), the cell
    gradient (4m multiplies, 2m adds), the four gate deltas with their derivatives (11m multiplies,
    m adds) and dc_prev = dc * f (m multiplies). Assumption: derivatives from stored activations."""
    return (
        ("add", m),
        ("multiply", 4 * m),
        ("add", 2 * m),
        ("multiply", 11 * m),
        ("add", m),
        ("multiply", m),
    )


def softmax_forward_work(v: int) -> NLFWork:
    """Softmax of V outputs and its error: V exp, V adds (sum), V multiplies (normalise),
    V adds (y - target)."""
    return (("exp", v), ("add", v), ("multiply", v), ("add", v))


def accumulate_work(adds: int) -> NLFWork:
    """Digital addition of the partial sums of a layer split over several tiles."""
    return (("add", adds),)


def work_elements(work: NLFWork) -> int:
    return sum(n for _, n in work)


@dataclass(frozen=True)
class NLFTiming:
    """An NLF unit's timing in clock cycles; ``lanes`` 0 means an ideal unit (no time)."""

    lanes: int
    latency_cycles: dict[str, int]

    @classmethod
    def of(cls, chip: ChipConfig) -> NLFTiming:
        nlf = chip.nlf
        if not isinstance(nlf, DigitalNLFConfig):
            return cls(lanes=0, latency_cycles=dict.fromkeys(NLF_CLASSES, 0))
        lat = nlf.latency
        ns = {
            "sigmoid": lat.sigmoid_ns,
            "tanh": lat.tanh_ns,
            "multiply": lat.multiply_ns,
            "add": lat.add_ns,
            "exp": lat.exp_ns,
        }
        return cls(
            lanes=nlf.lanes, latency_cycles={k: ns_to_cycles(v, chip.clock_ghz) for k, v in ns.items()}
        )

    def cycles(self, work: NLFWork) -> int:
        """Stages run in order; each streams its elements through the lanes after its pipeline latency."""
        if self.lanes == 0:
            return 0
        return sum(self.latency_cycles[c] + -(-n // self.lanes) for c, n in work if n > 0)


@dataclass(frozen=True)
class TransferTiming:
    """A link's or a memory port's timing: latency + ceil(bytes / bytes per cycle); ideal: 0."""

    latency_cycles: int
    bytes_per_cycle: float  # 0 means ideal (no time)

    @classmethod
    def of(cls, unit: WiredLinkConfig | SRAMMemoryConfig | object, clock_ghz: float) -> TransferTiming:
        if isinstance(unit, WiredLinkConfig | SRAMMemoryConfig):
            return cls(ns_to_cycles(unit.latency_ns, clock_ghz), unit.bandwidth_gbps / clock_ghz)
        return cls(0, 0.0)

    def cycles(self, nbytes: int) -> int:
        if self.bytes_per_cycle == 0 or nbytes == 0:
            return 0
        return self.latency_cycles + math.ceil(nbytes / self.bytes_per_cycle - 1e-9)


@dataclass(frozen=True)
class BPTTBytes:
    """Bytes one array stores per time step for BPTT (32-bit values, TIMING.md section 2)."""

    inputs: int  # the input vector x_t (read again for the update)
    saved: int  # gate pre-activations and cell state of an LSTM step, or the softmax delta
    delta: int  # the gate deltas computed in backward and kept for the update (0 for softmax)


def bptt_bytes(kind: str, rows: int, cols: int, bytes_per_value: int) -> BPTTBytes:
    """Storage of one step of one array: LSTM (rows = 4m): x, 4m pre-activations, m cell states,
    later the 4m deltas; softmax: x and the V deltas of the output error."""
    if kind == "lstm":
        m = rows // 4
        return BPTTBytes(cols * bytes_per_value, 5 * m * bytes_per_value, rows * bytes_per_value)
    return BPTTBytes(cols * bytes_per_value, rows * bytes_per_value, 0)
