"""The progress display every command shares: one line per phase (evaluation, training, simulation,
writing the report ...), drawn with rich on stderr, that fits the terminal from 80 columns up.

A phase with a known amount of work shows a bar, ``done/total unit`` and the time left; one without
(the report, a trace being written) shows a pulsing bar and the time it has taken, never a made-up
count. A phase that runs again (the evaluation every N characters) reuses its line. Nothing is drawn
with ``--no-progress`` or when stderr is not a terminal (a log file stays clean).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.table import Column
from rich.text import Text

#: Columns of the phase name and of the bar (the note takes what is left of the line).
NAME_WIDTH = 16
BAR_WIDTH = 10
#: Seconds between two redraws of a phase's values (the last one is always drawn).
UPDATE_EVERY_S = 0.1


def count(n: float) -> str:
    """A count in at most 5 characters: 9,999, 12.3k, 456k, 1.23M."""
    n = int(n)
    if n < 10_000:
        return f"{n:,}"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            v = n / scale
            return f"{v:.3g}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return str(n)  # unreachable


def clock(seconds: float) -> str:
    """mm:ss below an hour, else h:mm:ss."""
    text = str(timedelta(seconds=max(0, int(seconds))))
    return text[2:] if text.startswith("0:") else text


class CountColumn(ProgressColumn):
    """``done/total unit``; only ``done unit`` while the total is not known; nothing without a unit."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        if not unit:
            return Text("")
        total = f"/{count(task.total)}" if task.total is not None else ""
        return Text(f"{count(task.completed)}{total} {unit}", style="progress.download")


class TimeColumn(ProgressColumn):
    """The time left of a running phase with a total, once some is done: at its recent rate (rich's
    estimate over the last 30 s, which a resumed run's head start does not skew), or, when its work
    comes in steps too far apart for that (a simulated round every half minute), at its mean rate
    so far. Otherwise the time taken."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if not task.finished and task.total and 0 < task.completed < task.total and elapsed > 0:
            recent = task.time_remaining
            left = recent if recent is not None else elapsed * (task.total - task.completed) / task.completed
            return Text(f"{clock(left)} left", style="progress.remaining")
        return Text(clock(task.finished_time if task.finished else elapsed), style="progress.elapsed")


class Phase:
    """One line of the display: ``update`` it as the work goes, ``finish`` it at the end."""

    def __init__(self, phases: Phases, task: TaskID | None) -> None:
        self._phases, self._task = phases, task
        self._last = 0.0

    def update(self, completed: float, total: float | None = None, note: str | None = None) -> None:
        """``completed`` of ``total`` (None: as before); redrawn at most every UPDATE_EVERY_S."""
        if self._task is None:
            return
        now = time.perf_counter()
        if now - self._last < UPDATE_EVERY_S and (total is None or completed < total):
            return
        self._last = now
        fields = {} if note is None else {"note": note}
        self._phases.bar.update(
            self._task, completed=completed, **({"total": total} if total else {}), **fields
        )

    def finish(self, note: str | None = None, completed: float | None = None) -> None:
        """The phase is done: its bar full. ``completed``: the work it took, when it stopped before
        its total (which becomes that); a phase without a total gets one of its count."""
        if self._task is None:
            return
        bar = self._phases.bar
        task = bar.tasks[self._task]
        total = completed if completed is not None else task.total
        total = total if total is not None else max(task.completed, 1)
        # Complete, the task is finished and its time frozen (not stopped: a reset would then
        # measure from the old stop).
        bar.update(self._task, total=total, completed=total, **({} if note is None else {"note": note}))


class Phases:
    """The progress display of one command (a context manager); ``enabled`` is its ``--progress``."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.enabled = enabled and console.is_terminal and not console.is_dumb_terminal
        self.bar = Progress(
            TextColumn(
                "[bold]{task.description}",
                table_column=Column(width=NAME_WIDTH, no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=BAR_WIDTH),
            CountColumn(table_column=Column(no_wrap=True)),
            TextColumn(
                "{task.fields[note]}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")
            ),
            TimeColumn(table_column=Column(no_wrap=True, justify="right")),
            console=console,
            disable=not self.enabled,
            expand=True,
            refresh_per_second=5,
        )
        self._named: dict[str, Phase] = {}
        self._eval = Phase(self, None)

    def __enter__(self) -> Phases:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def say(self, text: str) -> None:
        """A line above the bars (what runs), shown only with the display."""
        if self.enabled:
            self.bar.console.print(text, highlight=False, markup=False, overflow="ellipsis", no_wrap=True)

    def start(self, name: str, total: float | None = None, unit: str = "", note: str = "") -> Phase:
        """A new line for phase ``name``; a phase started again under the same name reuses its line."""
        if not self.enabled:
            return Phase(self, None)
        old = self._named.get(name)
        if old is not None and old._task is not None:
            self.bar.reset(old._task, total=total, completed=0, note=note, unit=unit, start=True)
            old._last = 0.0
            return old
        phase = self._named[name] = Phase(self, self.bar.add_task(name, total=total, note=note, unit=unit))
        return phase

    @contextmanager
    def phase(self, name: str, total: float | None = None, unit: str = "", note: str = "") -> Iterator[Phase]:
        """``start`` a phase, ``finish`` it when the block ends without an error."""
        p = self.start(name, total, unit, note)
        yield p
        p.finish()

    def evaluation(self, name: str = "evaluate", trained: str = "chars"):
        """A callback ``(batches done, batches in all, chars trained)`` for the evaluations of a
        training run (``trained``: what it counts, chars or images): each one redraws the same line."""

        def on_evaluation(done: int, total: int, chars: int) -> None:
            if done == 0:
                self._eval = self.start(name, total, "batches", f"at {count(chars)} {trained}")
            elif done >= total:
                self._eval.finish()
            else:
                self._eval.update(done, total)

        return on_evaluation
