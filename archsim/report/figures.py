"""The report's figures as plain data: headline tables, findings and the data of every chart.

Everything here is a pure function of the results (``ReportInput``); the output is what
``figures.json`` holds and what the charts, the HTML page and the Markdown summary draw.
"""

from __future__ import annotations

import math
import re
from typing import Any

from archsim.report.inputs import ReportInput, number

#: Stable element ids of the charts (the HTML page and its test rely on them).
UTILIZATION = "chart-utilization"
GANTT = "chart-gantt"
BREAKDOWN = "chart-breakdown"
ENERGY = "chart-energy"
CE_CHARS = "chart-ce-chars"
CE_CHIP_TIME = "chart-ce-chip-time"

#: The Gantt shows the operations of the first windows of every stream ...
GANTT_WINDOWS = 2
#: ... in this many time bins (about one pixel each) ...
GANTT_RESOLUTION = 800
#: ... as at most this many bars (the earliest; the time axis is cut where they end).
GANTT_MAX_BARS = 6000
#: The detail panel draws about this many of the first operations, one bar each.
GANTT_DETAIL_OPS = 200

#: Breakdown categories in drawing order, with their labels (unknown ones follow, named as they are).
BREAKDOWN_LABELS = {
    "busy": "busy",
    "extra_passes": "extra passes",
    "nlf": "waiting for NLF",
    "memory": "waiting for memory",
    "link": "waiting for links",
    "dependency": "waiting for another array",
    "schedule": "waiting for the schedule",
    "fill": "pipeline fill",
    "drain": "drain",
}
#: Above this many tiles the utilization chart and the timeline show tiles by array.
UTILIZATION_MAX_TILES = 16
GANTT_MAX_TILE_ROWS = 16
#: The timeline draws at most this many rows (units).
GANTT_MAX_ROWS = 48
#: Unit classes of the utilization chart, in drawing order.
UNIT_CLASSES = ("tile", "dac", "adc", "nlf", "link", "memory", "other")
#: Trace operation phases (``args.phase`` of an operation).
PHASES = ("forward", "backward", "update")
#: Rows of the Gantt by trace process name, in drawing order, for a trace without sort indices
#: (``process_sort_index`` metadata, which archsim's traces carry).
PROCESS_ORDER = ("tile", "nlf", "link", "memory")
#: The streams panel of the timeline draws at most this many streams.
GANTT_MAX_STREAMS = 16


def _natural(name: str) -> list[Any]:
    """Sort key that puts tile2 before tile10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _fmt(value: Any, spec: str, unit: str = "") -> str:
    """``value`` with ``spec``, but three significant digits below 1 (0.0267, not 0.03); n/a if missing."""
    v = number(value)
    if v is None:
        return "n/a"
    text = f"{v:.3g}" if 0 < abs(v) < 1 and spec.endswith("f") else f"{v:{spec}}"
    return text + (f" {unit}" if unit else "")


def _bytes(n: float) -> str:
    for scale, unit in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} B"


def _row(figure: str, value: Any, text: str, card: str | None = None, card_note: str = "") -> dict[str, Any]:
    """One headline figure; with ``card`` (a short text) it is also shown as a card on the page."""
    return {"figure": figure, "value": value, "text": text, "card": card, "card_note": card_note}


# -- headline figures ---------------------------------------------------------------------------


def _pct(fraction: Any) -> str:
    v = number(fraction)
    return _fmt(None if v is None else 100 * v, ".1f", "%")


def _numerics_rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    """A co-simulation's data-dependent timing: repeated (bound-management) passes, and the time
    the same windows take without numerics."""
    rows = []
    if "passes" in c:
        extra = [p for p in c["passes"] if p.get("extra_passes")]
        total = sum(p["extra_passes"] for p in extra)
        detail = ", ".join(f"{p['array']} {p['verb']} {p['extra_passes']}" for p in extra)
        text = f"{total:,} extra array cycles ({detail})" if total else "none: no MVM saturated"
        rows.append(_row("Repeated MVM passes", total, text))
    timing = c.get("timing_only") or {}
    if "ns_per_char" in timing:
        ratio = number(timing.get("slowdown_from_numerics"))
        text = _fmt(timing["ns_per_char"], ".1f", f"ns per {c.get('sample', 'char')}")
        if ratio is not None:
            text += f"; the numerics make the chip x{ratio:.4f} slower"
        rows.append(_row("Without numerics", timing["ns_per_char"], text))
    return rows


def _by_part(parts: dict[str, Any], unit: str) -> str:
    """The nonzero components of ``parts`` (less its "total"), largest first."""
    items = [(k, number(v) or 0.0) for k, v in parts.items() if k != "total"]
    items = sorted((kv for kv in items if kv[1] > 0), key=lambda kv: -kv[1])
    return ", ".join(f"{k} {_fmt(v, '.3g', unit)}" for k, v in items)


def _area_rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    """Area, area density, static power and the energy of the run, dynamic and static (none for a
    result written before the area model)."""
    rows = []
    area = c.get("area_mm2") or {}
    total = number(area.get("total"))
    if total:
        density = number(c.get("teraops_per_s_per_mm2"))
        note = _fmt(density, ".3g", "TeraOps/s/mm²") if density is not None else ""
        rows.append(_row("Area", total, _fmt(total, ".4g", "mm²"), _fmt(total, ".4g", "mm²"), note))
        rows.append(_row("Area density", density, _fmt(density, ".3g", "TeraOps/s/mm²")))
        rows.append(_row("Area by component", None, _by_part(area, "mm²")))
    power = c.get("static_power_mw") or {}
    if number(power.get("total")):
        text = f"{_fmt(power['total'], '.4g', 'mW')} ({_by_part(power, 'mW')})"
        rows.append(_row("Static power", power["total"], text))
    run = c.get("run_energy") or {}
    if run and number(run.get("total_j")):
        what = "an epoch" if run.get("run") == "one epoch" else "the co-simulated windows"
        text = (
            f"{_fmt(run['total_j'], '.3g', 'J')}: dynamic {_fmt(run.get('dynamic_j'), '.3g', 'J')}, "
            f"static {_fmt(run.get('static_j'), '.3g', 'J')} "
            f"(leakage over {_fmt(run.get('seconds'), '.4g', 's')} of chip time)"
        )
        rows.append(_row(f"Energy of {what}", run["total_j"], text))
    return rows


def chip_headline(c: dict[str, Any]) -> list[dict[str, Any]]:
    """Headline figures of a chip result (rows with a ``card`` are also shown as cards)."""
    tops, peak, frac = c["teraops_per_s"], c["ideal_peak_teraops_per_s"], c["peak_fraction"]
    tpw = c.get("teraops_per_w")
    tpw_text = _fmt(tpw, ".2f", "TeraOps/W") if number(tpw) is not None else "not modelled"
    peak_text = _fmt(peak, ".2f", "TeraOps/s")
    rows = [
        _row("Throughput", tops, _fmt(tops, ".2f", "TeraOps/s"), _fmt(tops, ".2f", "TeraOps/s")),
        _row("Of the ideal peak", frac, f"{_pct(frac)} of {peak_text}", _pct(frac), f"of {peak_text}"),
        _row("Energy efficiency", tpw, tpw_text, tpw_text),
    ]
    sample = c.get("sample", "char")  # what a window's samples are: characters or images
    if sample == "image":
        us = number(c["ns_per_char"])
        text = _fmt(None if us is None else us / 1e3, ".2f", "µs")
        rate = _fmt(c.get("samples_per_s"), ",.0f", "images/s")
        rows.append(_row("Time per image", c["ns_per_char"], f"{text} ({rate})", text, rate))
    else:
        rows.append(
            _row(
                "Time per character",
                c["ns_per_char"],
                _fmt(c["ns_per_char"], ".1f", "ns"),
                _fmt(c["ns_per_char"], ".1f", "ns"),
            )
        )
    if "epoch_seconds" in c:
        detail = []
        if "windows_per_epoch" in c:
            detail.append(f"{c['windows_per_epoch']:,} windows per stream")
        unit = "images" if sample == "image" else "chars"
        if "chars_per_epoch" in c:
            detail.append(f"{c['chars_per_epoch']:,} {unit}")
        short = _fmt(c["epoch_seconds"], ".3f", "s")
        text = short + (f" ({', '.join(detail)})" if detail else "")
        note = f"{c['chars_per_epoch']:,} {unit}" if "chars_per_epoch" in c else ""
        rows.append(_row("Epoch", c["epoch_seconds"], text, short, note))
    if "step_latency_ns" in c:
        text = _fmt(c["step_latency_ns"], ".0f", "ns")
        rows.append(_row("Step latency", c["step_latency_ns"], text, text, "one time step through the stack"))
    if "window_latency_ns" in c:
        us = number(c["window_latency_ns"])
        rows.append(
            _row(
                "Window latency", c["window_latency_ns"], _fmt(None if us is None else us / 1e3, ".2f", "µs")
            )
        )
    energy = c["energy_pj_per_char"].get("total")
    if energy is not None:
        nj = number(energy)
        label = "Energy per image" if sample == "image" else "Energy per character"
        rows.append(_row(label, energy, _fmt(None if nj is None else nj / 1e3, ".1f", "nJ")))
        layers = c.get("energy_pj_per_char_by_array") or {}
        if layers and nj:
            text = ", ".join(f"{a} {p['total'] / 1e3:.1f} nJ" for a, p in layers.items())
            rows.append(_row("Energy by layer", None, text))
    by_layer: dict[str, list[float]] = {}
    for u in c.get("units") or []:
        if u.get("kind") == "tile" and u.get("array") is not None:
            by_layer.setdefault(u["array"], []).append(number(u.get("fraction")) or 0.0)
    if by_layer:
        text = ", ".join(f"{a} {_pct(sum(v) / len(v))}" + (f" ({len(v)} tiles)" if len(v) > 1 else "")
                         for a, v in by_layer.items())  # fmt: skip
        rows.append(_row("Tile utilization by layer", None, text))
    rows.extend(_area_rows(c))
    busy = c["breakdown"].get("busy")
    rows.append(_row("Busiest array", c["busiest_array"], f"{c['busiest_array']} (busy {_pct(busy)})"))
    rows.extend(_numerics_rows(c))
    mem = c.get("memory") or {}
    if "peak_occupancy_bytes" in mem:
        cap = mem.get("capacity_bytes")
        cap_text = "unlimited" if cap is None else _bytes(cap)
        fits = "" if mem.get("fits", True) else " (does not fit)"
        peak = mem["peak_occupancy_bytes"]
        rows.append(_row("Peak memory", peak, f"{_bytes(peak)} of {cap_text}{fits}"))
    s = c.get("steady_state") or {}
    if s:
        text = (
            f"periodic every {s.get('period_windows')} window(s) from window {s.get('first_periodic_window')}"
            if s.get("periodic")
            else s.get("note") or "no exact period"
        )
        rows.append(_row("Steady state", s.get("periodic"), text))
    if "simulated_operations" in c:
        rows.append(
            _row(
                "Simulation",
                c.get("wall_seconds"),
                f"{c['simulated_operations']:,} operations, {c.get('simulated_events', 0):,} events, "
                f"{_fmt(c.get('wall_seconds'), '.2f', 's')} wall clock",
            )
        )
    return rows


def sample_unit(t: dict[str, Any] | None) -> str:
    """What a training result counts: "image" (an image network: its curve carries the test error
    rate) or "char"."""
    t = t or {}
    curve = t.get("curve") or []
    last = curve[-1].get("test_error") if curve else None
    return "image" if t.get("test_error") is not None or last is not None else "char"


def train_headline(t: dict[str, Any]) -> list[dict[str, Any]]:
    """Headline figures of a training result (rows with a ``card`` are also shown as cards)."""
    test_ce, train_ce = t.get("test_ce"), t.get("train_ce")
    unit = sample_unit(t)
    nats = number(test_ce)
    bits = "" if nats is None else f"{nats / math.log(2):.3f} bits/{unit}"
    rows = []
    error = t.get("test_error")
    if error is None and t.get("curve"):
        error = t["curve"][-1].get("test_error")
    if number(error) is not None:
        rows.append(_row("Test error", error, f"{100 * error:.2f} %", f"{100 * error:.2f} %"))
    rows += [
        _row(
            "Test cross-entropy",
            test_ce,
            _fmt(test_ce, ".4f", f"nats/{unit}") + (f" ({bits})" if bits else ""),
            _fmt(test_ce, ".3f", f"nats/{unit}"),
            bits,
        ),
        _row(
            "Train cross-entropy",
            train_ce,
            _fmt(train_ce, ".4f", f"nats/{unit}"),
            _fmt(train_ce, ".3f", f"nats/{unit}"),
        ),
    ]
    chars = t.get("chars_trained")
    if chars is None and t["curve"]:
        chars = t["curve"][-1]["chars"]
    if chars is not None:
        epochs = f"{t['epochs']:.3f} epochs" if number(t.get("epochs")) is not None else ""
        rows.append(
            _row(
                "Images trained" if unit == "image" else "Characters trained",
                chars,
                f"{chars:,}" + (f" ({epochs})" if epochs else ""),
                f"{chars:,}",
                epochs,
            )
        )
    if "ms_per_char" in t:
        text = _fmt(t["ms_per_char"], ".4f", f"ms/{unit}")
        rows.append(
            _row(
                "Simulator speed",
                t["ms_per_char"],
                text + " (wall clock, training only)",
                text,
                "simulator wall clock",
            )
        )
    if "status" in t:
        rows.append(_row("Status", t["status"], f"{t['status']}: {t.get('message', '')}".rstrip(": ")))
    labels = {
        "rpu": "RPU preset",
        "seed": "seed",
        "learning_rate": "learning rate",
        "dropout": "dropout",
        "bptt_steps": "BPTT steps",
    }
    if unit == "image":
        labels.pop("bptt_steps")  # one image per window
    setup = [f"{label} {t[k]}" for k, label in labels.items() if k in t]
    if setup:
        rows.append(_row("Setup", None, ", ".join(setup)))
    if "eval_chars" in t:
        streams = f" in {t['eval_streams']} streams" if "eval_streams" in t else ""
        what = "test images" if unit == "image" else "test characters"
        rows.append(_row("Evaluation", t["eval_chars"], f"{t['eval_chars']:,} {what}{streams}"))
    return rows


def findings(chip: dict[str, Any] | None, train: dict[str, Any] | None) -> list[dict[str, str]]:
    """Chip findings (level, field, message), and a training run that did not complete."""
    out = [
        {
            "level": str(f.get("level", "")),
            "field": str(f.get("field", "")),
            "message": str(f.get("message", "")),
        }
        for f in (chip or {}).get("findings", [])
        if isinstance(f, dict)
    ]
    status = (train or {}).get("status")
    if status not in (None, "completed"):
        level = "error" if status == "diverged" else "warning"
        out.append(
            {"level": level, "field": "train.status", "message": f"{status}: {train.get('message', '')}"}
        )
    return out


# -- chart data ---------------------------------------------------------------------------------


def utilization(c: dict[str, Any]) -> dict[str, Any]:
    """Busy fraction of every unit, grouped by class (tiles, DAC banks, ADC banks, NLF, links, memory).

    Reads the result's ``units`` (each with its kind and the array it serves). ``units``/``fraction``
    hold every unit; ``bars`` what is drawn: one bar per unit, or, on chips with more than
    UTILIZATION_MAX_TILES tiles, one bar per array and class for the tiles and their DAC and ADC
    banks (mean, with the lowest and highest of its tiles).
    """
    items = [(u["unit"], u["kind"], u["array"], number(u["fraction"]) or 0.0) for u in c["units"]]
    items.sort(key=lambda x: (UNIT_CLASSES.index(x[1]), _natural(x[0])))
    tiles = [x for x in items if x[1] == "tile"]
    bars = []
    grouped = len(tiles) > UTILIZATION_MAX_TILES
    if grouped:
        names = {"tile": "tiles", "dac": "DAC banks", "adc": "ADC banks"}
        arrays = list(dict.fromkeys(x[2] for x in tiles))
        for cls in ("tile", "dac", "adc"):
            for array in arrays:
                vals = [x[3] for x in items if x[1] == cls and x[2] == array]
                if vals:
                    label = f"{array}: {len(vals)} {names[cls]}"
                    bars.append(_bar(label, cls, sum(vals) / len(vals), min(vals), max(vals), len(vals)))
    for unit, kind, _, v in items:
        if not (grouped and kind in ("tile", "dac", "adc")):
            bars.append(_bar(unit, kind, v, v, v, 1))
    return {
        "title": "Utilization per unit",
        "units": [x[0] for x in items],
        "classes": [x[1] for x in items],
        "fraction": [x[3] for x in items],
        "grouped": grouped,
        "bars": bars,
        "note": (
            f"Shown: the {len(tiles)} tiles, their DAC and ADC banks by array: the mean, and a whisker "
            "from the lowest to the highest tile"
            if grouped
            else None
        ),
    }


def _bar(label: str, cls: str, mean: float, low: float, high: float, count: int) -> dict[str, Any]:
    return {"label": label, "class": cls, "fraction": mean, "low": low, "high": high, "count": count}


def breakdown(c: dict[str, Any]) -> dict[str, Any]:
    """Where the time of every array goes; the busiest array first."""
    by_array = c.get("breakdown_by_array") or {c["busiest_array"]: c["breakdown"]}
    busiest = c["busiest_array"]
    arrays = sorted(by_array, key=lambda a: (a != busiest, _natural(a)))
    keys = list(BREAKDOWN_LABELS) + sorted({k for b in by_array.values() for k in b} - set(BREAKDOWN_LABELS))
    keys = [k for k in keys if any((number(by_array[a].get(k)) or 0.0) > 0 for a in arrays)]
    totals = {a: sum(number(by_array[a].get(k)) or 0.0 for k in keys) for a in arrays}
    off = {a: t for a, t in totals.items() if abs(t - 1) > 0.005}
    note = (
        "Note: the shares do not add up to 100 % in this result: "
        + ", ".join(f"{a} {100 * t:.1f} %" for a, t in off.items())
        + " (drawn as they are; the dashed line marks 100 %)"
        if off
        else None
    )
    return {
        "note": note,
        "title": f"Where the time of the arrays goes (busiest: {busiest})",
        "arrays": arrays,
        "busiest": busiest,
        "categories": keys,
        "labels": [BREAKDOWN_LABELS.get(k, k.replace("_", " ")) for k in keys],
        "fraction": {k: [number(by_array[a].get(k)) or 0.0 for a in arrays] for k in keys},
    }


def energy(c: dict[str, Any]) -> dict[str, Any] | None:
    """Energy per character by component in nJ, largest first; None when the chip models no energy."""
    parts = [(k, number(v) or 0.0) for k, v in c["energy_pj_per_char"].items() if k != "total"]
    total = sum(v for _, v in parts)
    if total <= 0:
        return None
    parts.sort(key=lambda kv: -kv[1])
    return {
        "title": "Energy per character by component",
        "components": [k.replace("_", " ") for k, _ in parts],
        "nj_per_char": [v / 1e3 for _, v in parts],
        "share": [v / total for _, v in parts],
        "total_nj_per_char": total / 1e3,
    }


def ce_curve(t: dict[str, Any]) -> dict[str, Any] | None:
    """Test (and train) cross-entropy against training characters; None without curve points."""
    pts = [p for p in t["curve"] if number(p.get("chars")) is not None]
    if not pts:
        return None
    unit = _sample_unit(pts)
    return {
        "title": f"Test cross-entropy against training {unit}",
        "unit": unit,
        "chars": [p["chars"] for p in pts],
        "test_ce": [number(p.get("test_ce")) for p in pts],
        "train_ce": [number(p.get("train_ce")) for p in pts],
        "test_error": [number(p.get("test_error")) for p in pts],
        "dropout": number(t.get("dropout")) or 0.0,
    }


def _sample_unit(points: list[dict[str, Any]]) -> str:
    """What the curve's ``chars`` count: images when the points carry a test error rate."""
    return "images" if any(number(p.get("test_error")) is not None for p in points) else "characters"


def ce_chip_time(t: dict[str, Any]) -> dict[str, Any] | None:
    """Test cross-entropy against simulated chip time; None unless curve points carry ``chip_seconds``."""
    pts = [p for p in t["curve"] if number(p.get("chip_seconds")) is not None]
    if not pts:
        return None
    return {
        "title": "Test cross-entropy against simulated chip time",
        "unit": _sample_unit(pts),
        "chip_seconds": [p["chip_seconds"] for p in pts],
        "test_ce": [number(p.get("test_ce")) for p in pts],
        "test_error": [number(p.get("test_error")) for p in pts],
        "chars": [p["chars"] for p in pts],
    }


def _phase(name: str, args: dict[str, Any]) -> str:
    """The training phase of an operation: its ``args.phase`` (the name is for people only)."""
    return str(args["phase"]) if args.get("phase") in PHASES else "other"


def _array(name: str, args: dict[str, Any]) -> str | None:
    """The array (layer) of an operation: its ``args.array``."""
    return args["array"] if isinstance(args.get("array"), str) else None


def _bin(ops: list[tuple[float, float, int, str]], units: list[int], t0: float, t1: float) -> list[list[Any]]:
    """Bars of the overview: the time axis cut into GANTT_RESOLUTION bins; per row and bin, the phase
    that takes most of the bin and the busy share of the bin (in quarters, averaged over the
    ``units[row]`` units of a row); equal neighbours joined."""
    n = GANTT_RESOLUTION
    width = (t1 - t0) / n
    phases = [*PHASES, "other"]
    rows = len(units)
    busy = [[[0.0] * n for _ in phases] for _ in range(rows)]
    for start, end, row, phase in ops:
        acc = busy[row][phases.index(phase)]
        first, last = int((start - t0) / width), min(int((end - t0) / width), n - 1)
        for b in range(first, last + 1):
            lo, hi = t0 + b * width, t0 + (b + 1) * width
            acc[b] += max(0.0, min(end, hi) - max(start, lo))
    bars: list[list[Any]] = []
    for row in range(rows):
        run: list[Any] | None = None
        for b in range(n):
            shares = [busy[row][k][b] / (width * units[row]) for k in range(len(phases))]
            total = min(1.0, sum(shares))
            level = math.ceil(4 * total - 1e-9) / 4 if total > 1e-9 else 0.0
            key = (phases[max(range(len(phases)), key=shares.__getitem__)], level) if level else None
            if run is not None and (run[3], run[4]) == key:
                run[1] = t0 + (b + 1) * width
            elif key is not None:
                run = [t0 + b * width, t0 + (b + 1) * width, row, key[0], key[1]]
                bars.append(run)
            else:
                run = None
    bars.sort(key=lambda b: (b[0], b[2]))
    return bars


def gantt(trace: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Timeline of the first windows (rows: units with timed operations), from Chrome trace events.

    Times in µs as in the trace; None without timed operations. The overview is binned (see ``_bin``:
    a lighter bar is a unit busy for part of the bin); at most GANTT_MAX_BARS bars are kept (the
    earliest), and the note says so when that cuts the range. The detail panel draws the first
    GANTT_DETAIL_OPS operations one by one; with several streams, a streams panel shows when each
    stream's windows run (see ``_streams``). Rows follow the trace's sort indices; ``metadata`` (the
    trace's) says how many windows the trace holds of how many ran.
    """
    process: dict[Any, str] = {}
    threads: dict[tuple[Any, Any], str] = {}
    process_rank: dict[Any, float] = {}
    thread_rank: dict[tuple[Any, Any], float] = {}
    for e in trace:
        if e.get("ph") == "M" and isinstance(e.get("args"), dict):
            if e.get("name") == "process_name":
                process[e.get("pid")] = str(e["args"].get("name", e.get("pid")))
            elif e.get("name") == "thread_name":
                threads[e.get("pid"), e.get("tid")] = str(e["args"].get("name", e.get("tid")))
            elif e.get("name") == "process_sort_index" and number(e["args"].get("sort_index")) is not None:
                process_rank[e.get("pid")] = number(e["args"]["sort_index"])
            elif e.get("name") == "thread_sort_index" and number(e["args"].get("sort_index")) is not None:
                thread_rank[e.get("pid"), e.get("tid")] = number(e["args"]["sort_index"])
    ops = []
    for e in trace:
        ts, dur = number(e.get("ts")), number(e.get("dur"))
        if e.get("ph") != "X" or ts is None or dur is None or dur <= 0:
            continue
        args = e["args"] if isinstance(e.get("args"), dict) else {}
        name = str(e.get("name", ""))
        ops.append(
            (
                ts,
                ts + dur,
                (e.get("pid"), e.get("tid")),
                name,
                args.get("window"),
                _phase(name, args),
                _array(name, args),
                args.get("stream"),
            )
        )
    if not ops:
        return None
    keys = {o[2] for o in ops}  # units that never take time (ideal ones) get no row

    def name(k: tuple[Any, Any]) -> str:
        return threads.get(k, f"{process.get(k[0], k[0])} {k[1]}")

    # Many tiles: one row per array.
    row_of: dict[tuple[Any, Any], Any] = {k: k for k in keys}
    tiles = [k for k in keys if process.get(k[0]) == "tile"]
    if len(tiles) > GANTT_MAX_TILE_ROWS:
        for o in ops:
            if o[2] in tiles and row_of[o[2]] == o[2] and o[6] is not None:
                row_of[o[2]] = ("array", o[6])
    members: dict[Any, list[tuple[Any, Any]]] = {}
    for k in keys:
        members.setdefault(row_of[k], []).append(k)
    windowed = any(isinstance(o[4], int) for o in ops)
    if windowed:
        ops = [o for o in ops if not isinstance(o[4], int) or o[4] < GANTT_WINDOWS]
    ops.sort(key=lambda o: (o[0], o[1]))
    window_ops = ops  # every row's: the streams panel shows them all

    def row_key(r: Any) -> tuple[Any, ...]:
        first = min(members[r], key=lambda k: (thread_rank.get(k, math.inf), _natural(name(k))))
        proc = process.get(first[0], "")
        rank = PROCESS_ORDER.index(proc) if proc in PROCESS_ORDER else len(PROCESS_ORDER)
        rank = process_rank.get(first[0], rank)
        return (rank, proc, thread_rank.get(first, math.inf), _natural(name(first)))

    ordered = sorted(members, key=row_key)
    hidden = len(ordered) - GANTT_MAX_ROWS
    if hidden > 0:
        ordered = ordered[:GANTT_MAX_ROWS]
        keys = {k for k in keys if row_of[k] in ordered}
        ops = [o for o in ops if o[2] in keys]
    index = {k: ordered.index(row_of[k]) for k in keys}
    rows = [f"{r[1]}: {len(members[r])} tiles" if r[0] == "array" else name(r) for r in ordered]
    t0, t1 = ops[0][0], max(o[1] for o in ops)
    units = [len(members[r]) for r in ordered]
    bars = _bin([(o[0], o[1], index[o[2]], o[5]) for o in ops], units, t0, t1)
    capped = len(bars) > GANTT_MAX_BARS
    if capped:  # cut at a bin boundary: bars of other rows may start in the same bin as the last kept
        t1 = bars[GANTT_MAX_BARS][0]
        bars = [b for b in bars[:GANTT_MAX_BARS] if b[0] < t1] or bars[:GANTT_MAX_BARS]
    detail_ops = ops[: GANTT_DETAIL_OPS + 1]
    d1 = detail_ops[-1][0] if len(detail_ops) > GANTT_DETAIL_OPS else max(o[1] for o in detail_ops)
    detail = [o for o in detail_ops if o[0] < d1]
    if not detail:  # more than GANTT_DETAIL_OPS operations start together: draw the first of them
        detail = detail_ops[:GANTT_DETAIL_OPS]
        d1 = max(o[1] for o in detail)
    span = "the first window" if GANTT_WINDOWS == 1 else f"the first {GANTT_WINDOWS} windows"
    note = (
        "Shown: "
        + (f"{span} of every stream, " if windowed else "")
        + (
            f"{len(ops):,} operations in {GANTT_RESOLUTION:,} time bins; a bar's colour is the phase "
            "that takes most of a bin, a lighter bar a unit busy for part of it"
        )
    )
    grouped = [r for r in ordered if r[0] == "array"]
    if grouped:
        count = sum(units[ordered.index(r)] for r in grouped)
        note += f"; the {count} tiles in one row per array (busy: their mean)"
    if hidden > 0:
        note += f"; only the first {GANTT_MAX_ROWS} of {GANTT_MAX_ROWS + hidden} rows"
    if capped:
        note += f"; capped at {GANTT_MAX_BARS:,} bars, so only the first {t1 - t0:.4g} µs are drawn"
    held = _held(metadata)
    if held:
        note = f"{held}. {note}"
    streams = _streams(window_ops, t1, set(tiles))
    if streams is not None and streams["hidden"]:
        note += f"; the streams panel shows the first {len(streams['rows'])} of {streams['streams']} streams"
    return {
        "title": "Pipeline timeline of " + (span if windowed else "the trace"),
        "rows": rows,
        "range_us": [t0, t1],
        "bars": {
            "start_us": [b[0] for b in bars],
            "end_us": [b[1] for b in bars],
            "row": [b[2] for b in bars],
            "phase": [b[3] for b in bars],
            "busy": [b[4] for b in bars],
        },
        "detail": {
            "title": f"Detail: the first {len(detail)} operations, one bar each",
            "range_us": [t0, d1],
            "start_us": [o[0] for o in detail],
            "end_us": [o[1] for o in detail],
            "row": [index[o[2]] for o in detail],
            "phase": [o[5] for o in detail],
            "name": [o[3] for o in detail],
        },
        "streams": streams,
        "operations": len(ops),
        "capped": capped,
        "note": note,
    }


def _held(metadata: dict[str, Any] | None) -> str:
    """What the trace holds, from its metadata: "trace.json holds the first 4 of 200 windows per
    stream" (or all of them); empty without metadata."""
    m = metadata or {}
    ran, held = m.get("windows"), m.get("trace_windows")
    if not isinstance(ran, int) or not isinstance(held, int) or isinstance(ran, bool):
        return ""
    if held >= ran:
        return f"trace.json holds all {ran:,} simulated windows of every stream"
    return f"trace.json holds the first {held:,} of {ran:,} windows of every stream"


def _streams(ops: list[tuple[Any, ...]], t1: float, tiles: set[Any]) -> dict[str, Any] | None:
    """When each stream's windows run: per stream, window and phase, one bar from the start of its
    first array operation (on the ``tiles``; all operations when the trace names no tiles) to the
    end of its last, cut at ``t1``, where the overview ends. (Transfers of the next window may start
    long before its array operations can.) None with fewer than two streams; at most
    GANTT_MAX_STREAMS streams (the lowest)."""
    spans: dict[tuple[int, Any, str], list[float]] = {}
    for start, end, unit, _, window, phase, _, stream in ops:
        if not isinstance(stream, int) or phase not in PHASES or start >= t1 or (tiles and unit not in tiles):
            continue
        span = spans.setdefault((stream, window, phase), [start, end])
        span[0], span[1] = min(span[0], start), max(span[1], end)
    ids = sorted({k[0] for k in spans})
    if len(ids) < 2:
        return None
    shown = ids[:GANTT_MAX_STREAMS]
    row = {sid: n for n, sid in enumerate(shown)}
    bars = sorted(((k, v) for k, v in spans.items() if k[0] in row), key=lambda kv: (kv[0][0], kv[1][0]))
    return {
        "title": "Streams: when the arrays run each window's forward, backward and update",
        "rows": [f"stream {sid}" for sid in shown],
        "streams": len(ids),
        "hidden": len(ids) - len(shown),
        "start_us": [v[0] for _, v in bars],
        "end_us": [min(v[1], t1) for _, v in bars],
        "row": [row[k[0]] for k, _ in bars],
        "lane": [PHASES.index(k[2]) for k, _ in bars],
        "phase": [k[2] for k, _ in bars],
        "window": [k[1] for k, _ in bars],
    }


# -- all of it ----------------------------------------------------------------------------------


def _bits(io: dict[str, Any]) -> str:
    if io.get("inp_bits") is None:
        return "exact"
    rounding = "stochastic" if io.get("inp_stochastic_round") else "nearest"
    return f"{io['inp_bits']} bits ({rounding})"


def design(record: dict[str, Any] | None) -> list[dict[str, str]]:
    """The key parameters of what produced the result, from its record: the chip, the RPU
    configuration (the resolutions and BL the timing used), the workload, the options, and where
    and when it ran. Empty without a record."""
    if not record:
        return []
    rows: list[tuple[str, str]] = []
    w = record["workload"]
    model, training = w["model"], w["training"]
    if model.get("kind") == "layers":  # an image network (docs/cnn.md)
        layers = ", ".join(
            f"{layer['kind']} {layer.get('kernels', layer['size'])}"
            + (f"x{layer['size']}" if "kernels" in layer else "")
            for layer in model["layers"]
        )
        text = f"{w['name']}: {layers}; images from {w['corpus']}; lr {training['learning_rate']:g}"
    else:
        text = (
            f"{w['name']}: {model['num_layers']} LSTM layer(s) of {model['hidden_size']}, V = "
            f"{w['vocab_size']}, corpus {w['corpus']}; lr {training['learning_rate']:g}, dropout "
            f"{training['dropout']:g}, nBPTT {training['bptt_steps']}"
        )
    rows.append(("workload", text))
    chip = record.get("chip")
    if chip:
        t = chip["tile"]
        rows.append(
            (
                "chip",
                f"{chip['name']}: {t['count']} tiles of {t['rows']} x {t['cols']}, clock "
                f"{chip['clock_ghz']:g} GHz; integration {t['t_integration_ns']:g} ns, input slot "
                f"{t['dac']['t_slot_ns']:g} ns, {t['adc']['count_per_tile']} ADCs per tile of "
                f"{t['adc']['t_step_ns']:g} ns per bit, update slot {t['t_update_slot_ns']:g} ns; NLF "
                f"{chip['nlf']['kind']} x {chip['nlf']['count']}, memory {chip['memory']['kind']}",
            )
        )
    rpu = record["rpu"]
    if rpu["kind"] == "fp":
        rows.append(("RPU", f"{rpu['name']}: floating point (no DAC, ADC or pulse trains)"))
    else:
        fw, bw, up, dev = rpu["forward"], rpu["backward"], rpu["update"], rpu["device"]
        adc = f"{fw['out_bits']} / {bw['out_bits']} bits" if fw.get("out_bits") else "exact"
        management = [k for k in ("update_management", "bl_management") if up.get(k)]
        rows.append(
            (
                "RPU",
                f"{rpu['name']}: DAC forward {_bits(fw)}, backward {_bits(bw)}; ADC {adc}; BL {up['bl']}"
                + (f" ({', '.join(m.replace('_', ' ') for m in management)})" if management else "")
                + f"; dw_min {dev['dw_min']:g}, bounds {dev['w_min']:g} .. {dev['w_max']:g}, "
                f"output noise {fw['out_noise']:g}",
            )
        )
    options = {k: v for k, v in record["options"].items() if v is not None}
    rows.append((f"{record['command']} options", ", ".join(f"{k} {v}" for k, v in options.items())))
    commit = record.get("git_commit") or "an installed package"
    rows.append(("produced by", f"archsim {record['archsim_version']} ({commit}), {record['date']}"))
    return [{"parameter": k, "value": v} for k, v in rows]


def title(chip: dict[str, Any] | None, train: dict[str, Any] | None) -> tuple[str, str]:
    """Page title and subtitle."""
    workload = (chip or {}).get("workload") or (train or {}).get("workload") or "result"
    if chip is not None:
        head = f"{workload} on {chip['chip']} with {chip['rpu']}"
        sub = f"{chip['schedule']} schedule, {chip['streams']} stream(s)"
        if train is not None:
            sub += f"; training with weights on {train['rpu']} tiles"
        return head, sub
    head = workload + (f" trained on {train['rpu']} tiles" if "rpu" in train else " training")
    keys = (("seed", "seed"), ("learning_rate", "learning rate"), ("dropout", "dropout"))
    return head, ", ".join(f"{label} {train[k]}" for k, label in keys if k in train)


def build(inp: ReportInput) -> dict[str, Any]:
    """All figures of one result directory (the content of ``figures.json``)."""
    chip, train = inp.chip, inp.train
    charts: dict[str, Any] = {}
    notes: dict[str, str] = {}
    if chip is not None:
        charts[UTILIZATION] = utilization(chip)
        if inp.trace is None:
            notes[GANTT] = "no trace.json in this directory: no pipeline timeline"
        else:
            g = gantt(inp.trace, inp.trace_metadata)
            if g is None:
                notes[GANTT] = "trace.json holds no timed operation (ideal units take no time)"
            else:
                charts[GANTT] = g
        charts[BREAKDOWN] = breakdown(chip)
        e = energy(chip)
        if e is None:
            notes[ENERGY] = "this chip models no energy"
        else:
            charts[ENERGY] = e
    if train is not None:
        for chart_id, data in ((CE_CHARS, ce_curve(train)), (CE_CHIP_TIME, ce_chip_time(train))):
            if data is not None:
                charts[chart_id] = data
    kind = "+".join(k for k, v in (("chip", chip), ("train", train)) if v is not None)
    head, sub = title(chip, train)
    return {
        "kind": kind,
        "title": head,
        "subtitle": sub,
        "chip_headline": chip_headline(chip) if chip is not None else None,
        "train_headline": train_headline(train) if train is not None else None,
        "findings": findings(chip, train),
        "design": design(inp.record),
        "charts": charts,
        "notes": notes,
        "files": {"result": "result.json", "trace": "trace.json" if inp.trace is not None else None},
    }
