"""Co-simulation of accuracy and timing: the chip's schedule drives the analog numerics."""

from archsim.cosim.cosim import CosimOptions, CosimProgress, Cosimulation, chip_for_rpu, cosimulate
from archsim.cosim.executor import CosimDiverged, NumericsExecutor
from archsim.cosim.results import CosimCurvePoint, CosimResult, CosimTraining, PassStats

__all__ = [
    "CosimCurvePoint",
    "CosimDiverged",
    "CosimOptions",
    "CosimProgress",
    "CosimResult",
    "CosimTraining",
    "Cosimulation",
    "NumericsExecutor",
    "PassStats",
    "chip_for_rpu",
    "cosimulate",
]
