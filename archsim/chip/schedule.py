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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import simpy

from archsim.chip import tikitaka
from archsim.chip.chip import Chip
from archsim.chip.graph import VERB_CLASS

SCHEDULES = ("sequential", "dataflow")


@dataclass(frozen=True)
class ArrayOp:
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
        self.account = [
            getattr(units[self.unit[i]], f"account_{self.verb[i]}") if self.inline[i] else None
            for i in range(self.n)
        ]
        #: Without a hook: one pass per MVM, the design's BL per update.
        self.default_amount = [
            units[self.unit[i]].timing.bl if self.verb[i] == "update" else 1 for i in range(self.n)
        ]


class WindowRecord:
    """When each operation of one window of one stream became ready, started and ended (cycles),
    which predecessor made it ready (``crit``: (record, node) or None), and ``passes``: the passes
    of each MVM and the pulse-train length BL of each update."""

    __slots__ = ("stream", "window", "rem", "ready", "start", "end", "crit", "done", "passes")

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
        self.token = simpy.PriorityResource(env, capacity=1) if schedule == "sequential" else None
        self.records: dict[tuple[int, int], WindowRecord] = {}
        self.round_streams_done: dict[int, int] = {}
        self.round_end: list[int] = []  # completion cycle of each complete round
        self.period: Period | None = None
        self._max_rounds = 0
        self._detect = False
        self._stop: simpy.Event | None = None
        self._round_vectors: list[np.ndarray] = []

    # -- running -------------------------------------------------------------------------------

    def run(self, max_rounds: int, detect_period: bool = True) -> None:
        """Simulate up to ``max_rounds`` windows per stream; with ``detect_period``, stop as soon as
        the schedule has become exactly periodic."""
        self._max_rounds = max_rounds
        self._detect = detect_period
        self._stop = self.env.event()
        for s in range(self.streams):
            self._record(s, 0)
        self.env.run(until=self._stop)

    def _record(self, stream: int, window: int) -> WindowRecord | None:
        key = (stream, window)
        rec = self.records.get(key)
        if rec is None and window < self._max_rounds:
            rec = self.records[key] = WindowRecord(stream, window, self.cg)
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
                self.env.process(self._operate(r, j))
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
        if rec.done == cg.n:
            self._window_done(rec)
        return ready

    def _operate(self, rec: WindowRecord, j: int):
        cg = self.cg
        token = self.token
        # Older windows first, then lower streams: the streams settle into a fixed phase.
        priority = rec.window * self.streams + rec.stream
        if token is not None:
            req = token.request(priority=priority)
            yield req
        if cg.is_tile[j]:
            passes = rec.passes[j]
            if self.hook is not None and cg.keys[j][0] not in tikitaka.PHASES:
                # (Tiki-Taka's transfers are timed at one pass and the design's BL.)
                k = cg.keys[j]
                rows, cols = cg.args[j]
                passes = self.hook(
                    ArrayOp(
                        cg.verb[j],
                        k[1],
                        k[2],
                        self.chip.units[cg.unit[j]].name,
                        rec.stream,
                        rec.window,
                        rows,
                        cols,
                        passes,
                    )
                )
                rec.passes[j] = passes
            start = yield from cg.method[j](*cg.args[j], passes, priority)
        else:
            start = yield from cg.method[j](*cg.args[j], priority=priority)
        if token is not None:
            token.release(req)
        rec.start[j] = start
        rec.end[j] = self.env.now
        ready = self._completed(rec, j)
        for r, k, c in ready:
            self._launch(r, [k], c)

    def _window_done(self, rec: WindowRecord) -> None:
        w = rec.window
        done = self.round_streams_done[w] = self.round_streams_done.get(w, 0) + 1
        if done < self.streams:
            return
        if w != len(self.round_end):
            raise RuntimeError(f"round {w} completed before round {len(self.round_end)}")
        self.round_end.append(self.env.now)
        if self._detect:
            recs = [self.records[s, w] for s in range(self.streams)]
            self._round_vectors.append(
                np.array([x for r in recs for x in (*r.start, *r.end)], dtype=np.int64)
            )
            self.period = self.period or self._find_period(w)
        if (
            (self._detect and self.period is not None) or w == self._max_rounds - 1
        ) and not self._stop.triggered:
            self._stop.succeed()

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
