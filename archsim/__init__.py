"""archsim: a cycle-level simulator of analog in-memory (RPU) training chips.

One configuration yields both how well the chip trains a network (the Numba analog numerics core)
and how fast and at what energy it does so (the SimPy chip model).
"""

__version__ = "0.1.0"
