"""The one place the sweep calls the co-simulation (``archsim.cosim``, issue 5).

Written against the expected interface::

    archsim.cosim.cosimulate(workload, chip, rpu, chars: int, seed: int, streams: int = 1) -> CosimResult

where ``CosimResult.chip`` is a :class:`~archsim.chip.results.ChipResult`, ``CosimResult.train``
a training result with ``test_ce`` (a number, or a curve whose last value is the final one), and
``CosimResult.to_json()`` its plain data. If the real interface differs, only this module changes.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from archsim.sweep.spec import PointConfig

UNAVAILABLE = "cosim points need archsim cosim (issue 5), not available in this version"


def _cosimulate():
    try:
        module = importlib.import_module("archsim.cosim")
    except ImportError:
        return None
    return getattr(module, "cosimulate", None)


def cosim_available() -> bool:
    """True when ``archsim.cosim.cosimulate`` can be imported."""
    return _cosimulate() is not None


def final_test_ce(train: Any) -> float | None:
    """The final test cross-entropy of a training result (a number or a curve)."""
    ce = getattr(train, "test_ce", None)
    if isinstance(ce, list | tuple):
        ce = ce[-1] if ce else None
    if isinstance(ce, dict):  # a curve as {chars: ce}
        ce = ce[max(ce)] if ce else None
    return None if ce is None else float(ce)


def run_cosim(config: PointConfig) -> tuple[Any, float | None, dict[str, Any]]:
    """Co-simulate one point: (its ChipResult, the final test cross-entropy, the full result as data)."""
    cosimulate = _cosimulate()
    if cosimulate is None:
        raise RuntimeError(UNAVAILABLE)
    command = config.command
    result = cosimulate(
        config.workload, config.chip, config.rpu, chars=command.budget.chars, seed=command.seed,
        streams=command.streams,
    )  # fmt: skip
    data = result.to_json()
    if isinstance(data, str):
        data = json.loads(data)
    return result.chip, final_test_ce(result.train), data
