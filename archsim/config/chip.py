"""Chip configuration (TIMING.md): RPU tiles with DAC/ADC periphery, NLF units, activation memory,
links, the clock and the energy of every action, and its YAML presets in ``models/chips``.

Pure data: no SimPy, no Numba. Times are in ns, energies in pJ, powers in mW, sizes in bytes,
bandwidths in GB/s (1 GB/s = 1 byte/ns), areas in mm^2 for a block and um^2 for a part repeated
per line, converter, lane or device; the chip model converts ns to clock cycles once.

Area and static power (leakage): every unit states its fixed part (``area_mm2``, ``leakage_mw``);
a unit that scales states the part per element too (a tile per device, DAC and ADC; an NLF unit
per lane; an SRAM per MiB). ``archsim.chip.costs.area_mm2`` and ``leakage_mw`` add them up.

Every number is finite and bounded (the ``MAX_*`` limits below), so that every duration converts
to a modest whole number of cycles and every energy sum stays finite; counts are strict integers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from archsim.config.errors import MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, load_preset, preset_names
from archsim.paths import MODELS_DIR

CHIPS_DIR = MODELS_DIR / "chips"


#: Clock range, GHz (1 MHz to 100 GHz).
MIN_CLOCK_GHZ, MAX_CLOCK_GHZ = 1e-3, 100.0
#: Longest single time of the chip (a slot, an integration, a conversion step, a latency), ns: 1 ms.
#: With the clock bounded, any duration is at most 1e8 cycles (a 16-bit DAC's 32767 slots: 3.3e12).
MAX_NS = 1e6
#: Largest energy of one action, pJ (1 uJ), and largest static power of one unit, mW (1 kW).
MAX_PJ = 1e6
MAX_MW = 1e6
#: Bandwidth range of a link or memory port, GB/s.
MIN_GBPS, MAX_GBPS = 1e-3, 1e6
#: Largest tile side (rows, cols), tiles on a chip, NLF units and lanes.
MAX_TILE_SIDE = 65_536
MAX_TILES = 16_384
MAX_NLF_UNITS = 256
MAX_LANES = 65_536
#: Largest activation memory, bytes (1 TiB).
MAX_MEMORY_BYTES = 2**40
#: Largest area of one block, mm^2 (1 m^2), and of one repeated part, um^2 (1 mm^2).
MAX_MM2 = 1e6
MAX_UM2 = 1e6

#: The units as types: a time in ns, an energy in pJ, a power in mW, a bandwidth in GB/s.
Ns = Annotated[float, Field(ge=0, le=MAX_NS)]
Pj = Annotated[float, Field(ge=0, le=MAX_PJ)]
Mw = Annotated[float, Field(ge=0, le=MAX_MW)]
Gbps = Annotated[float, Field(ge=MIN_GBPS, le=MAX_GBPS)]
#: An area in mm^2 (a block) or um^2 (a part repeated per line, converter, lane or device).
Mm2 = Annotated[float, Field(ge=0, le=MAX_MM2)]
Um2 = Annotated[float, Field(ge=0, le=MAX_UM2)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class DACConfig(_Frozen):
    """Input drivers of a tile: a time-encoded input of b bits takes 2^(b-1) - 1 pulse slots per
    pass. The resolution b belongs to the RPU configuration (``forward.inp_bits``,
    ``backward.inp_bits``), not to the chip."""

    t_slot_ns: Ns = Field(1.0, description="Duration of one input pulse slot, ns.")
    energy_per_conversion_pj: Pj = Field(0.0, description="Energy to drive one input line for one pass, pJ.")
    area_um2: Um2 = Field(
        0.0,
        description="Area of one line's driver, um^2; a tile has one per row and per column "
        "(forward drives the columns, backward the rows).",
    )
    leakage_mw: Mw = Field(0.0, description="Static power of one line's driver, mW.")


class ADCConfig(_Frozen):
    """Output converters of a tile, shared by its output lines (ADC sharing): successive-
    approximation converters that resolve one bit per step. The resolution b belongs to the RPU
    configuration (``forward.out_bits``, ``backward.out_bits``): a conversion takes b steps of
    ``t_step_ns`` and costs 2^b x ``energy_per_step_pj`` (Walden figure of merit)."""

    count_per_tile: int = Field(
        ge=1,
        le=MAX_TILE_SIDE,
        description="ADCs per tile; outputs are converted in ceil(outputs / count) rounds.",
    )
    t_step_ns: Ns = Field(
        0.0, description="Time of one bit step of a conversion, ns (a round takes bits x this)."
    )
    energy_per_step_pj: Pj = Field(
        0.0, description="Energy per conversion step, pJ (one conversion costs 2^bits x this)."
    )
    area_um2: Um2 = Field(0.0, description="Area of one converter, um^2.")
    leakage_mw: Mw = Field(0.0, description="Static power of one converter, mW.")


class TileConfig(_Frozen):
    """One physical RPU tile: a cross-point array of rows x cols devices and its periphery.

    Forward/backward cycle = input encoding + integration + conversion, repeated per pass;
    update cycle = BL x update pulse slot + overhead. The resolutions and BL come from the RPU
    configuration: timing is a property of the design, the pair (chip, RPU).
    """

    rows: int = Field(ge=1, le=MAX_TILE_SIDE, description="Physical rows (forward outputs) of one tile.")
    cols: int = Field(ge=1, le=MAX_TILE_SIDE, description="Physical columns (forward inputs) of one tile.")
    count: int = Field(ge=1, le=MAX_TILES, description="Tiles on the chip.")
    t_integration_ns: Ns = Field(description="Analog integration time of one MVM pass, ns.")
    t_update_slot_ns: Ns = Field(description="Duration of one update pulse slot, ns.")
    t_update_overhead_ns: Ns = Field(0.0, description="Fixed time added to every update, ns.")
    dac: DACConfig = DACConfig()
    adc: ADCConfig
    energy_mvm_per_device_pj: Pj = Field(
        0.0, description="Array energy per device per forward/backward pass, pJ."
    )
    energy_update_per_device_pj: Pj = Field(0.0, description="Array energy per device per update cycle, pJ.")
    energy_update_pulse_pj: Pj = Field(
        0.0, description="Energy of one update pulse on one row or column line, pJ."
    )
    device_area_um2: Um2 = Field(
        0.0, description="Area of one cross-point device, um^2 (a tile has rows x cols of them)."
    )
    line_area_um2: Um2 = Field(
        0.0,
        description="Area of one row or column line's read-out and update circuits (integrator, "
        "pulse generator), um^2; a tile has rows + cols lines.",
    )
    line_leakage_mw: Mw = Field(0.0, description="Static power of one line's circuits, mW.")
    area_mm2: Mm2 = Field(
        0.0, description="Area of one tile's fixed circuits (control; besides lines and converters), mm^2."
    )
    leakage_mw: Mw = Field(
        0.0, description="Static power of one tile's fixed circuits (besides its lines and converters), mW."
    )


class IdealNLFConfig(_Frozen):
    """NLF units that take no time and never contend (the paper's assumption)."""

    kind: Literal["ideal"] = "ideal"
    count: int = Field(1, ge=1, le=MAX_NLF_UNITS, description="NLF units (arrays are assigned round robin).")
    energy_per_element_op_pj: Pj = Field(0.0, description="Energy of one element-op, pJ.")
    area_mm2: Mm2 = Field(0.0, description="Area of one NLF unit, mm^2.")
    leakage_mw: Mw = Field(0.0, description="Static power of one NLF unit, mW.")


class NLFLatencyConfig(_Frozen):
    """Pipeline latency of each operation class, ns (paid once per stage of an NLF operation)."""

    sigmoid_ns: Ns = Field(0.0, description="Sigmoid stage latency, ns.")
    tanh_ns: Ns = Field(0.0, description="Tanh stage latency, ns.")
    multiply_ns: Ns = Field(0.0, description="Element-wise multiply stage latency, ns.")
    add_ns: Ns = Field(0.0, description="Element-wise add stage latency, ns.")
    exp_ns: Ns = Field(0.0, description="Exponential (softmax) stage latency, ns.")


class DigitalNLFConfig(_Frozen):
    """Pipelined digital NLF units: each stage streams its elements through ``lanes`` per cycle."""

    kind: Literal["digital"] = "digital"
    count: int = Field(ge=1, le=MAX_NLF_UNITS, description="NLF units (arrays are assigned round robin).")
    lanes: int = Field(ge=1, le=MAX_LANES, description="Elements per clock cycle of one unit.")
    latency: NLFLatencyConfig = NLFLatencyConfig()
    energy_per_element_op_pj: Pj = Field(0.0, description="Energy of one element-op, pJ.")
    area_mm2: Mm2 = Field(0.0, description="Area of one NLF unit besides its lanes (control, tables), mm^2.")
    area_per_lane_um2: Um2 = Field(0.0, description="Area of one lane of one unit, um^2.")
    leakage_mw: Mw = Field(0.0, description="Static power of one NLF unit besides its lanes, mW.")
    leakage_per_lane_mw: Mw = Field(0.0, description="Static power of one lane of one unit, mW.")


class IdealMemoryConfig(_Frozen):
    """Activation memory of unlimited capacity and bandwidth, zero latency."""

    kind: Literal["ideal"] = "ideal"
    energy_per_byte_pj: Pj = Field(0.0, description="Energy per byte read or written, pJ.")
    area_mm2: Mm2 = Field(0.0, description="Area, mm^2.")
    leakage_mw: Mw = Field(0.0, description="Static power, mW.")


class SRAMMemoryConfig(_Frozen):
    """On-chip activation memory (SRAM) with one port shared by all accesses."""

    kind: Literal["sram"] = "sram"
    capacity_bytes: int = Field(ge=1, le=MAX_MEMORY_BYTES, description="Capacity, bytes.")
    bandwidth_gbps: Gbps = Field(description="Port bandwidth, GB/s (bytes per ns).")
    latency_ns: Ns = Field(0.0, description="Access latency added to every transfer, ns.")
    energy_per_byte_pj: Pj = Field(0.0, description="Energy per byte read or written, pJ.")
    area_mm2: Mm2 = Field(0.0, description="Area besides the bit cells (ports, control), mm^2.")
    area_per_mib_mm2: Mm2 = Field(0.0, description="Area per MiB of capacity (bit cells, arrays), mm^2.")
    leakage_mw: Mw = Field(0.0, description="Static power besides the bit cells, mW.")
    leakage_per_mib_mw: Mw = Field(0.0, description="Static power per MiB of capacity, mW.")


class IdealLinkConfig(_Frozen):
    """A link of unlimited bandwidth and zero latency."""

    kind: Literal["ideal"] = "ideal"
    energy_per_byte_pj: Pj = Field(0.0, description="Energy per byte moved, pJ.")
    area_mm2: Mm2 = Field(0.0, description="Area of one link, mm^2.")
    leakage_mw: Mw = Field(0.0, description="Static power of one link, mW.")


class WiredLinkConfig(_Frozen):
    """A link (bus) that carries one transfer at a time."""

    kind: Literal["wired"] = "wired"
    bandwidth_gbps: Gbps = Field(description="Bandwidth, GB/s (bytes per ns).")
    latency_ns: Ns = Field(0.0, description="Latency added to every transfer, ns.")
    energy_per_byte_pj: Pj = Field(0.0, description="Energy per byte moved, pJ.")
    area_mm2: Mm2 = Field(0.0, description="Area of one link (wires, repeaters, ports), mm^2.")
    leakage_mw: Mw = Field(0.0, description="Static power of one link, mW.")


AnyNLFConfig = Annotated[IdealNLFConfig | DigitalNLFConfig, Field(discriminator="kind")]
AnyMemoryConfig = Annotated[IdealMemoryConfig | SRAMMemoryConfig, Field(discriminator="kind")]
AnyLinkConfig = Annotated[IdealLinkConfig | WiredLinkConfig, Field(discriminator="kind")]


class LinksConfig(_Frozen):
    """The chip's interconnect: one tile<->NLF link per mapped array, one shared NLF<->memory link.
    Area counts one tile<->NLF link per tile (any tile may hold an array); static power the links
    in use."""

    tile_nlf: AnyLinkConfig = IdealLinkConfig()
    nlf_memory: AnyLinkConfig = IdealLinkConfig()


class ChipConfig(_Frozen):
    """A pipelined RPU training chip."""

    name: str = Field(max_length=MAX_NAME_CHARS, description="Short name, e.g. paper-ideal.")
    description: str = Field(
        "", max_length=MAX_DESCRIPTION_CHARS, description="What it is and where its numbers come from."
    )
    clock_ghz: float = Field(
        ge=MIN_CLOCK_GHZ, le=MAX_CLOCK_GHZ, description="Digital clock frequency, GHz (cycles per ns)."
    )
    bytes_per_value: int = Field(
        4, ge=1, le=8, description="Size of one stored or transferred activation value, bytes."
    )
    tile: TileConfig
    nlf: AnyNLFConfig
    memory: AnyMemoryConfig
    links: LinksConfig = LinksConfig()


def load_chip(name_or_path: str | Path) -> ChipConfig:
    """A chip preset by name (``models/chips/NAME.yaml``) or by path; may start with ``extends:``."""
    return load_preset(name_or_path, CHIPS_DIR, "chip preset", ChipConfig)


def chip_presets() -> list[str]:
    """Names of the presets in ``models/chips``."""
    return preset_names(CHIPS_DIR)
