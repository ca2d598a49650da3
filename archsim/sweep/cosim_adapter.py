"""The one place the sweep calls the co-simulation (``archsim.cosim``, issue 5).

Written against ``archsim.cosim.cosimulate(workload, chip, rpu, corpus, options: CosimOptions,
rpu_name="", progress=None) -> (CosimResult, trace)``, where ``CosimResult.chip`` is a
:class:`~archsim.chip.results.ChipResult` (None when training diverged), ``CosimResult.train.test_ce``
the last test cross-entropy and ``CosimResult.to_dict()`` its plain data. If that interface
changes, only this module changes.
"""

from __future__ import annotations

import importlib
from typing import Any

from archsim.sweep.spec import PointConfig

UNAVAILABLE = "cosim points need archsim cosim (issue 5), not available in this version"


def _cosim_module():
    try:
        module = importlib.import_module("archsim.cosim")
    except ImportError:
        return None
    if not all(hasattr(module, name) for name in ("cosimulate", "CosimOptions")):
        return None
    return module


def cosim_available() -> bool:
    """True when ``archsim.cosim`` provides ``cosimulate`` and ``CosimOptions``."""
    return _cosim_module() is not None


def run_cosim(config: PointConfig) -> tuple[Any, float | None, dict[str, Any]]:
    """Co-simulate one point: (its ChipResult, the final test cross-entropy, the result as data).
    Raises when training diverged (the point is recorded as failed with the message)."""
    cosim = _cosim_module()
    if cosim is None:
        raise RuntimeError(UNAVAILABLE)
    from archsim.train.data import load_corpus

    command, budget, workload = config.command, config.command.budget, config.workload
    corpus = load_corpus(workload.corpus, workload.vocab_size, source=f"workload '{workload.name}'")
    options = cosim.CosimOptions(
        chars=budget.chars,
        seed=command.seed,
        streams=command.streams,
        schedule=command.schedule,
        eval_chars=budget.eval_chars,
        eval_every=budget.eval_every or budget.chars,
        timing_only=False,
    )
    result, _trace = cosim.cosimulate(workload, config.chip, config.rpu, corpus, options)
    if result.chip is None or result.status != "completed":
        raise RuntimeError(f"cosim {result.status}: {result.message}")
    return result.chip, result.train.test_ce, result.to_dict()
