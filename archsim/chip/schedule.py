"""Schedules: turn the window graph into SimPy processes on the chip's units.

- ``dataflow``: an operation starts as soon as its inputs are ready and its unit is free (FIFO
  among the operations waiting for a unit);
- ``sequential``: the same, but every timed operation also holds one chip-wide token, so one
  operation runs at a time (the unpipelined baseline);
- ``streams`` K: K independent sequences, each a chain of windows, share the hardware.

A process is started only when an operation becomes ready (one process and one timeout per
timed operation; operations on ideal units complete inline, without SimPy events). Windows of a
sequence are instantiated lazily, when the first edge from the previous window reaches them.
Same-time ordering is deterministic: readiness is propagated in graph order, FIFO.

The fast path (``run(..., fast=True)``) simulates a run of a given number of windows without
simulating every period of its steady state (docs/cosim.md). Array operations are its points of
observation: when the last two periods before an array operation were identical, operation for
operation (the hook's answers, every record's cycles and critical predecessors, the events
scheduled, the rounds completed), the state there repeats with the period, so the next periods are
the last one again, shifted by its cycles and windows. The hook is still called for every array
operation, in the order the simulation would call it; while it answers as in the last period
nothing is simulated. When it answers otherwise, the simulation resumes where it stood (its clock
and windows relabelled by what was skipped: ``dt``, ``dw``), replays the answers already given, and
continues event by event until the schedule is periodic again. The records hold the simulated
windows only; each skipped operation adds 1 to the ``weight`` of the simulated operation it
repeats, and the reductions (:mod:`archsim.chip.reduce`) count it that many times.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx
import numpy as np
import simpy

from archsim.chip import tikitaka
from archsim.chip.chip import Chip
from archsim.chip.engine import URGENT, LeanEnvironment, LeanResource
from archsim.chip.graph import VERB_CLASS

SCHEDULES = ("sequential", "dataflow")


class ArrayOp(NamedTuple):
    """An array operation about to run, as seen by a hook (e.g. the co-simulation)."""

    verb: str  # forward, backward or update
    array: str
    step: int
    tile: str
    stream: int
    window: int
    rows: int
    cols: int
    nominal: int  # what the design gives it without numerics: 1 pass, or the design's BL


#: Called before every array operation; returns, for an MVM, its number of passes (>= 1; bound
#: management), for an update the length BL of its pulse trains (>= 1; BL management).
ArrayOpHook = Callable[[ArrayOp], int]


@dataclass(frozen=True)
class Period:
    """Periodic steady state: ``rounds`` rounds (one window of every stream) every ``cycles``,
    exactly, from round ``first_round`` on."""

    rounds: int
    cycles: int
    first_round: int


class CompiledGraph:
    """The window graph as flat lists indexed by node number (insertion order)."""

    def __init__(self, g: nx.DiGraph, chip: Chip) -> None:
        self.keys = list(g.nodes)
        index = {k: i for i, k in enumerate(self.keys)}
        self.n = len(self.keys)
        data = [g.nodes[k] for k in self.keys]
        self.verb = [d["verb"] for d in data]
        self.args = [d["args"] for d in data]
        self.cycles = [d["cycles"] for d in data]
        self.ops = [d["ops"] for d in data]
        self.unit = [chip.index[d["unit"]] for d in data]
        self.unit_class = [VERB_CLASS[v] for v in self.verb]
        self.is_tile = [c == "tile" for c in self.unit_class]
        self.succ = [[index[s] for s in g.successors(k)] for k in self.keys]
        self.npred = [g.in_degree(k) for k in self.keys]
        self.carry_succ: list[list[int]] = [[] for _ in range(self.n)]
        self.carry_npred = [0] * self.n
        for u, v in g.graph["carry"]:
            self.carry_succ[index[u]].append(index[v])
            self.carry_npred[index[v]] += 1
        units = chip.units
        # Operations that take no time on a unit that never contends complete inline.
        self.inline = [
            not self.is_tile[i] and (self.cycles[i] == 0 or units[self.unit[i]].resource is None)
            for i in range(self.n)
        ]
        self.method = [getattr(units[self.unit[i]], self.verb[i]) for i in range(self.n)]
        #: The cost of each operation: its cycles, and the unit's state changes (units.py).
        self.cost = [getattr(units[self.unit[i]], f"account_{self.verb[i]}") for i in range(self.n)]
        self.account = [self.cost[i] if self.inline[i] else None for i in range(self.n)]
        #: The cycles of an operation whose cost is a pure function of its arguments (NLF work,
        #: transfers); None: computed when it runs (the memory's occupancy changes; an array
        #: operation's passes). The lean engine reads them.
        self.cycles_known = [
            self.cost[i](*self.args[i]) if self.unit_class[i] in ("nlf", "link") else None
            for i in range(self.n)
        ]
        #: Without a hook: one pass per MVM, the design's BL per update.
        self.default_amount = [
            units[self.unit[i]].timing.bl if self.verb[i] == "update" else 1 for i in range(self.n)
        ]
        #: Array operations of one window.
        self.tile_ops = sum(self.is_tile)


class WindowRecord:
    """When each operation of one window of one stream became ready, started and ended (cycles),
    which predecessor made it ready (``crit``: (record, node) or None), and ``passes``: the passes
    of each MVM and the pulse-train length BL of each update. ``weight`` (None: 1 for every
    operation): how many times each operation happened in the run, itself and the copies the fast
    path skipped (see the module's docstring)."""

    __slots__ = ("stream", "window", "rem", "ready", "start", "end", "crit", "done", "passes", "weight")

    def __init__(self, stream: int, window: int, cg: CompiledGraph) -> None:
        self.stream = stream
        self.window = window
        n = cg.n
        self.rem = (
            [a + b for a, b in zip(cg.npred, cg.carry_npred, strict=True)] if window else list(cg.npred)
        )
        self.ready = [0] * n
        self.start = [-1] * n  # -1: not started (yet)
        self.end = [-1] * n
        self.crit: list = [None] * n
        self.passes = list(cg.default_amount)
        self.done = 0
        self.weight: list[int] | None = None


class Scheduler:
    """Runs windows of K streams on a chip under a schedule; records every operation."""

    def __init__(
        self,
        env: simpy.Environment,
        g: nx.DiGraph,
        chip: Chip,
        schedule: str = "dataflow",
        streams: int = 1,
        hook: ArrayOpHook | None = None,
    ) -> None:
        """``env``: a :class:`LeanEnvironment` runs the processes on the lean engine
        (:mod:`archsim.chip.engine`), a SimPy environment as SimPy processes; the same records."""
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule: unknown {schedule!r}; allowed: {', '.join(SCHEDULES)}")
        if streams < 1:
            raise ValueError(f"streams: must be >= 1, got {streams}")
        self.env = env
        self.chip = chip
        self.cg = CompiledGraph(g, chip)
        self.schedule = schedule
        self.streams = streams
        self.hook = hook
        self.lean = isinstance(env, LeanEnvironment)
        if self.lean:
            self.token = LeanResource(env) if schedule == "sequential" else None
            self._units = [LeanResource(env) if u.resource is not None else None for u in chip.units]
        else:
            self.token = simpy.PriorityResource(env, capacity=1) if schedule == "sequential" else None
        self.records: dict[tuple[int, int], WindowRecord] = {}
        self.round_streams_done: dict[int, int] = {}
        self.round_end: list[int] = []  # completion cycle of each complete round
        self.period: Period | None = None
        self._max_rounds = 0
        self._detect = False
        self._stop: simpy.Event | None = None
        self._round_vectors: list[np.ndarray] = []
        #: Told the number of complete rounds after each one (a progress display).
        self.on_round: Callable[[int], None] | None = None
        # The fast path (see the module's docstring). Real time = simulated time + dt, real window
        # = simulated window + dw; round_end holds real times.
        self.dt = 0
        self.dw = 0
        self.skipped_operations = 0
        self.skipped_events = 0
        self.skipped_periods = 0
        #: Skips that ended because the hook answered other than in the last period.
        self.resumed = 0
        #: A hook answered other than the design's nominal amount (some MVM repeated, some BL set).
        self.perturbed = False
        self._fast = False
        self.exact_rounds = 0
        self._armed: Period | None = None
        self._known: Period | None = None  # the period of the last skip
        self._top = -1  # the latest simulated window
        #: Every array operation's arrival: (record, node, answer, cycle, events scheduled before it,
        #: operations completed before it, rounds completed before it).
        self._calls: list[tuple[WindowRecord, int, int, int, int, int, int]] = []
        self._done: list[tuple[WindowRecord, int]] = []  # completed operations, in order
        self._round_log: list[int] = []  # simulated completion cycle of each simulated round
        self._replay: deque[tuple[tuple[int, int, int], int]] = deque()
        self._now: int | None = None  # the real cycle of the hook call the fast path is making

    # -- running -------------------------------------------------------------------------------

    @property
    def simulated_rounds(self) -> int:
        """Rounds (windows of every stream) simulated; the others the fast path skipped."""
        return len(self.round_end) - self.dw

    @property
    def now(self) -> int:
        """The current real cycle (in a hook call: the cycle the operation arrived at)."""
        return self._now if self._now is not None else self.env.now + self.dt

    def run(
        self, max_rounds: int, detect_period: bool = True, fast: bool = False, exact_rounds: int = 0
    ) -> None:
        """Simulate up to ``max_rounds`` windows per stream; with ``detect_period``, stop as soon as
        the schedule has become exactly periodic. ``fast`` (without ``detect_period``): run all
        ``max_rounds`` windows, skipping the periods that repeat (the first ``exact_rounds``
        rounds, the windows of a trace, are all simulated)."""
        if fast and detect_period:
            raise ValueError("the fast path runs a given number of windows: detect_period must be False")
        self._max_rounds = max_rounds
        self._detect = detect_period
        self._fast = fast
        self.exact_rounds = exact_rounds
        self._stop = self.env.event()
        for s in range(self.streams):
            self._record(s, 0)
        self.env.run(until=self._stop)

    def _record(self, stream: int, window: int) -> WindowRecord | None:
        key = (stream, window)
        rec = self.records.get(key)
        if rec is None and window + self.dw < self._max_rounds:
            rec = self.records[key] = WindowRecord(stream, window, self.cg)
            self._top = max(self._top, window)
            if window == 0:
                roots = [i for i in range(self.cg.n) if rec.rem[i] == 0]
                self._launch(rec, roots, None)
        return rec

    def _launch(self, rec: WindowRecord, nodes: list[int], crit) -> None:
        """Make ``nodes`` of ``rec`` ready now: inline ones complete at once, others get a process."""
        cg = self.cg
        now = self.env.now
        queue = deque()
        for j in nodes:
            queue.append((rec, j, crit))
        while queue:
            r, j, c = queue.popleft()
            r.ready[j] = now
            r.crit[j] = c
            if not cg.inline[j]:
                self._spawn(r, j)
                continue
            cg.account[j](*cg.args[j])
            r.start[j] = r.end[j] = now
            for k in self._completed(r, j):
                queue.append(k)

    def _completed(self, rec: WindowRecord, i: int) -> list:
        """Propagate the completion of node ``i``; returns the successors that became ready."""
        cg = self.cg
        ready = []
        rem = rec.rem
        for j in cg.succ[i]:
            rem[j] -= 1
            if rem[j] == 0:
                ready.append((rec, j, (rec, i)))
        if cg.carry_succ[i]:
            nxt = self._record(rec.stream, rec.window + 1)
            if nxt is not None:
                for j in cg.carry_succ[i]:
                    nxt.rem[j] -= 1
                    if nxt.rem[j] == 0:
                        ready.append((nxt, j, (rec, i)))
        rec.done += 1
        if self._fast:
            self._done.append((rec, i))
        if rec.done == cg.n:
            self._window_done(rec)
        return ready

    def _operate(self, rec: WindowRecord, j: int):
        """The process of one timed operation (the SimPy engine; the lean engine's ``_lean_*``
        callbacks do the same steps in the same order)."""
        cg = self.cg
        token = self.token
        # Older windows first, then lower streams: the streams settle into a fixed phase.
        priority = rec.window * self.streams + rec.stream
        if token is not None:
            req = token.request(priority=priority)
            yield req
        if cg.is_tile[j]:
            start = yield from cg.method[j](*cg.args[j], self._passes(rec, j), priority)
        else:
            start = yield from cg.method[j](*cg.args[j], priority=priority)
        if token is not None:
            token.release(req)
        self._finish(rec, j, start)

    def _passes(self, rec: WindowRecord, j: int) -> int:
        """An array operation's passes (an update's BL): the hook's answer, recorded."""
        if self._fast:
            passes = rec.passes[j] = self._arrive(rec, j)
        elif self.hook is not None:
            passes = rec.passes[j] = self._ask(rec, j, rec.window)
        else:
            passes = rec.passes[j]
        return passes

    def _finish(self, rec: WindowRecord, j: int, start: int) -> None:
        rec.start[j] = start
        rec.end[j] = self.env.now
        for r, k, c in self._completed(rec, j):
            self._launch(r, [k], c)

    def _spawn(self, rec: WindowRecord, j: int) -> None:
        """Start the process of timed operation ``j`` of ``rec``."""
        if not self.lean:
            self.env.process(self._operate(rec, j))
            return
        priority = rec.window * self.streams + rec.stream
        if self.token is None:
            self.env.schedule(self._lean_request, (rec, j, priority), priority=URGENT)
        else:
            self.env.schedule(self._lean_start, (rec, j, priority), priority=URGENT)

    # The lean engine (archsim.chip.engine): _operate's steps as callbacks of plain events.

    def _lean_start(self, op: tuple[WindowRecord, int, int]) -> None:
        self.token.request(op[2], self._lean_request, op)

    def _lean_request(self, op: tuple[WindowRecord, int, int]) -> None:
        rec, j, priority = op
        cg = self.cg
        cycles = cg.cycles_known[j]
        if cycles is None:
            args = (*cg.args[j], self._passes(rec, j)) if cg.is_tile[j] else cg.args[j]
            cycles = cg.cost[j](*args)
        self._units[cg.unit[j]].request(priority, self._lean_granted, (rec, j, cycles))

    def _lean_granted(self, op: tuple[WindowRecord, int, int]) -> None:
        rec, j, cycles = op
        env = self.env
        env.schedule(self._lean_done, (rec, j, env.now), cycles)

    def _lean_done(self, op: tuple[WindowRecord, int, int]) -> None:
        rec, j, start = op
        self._units[self.cg.unit[j]].release()
        if self.token is not None:
            self.token.release()
        self._finish(rec, j, start)
        self.env.scheduled_events += 1  # the process's end (nothing waits for it)

    def _ask(self, rec: WindowRecord, j: int, window: int, now: int | None = None) -> int:
        """The hook's answer for node ``j`` of ``rec`` as the operation of real window ``window``
        (arriving at real cycle ``now``: a skipped one); without a hook the nominal amount."""
        cg = self.cg
        nominal = cg.default_amount[j]
        if self.hook is None or cg.keys[j][0] in tikitaka.PHASES:
            # (Tiki-Taka's transfers are timed at one pass and the design's BL.)
            return nominal
        k = cg.keys[j]
        rows, cols = cg.args[j]
        op = ArrayOp(
            cg.verb[j], k[1], k[2], self.chip.units[cg.unit[j]].name, rec.stream, window, rows, cols, nominal
        )
        self._now = now
        try:
            passes = self.hook(op)
        finally:
            self._now = None
        if passes != nominal:
            self.perturbed = True
        return passes

    def _window_done(self, rec: WindowRecord) -> None:
        w = rec.window
        done = self.round_streams_done[w] = self.round_streams_done.get(w, 0) + 1
        if done < self.streams:
            return
        if w + self.dw != len(self.round_end):
            raise RuntimeError(f"round {w + self.dw} completed before round {len(self.round_end)}")
        self.round_end.append(self.env.now + self.dt)
        if self.on_round is not None:
            self.on_round(len(self.round_end))
        if self._detect or self._fast:
            recs = [self.records[s, w] for s in range(self.streams)]
            self._round_vectors.append(
                np.array([x for r in recs for x in (*r.start, *r.end)], dtype=np.int64)
            )
        if self._detect:
            self.period = self.period or self._find_period(w)
        elif self._fast:
            self._round_log.append(self.env.now)
            if len(self.round_end) >= self.exact_rounds and not self._replay:
                # After a difference the schedule usually returns to the period it left: try
                # that one while the last rounds are not periodic yet.
                self._armed = self._find_period(w) or self._known
        if (
            (self._detect and self.period is not None) or w + self.dw == self._max_rounds - 1
        ) and not self._stop.triggered:
            self._stop.succeed()

    # -- the fast path ---------------------------------------------------------------------------

    def _arrive(self, rec: WindowRecord, j: int) -> int:
        """An array operation arrives (fast path): its answer, replayed, skipped ahead or asked."""
        now, events, done = self.env.now, self.env.scheduled_events, len(self._done)
        armed, self._armed = self._armed, None
        if self._replay:
            key, passes = self._replay.popleft()
            if key != (rec.stream, rec.window, j):
                raise RuntimeError(f"fast path: the simulation left the replayed order at {key}")
        elif armed is not None and self._repeats(rec, j, armed):
            self._known = armed
            passes = self._skip(rec, j, armed)
        else:
            passes = self._ask(rec, j, rec.window + self.dw)
        self._calls.append((rec, j, passes, now, events, done, len(self._round_log)))
        return passes

    def _repeats(self, rec: WindowRecord, j: int, period: Period) -> bool:
        """Whether the last two periods (``_armed``) before this arrival were identical: the same
        operations arriving with the same answers, completing with the same cycles, critical
        predecessors and passes, the same events and rounds, all shifted by the period."""
        p, d = period.rounds, period.cycles
        m = p * self.streams * self.cg.tile_ops  # arrivals per period
        calls = self._calls
        x = len(calls)
        if x < 2 * m:
            return False
        a, b = calls[x - 2 * m], calls[x - m]
        here = (rec, j, 0, self.env.now, self.env.scheduled_events, len(self._done), len(self._round_log))
        if not _same_call(b, here, p, d) or here[4] - b[4] != b[4] - a[4] or here[6] - b[6] != p:
            return False
        for i in range(m):
            c0, c1 = calls[x - 2 * m + i], calls[x - m + i]
            if not _same_call(c0, c1, p, d) or c1[2] != c0[2]:
                return False
            if c1[5] - c0[5] != here[5] - b[5] or c1[6] - c0[6] != p:
                return False
        done = self._done
        for i in range(here[5] - b[5]):
            r0, i0 = done[a[5] + i]
            r1, i1 = done[b[5] + i]
            if i0 != i1 or r0.stream != r1.stream or r0.window + p != r1.window:
                return False
            if (
                r0.ready[i0] + d != r1.ready[i1]
                or r0.start[i0] + d != r1.start[i1]
                or r0.end[i0] + d != r1.end[i1]
                or r0.passes[i0] != r1.passes[i1]
            ):
                return False
            c0, c1 = r0.crit[i0], r1.crit[i1]
            if (c0 is None) != (c1 is None):
                return False
            if c0 is not None and (
                c0[1] != c1[1] or c0[0].stream != c1[0].stream or c0[0].window + p != c1[0].window
            ):
                return False
        rounds = self._round_log
        if not all(rounds[a[6] + i] + d == rounds[b[6] + i] for i in range(p)):
            return False
        # Nothing pending now (ready, not completed) became ready before the compared periods:
        # the state here is made of what they did.
        return not any(
            rem == 0 and end < 0 and ready < a[3]
            for r in self.records.values()
            if r.done < self.cg.n
            for rem, end, ready in zip(r.rem, r.end, r.ready, strict=True)
        )

    def _skip(self, rec: WindowRecord, j: int, period: Period) -> int:
        """Skip whole periods from this arrival: while the hook answers as in the last period and
        the end of the run is not near, the period repeats; then the answer of this arrival."""
        p, d = period.rounds, period.cycles
        m = p * self.streams * self.cg.tile_ops
        calls = self._calls
        first = calls[len(calls) - m]
        template = calls[len(calls) - m :]
        ops = self._done[first[5] :]
        rounds = self._round_log[first[6] :]
        events = self.env.scheduled_events - first[4]
        cg, hook, units = self.cg, self.hook, self.chip.units
        # The arrivals of the next period: the operation (its window to be relabelled), the
        # answer it had, the cycle it will arrive at (to be relabelled).
        arrivals = [
            (
                cg.verb[i],
                cg.keys[i][1],
                cg.keys[i][2],
                units[cg.unit[i]].name,
                r.stream,
                r.window + p,
                *cg.args[i],
                cg.default_amount[i],
                passes,
                t + d,
            )
            for r, i, passes, t, *_ in template
        ]
        k = 0
        # The last window of the run must start after the skip (it drains; the trace and the
        # figures read it whole).
        while self._top + self.dw + p <= self._max_rounds - 2:
            if hook is not None:
                answers, differs, dw, dt = [], False, self.dw, self.dt
                try:
                    for verb, array, step, tile, stream, w, rows, cols, nominal, passes, t in arrivals:
                        self._now = t + dt
                        got = hook(ArrayOp(verb, array, step, tile, stream, w + dw, rows, cols, nominal))
                        answers.append(got)
                        if got != passes:
                            differs = True
                            break
                finally:
                    self._now = None
                if differs:
                    # (The answers before it are the period's, which the simulation saw.)
                    self.perturbed |= answers[-1] != arrivals[len(answers) - 1][8]
                    self.resumed += 1
                    # The simulation takes over where the period began; it replays these answers.
                    self._replay.extend(
                        ((r.stream, r.window + p, i), got)
                        for (r, i, *_), got in zip(template, answers, strict=False)
                    )
                    break
            self.round_end.extend(t + d + self.dt for t in rounds)
            self.dt += d
            self.dw += p
            k += 1
        if k:
            for r, i in ops:
                if r.weight is None:
                    r.weight = [1] * self.cg.n
                r.weight[i] += k
            self.skipped_operations += k * len(ops)
            self.skipped_events += k * events
            self.skipped_periods += k
        if self._replay:
            key, passes = self._replay.popleft()
            if key != (rec.stream, rec.window, j):
                raise RuntimeError(f"fast path: the skipped period does not begin at {key}")
            return passes
        return self._ask(rec, j, rec.window + self.dw)

    def _find_period(self, r: int) -> Period | None:
        """The smallest p <= 3 with rounds r and r-1 equal to rounds r-p and r-1-p shifted by D."""
        v = self._round_vectors
        for p in (1, 2, 3):
            if r - 1 - p < 0:
                break
            d1 = v[r] - v[r - p]
            d0 = v[r - 1] - v[r - 1 - p]
            shift = int(d1[0])
            if shift > 0 and (d1 == shift).all() and (d0 == shift).all():
                return Period(p, shift, r - 1 - p)
        return None

    # -- queries -------------------------------------------------------------------------------

    def completion(self, round_index: int) -> int:
        """Completion cycle of round ``round_index``: simulated, or extrapolated exactly from the period."""
        if round_index < len(self.round_end):
            return self.round_end[round_index]
        if self.period is None:
            raise ValueError(f"round {round_index} was not simulated and no period was found")
        p = self.period
        last = len(self.round_end) - 1
        k = -(-(round_index - last) // p.rounds)
        return self.round_end[round_index - k * p.rounds] + k * p.cycles

    def complete_rounds(self) -> list[int]:
        return list(range(len(self.round_end)))


def _same_call(c0: tuple, c1: tuple, p: int, d: int) -> bool:
    """Whether arrival ``c1`` is arrival ``c0`` one period (``p`` windows, ``d`` cycles) later."""
    r0, r1 = c0[0], c1[0]
    return c0[1] == c1[1] and r0.stream == r1.stream and r0.window + p == r1.window and c0[3] + d == c1[3]
