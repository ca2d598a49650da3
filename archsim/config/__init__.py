"""Configuration: frozen pydantic models, pure data, loaded from YAML presets.

Config code imports neither SimPy nor Numba. Errors (:class:`ConfigError`) name the file, the
field and the allowed values.
"""

from archsim.config.chip import ChipConfig, chip_presets, load_chip
from archsim.config.design import DEFAULT_RPU, Design, load_design
from archsim.config.errors import ConfigError
from archsim.config.options import CosimOptions, OptionsError, SimulateOptions, TrainOptions
from archsim.config.overrides import with_overrides
from archsim.config.rpu import (
    AlgorithmConfig,
    ConstantStepDevice,
    ExpStepDevice,
    FloatingPointRPUConfig,
    IOConfig,
    LinearStepDevice,
    MeasuresConfig,
    PowStepDevice,
    PulseUpdateConfig,
    RPUConfig,
    SoftBoundsDevice,
    load_rpu,
    rpu_presets,
)
from archsim.config.workload import (
    ArrayShape,
    LSTMModel,
    TrainingConfig,
    WorkloadConfig,
    load_workload,
    workload_presets,
)

__all__ = [
    "AlgorithmConfig",
    "ArrayShape",
    "ChipConfig",
    "ConfigError",
    "ConstantStepDevice",
    "CosimOptions",
    "ExpStepDevice",
    "DEFAULT_RPU",
    "Design",
    "FloatingPointRPUConfig",
    "IOConfig",
    "LSTMModel",
    "LinearStepDevice",
    "MeasuresConfig",
    "OptionsError",
    "PowStepDevice",
    "PulseUpdateConfig",
    "RPUConfig",
    "SimulateOptions",
    "SoftBoundsDevice",
    "TrainOptions",
    "TrainingConfig",
    "WorkloadConfig",
    "chip_presets",
    "load_chip",
    "load_design",
    "load_rpu",
    "load_workload",
    "rpu_presets",
    "with_overrides",
    "workload_presets",
]
