"""Co-simulation of accuracy and timing: the chip's schedule drives the analog numerics."""

from archsim.cosim.cosim import CosimOptions, CosimProgress, Cosimulation, cosimulate
from archsim.cosim.executor import CosimDiverged, NumericsExecutor
from archsim.results import CosimCurvePoint, CosimResult, CosimTraining, PassStats

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
    "cosimulate",
]
