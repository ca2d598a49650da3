"""Analog numerics: the RPU tile (Numba kernels with NumPy reference twins) and its FP twin."""

from archsim.numerics.checks import NonFiniteError
from archsim.numerics.tile import AnalogTile, FloatingPointTile, make_tile

__all__ = ["AnalogTile", "FloatingPointTile", "NonFiniteError", "make_tile"]
