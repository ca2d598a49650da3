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

import numpy as np
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
#: Largest cycle-to-cycle spread with additive noise (measured fits use up to 375 %).
MAX_C2C_ADDITIVE = 10.0
#: Largest |a|, |b|, |A| of the exponential step and largest exponents of the exponential and
#: power steps.
MAX_EXP_SHAPE = 100.0
MAX_EXP_GAMMA = 50.0
MAX_POW_GAMMA = 10.0
#: Largest output bound and output noise, normalised domain (the paper's: 12 and 0.06).
MAX_OUT_BOUND = 1000.0
MAX_OUT_NOISE = 100.0
#: Most rank-1 updates between two transfers and most columns read per transfer (Tiki-Taka).
MAX_TRANSFER_EVERY = 1_000_000
MAX_COLUMNS_PER_TRANSFER = 65_536
#: Largest transfer learning rate and largest TTv2 buffer threshold (in units of C's dw_min).
MAX_TRANSFER_LR = 1000.0
MAX_BUFFER_THRESHOLD = 1000.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def dac_levels(bits: int) -> int:
    """Levels per sign of a b-bit DAC, 2^(b-1) - 1 (5 bits: 15, 7 bits: 63): the quantisation
    step is 1 / levels (NUMERICS.md 2), and a time-encoded input takes ``levels`` pulse slots
    (TIMING.md 2). The numerics and the chip model both take it from here."""
    return 2 ** (bits - 1) - 1


class _PulsedDevice(_Frozen):
    """What every pulsed device model shares (NUMERICS.md 3.2-3.4, the reference simulator's
    ``PulsedDevice``): a step ``dw_min`` per coincidence with its device-to-device and
    cycle-to-cycle spreads, an up/down imbalance, and hard bounds with their spreads. The
    subclasses say how the step depends on the weight."""

    dw_min: float = Field(
        0.001,
        gt=0,
        description="Mean weight change of one coincidence (at w = 0 unless the model says otherwise); "
        "2 to MAX_STATES steps span the bounds.",
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
    def _step_within_the_range(self) -> _PulsedDevice:
        # A step as large as the range trains nothing; a million states is beyond any device.
        span = self.w_max - self.w_min
        if not span / MAX_STATES <= self.dw_min <= span / 2:
            raise ValueError(
                f"dw_min ({self.dw_min:g}) must be between (w_max - w_min) / {MAX_STATES} and "
                f"(w_max - w_min) / 2, i.e. in [{span / MAX_STATES:g}, {span / 2:g}]: 2 to "
                f"{MAX_STATES} steps between the bounds"
            )
        return self


class ConstantStepDevice(_PulsedDevice):
    """Constant-step device with hard bounds (NUMERICS.md 3.2-3.4): every step is the device's
    up or down step, whatever the weight."""

    kind: Literal["constant_step"] = "constant_step"


class _LinearFamily(_PulsedDevice):
    """Models whose step shrinks linearly with the weight: the cycle-to-cycle noise may be
    additive (the reference simulator's ``mult_noise: false``), which measured fits use with
    spreads above 100 %."""

    c2c_noise: Literal["multiplicative", "additive"] = Field(
        "multiplicative",
        description="multiplicative: step(w) * (1 + dw_min_c2c xi); additive: step(w) + dw_min_c2c "
        "dw_ij xi, with dw_ij the device's step at w = 0.",
    )
    dw_min_c2c: float = Field(
        0.3,
        ge=0,
        le=MAX_C2C_ADDITIVE,
        description="Cycle-to-cycle spread of each step (rel.); above 1 only with additive noise.",
    )

    @model_validator(mode="after")
    def _multiplicative_noise_below_one(self) -> _LinearFamily:
        if self.c2c_noise == "multiplicative" and self.dw_min_c2c > MAX_SPREAD:
            raise ValueError(
                f"dw_min_c2c ({self.dw_min_c2c:g}) must be at most {MAX_SPREAD:g} with multiplicative "
                "noise (c2c_noise: additive allows up to "
                f"{MAX_C2C_ADDITIVE:g})"
            )
        return self


class SoftBoundsDevice(_LinearFamily):
    """Soft bounds (reference simulator: ``SoftBoundsDevice``): the step shrinks linearly to
    zero at the bound it approaches, each device at its own bounds:
    up: dw_up_ij (1 - w / bmax_ij), down: dw_down_ij (1 - w / bmin_ij)."""

    kind: Literal["soft_bounds"] = "soft_bounds"


class LinearStepDevice(_LinearFamily):
    """Linear step (reference simulator: ``LinearStepDevice``, slopes relative to the mean
    bounds): up: dw_up_ij (1 - gamma_up_ij w / w_max), down: dw_down_ij (1 - gamma_down_ij w /
    w_min), with gamma_ij = |gamma + gamma_d2d xi| drawn once per device. gamma = 1 shrinks the
    step to zero at the mean bound; gamma = 0 is the constant step."""

    kind: Literal["linear_step"] = "linear_step"
    gamma_up: float = Field(
        0.0, ge=0, le=1, description="Relative decrease of the up step from w = 0 to w = w_max."
    )
    gamma_down: float = Field(
        0.0, ge=0, le=1, description="Relative decrease of the down step from w = 0 to w = w_min."
    )
    gamma_up_d2d: float = Field(
        0.05, ge=0, le=MAX_SPREAD, description="Device-to-device spread of gamma_up (absolute)."
    )
    gamma_down_d2d: float = Field(
        0.05, ge=0, le=MAX_SPREAD, description="Device-to-device spread of gamma_down (absolute)."
    )


class ExpStepDevice(_PulsedDevice):
    """Exponential step (reference simulator: ``ExpStepDevice``; tile-wide shape parameters):
    with z = 2 a w / (bmax_ij - bmin_ij) + b, the up step is dw_up_ij max(1 - A_up exp(gamma_up z),
    0) and the down step dw_down_ij max(1 - A_down exp(-gamma_down z), 0)."""

    kind: Literal["exp_step"] = "exp_step"
    a: float = Field(0.244, ge=-MAX_EXP_SHAPE, le=MAX_EXP_SHAPE, description="Slope of z in the weight.")
    b: float = Field(0.2425, ge=-MAX_EXP_SHAPE, le=MAX_EXP_SHAPE, description="Offset of z.")
    A_up: float = Field(
        0.00081, ge=-MAX_EXP_SHAPE, le=MAX_EXP_SHAPE, description="Factor A of the up direction."
    )
    A_down: float = Field(
        0.36833, ge=-MAX_EXP_SHAPE, le=MAX_EXP_SHAPE, description="Factor A of the down direction."
    )
    gamma_up: float = Field(12.44625, ge=0, le=MAX_EXP_GAMMA, description="Exponent of the up direction.")
    gamma_down: float = Field(12.78785, ge=0, le=MAX_EXP_GAMMA, description="Exponent of the down direction.")

    def step_factors(self, w: Any) -> tuple[Any, Any]:
        """(up, down) step of a device with the mean bounds at weight(s) ``w``, in units of dw_min."""
        z = 2.0 * self.a * np.asarray(w, dtype=float) / (self.w_max - self.w_min) + self.b
        with np.errstate(over="ignore"):
            up = np.maximum(1.0 - self.A_up * np.exp(self.gamma_up * z), 0.0)
            down = np.maximum(1.0 - self.A_down * np.exp(-self.gamma_down * z), 0.0)
        return up, down

    @model_validator(mode="after")
    def _steps_move_and_stay_within_the_range(self) -> ExpStepDevice:
        up, down = self.step_factors(np.linspace(self.w_min, self.w_max, 201))
        span = self.w_max - self.w_min
        for name, factor in (("up", up), ("down", down)):
            if factor[100] <= 0.0:
                raise ValueError(
                    f"A_{name}, gamma_{name}, a, b: the mean {name} step at w = 0 is zero; the device "
                    "could not move from zero"
                )
            if not np.all(np.isfinite(factor)) or self.dw_min * factor.max() > span / 2:
                raise ValueError(
                    f"A_{name}, gamma_{name}, a, b: the {name} step reaches {self.dw_min * factor.max():g} "
                    f"within the bounds; at most (w_max - w_min) / 2 = {span / 2:g}"
                )
        return self


class PowStepDevice(_PulsedDevice):
    """Power step (reference simulator: ``PowStepDevice``, after Fusi & Abbott 2007): with
    omega = (bmax_ij - w) / (bmax_ij - bmin_ij), the up step is dw_up_ij omega^gamma_up_ij and
    the down step dw_down_ij (1 - omega)^gamma_down_ij; the exponents are drawn once per device
    like the steps: gamma_up/down_ij = |pow_gamma (g +- r + imbalance)|."""

    kind: Literal["pow_step"] = "pow_step"
    pow_gamma: float = Field(1.0, gt=0, le=MAX_POW_GAMMA, description="Mean exponent gamma.")
    pow_gamma_d2d: float = Field(
        0.1, ge=0, le=MAX_SPREAD, description="Device-to-device spread of the exponent (rel.)."
    )
    pow_up_down: float = Field(
        0.0, gt=-1, lt=1, description="Mean up/down imbalance of the exponent (rel.; > 0 lowers gamma_down)."
    )
    pow_up_down_d2d: float = Field(
        0.0, ge=0, le=MAX_SPREAD, description="Device-to-device spread of the exponent's up/down difference."
    )


AnyDevice = Annotated[
    ConstantStepDevice | SoftBoundsDevice | LinearStepDevice | ExpStepDevice | PowStepDevice,
    Field(discriminator="kind"),
]


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


class AlgorithmConfig(_Frozen):
    """How the tile learns (docs/numerics.md, "Learning algorithms"): plain pulsed SGD, or
    Tiki-Taka (Gokmen & Haensch, Front. Neurosci. 14:103, 2020) and its buffered successor TTv2
    (Gokmen, Front. Artif. Intell. 4:699148, 2021), after the reference simulator's ``TransferCompound`` and
    ``BufferedTransferCompound``. With Tiki-Taka each weight is two arrays: a fast array A takes
    the pulsed SGD updates; every ``transfer_every`` rank-1 updates, ``columns_per_transfer``
    columns of A (the next ones, cycling) are read by forward MVMs with one-hot inputs and pulsed
    into the slow array C; the weight is C + gamma A. TTv2 adds the reads to a digital buffer and
    pulses only whole thresholds of it into C."""

    kind: Literal["sgd", "tiki-taka", "ttv2"] = Field(
        "sgd", description="sgd: one array takes the updates; tiki-taka, ttv2: the fast and slow arrays."
    )
    transfer_every: int = Field(
        1,
        ge=1,
        le=MAX_TRANSFER_EVERY,
        description="Rank-1 updates of A between two transfers (the reference's transfer_every with "
        "units_in_mbatch false).",
    )
    columns_per_transfer: int = Field(
        1,
        ge=1,
        le=MAX_COLUMNS_PER_TRANSFER,
        description="Columns of A read and transferred per transfer, in order, wrapping at the last "
        "(the reference's n_reads_per_transfer).",
    )
    transfer_lr: float = Field(
        1.0,
        gt=0,
        le=MAX_TRANSFER_LR,
        description="Learning rate of the transfer: C[:, j] gains transfer_lr times the read of A[:, j] "
        "(tiki-taka), or the buffer does (ttv2); not scaled by the SGD learning rate.",
    )
    gamma: float = Field(
        0.0, ge=0, le=1, description="The weight read in forward and backward is C + gamma A."
    )
    buffer_threshold: float = Field(
        1.0,
        gt=0,
        le=MAX_BUFFER_THRESHOLD,
        description="ttv2: the buffer's threshold in units of C's dw_min (the reference's thres_scale); "
        "whole thresholds are pulsed into C, the remainder stays in the buffer.",
    )

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> AlgorithmConfig:
        # A field another kind uses must keep its default (checked on values, so a dumped config
        # loads again).
        fields = type(self).model_fields
        unused = {"sgd": [f for f in fields if f != "kind"], "tiki-taka": ["buffer_threshold"]}
        for name in unused.get(self.kind, []):
            if getattr(self, name) != fields[name].default:
                kinds = "ttv2" if name == "buffer_threshold" else "tiki-taka or ttv2"
                raise ValueError(f"{name}: only with kind {kinds}, not with kind {self.kind}")
        return self

    @property
    def transfers(self) -> bool:
        """Whether the tile is the fast and slow arrays of Tiki-Taka (either version)."""
        return self.kind != "sgd"


class MeasuresConfig(_Frozen):
    """Two of the compensatory measures of Rasch, Gokmen & Haensch, IEEE D&T 2019
    (arXiv:1906.02698), after the reference simulator's ``MappingParameter`` (docs/numerics.md,
    "The 2019 measures")."""

    weight_scaling_omega: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Weight scaling: the weights set on the tile are mapped so that the largest "
        "|w| is this fraction of the device range (the smaller of |w_min|, w_max); a digital scale "
        "alpha restores them in forward and backward, and the array's learning rate is lr / alpha. "
        "None: no scaling.",
    )
    digital_bias: bool = Field(
        False,
        description="Keep the bias (the array's last column, whose input is the constant 1) in "
        "digital float32, updated by exact SGD, not on the array.",
    )

    @property
    def active(self) -> bool:
        return self.weight_scaling_omega is not None or self.digital_bias


class RPUConfig(_Frozen):
    """An analog RPU tile: device model, forward and backward periphery, pulsed update."""

    kind: Literal["analog"] = "analog"
    name: str = Field(
        "", max_length=MAX_NAME_CHARS, description="Short name; a preset file's name when not given."
    )
    description: str = Field("", max_length=MAX_DESCRIPTION_CHARS, description="Where the numbers come from.")
    device: AnyDevice = Field(
        ConstantStepDevice(), description="The device model (its kind: constant_step when not given)."
    )
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
    algorithm: AlgorithmConfig = Field(
        AlgorithmConfig(), description="How the tile learns: sgd (default), tiki-taka or ttv2."
    )
    measures: MeasuresConfig = Field(
        MeasuresConfig(), description="The 2019 measures: weight scaling and digital bias (default: off)."
    )

    @model_validator(mode="before")
    @classmethod
    def _constant_step_by_default(cls, data: Any) -> Any:
        # A device without a kind is the constant-step device every preset had before the others.
        device = data.get("device") if isinstance(data, dict) else None
        if isinstance(device, dict) and "kind" not in device:
            return {**data, "device": {"kind": "constant_step", **device}}
        return data

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
