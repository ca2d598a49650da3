"""Reductions of a finished simulation to figures: pure functions of its records, no simulation.

Each function reads a :class:`~archsim.chip.simulation.ChipRun` that has run (its window records,
compiled graph, mapping and configuration) and returns plain data. Two kinds of figure, each with
one source:

- time (utilization, breakdowns, latencies, throughput): the start and end cycles of the
  operations in the records;
- counts (operations, energy, memory traffic): the actions in the records, counted
  (:func:`action_counts`), times the pure cost functions of :mod:`archsim.chip.costs`, as Accelergy
  does. The hardware units keep no counters of their own.

The steady-state figures are taken over a :class:`Measured` interval: one period of an exactly
periodic schedule, the middle half of a run that found none, or the whole of a full run.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from archsim.chip import costs
from archsim.chip.graph import MEMORY_LINK, array_link, critical_path
from archsim.chip.schedule import WindowRecord
from archsim.config.chip import ChipConfig
from archsim.results import ChipResult, Finding, MappedArraySummary, RunEnergy, SteadyState, UnitUse

if TYPE_CHECKING:
    from archsim.chip.simulation import ChipRun

#: Categories of an array's time (TIMING.md section 4): working, or idle waiting for something.
CATEGORIES = ("busy", "extra_passes", "nlf", "memory", "link", "dependency", "schedule", "fill", "drain")

#: Verbs of the array operations (the tiles' actions).
MVM_VERBS = ("forward", "backward")
ARRAY_VERBS = ("forward", "backward", "update")


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    """Length of the intersection of [a0, a1] and [b0, b1]."""
    return max(0, min(a1, b1) - max(a0, b0))


# -- the measured interval ---------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """The windows and the interval [lo, hi] (cycles) the steady-state figures are taken over.

    ``how``: "one period" (the schedule repeated exactly), "whole run" (a full simulation of a
    given number of windows, or too short a run for a middle half) or "middle half" (no period:
    from the end of the first quarter of the rounds to the end of the third).

    ``rounds``, ``lo`` and ``hi`` are simulated ones; a fast run (:mod:`archsim.chip.schedule`)
    also ran ``skipped_rounds`` rounds in ``skipped_cycles`` that were not simulated (the records'
    weights count their operations).
    """

    how: str
    rounds: list[int]
    lo: int
    hi: int
    skipped_rounds: int = 0
    skipped_cycles: int = 0

    @property
    def span(self) -> int:
        return self.hi - self.lo + self.skipped_cycles

    @property
    def round_count(self) -> int:
        return len(self.rounds) + self.skipped_rounds


def measured(run: ChipRun) -> Measured:
    """The windows and the interval the steady-state figures of ``run`` are taken over."""
    s = run.scheduler
    if s.period is not None:
        last = len(s.round_end) - 1
        rounds = list(range(last - s.period.rounds + 1, last + 1))
        return Measured("one period", rounds, s.round_end[last] - s.period.cycles, s.round_end[last])
    n = len(s.round_end)
    if run.full or n < 4:
        return Measured("whole run", list(range(n - s.dw)), 0, s.round_end[-1] - s.dt, s.dw, s.dt)
    # The middle half: after the pipeline has filled, before the last windows drain it.
    first, last = n // 4, n - n // 4 - 1
    rounds = list(range(first, last + 1))
    return Measured("middle half", rounds, s.round_end[first - 1], s.round_end[last])


def measured_records(run: ChipRun, m: Measured) -> list[WindowRecord]:
    """The records of the measured windows, every stream's."""
    s = run.scheduler
    return [s.records[st, w] for w in m.rounds for st in range(s.streams)]


# -- counts: actions times their costs ---------------------------------------------------------


class Action(NamedTuple):
    """One kind of action of a unit: its hardware verb, the verb's arguments, and ``passes``: for
    an MVM its number of passes (bound management), for an update its pulse-train length BL (BL
    management), 1 for everything else."""

    unit: str
    verb: str
    args: tuple
    passes: int
    array: str  # the array (layer) the action works for: an LSTM layer or the softmax


def action_counts(run: ChipRun, records: list[WindowRecord]) -> Counter[Action]:
    """How often each action ran in ``records`` (completed operations only); the actions in the
    order of their first operation (records in order, nodes in order)."""
    cg = run.scheduler.cg
    counts: Counter[Action] = Counter()
    if not records:
        return counts
    # Every record's operations at once: the key (node, passes) of each completed one, its weight.
    end = np.array([rec.end for rec in records], dtype=np.int64).ravel()
    passes = np.array([rec.passes for rec in records], dtype=np.int64).ravel()
    weight = np.array(
        [[1] * cg.n if rec.weight is None else rec.weight for rec in records], dtype=np.int64
    ).ravel()
    node = np.tile(np.arange(cg.n, dtype=np.int64), len(records))
    done = end >= 0
    node, passes, weight = node[done], passes[done], weight[done]
    keys = node * (int(passes.max(initial=0)) + 1) + passes
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    totals = np.zeros(len(unique), dtype=np.int64)
    np.add.at(totals, inverse, weight)
    units = run.chip.units
    for u in np.argsort(first, kind="stable"):
        i, amount = int(node[first[u]]), int(passes[first[u]])
        action = Action(units[cg.unit[i]].name, cg.verb[i], cg.args[i], amount, cg.keys[i][1])
        counts[action] += int(totals[u])
    return counts


def action_operations(action: Action) -> int:
    """Operations of one action (counting rule: an array cycle on r x c devices, 2rc; a repeated
    pass adds none; the digital periphery's work is not counted)."""
    if action.verb in ARRAY_VERBS:
        return costs.operations(*action.args)
    return 0


def action_energy_pj(chip: ChipConfig, periphery: costs.Periphery, action: Action) -> dict[str, float]:
    """Dynamic energy of one action by component (pJ), from the pure cost functions."""
    verb, args = action.verb, action.args
    if verb in MVM_VERBS:
        return costs.mvm_energy_pj(chip.tile, periphery, MVM_VERBS.index(verb), *args, action.passes)
    if verb == "update":
        return costs.update_energy_pj(chip.tile, *args, action.passes)
    if verb in ("activate", "accumulate"):
        return {"nlf": costs.work_elements(args[0]) * chip.nlf.energy_per_element_op_pj}
    if verb == "transfer":
        link = chip.links.nlf_memory if action.unit == MEMORY_LINK else chip.links.tile_nlf
        return {"link": args[0] * link.energy_per_byte_pj}
    return {"memory": args[0] * chip.memory.energy_per_byte_pj}  # store, load


def energy_by_array_per_window_pj(
    chip: ChipConfig, periphery: costs.Periphery, counts: Counter[Action], windows: int
) -> dict[str, dict[str, float]]:
    """Dynamic energy of one window of one stream by array (layer) and component: each action is
    charged to the array it works for (its tiles, its NLF work, its transfers and BPTT storage)."""
    e: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for a, n in counts.items():
        for k, v in action_energy_pj(chip, periphery, a).items():
            e[a.array][k] += n * v / windows
    return {array: dict(parts) for array, parts in e.items()}


def operations_per_window(counts: Counter[Action], windows: int) -> int:
    """Operations of one window of one stream, from the actions of ``windows`` windows."""
    return sum(n * action_operations(a) for a, n in counts.items()) // windows


def energy_per_window_pj(
    chip: ChipConfig, periphery: costs.Periphery, counts: Counter[Action], windows: int
) -> dict[str, float]:
    """Dynamic energy of one window of one stream by component, averaged over ``windows`` windows
    (extra MVM passes set by a hook cost DAC, ADC and array energy; the BL of each update its
    pulses)."""
    e: dict[str, float] = defaultdict(float)
    for a, n in counts.items():
        for k, v in action_energy_pj(chip, periphery, a).items():
            e[k] += n * v
    return {k: v / windows for k, v in e.items()}


def memory_traffic_per_window(counts: Counter[Action], windows: int) -> tuple[int, int]:
    """Bytes written to and read from the activation memory by one window of one stream."""
    written = sum(n * a.args[0] for a, n in counts.items() if a.verb == "store")
    read = sum(n * a.args[0] for a, n in counts.items() if a.verb == "load")
    return written // windows, read // windows


# -- time ---------------------------------------------------------------------------------------


def tile_busy_per_window(run: ChipRun) -> dict[int, int]:
    """Busy cycles of every tile (by unit index) in one window of one stream, one pass per MVM."""
    cg = run.scheduler.cg
    busy: dict[int, int] = defaultdict(int)
    for i in range(cg.n):
        if cg.is_tile[i]:
            busy[cg.unit[i]] += cg.cycles[i]
    return busy


def utilization(run: ChipRun, m: Measured) -> dict[str, float]:
    """Busy fraction of every unit over the measured interval; ``tile<k>.dac`` and ``tile<k>.adc``:
    the part of it the tile's DAC bank spends encoding and its ADC bank converting.

    Over one period or the whole run the operations of the measured windows fill the interval
    exactly; over the middle half windows overlap both ends of the interval, so every operation
    of every window is clipped to it."""
    cg = run.scheduler.cg
    units = run.chip.units
    timing = run.chip.tiles[0].timing if run.chip.tiles else None
    busy = [0] * len(units)
    dac: dict[int, int] = defaultdict(int)
    adc: dict[int, int] = defaultdict(int)
    clip = m.how == "middle half"
    records = run.scheduler.records.values() if clip else measured_records(run, m)
    for rec in records:
        weight = rec.weight
        for i in range(cg.n):
            start, end = rec.start[i], rec.end[i]
            if end < 0:
                continue
            wt = 1 if weight is None else weight[i]
            inside = not clip or (m.lo <= start and end <= m.hi)
            busy[cg.unit[i]] += wt * (end - start) if inside else _overlap(start, end, m.lo, m.hi)
            outside = not inside and (end <= m.lo or start >= m.hi)
            if cg.verb[i] not in MVM_VERBS or outside:
                continue
            rows, cols = cg.args[i]
            direction = MVM_VERBS.index(cg.verb[i])
            enc = timing.encode_cycles[direction]
            conv = timing.conversion_cycles(direction, rows if direction == 0 else cols)
            if inside:
                dac[cg.unit[i]] += wt * rec.passes[i] * enc
                adc[cg.unit[i]] += wt * rec.passes[i] * conv
                continue
            # An MVM across an end of the interval: each pass encodes, integrates, converts.
            cycle = enc + timing.integrate_cycles + conv
            for p in range(rec.passes[i]):
                t = start + p * cycle
                dac[cg.unit[i]] += _overlap(t, t + enc, m.lo, m.hi)
                adc[cg.unit[i]] += _overlap(t + cycle - conv, t + cycle, m.lo, m.hi)
    span = m.span
    result = {u.name: busy[k] / span for k, u in enumerate(units)}
    for k, u in enumerate(units):
        if u.kind == "tile":
            result[f"{u.name}.dac"] = dac[k] / span
            result[f"{u.name}.adc"] = adc[k] / span
    return result


def windows_measured(run: ChipRun, m: Measured) -> float:
    """Windows (counting every stream's) whose work the measured interval holds.

    Over one period or the whole run: the whole windows measured. Over the middle half, windows
    overlap both ends of the interval and the pipeline may still be settling, so the windows
    completed in it can hold more work than was done in it (lstm1-64-wp on baseline with 4
    streams: 16 windows need 345,600 cycles of each tile in an interval of 344,112, which
    read as 100.43 % of the peak). There the work is counted where it was done: the busy cycles
    of the busiest tile inside the interval, divided by that tile's busy cycles per window."""
    s = run.scheduler
    cg = s.cg
    if m.how != "middle half":
        return m.round_count * s.streams
    per_window = tile_busy_per_window(run)
    top = max(per_window.values())
    busiest = {u for u, c in per_window.items() if c == top}
    work = 0
    for rec in s.records.values():
        for i in range(cg.n):
            if cg.unit[i] in busiest and rec.end[i] >= 0:
                work += _overlap(rec.start[i], rec.start[i] + cg.cycles[i], m.lo, m.hi)
    return work / (top * len(busiest))


def breakdowns(run: ChipRun, m: Measured) -> dict[str, dict[str, float]]:
    """Per tile: the fraction of the measured span in each category.

    Periodic runs count the operations of the measured windows (one period of them fills the
    period exactly); otherwise every operation's time and every idle gap is clipped to the
    measured interval, since windows overlap and those of the interval start before it. An
    operation a fast run repeated counts as often as it happened (its weight): its copies have
    the same work and gaps, shifted.
    """
    lo, hi, span = m.lo, m.hi, m.span
    rounds = set(m.rounds)
    s = run.scheduler
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
            # An MVM's work is one pass (its other passes are extra); an update's is its own
            # duration (BL management may make it shorter than the design's BL).
            end = rec.end[i]
            work_end = end if cg.verb[i] == "update" else start + cg.cycles[i]
            if periodic and rec.window in rounds:
                acc["busy"] += work_end - start
                acc["extra_passes"] += end - work_end
                if n == 0:
                    acc["fill"] += start  # the pipeline filling up to this array
                elif start > prev_end:
                    _attribute(run, rec, i, prev_end, start, acc)
            elif not periodic:
                wt = 1 if rec.weight is None else rec.weight[i]
                acc["busy"] += wt * _overlap(start, work_end, lo, hi)
                acc["extra_passes"] += wt * _overlap(work_end, end, lo, hi)
                gap_lo, gap_hi = max(prev_end, lo), min(start, hi)
                if n == 0 and gap_lo == 0:
                    acc["fill"] += gap_hi  # the pipeline filling up to this array
                elif gap_hi > gap_lo and wt == 1:
                    _attribute(run, rec, i, gap_lo, gap_hi, acc)
                elif gap_hi > gap_lo:
                    gap = dict.fromkeys(CATEGORIES, 0)
                    _attribute(run, rec, i, gap_lo, gap_hi, gap)
                    for key, v in gap.items():
                        acc[key] += wt * v
            prev_end = max(prev_end, end)
        if not periodic:
            acc["drain"] += max(0, hi - max(prev_end, lo))
        result[run.chip.units[u].name] = {k: v / span for k, v in acc.items()}
    return result


def _attribute(
    run: ChipRun, rec: WindowRecord, i: int, gap_lo: int, gap_hi: int, acc: dict[str, int]
) -> None:
    """Charge the idle gap [gap_lo, gap_hi] before op i along the chain of critical predecessors."""
    cg = run.scheduler.cg
    token = run.scheduler.token is not None
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


def step_latency_cycles(run: ChipRun) -> float:
    """Median over the steps of window 0, stream 0: first layer's forward start to softmax output."""
    rec = run.scheduler.records[0, 0]
    index = {k: i for i, k in enumerate(run.scheduler.cg.keys)}
    first, last = run.mapping.arrays[0], run.mapping.arrays[-1]
    lat = []
    for t in range(run.mapping.bptt_steps):
        keys = [("f_mvm", first.name, t, s.tile) for s in first.slices]  # (the copy that ran step t)
        begin = min(rec.start[index[k]] for k in keys if k in index)
        lat.append(rec.end[index["f_nlf", last.name, t]] - begin)
    return statistics.median(lat)


def unit_uses(run: ChipRun, busy: dict[str, float]) -> list[UnitUse]:
    """The utilization of every unit with what it is and the array it serves, so that readers
    (the report) need not decode unit names."""
    array_of = {f"tile{sl.tile}": a.name for a in run.mapping.arrays for sl in a.all_slices}
    array_of |= {array_link(a, r): a.name for a in run.mapping.arrays for r in range(a.replicas)}
    uses = []
    for u in run.chip.units:
        uses.append(UnitUse(u.name, u.kind, array_of.get(u.name), busy[u.name]))
        if u.kind == "tile":
            for part in ("dac", "adc"):
                name = f"{u.name}.{part}"
                uses.append(UnitUse(name, part, array_of[u.name], busy[name]))
    return uses


# -- findings and the result --------------------------------------------------------------------


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


def image_findings(run: ChipRun) -> list[Finding]:
    """What an image network's mapping leaves out or costs: the skipped backward of the first
    array, and each replicated layer's extra tiles and the synchronisation it needs (not modelled)."""
    if not run.mapping.image:
        return []
    cfg = run.config
    findings = []
    skipped = [a.name for a in run.mapping.arrays if a.backward_mvms == 0]
    if skipped:
        findings.append(
            Finding(
                "warning",
                "model.layers",
                f"{', '.join(skipped)}: backward MVMs skipped (they would compute the input image's "
                "error, which nothing uses)",
            )
        )
    tile_area = sum(costs.tile_area_mm2(cfg.tile).values())
    tile_mw = sum(costs.tile_leakage_mw(cfg.tile).values())
    for a in run.mapping.arrays:
        if a.replicas == 1:
            continue
        extra = len(a.slices) - len(a.slices) // a.replicas
        extra_mw = extra * tile_mw + (a.replicas - 1) * cfg.links.tile_nlf.leakage_mw
        findings.append(
            Finding(
                "warning",
                "model.layers.replicas",
                f"{a.name} is mapped {a.replicas} times, its {a.forward_mvms} positions split over the "
                f"copies: {extra} extra tile(s) ({extra * tile_area:.4g} mm^2 of tiles, {extra_mw:.4g} mW "
                "static). The copies hold separate weights that must be synchronised (averaged or "
                "kept in step); the synchronisation is not modelled, neither its time and energy nor "
                "its effect on accuracy (the numerics train one array)",
            )
        )
    return findings


def _steady_state(run: ChipRun, m: Measured, exact: bool) -> SteadyState:
    """How the per-window figures and the epoch were obtained, in words the result carries."""
    s = run.scheduler
    ns = 1.0 / run.config.clock_ghz
    epoch = (
        "epoch extrapolated exactly (steady state plus the last window's drain from a short full run)"
        if exact
        else "epoch = windows x mean window time"
        + (" (a hook may change later windows)" if run.hook is not None else "")
    )
    n = len(s.round_end)
    if m.how == "one period":
        p = s.period
        note = (
            f"the schedule repeated exactly every {p.rounds} window(s) per stream from window "
            f"{p.first_round}; per-window figures over one period ({p.cycles} cycles); {epoch}"
        )
        return SteadyState(True, p.rounds, p.cycles * ns, p.first_round, n, note)
    if m.how == "whole run":
        what = (
            f"figures over the whole simulated run of {n} window(s) per stream, pipeline fill and "
            "drain included" + ("" if run.full else " (no exact period appeared)")
        )
    else:
        what = (
            f"no exact period within {n} windows per stream: figures over the middle half of the "
            f"run (from the end of window {m.rounds[0] - 1} to the end of window {m.rounds[-1]} of "
            "every stream), each operation clipped to it; throughput from the busiest tile's work "
            "in it"
        )
    return SteadyState(False, 0, 0.0, 0, n, f"{what}; {epoch}")


def _run_energy(
    what: str, seconds: float, chars: int, dynamic_pj_per_char: float, static_mw: dict[str, float]
) -> RunEnergy:
    """Energy of a run of ``seconds`` of chip time that trains ``chars`` characters: the dynamic
    energy per character times the characters, the static power times the time (mW x s = mJ)."""
    dynamic = dynamic_pj_per_char * chars * 1e-12
    static = static_mw["total"] * seconds * 1e-3
    return RunEnergy(what, seconds, chars, dynamic, static, dynamic + static)


def chip_result(run: ChipRun, epoch_cycles: int | None) -> ChipResult:
    """The figures of a finished run. ``epoch_cycles``: the completion cycle of a whole epoch when
    the run could extrapolate it exactly (see ``ChipRun.rounds_completion``), else None (the epoch
    is then windows x the mean window time). ``wall_seconds`` is left 0 for the caller."""
    s = run.scheduler
    cfg = run.config
    ns = 1.0 / cfg.clock_ghz
    k = s.streams
    steps = run.mapping.bptt_steps
    m = measured(run)
    counts = action_counts(run, measured_records(run, m))
    n_measured = m.round_count * k
    ops_window = operations_per_window(counts, n_measured)
    windows = windows_measured(run, m)
    ns_per_window = m.span * ns / windows
    teraops = ops_window / ns_per_window / 1e3
    # The busiest tile's pure busy time per window bounds the throughput of this mapping.
    top_busy = max(tile_busy_per_window(run).values())
    peak = ops_window / (top_busy * ns) / 1e3
    peak_fraction = windows * top_busy / m.span  # = teraops / peak, without the rounding
    by_tile = breakdowns(run, m)
    by_array = {}
    busiest, best = "", -1.0
    for a in run.mapping.arrays:
        names = [f"tile{sl.tile}" for sl in a.all_slices]
        top = max(names, key=lambda n: by_tile[n]["busy"] + by_tile[n]["extra_passes"])
        by_array[a.name] = by_tile[top]
        load = by_tile[top]["busy"] + by_tile[top]["extra_passes"]
        if load > best + 1e-12:
            busiest, best = a.name, load
    ns_per_char = ns_per_window / steps
    dynamic = energy_per_window_pj(cfg, run.chip.periphery, counts, n_measured)
    energy = {key: v / steps for key, v in sorted(dynamic.items())}
    arrays = run.mapping.arrays
    static_mw = costs.leakage_mw(cfg, len(run.chip.tiles), sum(a.replicas for a in arrays))
    dynamic_pj_per_char = sum(energy.values())
    energy["leakage"] = static_mw["total"] * ns_per_char  # mW x ns = pJ
    per_array = energy_by_array_per_window_pj(cfg, run.chip.periphery, counts, n_measured)
    energy_by_array = {
        array: {key: v / steps for key, v in sorted(parts.items())} for array, parts in per_array.items()
    }
    # Each array's tiles (with their DACs and ADCs) and its link leak for it; the NLF units, the
    # memory and its link are shared.
    tile_mw = sum(costs.tile_leakage_mw(cfg.tile).values())
    for a in arrays:
        own_mw = len(a.all_slices) * tile_mw + a.replicas * cfg.links.tile_nlf.leakage_mw
        energy_by_array[a.name]["leakage"] = own_mw * ns_per_char
    shared_mw = static_mw["nlf"] + static_mw["memory"] + cfg.links.nlf_memory.leakage_mw
    energy_by_array["shared"] = {"leakage": shared_mw * ns_per_char}
    for parts in energy_by_array.values():
        parts["total"] = sum(parts.values())
    energy["total"] = sum(energy.values())
    windows_epoch = run.windows_per_epoch
    chars = windows_epoch * steps * k
    exact = epoch_cycles is not None
    epoch_seconds = (epoch_cycles * ns if exact else windows_epoch * k * ns_per_window) * 1e-9
    if run.hook is None:  # the run a simulation describes: one epoch
        run_energy = _run_energy("one epoch", epoch_seconds, chars, dynamic_pj_per_char, static_mw)
    else:  # a co-simulation: the windows it ran, every stream's
        run_seconds = s.round_end[-1] * ns * 1e-9
        run_chars = len(s.round_end) * k * steps
        run_energy = _run_energy(
            "co-simulated windows", run_seconds, run_chars, dynamic_pj_per_char, static_mw
        )
    area = costs.area_mm2(cfg)
    written, read = memory_traffic_per_window(counts, n_measured)
    mem = run.chip.memory
    findings = [Finding("warning", "rpu", note) for note in run.chip.periphery.notes(run.hook is not None)]
    if mem.capacity_bytes is not None and mem.peak_bytes > mem.capacity_bytes:
        findings.append(
            Finding(
                "error",
                "memory.capacity_bytes",
                f"BPTT storage does not fit: peak occupancy {mem.peak_bytes} bytes with {k} stream(s) "
                f"exceeds memory.capacity_bytes = {mem.capacity_bytes}",
            )
        )
    findings += image_findings(run)
    busy = utilization(run, m)
    findings += impossible_figures(busy, peak_fraction, m)
    rec = s.records[0, m.rounds[-1]]
    cp_cycles, _ = critical_path(run.graph)
    return ChipResult(
        workload=run.workload.name,
        chip=cfg.name,
        rpu=run.design.rpu.name,
        schedule=s.schedule,
        streams=k,
        teraops_per_s=teraops,
        ideal_peak_teraops_per_s=peak,
        peak_fraction=peak_fraction,
        teraops_per_w=ops_window / (energy["total"] * steps) if energy["total"] > 0 else None,
        teraops_per_s_per_mm2=teraops / area["total"] if area["total"] > 0 else None,
        ns_per_char=ns_per_char,
        ns_per_window=ns_per_window,
        window_latency_ns=(max(rec.end) - min(rec.start)) * ns,
        step_latency_ns=step_latency_cycles(run) * ns,
        epoch_seconds=epoch_seconds,
        chars_per_epoch=chars,
        windows_per_epoch=windows_epoch,
        operations_per_window=ops_window,
        devices=run.mapping.devices,
        critical_path_ns=cp_cycles * ns,
        utilization=busy,
        busiest_array=busiest,
        breakdown=by_array[busiest],
        breakdown_by_array=by_array,
        energy_pj_per_char=energy,
        energy_pj_per_char_by_array=energy_by_array,
        memory={
            "bytes_written_per_window": written,
            "bytes_read_per_window": read,
            "peak_occupancy_bytes": mem.peak_bytes,
            "capacity_bytes": mem.capacity_bytes,
            "fits": mem.capacity_bytes is None or mem.peak_bytes <= mem.capacity_bytes,
        },
        arrays=[
            MappedArraySummary(
                a.name,
                a.rows,
                a.cols,
                a.devices,
                [f"tile{x.tile}" for x in a.all_slices],
                f"nlf{a.nlf_unit}",
                a.replicas,
            )
            for a in run.mapping.arrays
        ],
        steady_state=_steady_state(run, m, exact),
        area_mm2=area,
        static_power_mw=static_mw,
        run_energy=run_energy,
        units=unit_uses(run, busy),
        findings=findings,
        simulated_events=run.env.scheduled_events + run.extra_events + s.skipped_events,
        simulated_operations=sum(r.done for r in s.records.values()) + s.skipped_operations,
        record=run.record(),
        sample="image" if run.mapping.image else "char",
        ns_per_sample=ns_per_char,
        samples_per_s=1e9 / ns_per_char if ns_per_char > 0 else None,
    )
