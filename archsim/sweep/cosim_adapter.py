"""The one place the sweep calls the co-simulation (``archsim.cosim.cosimulate``), so that a change
of its interface changes only this module. ``CosimResult.chip`` is a ChipResult (None when training
diverged), ``CosimResult.train.test_ce`` the last test cross-entropy.
"""

from __future__ import annotations

from typing import Any

from archsim.config.options import CosimOptions
from archsim.sweep.spec import PointConfig


def run_cosim(config: PointConfig) -> tuple[Any, float | None, dict[str, Any]]:
    """Co-simulate one point: (its ChipResult, the final test cross-entropy, the result as data).
    Raises when training diverged (the point is recorded as failed with the message)."""
    from archsim import cosim
    from archsim.train.data import load_workload_data

    workload = config.workload
    # The corpus of an LSTM, the image dataset of an image network.
    corpus = load_workload_data(workload, f"workload '{workload.name}'")
    options = CosimOptions.model_validate(config.command.model_dump(exclude={"kind"}))
    result, _trace = cosim.cosimulate(workload, config.chip, config.rpu, corpus, options)
    if result.chip is None or result.status != "completed":
        raise RuntimeError(f"cosim {result.status}: {result.message}")
    return result.chip, result.train.test_ce, result.to_dict()
