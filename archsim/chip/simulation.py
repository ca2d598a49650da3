"""Simulate a workload on a chip and reduce the records to a :class:`ChipResult`, and the trace."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict

import networkx as nx

from archsim.chip import costs
from archsim.chip.chip import Chip, CountingEnvironment
from archsim.chip.graph import MEMORY_LINK, VERB_CLASS, build_window_graph, critical_path
from archsim.chip.mapping import Mapping, map_workload
from archsim.chip.schedule import ArrayOpHook, Scheduler, WindowRecord
from archsim.config.corpus import corpus_info, windows_per_stream
from archsim.config.design import Design
from archsim.config.errors import ConfigError
from archsim.config.options import SimulateOptions
from archsim.config.workload import WorkloadConfig
from archsim.results import ChipResult, Finding, MappedArraySummary, SimulateRecord, SteadyState

#: Categories of an array's time (TIMING.md section 4): working, or idle waiting for something.
CATEGORIES = ("busy", "extra_passes", "nlf", "memory", "link", "dependency", "schedule", "fill", "drain")


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    """Length of the intersection of [a0, a1] and [b0, b1]."""
    return max(0, min(a1, b1) - max(a0, b0))


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
    ) -> None:
        t0 = time.perf_counter()
        # The epoch's length from the corpus catalogue, which also checks the corpus and its
        # vocabulary, as training does, before anything is simulated.
        corpus = corpus_info(workload.corpus, workload.vocab_size, source=f"workload '{workload.name}'")
        self.windows_per_epoch = windows_per_stream(corpus.train_chars, workload.training.bptt_steps, streams)
        if self.windows_per_epoch < 1:
            raise ConfigError(
                f"workload '{workload.name}': corpus '{workload.corpus}': its {corpus.train_chars} training "
                f"characters cannot give each of {streams} stream(s) one window of "
                f"{workload.training.bptt_steps + 1} characters"
            )
        self.workload = workload
        self.design = design
        self.config = chip = design.chip
        self.mapping: Mapping = map_workload(workload, chip, check_memory=check_memory)
        self.graph: nx.DiGraph = build_window_graph(self.mapping, design)
        self.env = CountingEnvironment()
        self.chip = Chip(self.env, design, self.mapping)
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
        self.options = SimulateOptions(
            schedule=self.scheduler.schedule,
            streams=self.scheduler.streams,
            windows=windows,
            max_windows=max_windows,
        )
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
            run = ChipRun(self.workload, self.design, s.schedule, s.streams, check_memory=False).run(
                windows=n
            )
            self._full_runs[n] = run.scheduler.round_end[-1]
            self.extra_events += run.env.scheduled_events
            self.wall_seconds += time.perf_counter() - t0
        return self._full_runs[n]

    # -- reductions ----------------------------------------------------------------------------

    def _rounds_measured(self) -> tuple[list[int], int, int]:
        """Rounds the steady-state figures are taken over, their span in cycles, and the start cycle."""
        s = self.scheduler
        if s.period is not None:
            last = len(s.round_end) - 1
            rounds = list(range(last - s.period.rounds + 1, last + 1))
            return rounds, s.period.cycles, s.round_end[last] - s.period.cycles
        n = len(s.round_end)
        if self.full or n < 4:
            return list(range(n)), s.round_end[-1], 0
        # The middle half: after the pipeline has filled, before the last windows drain it.
        first, last = n // 4, n - n // 4 - 1
        lo = s.round_end[first - 1]
        return list(range(first, last + 1)), s.round_end[last] - lo, lo

    def _records(self, rounds: list[int]) -> list[WindowRecord]:
        return [self.scheduler.records[st, w] for w in rounds for st in range(self.scheduler.streams)]

    def utilization(self) -> dict[str, float]:
        """Busy fraction of every unit over the measured span; ``tile<k>.dac`` and ``tile<k>.adc``:
        the part of it the tile's DAC bank spends encoding and its ADC bank converting."""
        rounds, span, _ = self._rounds_measured()
        cg = self.scheduler.cg
        timing = self.chip.tiles[0].timing if self.chip.tiles else None
        busy = [0] * len(self.chip.units)
        dac = defaultdict(int)
        adc = defaultdict(int)
        for rec in self._records(rounds):
            for i in range(cg.n):
                busy[cg.unit[i]] += rec.end[i] - rec.start[i]
                if cg.verb[i] in ("forward", "backward"):
                    rows, cols = cg.args[i]
                    direction = 0 if cg.verb[i] == "forward" else 1
                    outputs = rows if direction == 0 else cols
                    dac[cg.unit[i]] += rec.passes[i] * timing.encode_cycles[direction]
                    adc[cg.unit[i]] += rec.passes[i] * timing.conversion_cycles(direction, outputs)
        result = {u.name: busy[k] / span for k, u in enumerate(self.chip.units)}
        for k, u in enumerate(self.chip.units):
            if u.kind == "tile":
                result[f"{u.name}.dac"] = dac[k] / span
                result[f"{u.name}.adc"] = adc[k] / span
        return result

    def breakdowns(self) -> dict[str, dict[str, float]]:
        """Per tile: the fraction of the measured span in each category.

        Periodic runs count the operations of the measured windows (one period of them fills the
        period exactly); otherwise every operation's time and every idle gap is clipped to the
        measured interval, since windows overlap and those of the interval start before it.
        """
        rounds, span, lo = self._rounds_measured()
        hi = lo + span
        measured = set(rounds)
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
        periphery = self.chip.periphery
        rounds, _, _ = self._rounds_measured()
        records = self._records(rounds)
        e: dict[str, float] = defaultdict(float)
        for i, key in enumerate(self.scheduler.cg.keys):
            d = self.graph.nodes[key]
            verb, args = d["verb"], d["args"]
            if verb in ("forward", "backward"):
                passes = sum(r.passes[i] for r in records) / len(records)
                direction = 0 if verb == "forward" else 1
                for k, v in costs.mvm_energy_pj(c.tile, periphery, direction, *args, passes).items():
                    e[k] += v
            elif verb == "update":
                bl = sum(r.passes[i] for r in records) / len(records)
                for k, v in costs.update_energy_pj(c.tile, *args, bl).items():
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
        rounds, span, _ = self._rounds_measured()
        ns_per_window = span * ns / (len(rounds) * k)
        teraops = ops_window / ns_per_window / 1e3
        # The busiest tile's pure busy time per window bounds the throughput of this mapping.
        busy_tile = defaultdict(int)
        for i in range(s.cg.n):
            if s.cg.is_tile[i]:
                busy_tile[s.cg.unit[i]] += s.cg.cycles[i]
        peak = ops_window / (max(busy_tile.values()) * ns) / 1e3
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
        windows_epoch = self.windows_per_epoch
        chars = windows_epoch * steps * k
        if windows_epoch in self._full_runs or (s.period is not None and self.hook is None):
            epoch_seconds = self.rounds_completion(windows_epoch) * ns * 1e-9
            exact = True
        else:
            epoch_seconds = windows_epoch * k * ns_per_window * 1e-9
            exact = False
        written, read = self.memory_traffic()
        mem = self.chip.memory
        findings = [
            Finding("warning", "rpu", note) for note in self.chip.periphery.notes(self.hook is not None)
        ]
        if mem.capacity_bytes is not None and mem.peak_bytes > mem.capacity_bytes:
            findings.append(
                Finding(
                    "error",
                    "memory.capacity_bytes",
                    f"BPTT storage does not fit: peak occupancy {mem.peak_bytes} bytes with {k} stream(s) "
                    f"exceeds memory.capacity_bytes = {mem.capacity_bytes}",
                )
            )
        last = rounds[-1]
        rec = s.records[0, last]
        window_latency = (max(rec.end) - min(rec.start)) * ns
        if s.period is not None:
            note = "schedule repeated exactly; per-window figures over one period; epoch " + (
                "extrapolated exactly (steady state plus the last window's drain from a short full run)"
                if exact
                else "= windows x steady-state window time (a hook may change later windows)"
            )
            steady = SteadyState(
                True, s.period.rounds, s.period.cycles * ns, s.period.first_round, len(s.round_end), note
            )
        else:
            steady = SteadyState(
                False,
                0,
                0.0,
                0,
                len(s.round_end),
                "no period detected: figures averaged over the whole simulated run"
                + ("" if exact else "; epoch = windows x mean window time"),
            )
        cp_cycles, _ = critical_path(self.graph)
        return ChipResult(
            workload=self.workload.name,
            chip=cfg.name,
            rpu=self.design.rpu.name,
            schedule=s.schedule,
            streams=k,
            teraops_per_s=teraops,
            ideal_peak_teraops_per_s=peak,
            peak_fraction=teraops / peak,
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
            utilization=self.utilization(),
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
            record=self.record(),
        )

    def record(self) -> SimulateRecord | None:
        """What produced this run, for its result (None under a hook: the co-simulation records it)."""
        if self.hook is not None:
            return None
        d = self.design
        return SimulateRecord(workload=self.workload, chip=d.chip, rpu=d.rpu, options=self.options)

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
    design: Design,
    schedule: str = "dataflow",
    streams: int = 1,
    windows: int | None = None,
    max_windows: int | None = None,
    hook: ArrayOpHook | None = None,
    check_memory: bool = True,
) -> ChipRun:
    """Map, build the graph and simulate; ``.result()`` gives the figures, ``.trace()`` the trace."""
    return ChipRun(workload, design, schedule, streams, hook, check_memory).run(windows, max_windows)
