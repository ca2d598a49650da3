"""The Chrome trace-event JSON of a finished simulation (opens in Perfetto and chrome://tracing), in
the format's object form: ``{"traceEvents": [...], "displayTimeUnit": "ns", "metadata": {...}}``.

- one complete event (``X``) per timed operation, one process per unit class and one thread per
  unit; the processes and threads carry sort indices (``process_sort_index``,
  ``thread_sort_index``) that put the tiles first, then the NLF units, the links and the memory;
- every operation carries its category (``cat``: one of :data:`CATEGORIES`, by the kind of work)
  and, as structured ``args``, the array (layer), step, stream, window, training phase and passes
  (an update: its pulse-train length ``bl``), so that readers need not decode them from the name
  (``f_mvm lstm1 t3``, kept for people; with several streams it starts with the stream, ``s1``);
- counter tracks (``C`` events, category ``counter``): the units of each class busy over time, and
  the activation memory's occupancy in bytes;
- ``metadata`` says what the trace holds: streams, windows per stream run and traced, the clock,
  the memory's capacity and the number of units of each class.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from archsim.chip.graph import VERB_CLASS

if TYPE_CHECKING:
    from archsim.chip.simulation import ChipRun

#: Trace category of each hardware verb.
CATEGORY = {
    "forward": "forward",
    "backward": "backward",
    "update": "update",
    "transfer": "transfer",
    "activate": "nlf",
    "accumulate": "nlf",
    "store": "memory",
    "load": "memory",
}
#: Category of the counter events, and of the metadata events (Chrome's own name for them).
COUNTER = "counter"
METADATA = "__metadata"
#: Every category an event of the trace may have.
CATEGORIES = (*dict.fromkeys(CATEGORY.values()), COUNTER, METADATA)

#: Training phase of an operation, from the first letter of its graph key (``f_mvm``, ``b_nlf``, ...).
PHASES = {"f": "forward", "b": "backward", "u": "update"}

#: Unit classes (trace processes) in display order: the tiles first.
PROCESS_ORDER = ("tile", "nlf", "link", "memory")
#: The series name of each class's busy counter (the counter track reads "busy tiles").
BUSY_SERIES = {"tile": "tiles", "nlf": "nlf units", "link": "links", "memory": "memory ports"}


def chrome_trace(run: ChipRun, windows: int | None = None) -> dict[str, Any]:
    """The trace of the first ``windows`` windows of every stream (None: all), times in µs. The
    counters cover the same time span and count every simulated window that ran in it."""
    s = run.scheduler
    cg = s.cg
    units = run.chip.units
    us = 1e-3 / run.config.clock_ghz
    classes = sorted({VERB_CLASS[v] for v in cg.verb}, key=PROCESS_ORDER.index)
    pid = {c: n + 1 for n, c in enumerate(classes)}
    events: list[dict] = []
    for n, c in enumerate(classes):
        events.append(_meta("process_name", pid[c], 0, name=c))
        events.append(_meta("process_sort_index", pid[c], 0, sort_index=n))
    for n, u in enumerate(units):
        if u.kind in pid:
            events.append(_meta("thread_name", pid[u.kind], n, name=u.name))
            events.append(_meta("thread_sort_index", pid[u.kind], n, sort_index=n))
    several = s.streams > 1
    end = 0
    for (_, window), rec in sorted(s.records.items()):
        if windows is not None and window >= windows:
            continue
        prefix = f"s{rec.stream} " if several else ""
        for i in range(cg.n):
            if rec.start[i] >= 0 and rec.end[i] > rec.start[i]:
                key = cg.keys[i]
                end = max(end, rec.end[i])
                events.append(
                    {
                        "name": f"{prefix}{key[0]} {key[1]} t{key[2]}",
                        "cat": CATEGORY[cg.verb[i]],
                        "ph": "X",
                        "ts": rec.start[i] * us,
                        "dur": (rec.end[i] - rec.start[i]) * us,
                        "pid": pid[cg.unit_class[i]],
                        "tid": cg.unit[i],
                        "args": {
                            "array": key[1],
                            "step": key[2],
                            "stream": rec.stream,
                            "window": rec.window,
                            "phase": PHASES.get(key[0][:1], "other"),
                            **(
                                {"bl": rec.passes[i]} if cg.verb[i] == "update" else {"passes": rec.passes[i]}
                            ),
                        },
                    }
                )
    events += _busy_counters(run, pid, end, us)
    if "memory" in pid:
        events += _occupancy_counter(run, pid["memory"], end, us)
    simulated = 1 + max((w for _, w in s.records), default=-1)
    ran = run.options.windows if run.options.windows is not None else simulated
    held = simulated if windows is None else min(windows, simulated)
    count = defaultdict(int)
    for u in units:
        count[u.kind] += 1
    memory = run.chip.memory
    return {
        "traceEvents": events,
        "displayTimeUnit": "ns",
        "metadata": {
            "source": "archsim chip model",
            "streams": s.streams,
            "windows": ran,
            "trace_windows": held,
            "clock_ghz": run.config.clock_ghz,
            "units": {c: count[c] for c in classes},
            "memory_capacity_bytes": memory.capacity_bytes,
            "categories": list(CATEGORIES),
        },
    }


def _meta(kind: str, pid: int, tid: int, **args: Any) -> dict:
    return {"name": kind, "cat": METADATA, "ph": "M", "pid": pid, "tid": tid, "args": args}


def _counter(name: str, pid: int, ts: float, **args: Any) -> dict:
    return {"name": name, "cat": COUNTER, "ph": "C", "pid": pid, "tid": 0, "ts": ts, "args": args}


def _steps(deltas: dict[int, int], end: int) -> list[tuple[int, int]]:
    """(cycle, value) where the running sum of ``deltas`` (by cycle) changes, from cycle 0 (value 0
    unless a delta falls on it) to ``end``."""
    out, value = [], 0
    for cycle in sorted(deltas):
        if cycle > end:
            break
        value += deltas[cycle]
        if not out or value != out[-1][1]:
            out.append((cycle, value))
    if not out or out[0][0] > 0:
        out.insert(0, (0, 0))
    return out


def _busy_counters(run: ChipRun, pid: dict[str, int], end: int, us: float) -> list[dict]:
    """Per unit class, the units busy over time (a unit with an operation in progress counts once)."""
    s, cg = run.scheduler, run.scheduler.cg
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for rec in s.records.values():
        for i in range(cg.n):
            if 0 <= rec.start[i] < rec.end[i]:
                spans[cg.unit[i]].append((rec.start[i], rec.end[i]))
    deltas: dict[str, dict[int, int]] = {c: defaultdict(int) for c in pid}
    for unit, busy in spans.items():
        d = deltas[run.chip.units[unit].kind]
        busy.sort()
        start, stop = busy[0]
        for a, b in busy[1:]:  # merge a unit's touching or overlapping operations
            if a > stop:
                d[start] += 1
                d[stop] -= 1
                start = a
            stop = max(stop, b)
        d[start] += 1
        d[stop] -= 1
    series = {c: BUSY_SERIES.get(c, c) for c in pid}
    return [
        _counter("busy", pid[c], cycle * us, **{series[c]: value})
        for c in pid
        for cycle, value in _steps(deltas[c], end)
    ]


def _occupancy_counter(run: ChipRun, memory_pid: int, end: int, us: float) -> list[dict]:
    """The activation memory's occupancy (bytes) over time: a store keeps its bytes and a load
    frees its bytes when the operation is issued, as :class:`~archsim.chip.units.ActivationMemory`
    counts them."""
    s, cg = run.scheduler, run.scheduler.cg
    deltas: dict[int, int] = defaultdict(int)
    for rec in s.records.values():
        for i in range(cg.n):
            if rec.rem[i] == 0 and cg.verb[i] in ("store", "load"):  # issued (all inputs ready)
                nbytes = cg.args[i][1]
                deltas[rec.ready[i]] += nbytes if cg.verb[i] == "store" else -nbytes
    return [_counter("memory occupancy", memory_pid, c * us, bytes=v) for c, v in _steps(deltas, end)]
