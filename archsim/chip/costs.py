"""Costs of every hardware action as pure functions: (configuration, action) -> cycles or energy.

Times are integer clock cycles; ns are converted once, rounding up (a unit cannot finish early).
Energies are in pJ, static powers in mW, areas in mm^2. The counting rule (TIMING.md section 1):
one logical array cycle on a region of r used rows x c used columns performs 2*r*c operations; a
repeated pass adds time, not operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.chip import ChipConfig, DigitalNLFConfig, SRAMMemoryConfig, TileConfig, WiredLinkConfig
from archsim.config.rpu import FloatingPointRPUConfig, RPUConfig, dac_levels

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


#: Directions of an MVM: forward drives the columns and converts the rows, backward the reverse.
DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class Periphery:
    """What the chip model takes from the RPU configuration (the design's other half): the DAC and
    ADC resolution of each direction and the update pulse-train length BL.

    ``None`` bits mean exact values (no DAC or no ADC in the RPU model): no encoding or conversion
    time and no conversion energy is charged, and :meth:`notes` says so. A floating-point RPU has
    neither, and its update is one pulse slot.
    """

    dac_bits: tuple[int | None, int | None]  # forward, backward
    adc_bits: tuple[int | None, int | None]
    bl: int  # fixed BL, or the largest BL that BL management may pick
    bl_management: bool

    @classmethod
    def of(cls, rpu: RPUConfig | FloatingPointRPUConfig) -> Periphery:
        if isinstance(rpu, FloatingPointRPUConfig):
            return cls((None, None), (None, None), 1, False)
        fw, bw = rpu.forward, rpu.backward
        return cls(
            (fw.inp_bits, bw.inp_bits),
            (fw.out_bits, bw.out_bits),
            rpu.update.bl,
            rpu.update.bl_management,
        )

    def notes(self, with_numerics: bool = False) -> list[str]:
        """What the chip model assumed where the RPU configuration states no hardware, or where
        only the numerics can tell (``with_numerics``: the co-simulation's hook set each BL)."""
        notes = []
        if self.dac_bits == (None, None) and self.adc_bits == (None, None) and self.bl == 1:
            return [
                "the RPU configuration is floating point (no DAC, ADC or pulse trains): the chip "
                "model charges no input encoding, no conversion and one pulse slot per update; "
                "time an analog RPU preset for a real design"
            ]
        for d, direction in enumerate(DIRECTIONS):
            if self.dac_bits[d] is None:
                notes.append(f"rpu {direction}.inp_bits is null (exact inputs): no encoding time charged")
            if self.adc_bits[d] is None:
                notes.append(f"rpu {direction}.out_bits is null (exact outputs): no conversion charged")
        if self.bl_management and not with_numerics:
            notes.append(
                f"BL management picks BL per update (at most update.bl = {self.bl}); without numerics "
                "every update is timed at the largest BL"
            )
        return notes


def input_slots(dac_bits: int | None) -> int:
    """Pulse slots of a time-encoded input: the DAC's levels per sign (7 bits: 63, 5 bits: 15),
    from the same function the numerics quantise with; exact inputs (None): 0."""
    return 0 if dac_bits is None else dac_levels(dac_bits)


@dataclass(frozen=True)
class TileTiming:
    """A tile's cycle parts in clock cycles, converted once from the design (chip + periphery)."""

    encode_cycles: tuple[int, int]  # forward, backward: one pass's input encoding
    integrate_cycles: int
    conversion_round_cycles: tuple[int, int]  # forward, backward: one round of the shared ADCs
    adcs: int
    bl: int  # the design's BL (every update without numerics)
    update_cycles_by_bl: tuple[int, ...]  # index BL: BL x slot + overhead, rounded up once

    @classmethod
    def of(cls, tile: TileConfig, periphery: Periphery, clock_ghz: float) -> TileTiming:
        return cls(
            encode_cycles=tuple(
                ns_to_cycles(input_slots(b) * tile.dac.t_slot_ns, clock_ghz) for b in periphery.dac_bits
            ),
            integrate_cycles=ns_to_cycles(tile.t_integration_ns, clock_ghz),
            conversion_round_cycles=tuple(
                ns_to_cycles((b or 0) * tile.adc.t_step_ns, clock_ghz) for b in periphery.adc_bits
            ),
            adcs=tile.adc.count_per_tile,
            bl=periphery.bl,
            update_cycles_by_bl=tuple(
                ns_to_cycles(bl * tile.t_update_slot_ns + tile.t_update_overhead_ns, clock_ghz)
                for bl in range(periphery.bl + 1)
            ),
        )

    def conversion_cycles(self, direction: int, outputs: int) -> int:
        """ADC time of one pass in ``direction`` (0 forward, 1 backward): ceil(outputs / ADCs) rounds."""
        return self.conversion_round_cycles[direction] * -(-outputs // self.adcs)

    def mvm_cycles(self, direction: int, outputs: int, passes: int = 1) -> int:
        """One forward (0) or backward (1) MVM: (encoding + integration + conversion) per pass."""
        return passes * (
            self.encode_cycles[direction] + self.integrate_cycles + self.conversion_cycles(direction, outputs)
        )

    def update_cycles(self, bl: int | None = None) -> int:
        """One rank-1 update with pulse trains of ``bl`` slots (None: the design's BL)."""
        return self.update_cycles_by_bl[self.bl if bl is None else bl]


def mvm_energy_pj(
    tile: TileConfig,
    periphery: Periphery,
    direction: int,
    rows_used: int,
    cols_used: int,
    passes: float = 1,
) -> dict[str, float]:
    """Energy of one forward (0: cols driven, rows converted) or backward (1) MVM, by component."""
    inputs, outputs = (cols_used, rows_used) if direction == 0 else (rows_used, cols_used)
    adc_bits = periphery.adc_bits[direction]
    per_conversion = 0.0 if adc_bits is None else 2.0**adc_bits * tile.adc.energy_per_step_pj
    dac = 0.0 if periphery.dac_bits[direction] is None else tile.dac.energy_per_conversion_pj
    return {
        "array": passes * rows_used * cols_used * tile.energy_mvm_per_device_pj,
        "dac": passes * inputs * dac,
        "adc": passes * outputs * per_conversion,
    }


def update_energy_pj(tile: TileConfig, rows_used: int, cols_used: int, bl: float) -> dict[str, float]:
    """Energy of one rank-1 pulsed update with trains of ``bl`` slots: the devices and the pulses on
    every row and column line."""
    return {
        "array": rows_used * cols_used * tile.energy_update_per_device_pj,
        "update_pulses": (rows_used + cols_used) * bl * tile.energy_update_pulse_pj,
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


def activation_work(activation: str, values: int) -> NLFWork:
    """Activation of ``values`` outputs of a conv or fully connected layer (tanh, sigmoid or none)."""
    return ((activation, values),) if activation in ("tanh", "sigmoid") else ()


def pool_forward_work(values: int) -> NLFWork:
    """Max pooling over a map of ``values``: one comparison per value (assumption: a comparison
    takes an add's time)."""
    return (("add", values),)


def col2im_work(patch: int) -> NLFWork:
    """col2im: the errors of one position's patch added into the input's error map."""
    return (("add", patch),)


def delta_work(activation: str, values: int, pooled: bool) -> NLFWork:
    """The delta of a layer's output map of ``values`` from its error map: max pooling routes each
    error to its maximum (one comparison each, assumption), then the activation's derivative from
    the stored output (tanh: 1 - y^2, sigmoid: y (1 - y): a multiply and an add) times the error (a
    multiply)."""
    work: list[tuple[str, int]] = [("add", values)] if pooled else []
    if activation in ("tanh", "sigmoid"):
        work += [("multiply", values), ("add", values), ("multiply", values)]
    return tuple(work)


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


# -- area and static power ---------------------------------------------------------------------

#: Components of the chip's area and static power, in the order results list them. The crossbar
#: ("array") is passive: it has an area but no static power in this model.
AREA_COMPONENTS = ("array", "dac", "adc", "tile", "nlf", "memory", "links")
LEAKAGE_COMPONENTS = ("dac", "adc", "tile", "nlf", "memory", "links")

UM2_PER_MM2 = 1e6
BYTES_PER_MIB = 2**20


def tile_area_mm2(tile: TileConfig) -> dict[str, float]:
    """Area of one tile by component: its crossbar (rows x cols devices), its line drivers (one per
    row and per column), its ADCs and its other circuits ("tile": the lines' read-out and update
    circuits and the fixed part)."""
    return {
        "array": tile.rows * tile.cols * tile.device_area_um2 / UM2_PER_MM2,
        "dac": (tile.rows + tile.cols) * tile.dac.area_um2 / UM2_PER_MM2,
        "adc": tile.adc.count_per_tile * tile.adc.area_um2 / UM2_PER_MM2,
        "tile": tile.area_mm2 + (tile.rows + tile.cols) * tile.line_area_um2 / UM2_PER_MM2,
    }


def tile_leakage_mw(tile: TileConfig) -> dict[str, float]:
    """Static power of one tile in use by component: line drivers, ADCs, the other circuits (the
    lines' read-out and update circuits and the fixed part)."""
    return {
        "dac": (tile.rows + tile.cols) * tile.dac.leakage_mw,
        "adc": tile.adc.count_per_tile * tile.adc.leakage_mw,
        "tile": tile.leakage_mw + (tile.rows + tile.cols) * tile.line_leakage_mw,
    }


def nlf_unit_area_mm2(chip: ChipConfig) -> float:
    nlf = chip.nlf
    lanes = nlf.lanes * nlf.area_per_lane_um2 / UM2_PER_MM2 if isinstance(nlf, DigitalNLFConfig) else 0.0
    return nlf.area_mm2 + lanes


def nlf_unit_leakage_mw(chip: ChipConfig) -> float:
    nlf = chip.nlf
    lanes = nlf.lanes * nlf.leakage_per_lane_mw if isinstance(nlf, DigitalNLFConfig) else 0.0
    return nlf.leakage_mw + lanes


def memory_area_mm2(chip: ChipConfig) -> float:
    mem = chip.memory
    if isinstance(mem, SRAMMemoryConfig):
        return mem.area_mm2 + mem.capacity_bytes / BYTES_PER_MIB * mem.area_per_mib_mm2
    return mem.area_mm2


def memory_leakage_mw(chip: ChipConfig) -> float:
    mem = chip.memory
    if isinstance(mem, SRAMMemoryConfig):
        return mem.leakage_mw + mem.capacity_bytes / BYTES_PER_MIB * mem.leakage_per_mib_mw
    return mem.leakage_mw


def area_mm2(chip: ChipConfig) -> dict[str, float]:
    """Area of the whole chip by component, with ``total``: every tile (used or not) with its
    DACs and ADCs, every NLF unit, the memory, one tile<->NLF link per tile and the NLF<->memory
    link."""
    n = chip.tile.count
    area = {k: n * v for k, v in tile_area_mm2(chip.tile).items()}
    area["nlf"] = chip.nlf.count * nlf_unit_area_mm2(chip)
    area["memory"] = memory_area_mm2(chip)
    area["links"] = n * chip.links.tile_nlf.area_mm2 + chip.links.nlf_memory.area_mm2
    area["total"] = sum(area.values())
    return area


def leakage_mw(chip: ChipConfig, tiles_used: int, arrays: int) -> dict[str, float]:
    """Static power of the chip by component, with ``total``: the ``tiles_used`` tiles in use with
    their DACs and ADCs (unused tiles are power-gated), every NLF unit, the memory, the tile<->NLF
    links in use (one per mapped array, of ``arrays``) and the NLF<->memory link."""
    power = {k: tiles_used * v for k, v in tile_leakage_mw(chip.tile).items()}
    power["nlf"] = chip.nlf.count * nlf_unit_leakage_mw(chip)
    power["memory"] = memory_leakage_mw(chip)
    power["links"] = arrays * chip.links.tile_nlf.leakage_mw + chip.links.nlf_memory.leakage_mw
    power["total"] = sum(power.values())
    return power
