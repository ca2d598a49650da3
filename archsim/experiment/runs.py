"""What is on disk for each run: its state, its curve and its result, read from the run's folder.

A run's folder holds what ``archsim train --out`` writes: ``result.json`` once the command ends
(``completed``, ``interrupted`` or ``diverged``), ``checkpoint.npz`` from the first evaluation on.
Its state:

- ``planned``: no checkpoint yet (nothing to resume);
- ``running``: a checkpoint newer than any result, written in the last :data:`RUNNING_WITHIN_S`
  seconds (a training run writes one at least every ``checkpoint_every_s``, 300 s by default) --
  another process is (or was just) training it, and it is left alone;
- ``interrupted``: a checkpoint and a result that says so, or no result (a killed run): resumed;
- ``completed`` (the result; finished when it trained the planned characters, else resumed to
  train the rest) and ``diverged`` (final).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archsim.experiment.plan import RunKey, parse_run_id
from archsim.results import TrainResult, load_result
from archsim.train.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint

RESULT_NAME = "result.json"
RUNS_DIR = "runs"
PLAN_NAME = "plan.json"
#: A checkpoint this recent, newer than the run's result, is taken for a run in progress.
RUNNING_WITHIN_S = 900.0


@dataclass
class RunState:
    """A run as found on disk."""

    key: RunKey
    folder: Path
    state: str  # planned, running, interrupted, completed, diverged
    chars: int = 0  # characters trained (of the result, or of the checkpoint when newer)
    curve: list[tuple[int, float]] = field(default_factory=list)  # (chars, test CE)
    test_ce: float | None = None
    #: Test error rate at each point of ``curve`` (image networks; None for LSTMs).
    curve_error: list[float | None] = field(default_factory=list)
    test_error: float | None = None
    result: TrainResult | None = None
    problem: str = ""  # why the folder could not be read, when it could not

    @property
    def final(self) -> bool:
        return self.state in ("completed", "diverged")


def run_folder(out: Path, key: RunKey) -> Path:
    return Path(out) / RUNS_DIR / key.workload / key.run_id


def inspect(out: Path, key: RunKey, now: float | None = None) -> RunState:
    """The state of run ``key`` of the experiment in ``out``."""
    folder = run_folder(out, key)
    now = time.time() if now is None else now
    result_path, ckpt_path = folder / RESULT_NAME, folder / CHECKPOINT_NAME
    result = None
    run = RunState(key, folder, "planned")
    if result_path.exists():
        try:
            loaded = load_result(result_path)
        except ValueError as err:
            run.problem = str(err)
            loaded = None
        if isinstance(loaded, TrainResult):
            result = loaded
        elif loaded is not None:
            run.problem = f"{result_path}: a {loaded.kind} result, not a training result"
    ckpt_time = ckpt_path.stat().st_mtime if ckpt_path.exists() else None
    result_time = result_path.stat().st_mtime if result is not None else None
    newer_ckpt = ckpt_time is not None and (result_time is None or ckpt_time > result_time)
    if newer_ckpt:
        run.state = "running" if now - ckpt_time < RUNNING_WITHIN_S else "interrupted"
        try:
            progress = load_checkpoint(ckpt_path)["progress"]
        except CheckpointError as err:
            run.problem = str(err)
        else:
            run.chars = progress["chars_trained"]
            run.curve = [(c["chars"], c["test_ce"]) for c in progress["curve"]]
            run.curve_error = [c.get("test_error") for c in progress["curve"]]
    elif result is not None:
        run.state = result.status
        run.chars = result.chars_trained
        run.curve = [(c.chars, c.test_ce) for c in result.curve]
        run.curve_error = [c.test_error for c in result.curve]
    run.result = result
    run.test_ce = run.curve[-1][1] if run.curve else None
    run.test_error = run.curve_error[-1] if run.curve_error else None
    return run


def found(out: Path) -> list[RunKey]:
    """The runs whose folders are in ``out/runs`` (named as runs are), in order."""
    keys = []
    root = Path(out) / RUNS_DIR
    if not root.is_dir():
        return keys
    for wl_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for run_dir in sorted(p for p in wl_dir.iterdir() if p.is_dir()):
            key = parse_run_id(wl_dir.name, run_dir.name)
            if key is not None:
                keys.append(key)
    return keys


def read_plan(out: Path) -> dict[str, Any]:
    """``out/plan.json``: every run ``archsim experiment run`` planned here, with its target
    characters and options (empty when there is none: the runs were started by hand)."""
    path = Path(out) / PLAN_NAME
    if not path.exists():
        return {"runs": []}
    from archsim.results import read_json

    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise ValueError(f"{path}: not an experiment plan (expected an object with a list 'runs')")
    return data


def plan_entry(key: RunKey, target: int, options: dict[str, Any]) -> dict[str, Any]:
    return {
        "workload": key.workload,
        "rpu": key.rpu,
        "lr": key.lr,
        "dropout": key.dropout,
        "seed": key.seed,
        "target_chars": target,
        "options": options,
    }


def planned(out: Path) -> dict[RunKey, int]:
    """The runs of ``out/plan.json`` and their target characters (the last plan's, per run)."""
    runs: dict[RunKey, int] = {}
    for entry in read_plan(out)["runs"]:
        try:
            key = RunKey(entry["workload"], entry["rpu"], entry["lr"], entry["dropout"], entry["seed"])
            runs[key] = int(entry["target_chars"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{Path(out) / PLAN_NAME}: a run entry is not readable: {json.dumps(entry)[:120]}"
            ) from None
    return runs
