"""Device and periphery configuration of an RPU tile (NUMERICS.md), and its YAML presets.

Values are relative to the weight range unless a unit is named: weights are dimensionless
conductance differences, ``dw_min`` is the mean change of one coincidence pulse, spreads are
relative standard deviations (0.3 = 30 %).

Every number is finite and in a physically meaningful range (the limits are the fields'
constraints and the cross-field checks below); types are strict: a boolean is not an integer and
a string is not a number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from archsim.config.errors import (
    MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS,
    ConfigError,
    echo,
    load_preset_data,
    preset_names,
    resolve_preset,
    validate,
)
from archsim.paths import MODELS_DIR

RPU_DIR = MODELS_DIR / "rpu"


#: Largest weight bound |w_min|, w_max (the paper's is 0.6).
MAX_WEIGHT_BOUND = 100.0
#: Most states between the bounds, (w_max - w_min) / dw_min; at least 2.
MAX_STATES = 1_000_000
#: Largest relative spread (device-to-device or cycle-to-cycle), 100 %.
MAX_SPREAD = 1.0
#: Longest pulse train: the update kernel packs a train into one uint64 (numerics MAX_SLOTS).
MAX_BL = 64
#: Largest output bound and output noise, normalised domain (the paper's: 12 and 0.06).
MAX_OUT_BOUND = 1000.0
MAX_OUT_NOISE = 100.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def dac_levels(bits: int) -> int:
    """Levels per sign of a b-bit DAC, 2^(b-1) - 1 (5 bits: 15, 7 bits: 63): the quantisation
    step is 1 / levels (NUMERICS.md 2), and a time-encoded input takes ``levels`` pulse slots
    (TIMING.md 2). The numerics and the chip model both take it from here."""
    return 2 ** (bits - 1) - 1


class ConstantStepDevice(_Frozen):
    """Constant-step device with hard bounds (NUMERICS.md 3.2-3.4)."""

    kind: Literal["constant_step"] = "constant_step"
    dw_min: float = Field(
        0.001,
        gt=0,
        description="Mean weight change of one coincidence; 2 to MAX_STATES steps span the bounds.",
    )
    dw_min_d2d: float = Field(
        0.3, ge=0, le=MAX_SPREAD, description="Device-to-device spread of the step (rel.)."
    )
    dw_min_c2c: float = Field(
        0.3, ge=0, le=MAX_SPREAD, description="Cycle-to-cycle spread of each step (rel.)."
    )
    up_down: float = Field(0.0, gt=-1, lt=1, description="Mean up/down imbalance beta (relative to dw_min).")
    up_down_d2d: float = Field(
        0.01, ge=0, le=MAX_SPREAD, description="Device-to-device spread r of the up/down difference (rel.)."
    )
    w_max: float = Field(0.6, gt=0, le=MAX_WEIGHT_BOUND, description="Mean upper weight bound.")
    w_min: float = Field(-0.6, lt=0, ge=-MAX_WEIGHT_BOUND, description="Mean lower weight bound.")
    w_max_d2d: float = Field(0.3, ge=0, le=MAX_SPREAD, description="Device-to-device spread of w_max (rel.).")
    w_min_d2d: float = Field(0.3, ge=0, le=MAX_SPREAD, description="Device-to-device spread of w_min (rel.).")

    @model_validator(mode="after")
    def _step_within_the_range(self) -> ConstantStepDevice:
        # A step as large as the range trains nothing; a million states is beyond any device.
        span = self.w_max - self.w_min
        if not span / MAX_STATES <= self.dw_min <= span / 2:
            raise ValueError(
                f"dw_min ({self.dw_min:g}) must be between (w_max - w_min) / {MAX_STATES} and "
                f"(w_max - w_min) / 2, i.e. in [{span / MAX_STATES:g}, {span / 2:g}]: 2 to "
                f"{MAX_STATES} steps between the bounds"
            )
        return self


class IOConfig(_Frozen):
    """Periphery of one MVM direction: DAC, ADC, noise and the management schemes (NUMERICS.md 2)."""

    inp_bits: int | None = Field(
        7, ge=2, le=16, description="DAC resolution in bits (2^(b-1)-1 levels per sign); None: exact."
    )
    inp_stochastic_round: bool = Field(
        False, description="Stochastic (unbiased) instead of nearest rounding in the DAC."
    )
    out_bits: int | None = Field(
        9, ge=2, le=24, description="ADC resolution in bits over [-out_bound, out_bound]; None: exact."
    )
    out_noise: float = Field(
        0.06,
        ge=0,
        le=MAX_OUT_NOISE,
        description="Std of additive Gaussian output noise, normalised domain; below out_bound.",
    )
    out_bound: float | None = Field(
        12.0,
        gt=0,
        le=MAX_OUT_BOUND,
        description="Output saturation level, normalised domain; None: unbounded.",
    )
    noise_management: bool = Field(True, description="Scale each input vector by its abs-max.")
    bound_management: bool = Field(
        True, description="Repeat a saturated MVM with the input halved (up to the pass cap)."
    )

    @model_validator(mode="after")
    def _adc_needs_bound(self) -> IOConfig:
        if self.out_bits is not None and self.out_bound is None:
            raise ValueError("out_bits needs out_bound (the ADC range); set out_bound or out_bits: null")
        if self.out_bound is not None and self.out_noise >= self.out_bound:
            raise ValueError(
                f"out_noise ({self.out_noise:g}) must be below out_bound ({self.out_bound:g}): "
                "noise at the full-scale output leaves no signal"
            )
        return self


class PulseUpdateConfig(_Frozen):
    """Stochastic pulsed update (NUMERICS.md 3.1)."""

    bl: int = Field(10, ge=1, le=MAX_BL, description="Pulse-train length BL (slots); max with bl_management.")
    update_management: bool = Field(
        False, description="Balance the x and d pulse probabilities (A*B unchanged)."
    )
    bl_management: bool = Field(
        False, description="Use BL = min(ceil(lr*max|x|*max|d|/dw_min), bl) per update."
    )


class RPUConfig(_Frozen):
    """An analog RPU tile: device model, forward and backward periphery, pulsed update."""

    kind: Literal["analog"] = "analog"
    name: str = Field(
        "", max_length=MAX_NAME_CHARS, description="Short name; a preset file's name when not given."
    )
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS, description="Where the numbers come from.")
    device: ConstantStepDevice = ConstantStepDevice()
    forward: IOConfig = IOConfig()
    backward: IOConfig = IOConfig()
    update: PulseUpdateConfig = PulseUpdateConfig()
    mask_clipped_outputs: bool = Field(
        True,
        description="Training through a bounded output (NUMERICS.md 2.1): zero the back-propagated "
        "error of every output whose forward value reached 0.999 x forward.out_bound (real units) "
        "before the backward MVM, as the reference simulator does; the pulsed update still uses the "
        "whole error. False: pass the whole error.",
    )
    bm_backward: bool = Field(
        True,
        description="Bound management in backward too: True is the paper's mode, False the "
        "reference simulator's. Sets backward.bound_management.",
    )

    @model_validator(mode="before")
    @classmethod
    def _backward_bound_management(cls, data: Any) -> Any:
        # bm_backward is the one switch; an explicit, contradicting backward setting is an error.
        if not isinstance(data, dict):
            return data
        bm = data.get("bm_backward", True)
        backward = data.get("backward", {})
        if isinstance(backward, IOConfig):
            backward = backward.model_dump()
        if not isinstance(backward, dict):
            return data
        if "bound_management" in backward and backward["bound_management"] != bm:
            raise ValueError(
                f"backward.bound_management={backward['bound_management']} contradicts "
                f"bm_backward={bm}; set only bm_backward"
            )
        return {**data, "backward": {**backward, "bound_management": bm}}


class FloatingPointRPUConfig(_Frozen):
    """Ideal floating-point weights: exact MVMs and W -= lr * outer(d, x)."""

    kind: Literal["fp"] = "fp"
    name: str = Field(
        "", max_length=MAX_NAME_CHARS, description="Short name; a preset file's name when not given."
    )
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS, description="Where the numbers come from.")


AnyRPUConfig = Annotated[RPUConfig | FloatingPointRPUConfig, Field(discriminator="kind")]


def load_rpu(name_or_path: str | Path) -> RPUConfig | FloatingPointRPUConfig:
    """An RPU preset by name (``models/rpu/NAME.yaml``) or by path.

    A preset may start with ``extends: OTHER`` and override only what differs. A missing
    ``kind`` means ``analog``.
    """
    path = resolve_preset(name_or_path, RPU_DIR, "RPU preset")
    data = load_preset_data(path, RPU_DIR, "RPU preset")
    kinds = {"analog": RPUConfig, "fp": FloatingPointRPUConfig}
    kind = data.setdefault("kind", "analog")
    data.setdefault("name", path.stem)
    if not isinstance(kind, str) or kind not in kinds:
        raise ConfigError(f"{path}: kind: unknown {echo(kind)}; allowed: {', '.join(kinds)}")
    return validate(kinds[kind], data, str(path))


def rpu_presets() -> list[str]:
    """Names of the presets in ``models/rpu``."""
    return preset_names(RPU_DIR)
