"""What the 2019 measures (docs/numerics.md, "The 2019 measures") cost the chip, in one place.

- **digital bias**: every array loses its bias column (mapped with cols - 1 columns); per step
  the NLF unit adds the bias to the rows' outputs in forward, and per update multiplies the rows'
  errors by the learning rate and adds them to the bias.
- **weight scaling**: the NLF unit multiplies the rows' outputs by alpha in forward and the
  columns' outputs in backward (the learning rate's division by alpha is one scalar per run).
"""

from __future__ import annotations

from archsim.chip import costs
from archsim.config.rpu import FloatingPointRPUConfig, RPUConfig


def _measures(rpu: RPUConfig | FloatingPointRPUConfig):
    return rpu.measures if isinstance(rpu, RPUConfig) else None


def digital_bias(rpu: RPUConfig | FloatingPointRPUConfig) -> bool:
    """Whether the arrays' bias columns are digital (mapped without them)."""
    m = _measures(rpu)
    return m is not None and m.digital_bias


def _scaled(rpu: RPUConfig | FloatingPointRPUConfig) -> bool:
    m = _measures(rpu)
    return m is not None and m.weight_scaling_omega is not None


def forward_work(rpu: RPUConfig | FloatingPointRPUConfig, rows: int) -> costs.NLFWork:
    """Per forward step of an array of ``rows`` outputs: the scale (multiplies), the bias (adds)."""
    return (("multiply", rows),) * _scaled(rpu) + (("add", rows),) * digital_bias(rpu)


def backward_work(rpu: RPUConfig | FloatingPointRPUConfig, cols: int) -> costs.NLFWork:
    """Per backward step of an array of ``cols`` mapped columns: the scale (multiplies)."""
    return (("multiply", cols),) * _scaled(rpu)


def update_work(rpu: RPUConfig | FloatingPointRPUConfig, rows: int) -> costs.NLFWork:
    """Per rank-1 update of an array of ``rows`` rows: the bias's SGD step (lr d, then the add)."""
    return (("multiply", rows), ("add", rows)) * digital_bias(rpu)
