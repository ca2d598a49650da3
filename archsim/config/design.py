"""A design: a chip and the RPU configuration of its tiles.

Timing and energy are properties of the design, never of the chip alone: the chip states its
geometry, slot, integration and conversion-step times, unit counts and energies; the RPU
configuration states the resolutions (forward and backward DAC bits, ADC bits) and the update
pulse-train length BL. Each fact has one home, so ``simulate`` and ``cosim`` of one design time
the same hardware.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from archsim.config.chip import ChipConfig, load_chip
from archsim.config.rpu import AnyRPUConfig, load_rpu

#: The RPU preset a chip is timed with when none is named: the LSTM paper's RPU baseline.
DEFAULT_RPU = "rpu-baseline"


class Design(BaseModel):
    """The pair (chip, RPU preset) that the chip model times."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chip: ChipConfig
    rpu: AnyRPUConfig


def load_design(chip: str | Path, rpu: str | Path = DEFAULT_RPU) -> Design:
    """The design of a chip preset and an RPU preset, each by name or by path."""
    return Design(chip=load_chip(chip), rpu=load_rpu(rpu))
