"""Checkpoints: everything a run needs to continue bit for bit, written atomically.

A checkpoint is a pickle of plain data (dicts, lists, numpy arrays, ints, floats): the tiles'
state dicts, the recurrent state carried across windows, the dropout RNG state, the data position
and the curve so far. Only load checkpoints you wrote yourself (pickle executes code on load).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

FORMAT = 1
CHECKPOINT_NAME = "checkpoint.pkl"


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump({"format": FORMAT, **payload}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    try:
        with open(path, "rb") as fh:
            payload = pickle.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"--resume: no checkpoint at {path}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"--resume: {path} is not an archsim training checkpoint (format {FORMAT})")
    return payload
