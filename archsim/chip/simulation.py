"""Simulate a workload on a chip and reduce the records to a :class:`ChipResult`, and the trace."""

from __future__ import annotations

import math
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from archsim.chip import costs
from archsim.chip.chip import Chip, CountingEnvironment
from archsim.chip.graph import MEMORY_LINK, VERB_CLASS, build_window_graph, critical_path
from archsim.chip.mapping import Mapping, map_workload
from archsim.chip.results import ChipResult, Finding, MappedArraySummary, SteadyState
from archsim.chip.schedule import ArrayOpHook, Scheduler, WindowRecord
from archsim.config.chip import ChipConfig
from archsim.config.workload import WorkloadConfig

#: Training characters of the built-in corpora (ARCHITECTURE.md, "Data": the paper's split).
TRAIN_CHARS = {"warpeace": 2_933_246, "linux": 6_111_421}

#: Categories of an array's time (TIMING.md section 4): working, or idle waiting for something.
CATEGORIES = ("busy", "extra_passes", "nlf", "memory", "link", "dependency", "schedule", "fill", "drain")


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    """Length of the intersection of [a0, a1] and [b0, b1]."""
    return max(0, min(a1, b1) - max(a0, b0))


@dataclass(frozen=True)
class Measured:
    """The windows and the interval [lo, hi] (cycles) the steady-state figures are taken over.

    ``how``: "one period" (the schedule repeated exactly), "whole run" (a full simulation of a
    given number of windows, or too short a run for a middle half) or "middle half" (no period:
    from the end of the first quarter of the rounds to the end of the third).
    """

    how: str
    rounds: list[int]
    lo: int
    hi: int

    @property
    def span(self) -> int:
        return self.hi - self.lo


def impossible_figures(utilization: dict[str, float], peak_fraction: float, m: Measured) -> list[Finding]:
    """Error findings for every fraction of the measured time above 1: a unit cannot be busy for
    longer than the interval, nor a mapping run faster than its ideal peak."""
    over = [(f"utilization.{u}", v) for u, v in utilization.items() if v > 1]
    if peak_fraction > 1:
        over.append(("peak_fraction", peak_fraction))
    return [
        Finding(
            "error",
            name,
            f"{100 * v:.2f} % of the measured time ({m.how}, {m.span} cycles): impossible, the "
            "simulation's accounting is wrong",
        )
        for name, v in over
    ]


def train_chars(workload: WorkloadConfig) -> int:
    """Characters in one epoch: the built-in corpus's training split, or the whole file given by path."""
    if workload.corpus in TRAIN_CHARS:
        return TRAIN_CHARS[workload.corpus]
    path = Path(workload.corpus)
    return path.stat().st_size if path.is_file() else workload.training.bptt_steps


class ChipRun:
    """One simulation: the mapping, the graph, the chip, the scheduler and its records."""

    def __init__(
        self,
        workload: WorkloadConfig,
        chip: ChipConfig,
        schedule: str = "dataflow",
        streams: int = 1,
        hook: ArrayOpHook | None = None,
        check_memory: bool = True,
    ) -> None:
        t0 = time.perf_counter()
        self.workload = workload
        self.config = chip
        self.mapping: Mapping = map_workload(workload, chip, check_memory=check_memory)
        self.graph: nx.DiGraph = build_window_graph(self.mapping, chip)
        self.env = CountingEnvironment()
        self.chip = Chip(self.env, chip, self.mapping)
        self.scheduler = Scheduler(self.env, self.graph, self.chip, schedule, streams, hook)
        self.hook = hook
        self.full = False
        self.extra_events = 0  # events of the short full runs that measure the drain
        self._full_runs: dict[int, int] = {}
        self.wall_seconds = time.perf_counter() - t0

    def run(self, windows: int | None = None, max_windows: int | None = None) -> ChipRun:
        """``windows``: simulate exactly that many windows per stream (figures over the whole run);
        None: until the schedule is periodic, at most ``max_windows`` per stream (default: about 32
        windows in all), then over the middle half of the run when no period was found."""
        t0 = time.perf_counter()
        self.full = windows is not None
        if windows is not None:
            self.scheduler.run(windows, detect_period=False)
            self._full_runs[windows] = self.scheduler.round_end[-1]
        else:
            if max_windows is None:
                max_windows = max(6, -(-32 // self.scheduler.streams))
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
            run = ChipRun(self.workload, self.config, s.schedule, s.streams, check_memory=False).run(
                windows=n
            )
            self._full_runs[n] = run.scheduler.round_end[-1]
            self.extra_events += run.env.scheduled_events
            self.wall_seconds += time.perf_counter() - t0
        return self._full_runs[n]

    # -- reductions ----------------------------------------------------------------------------

    def measured(self) -> Measured:
        """The windows and the interval the steady-state figures are taken over."""
        s = self.scheduler
        if s.period is not None:
            last = len(s.round_end) - 1
            rounds = list(range(last - s.period.rounds + 1, last + 1))
            return Measured("one period", rounds, s.round_end[last] - s.period.cycles, s.round_end[last])
        n = len(s.round_end)
        if self.full or n < 4:
            return Measured("whole run", list(range(n)), 0, s.round_end[-1])
        # The middle half: after the pipeline has filled, before the last windows drain it.
        first, last = n // 4, n - n // 4 - 1
        rounds = list(range(first, last + 1))
        return Measured("middle half", rounds, s.round_end[first - 1], s.round_end[last])

    def _records(self, rounds: list[int]) -> list[WindowRecord]:
        return [self.scheduler.records[st, w] for w in rounds for st in range(self.scheduler.streams)]

    def utilization(self) -> dict[str, float]:
        """Busy fraction of every unit over the measured interval; ``tile<k>.dac`` and ``tile<k>.adc``:
        the part of it the tile's DAC bank spends encoding and its ADC bank converting.

        Over one period or the whole run the operations of the measured windows fill the interval
        exactly; over the middle half windows overlap both ends of the interval, so every operation
        of every window is clipped to it."""
        m = self.measured()
        cg = self.scheduler.cg
        timing = self.chip.tiles[0].timing if self.chip.tiles else None
        busy = [0] * len(self.chip.units)
        dac = defaultdict(int)
        adc = defaultdict(int)
        clip = m.how == "middle half"
        records = self.scheduler.records.values() if clip else self._records(m.rounds)
        for rec in records:
            for i in range(cg.n):
                start, end = rec.start[i], rec.end[i]
                if end < 0:
                    continue
                inside = not clip or (m.lo <= start and end <= m.hi)
                busy[cg.unit[i]] += end - start if inside else _overlap(start, end, m.lo, m.hi)
                outside = not inside and (end <= m.lo or start >= m.hi)
                if cg.verb[i] not in ("forward", "backward") or outside:
                    continue
                rows, cols = cg.args[i]
                enc = timing.encode_cycles
                conv = timing.conversion_cycles(rows if cg.verb[i] == "forward" else cols)
                if inside:
                    dac[cg.unit[i]] += rec.passes[i] * enc
                    adc[cg.unit[i]] += rec.passes[i] * conv
                    continue
                # An MVM across an end of the interval: each pass encodes, integrates, converts.
                cycle = enc + timing.integrate_cycles + conv
                for p in range(rec.passes[i]):
                    t = start + p * cycle
                    dac[cg.unit[i]] += _overlap(t, t + enc, m.lo, m.hi)
                    adc[cg.unit[i]] += _overlap(t + cycle - conv, t + cycle, m.lo, m.hi)
        span = m.span
        result = {u.name: busy[k] / span for k, u in enumerate(self.chip.units)}
        for k, u in enumerate(self.chip.units):
            if u.kind == "tile":
                result[f"{u.name}.dac"] = dac[k] / span
                result[f"{u.name}.adc"] = adc[k] / span
        return result

    def windows_measured(self) -> float:
        """Windows (counting every stream's) whose work the measured interval holds.

        Over one period or the whole run: the whole windows measured. Over the middle half, windows
        overlap both ends of the interval and the pipeline may still be settling, so the windows
        completed in it can hold more work than was done in it (lstm1-64-wp on baseline with 4
        streams: 16 windows need 345,600 cycles of the softmax tile in an interval of 344,112, which
        read as 100.43 % of the peak). There the work is counted where it was done: the busy cycles
        of the busiest tile inside the interval, divided by that tile's busy cycles per window."""
        m = self.measured()
        s = self.scheduler
        cg = s.cg
        if m.how != "middle half":
            return len(m.rounds) * s.streams
        per_window = self._tile_busy_per_window()
        top = max(per_window.values())
        busiest = {u for u, c in per_window.items() if c == top}
        work = 0
        for rec in s.records.values():
            for i in range(cg.n):
                if cg.unit[i] in busiest and rec.end[i] >= 0:
                    work += _overlap(rec.start[i], rec.start[i] + cg.cycles[i], m.lo, m.hi)
        return work / (top * len(busiest))

    def _tile_busy_per_window(self) -> dict[int, int]:
        """Busy cycles of every tile in one window of one stream (one pass per MVM)."""
        cg = self.scheduler.cg
        busy: dict[int, int] = defaultdict(int)
        for i in range(cg.n):
            if cg.is_tile[i]:
                busy[cg.unit[i]] += cg.cycles[i]
        return busy

    def breakdowns(self) -> dict[str, dict[str, float]]:
        """Per tile: the fraction of the measured span in each category.

        Periodic runs count the operations of the measured windows (one period of them fills the
        period exactly); otherwise every operation's time and every idle gap is clipped to the
        measured interval, since windows overlap and those of the interval start before it.
        """
        m = self.measured()
        lo, hi, span = m.lo, m.hi, m.span
        measured = set(m.rounds)
        s = self.scheduler
        cg = s.cg
        periodic = s.period is not None
        per_tile: dict[int, list[tuple[int, WindowRecord, int]]] = defaultdict(list)
        for rec in s.records.values():
            for i in range(cg.n):
                if cg.is_tile[i] and rec.end[i] >= 0:
                    per_tile[cg.unit[i]].append((rec.start[i], rec, i))
        result = {}
        for u, ops in per_tile.items():
            ops.sort(key=lambda x: (x[0], x[1].stream, x[1].window))
            acc = dict.fromkeys(CATEGORIES, 0)
            prev_end = 0
            for n, (start, rec, i) in enumerate(ops):
                end, work_end = rec.end[i], start + cg.cycles[i]
                if periodic and rec.window in measured:
                    acc["busy"] += cg.cycles[i]
                    acc["extra_passes"] += end - work_end
                    if n == 0:
                        acc["fill"] += start  # the pipeline filling up to this array
                    elif start > prev_end:
                        self._attribute(rec, i, prev_end, start, acc)
                elif not periodic:
                    acc["busy"] += _overlap(start, work_end, lo, hi)
                    acc["extra_passes"] += _overlap(work_end, end, lo, hi)
                    gap_lo, gap_hi = max(prev_end, lo), min(start, hi)
                    if n == 0 and gap_lo == 0:
                        acc["fill"] += gap_hi  # the pipeline filling up to this array
                    elif gap_hi > gap_lo:
                        self._attribute(rec, i, gap_lo, gap_hi, acc)
                prev_end = max(prev_end, end)
            if not periodic:
                acc["drain"] += max(0, hi - max(prev_end, lo))
            result[self.chip.units[u].name] = {k: v / span for k, v in acc.items()}
        return result

    def _attribute(self, rec: WindowRecord, i: int, gap_lo: int, gap_hi: int, acc: dict[str, int]) -> None:
        """Charge the idle gap [gap_lo, gap_hi] before op i along the chain of critical predecessors."""
        cg = self.scheduler.cg
        token = self.scheduler.token is not None
        t = gap_hi
        if rec.ready[i] < t:  # ready but waiting for the chip-wide token
            lo = max(gap_lo, rec.ready[i])
            acc["schedule"] += t - lo
            t = lo
        cur = (rec, i)
        while t > gap_lo:
            pred = cur[0].crit[cur[1]]
            if pred is None:
                acc["fill"] += t - gap_lo
                return
            pr, pi = pred
            cls = "dependency" if cg.is_tile[pi] else cg.unit_class[pi]
            t = min(t, pr.end[pi])
            start = max(gap_lo, pr.start[pi])
            if t > start:
                acc[cls] += t - start
                t = start
            ready = max(gap_lo, pr.ready[pi])
            if t > ready:  # the predecessor queued for its unit (or the token)
                acc["schedule" if token else cls] += t - ready
                t = ready
            cur = pred

    def step_latency_cycles(self) -> float:
        """Median over the steps of window 0, stream 0: first layer's forward start to softmax output."""
        rec = self.scheduler.records[0, 0]
        index = {k: i for i, k in enumerate(self.scheduler.cg.keys)}
        first, last = self.mapping.arrays[0], self.mapping.arrays[-1]
        lat = []
        for t in range(self.mapping.bptt_steps):
            begin = min(rec.start[index["f_mvm", first.name, t, s.tile]] for s in first.slices)
            lat.append(rec.end[index["f_nlf", last.name, t]] - begin)
        return statistics.median(lat)

    def window_energy_pj(self) -> dict[str, float]:
        """Dynamic energy of one window of one stream by component (pure costs), averaged over the
        measured windows so that extra MVM passes set by a hook are counted."""
        c = self.config
        records = self._records(self.measured().rounds)
        e: dict[str, float] = defaultdict(float)
        for i, key in enumerate(self.scheduler.cg.keys):
            d = self.graph.nodes[key]
            verb, args = d["verb"], d["args"]
            if verb in ("forward", "backward"):
                rows, cols = args
                ins, outs = (cols, rows) if verb == "forward" else (rows, cols)
                passes = sum(r.passes[i] for r in records) / len(records)
                for k, v in costs.mvm_energy_pj(c.tile, rows, cols, ins, outs, passes).items():
                    e[k] += v
            elif verb == "update":
                for k, v in costs.update_energy_pj(c.tile, *args).items():
                    e[k] += v
            elif verb in ("activate", "accumulate"):
                e["nlf"] += costs.work_elements(args[0]) * c.nlf.energy_per_element_op_pj
            elif verb == "transfer":
                link = c.links.nlf_memory if d["unit"] == MEMORY_LINK else c.links.tile_nlf
                e["link"] += args[0] * link.energy_per_byte_pj
            else:
                e["memory"] += args[0] * c.memory.energy_per_byte_pj
        return dict(e)

    def memory_traffic(self) -> tuple[int, int]:
        """Bytes written and read by one window of one stream."""
        w = r = 0
        for _, d in self.graph.nodes(data=True):
            if d["verb"] == "store":
                w += d["args"][0]
            elif d["verb"] == "load":
                r += d["args"][0]
        return w, r

    def result(self) -> ChipResult:
        """The figures; ``wall_seconds`` covers building, simulating (with any drain run) and this."""
        t_start, wall_before = time.perf_counter(), self.wall_seconds
        s = self.scheduler
        cfg = self.config
        ns = 1.0 / cfg.clock_ghz
        k = s.streams
        steps = self.mapping.bptt_steps
        ops_window = sum(s.cg.ops)
        m = self.measured()
        windows = self.windows_measured()
        ns_per_window = m.span * ns / windows
        teraops = ops_window / ns_per_window / 1e3
        # The busiest tile's pure busy time per window bounds the throughput of this mapping.
        top_busy = max(self._tile_busy_per_window().values())
        peak = ops_window / (top_busy * ns) / 1e3
        peak_fraction = windows * top_busy / m.span  # = teraops / peak, without the rounding
        breakdowns = self.breakdowns()
        by_array = {}
        busiest, best = "", -1.0
        for a in self.mapping.arrays:
            names = [f"tile{sl.tile}" for sl in a.slices]
            top = max(names, key=lambda n: breakdowns[n]["busy"] + breakdowns[n]["extra_passes"])
            by_array[a.name] = breakdowns[top]
            load = breakdowns[top]["busy"] + breakdowns[top]["extra_passes"]
            if load > best + 1e-12:
                busiest, best = a.name, load
        ns_per_char = ns_per_window / steps
        energy = {key: v / steps for key, v in sorted(self.window_energy_pj().items())}
        leakage_mw = sum(self.chip.leakage_mw().values())
        energy["leakage"] = leakage_mw * ns_per_char  # mW x ns = pJ
        energy["total"] = sum(energy.values())
        chars = train_chars(self.workload)
        windows_epoch = math.ceil(chars / (steps * k))
        if windows_epoch in self._full_runs or (s.period is not None and self.hook is None):
            epoch_seconds = self.rounds_completion(windows_epoch) * ns * 1e-9
            exact = True
        else:
            epoch_seconds = windows_epoch * k * ns_per_window * 1e-9
            exact = False
        written, read = self.memory_traffic()
        mem = self.chip.memory
        findings = []
        if mem.capacity_bytes is not None and mem.peak_bytes > mem.capacity_bytes:
            findings.append(
                Finding(
                    "error",
                    "memory.capacity_bytes",
                    f"BPTT storage does not fit: peak occupancy {mem.peak_bytes} bytes with {k} stream(s) "
                    f"exceeds memory.capacity_bytes = {mem.capacity_bytes}",
                )
            )
        utilization = self.utilization()
        findings += impossible_figures(utilization, peak_fraction, m)
        rec = s.records[0, m.rounds[-1]]
        window_latency = (max(rec.end) - min(rec.start)) * ns
        epoch = (
            "epoch extrapolated exactly (steady state plus the last window's drain from a short full run)"
            if exact
            else "epoch = windows x mean window time"
            + (" (a hook may change later windows)" if self.hook is not None else "")
        )
        n = len(s.round_end)
        if m.how == "one period":
            p = s.period
            note = (
                f"the schedule repeated exactly every {p.rounds} window(s) per stream from window "
                f"{p.first_round}; per-window figures over one period ({p.cycles} cycles); {epoch}"
            )
            steady = SteadyState(True, p.rounds, p.cycles * ns, p.first_round, n, note)
        else:
            if m.how == "whole run":
                what = (
                    f"figures over the whole simulated run of {n} window(s) per stream, pipeline fill and "
                    "drain included" + ("" if self.full else " (no exact period appeared)")
                )
            else:
                what = (
                    f"no exact period within {n} windows per stream: figures over the middle half of the "
                    f"run (from the end of window {m.rounds[0] - 1} to the end of window {m.rounds[-1]} of "
                    "every stream), each operation clipped to it; throughput from the busiest tile's work "
                    "in it"
                )
            steady = SteadyState(False, 0, 0.0, 0, n, f"{what}; {epoch}")
        cp_cycles, _ = critical_path(self.graph)
        return ChipResult(
            workload=self.workload.name,
            chip=cfg.name,
            schedule=s.schedule,
            streams=k,
            teraops_per_s=teraops,
            ideal_peak_teraops_per_s=peak,
            peak_fraction=peak_fraction,
            teraops_per_w=ops_window / (energy["total"] * steps) if energy["total"] > 0 else None,
            ns_per_char=ns_per_char,
            ns_per_window=ns_per_window,
            window_latency_ns=window_latency,
            step_latency_ns=self.step_latency_cycles() * ns,
            epoch_seconds=epoch_seconds,
            chars_per_epoch=chars,
            windows_per_epoch=windows_epoch,
            operations_per_window=ops_window,
            devices=self.mapping.devices,
            critical_path_ns=cp_cycles * ns,
            utilization=utilization,
            busiest_array=busiest,
            breakdown=by_array[busiest],
            breakdown_by_array=by_array,
            energy_pj_per_char=energy,
            memory={
                "bytes_written_per_window": written,
                "bytes_read_per_window": read,
                "peak_occupancy_bytes": mem.peak_bytes,
                "capacity_bytes": mem.capacity_bytes,
                "fits": mem.capacity_bytes is None or mem.peak_bytes <= mem.capacity_bytes,
            },
            arrays=[
                MappedArraySummary(
                    a.name, a.rows, a.cols, a.devices, [f"tile{x.tile}" for x in a.slices], f"nlf{a.nlf_unit}"
                )
                for a in self.mapping.arrays
            ],
            steady_state=steady,
            findings=findings,
            simulated_events=self.env.scheduled_events + self.extra_events,
            simulated_operations=sum(r.done for r in s.records.values()),
            wall_seconds=wall_before + time.perf_counter() - t_start,
        )

    def trace(self, windows: int | None = None) -> list[dict]:
        """Chrome trace-event JSON (Perfetto): one complete event per timed operation, in microseconds;
        of the first ``windows`` windows of every stream (None: all)."""
        s = self.scheduler
        cg = s.cg
        us = 1e-3 / self.config.clock_ghz
        classes = sorted({VERB_CLASS[v] for v in cg.verb})
        pid = {c: n + 1 for n, c in enumerate(classes)}
        events: list[dict] = [
            {"name": "process_name", "ph": "M", "pid": pid[c], "tid": 0, "args": {"name": c}} for c in classes
        ]
        for n, u in enumerate(self.chip.units):
            if u.kind in pid:
                events.append(
                    {"name": "thread_name", "ph": "M", "pid": pid[u.kind], "tid": n, "args": {"name": u.name}}
                )
        for (stream, window), rec in sorted(s.records.items()):
            if windows is not None and window >= windows:
                continue
            for i in range(cg.n):
                if rec.start[i] >= 0 and rec.end[i] > rec.start[i]:
                    key = cg.keys[i]
                    events.append(
                        {
                            "name": f"{key[0]} {key[1]} t{key[2]}",
                            "ph": "X",
                            "ts": rec.start[i] * us,
                            "dur": (rec.end[i] - rec.start[i]) * us,
                            "pid": pid[cg.unit_class[i]],
                            "tid": cg.unit[i],
                            "args": {"stream": stream, "window": window, "passes": rec.passes[i]},
                        }
                    )
        return events


def simulate(
    workload: WorkloadConfig,
    chip: ChipConfig,
    schedule: str = "dataflow",
    streams: int = 1,
    windows: int | None = None,
    max_windows: int | None = None,
    hook: ArrayOpHook | None = None,
    check_memory: bool = True,
) -> ChipRun:
    """Map, build the graph and simulate; ``.result()`` gives the figures, ``.trace()`` the trace."""
    return ChipRun(workload, chip, schedule, streams, hook, check_memory).run(windows, max_windows)
