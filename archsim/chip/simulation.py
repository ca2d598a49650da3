"""Run a workload on a design (a chip and its RPU preset): build the mapping, the window graph and
the chip, run the schedule until it is periodic (or for a given number of windows), and extrapolate the epoch.

The figures come from :mod:`archsim.chip.reduce` (pure reductions of the records) and the trace
from :mod:`archsim.chip.trace`; ``ChipRun.result()`` and ``ChipRun.trace()`` delegate to them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import get_args

import networkx as nx

from archsim.chip import measures, reduce
from archsim.chip.chip import Chip, CountingEnvironment
from archsim.chip.engine import LeanEnvironment
from archsim.chip.graph import build_window_graph
from archsim.chip.mapping import Mapping, map_workload
from archsim.chip.schedule import ArrayOpHook, Scheduler
from archsim.chip.tikitaka import arrays_per_weight
from archsim.chip.trace import chrome_trace
from archsim.config.corpus import corpus_info, train_images, windows_per_stream
from archsim.config.design import Design
from archsim.config.errors import ConfigError
from archsim.config.options import Engine, SimulateOptions
from archsim.config.workload import WorkloadConfig
from archsim.results import ChipResult, SimulateRecord

#: Event engines: the lean one (default) and SimPy's processes themselves (docs/chip.md).
ENGINES = get_args(Engine)


class ChipRun:
    """One simulation: the mapping, the graph, the chip, the scheduler and its records."""

    def __init__(
        self,
        workload: WorkloadConfig,
        design: Design,
        schedule: str = "dataflow",
        streams: int = 1,
        hook: ArrayOpHook | None = None,
        check_memory: bool = True,
        engine: Engine = "lean",
    ) -> None:
        """``engine``: "lean" (the default) or "simpy", the same records (:mod:`archsim.chip.engine`)."""
        if engine not in ENGINES:
            raise ValueError(f"engine: unknown {engine!r}; allowed: {', '.join(ENGINES)}")
        t0 = time.perf_counter()
        #: Windows per stream in one epoch (whole windows of the train split, as training runs them).
        self.windows_per_epoch = epoch_windows(workload, streams)
        self.workload = workload
        self.design = design
        self.config = chip = design.chip
        self.mapping: Mapping = map_workload(
            workload,
            chip,
            check_memory=check_memory,
            arrays_per_weight=arrays_per_weight(design.rpu),
            digital_bias=measures.digital_bias(design.rpu),
        )
        self.graph: nx.DiGraph = build_window_graph(self.mapping, design)
        self.engine = engine
        self.env = LeanEnvironment() if engine == "lean" else CountingEnvironment()
        self.chip = Chip(self.env, design, self.mapping)
        self.scheduler = Scheduler(self.env, self.graph, self.chip, schedule, streams, hook)
        self.hook = hook
        self.full = False
        self.extra_events = 0  # events of the short full runs that measure the drain
        self._full_runs: dict[int, int] = {}
        self.wall_seconds = time.perf_counter() - t0

    def run(
        self,
        windows: int | None = None,
        max_windows: int | None = None,
        fast: bool = False,
        exact_windows: int = 0,
        progress: Callable[[int, int], None] | None = None,
    ) -> ChipRun:
        """``windows``: simulate exactly that many windows per stream (figures over the whole run);
        None: until the schedule is periodic, at most ``max_windows`` per stream (default: about 32
        windows in all), then over the middle half of the run when no period was found.

        ``fast`` (with ``windows``): skip the periods of the steady state that repeat exactly
        (:mod:`archsim.chip.schedule`); the figures are those of the event-by-event run. The first
        ``exact_windows`` windows per stream are simulated in full (the ones a trace shows).
        ``progress(rounds done, rounds at most)`` is called after every simulated round (one window
        of every stream)."""
        t0 = time.perf_counter()
        self.full = windows is not None
        # The record of what ran, checked by the callers: simulate() against the options' limits,
        # cosim through its own options; a drain run's windows are derived.
        self.options = SimulateOptions.model_construct(
            schedule=self.scheduler.schedule,
            streams=self.scheduler.streams,
            windows=windows,
            max_windows=max_windows,
            engine=self.engine,
        )
        if fast and windows is None:
            raise ValueError("the fast path needs the number of windows")
        if max_windows is None:
            max_windows = max(6, -(-32 // self.scheduler.streams))
        rounds = windows if windows is not None else max_windows
        self.scheduler.on_round = None if progress is None else lambda done: progress(done, rounds)
        if windows is not None:
            self.scheduler.run(windows, detect_period=False, fast=fast, exact_rounds=exact_windows)
            self._full_runs[windows] = self.scheduler.round_end[-1]
        else:
            self.scheduler.run(max_windows, detect_period=True)
        self.wall_seconds += time.perf_counter() - t0
        return self

    def rounds_completion(self, n: int) -> int:
        """Completion cycle of a run of exactly ``n`` windows per stream, from the periodic steady
        state: the last window drains faster (nothing follows it), so the drain is measured once in
        a full simulation of a short run with the same phase (n mod period) and subtracted."""
        if n in self._full_runs:
            return self._full_runs[n]
        s = self.scheduler
        if s.period is None:
            raise ValueError("no periodic steady state: simulate the run in full")
        p = s.period
        base = p.first_round + 3
        if n <= base + p.rounds:
            return self._full_run(n)
        short = base + (n - base) % p.rounds
        drain = s.completion(short - 1) - self._full_run(short)
        return s.completion(n - 1) - drain

    def _full_run(self, n: int) -> int:
        if n not in self._full_runs:
            t0 = time.perf_counter()
            s = self.scheduler
            run = ChipRun(
                self.workload, self.design, s.schedule, s.streams, check_memory=False, engine=self.engine
            ).run(windows=n)
            self._full_runs[n] = run.scheduler.round_end[-1]
            self.extra_events += run.env.scheduled_events
            self.wall_seconds += time.perf_counter() - t0
        return self._full_runs[n]

    # -- figures and trace (pure functions of the records) ----------------------------------------

    def result(self) -> ChipResult:
        """The figures (:func:`archsim.chip.reduce.chip_result`); the epoch's completion is
        extrapolated exactly when the schedule is periodic and no hook may change later windows.
        ``wall_seconds`` covers building, simulating (with any drain run) and reducing."""
        t0, wall_before = time.perf_counter(), self.wall_seconds
        n = self.windows_per_epoch
        exact = n in self._full_runs or (self.scheduler.period is not None and self.hook is None)
        result = reduce.chip_result(self, self.rounds_completion(n) if exact else None)
        result.wall_seconds = wall_before + time.perf_counter() - t0
        return result

    def record(self) -> SimulateRecord | None:
        """What produced this run, for its result (None under a hook: the co-simulation records it)."""
        if self.hook is not None:
            return None
        d = self.design
        return SimulateRecord(workload=self.workload, chip=d.chip, rpu=d.rpu, options=self.options)

    def trace(self, windows: int | None = None) -> dict:
        """Chrome trace-event JSON (the object form) of the first ``windows`` windows of every
        stream (None: all); see :func:`archsim.chip.trace.chrome_trace`. A fast run holds its first
        ``exact_windows`` windows as simulated, not the skipped ones."""
        s = self.scheduler
        if s.skipped_periods and (windows is None or windows > s.exact_rounds):
            raise ValueError(
                f"the fast path skipped windows: a trace can show the first {s.exact_rounds} per stream"
            )
        return chrome_trace(self, windows)


def simulate(
    workload: WorkloadConfig,
    design: Design,
    schedule: str = "dataflow",
    streams: int = 1,
    windows: int | None = None,
    max_windows: int | None = None,
    hook: ArrayOpHook | None = None,
    check_memory: bool = True,
    progress: Callable[[int, int], None] | None = None,
    engine: Engine = "lean",
) -> ChipRun:
    """Map, build the graph and simulate; ``.result()`` gives the figures, ``.trace()`` the trace.
    The run options are checked against their limits first (OptionsError); ``progress``: see
    :meth:`ChipRun.run`."""
    SimulateOptions(
        schedule=schedule, streams=streams, windows=windows, max_windows=max_windows, engine=engine
    )
    run = ChipRun(workload, design, schedule, streams, hook, check_memory, engine)
    return run.run(windows, max_windows, progress=progress)


def epoch_windows(workload: WorkloadConfig, streams: int) -> int:
    """Windows per stream in one epoch, from the corpus catalogue (which also checks the corpus
    and its vocabulary, as training does, before anything is simulated): whole windows of the
    train split; for an image network a window is one image, the train images shared by the
    streams (Fashion-MNIST: 60,000)."""
    source = f"workload '{workload.name}'"
    if workload.is_image:
        samples, what, need = train_images(workload.corpus, source), "images", "one image"
        windows = samples // streams
    else:
        corpus = corpus_info(workload.corpus, workload.vocab_size, source=source)
        steps = workload.training.bptt_steps
        samples, what, need = corpus.train_chars, "characters", f"one window of {steps + 1} characters"
        windows = windows_per_stream(samples, steps, streams)
    if windows < 1:
        raise ConfigError(
            f"workload '{workload.name}': corpus '{workload.corpus}': its {samples} training {what} "
            f"cannot give each of {streams} stream(s) {need}"
        )
    return windows
