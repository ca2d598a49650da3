"""Training the planned runs: one after another in this process, or ``jobs`` at a time as
``archsim train`` subprocesses. Either way each run is exactly an ``archsim train --out RUN_DIR``
(with ``--resume`` when its folder holds a checkpoint), so the two agree bit for bit and a run
started by hand is adopted.

A finished run is skipped; a diverged one is final; one that a process is training now (see
:mod:`archsim.experiment.runs`) is left alone. Ctrl-C stops the runs in progress at their next
window (each writes its checkpoint and an ``interrupted`` result) and starts no other; the same
command continues them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsim.config.options import TrainOptions
from archsim.experiment.plan import RunKey
from archsim.experiment.runs import RunState, run_folder
from archsim.train.checkpoint import CHECKPOINT_NAME

#: Options of ``archsim train`` that the runner passes on; a finished run's must equal them.
RUN_OPTIONS = ("chars", "epochs", "eval_chars", "eval_every")


@dataclass
class Job:
    """A run to train: its key, what to pass ``archsim train``, its target characters."""

    key: RunKey
    workload_arg: str  # the WORKLOAD argument as given (preset name or path)
    options: TrainOptions
    target: int


def decide(run: RunState, target: int) -> str:
    """What to do with a run found in ``state``: ``train``, ``resume`` or why it is skipped."""
    if run.state == "diverged":
        return "skip: diverged (final)"
    if run.state == "running":
        return "skip: running (its checkpoint is recent and newer than any result; another process trains it)"
    if run.state == "completed" and run.chars >= target:
        return "skip: finished"
    if (run.folder / CHECKPOINT_NAME).exists():
        return "resume"
    return "train"


def mismatch(run: RunState, options: TrainOptions) -> str | None:
    """The first option (of :data:`RUN_OPTIONS` that change what a run computes: eval_chars and
    eval_every) in which the run's result differs from ``options``, as ``--flag: ...``; None if none."""
    if run.result is None or run.result.record is None:
        return None
    recorded = run.result.record.options
    for name in ("eval_chars", "eval_every"):
        have, want = getattr(recorded, name), getattr(options, name)
        if have != want:
            flag = "--" + name.replace("_", "-")
            return f"{flag}: {run.folder} was trained with {name} {have}, not {want}; use another --out"
    return None


def train_args(job: Job, out_dir: Path, resume: bool) -> list[str]:
    """The ``archsim train`` arguments of a job."""
    o = job.options
    args = [
        job.workload_arg,
        "--rpu",
        job.key.rpu,
        "--lr",
        repr(job.key.lr),
        "--dropout",
        repr(job.key.dropout),
    ]
    args += ["--seed", str(job.key.seed)]
    args += ["--chars", str(o.chars)] if o.chars is not None else ["--epochs", repr(o.epochs or 1.0)]
    if o.eval_chars is not None:
        args += ["--eval-chars", str(o.eval_chars)]
    if o.eval_every != "auto":  # "auto" is archsim train's default (about 10 evaluations)
        args += ["--eval-every", str(o.eval_every)]
    args += ["--out", str(out_dir), "--no-progress"]
    return args + (["--resume"] if resume else [])


class _Interrupt:
    """SIGINT while subprocesses run: forward one SIGINT to each (they checkpoint), start no more."""

    def __init__(self) -> None:
        self.set = False
        self.children: list[subprocess.Popen] = []
        self._old: Any = None

    def __enter__(self) -> _Interrupt:
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.set = True
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)


#: ``archsim train`` as a subprocess, with this Python.
TRAIN_COMMAND = (sys.executable, "-c", "from archsim.cli import main; main()", "train")


def run_subprocesses(
    jobs: list[tuple[Job, bool]],
    out: Path,
    n: int,
    report: Callable[[Job, str], None],
    command: tuple[str, ...] = TRAIN_COMMAND,
) -> bool:
    """Train ``jobs`` (job, resume) ``n`` at a time as ``archsim train`` subprocesses (``command``
    followed by :func:`train_args`), each logging to ``RUN_DIR.log``; ``report(job, status)`` as
    each starts and ends. Returns False when interrupted."""
    from archsim.results import load_result

    pending = list(jobs)
    active: list[tuple[Job, subprocess.Popen, Any]] = []
    with _Interrupt() as stop:
        while pending or active:
            while pending and len(active) < n and not stop.set:
                job, resume = pending.pop(0)
                folder = run_folder(out, job.key)
                folder.parent.mkdir(parents=True, exist_ok=True)
                log = open(folder.parent / f"{folder.name}.log", "ab")  # noqa: SIM115 (closed at the end)
                child = subprocess.Popen(
                    [*command, *train_args(job, folder, resume)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches the runner only, which passes it on once
                    env=os.environ | {"PYTHONUNBUFFERED": "1"},
                )
                stop.children.append(child)
                active.append((job, child, log))
                report(job, "started")
            time.sleep(0.2)
            for entry in list(active):
                job, child, log = entry
                if child.poll() is None:
                    continue
                log.close()
                active.remove(entry)
                stop.children.remove(child)
                path = run_folder(out, job.key) / "result.json"
                try:
                    status = load_result(path).status
                except ValueError:
                    status = f"failed (exit {child.returncode}; see {path.parent}.log)"
                report(job, status)
            if stop.set and not active:
                break
    return not stop.set
