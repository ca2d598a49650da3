"""Charts as inline SVG (matplotlib, no pyplot state): one function per chart, each taking the
chart's data from ``figures`` and returning an ``<svg>`` element whose ids are unique on the page."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from typing import Any

from matplotlib import rc_context
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, FuncFormatter, PercentFormatter

from archsim.report import figures as F

WIDTH_IN = 10.0  # figure width; the page scales the SVG to its column

STYLE = {
    "svg.fonttype": "path",  # text as shapes: the layout does not depend on the viewer's fonts
    "svg.hashsalt": "archsim-report",  # deterministic ids
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#8a8f98",
    "axes.labelcolor": "#2b2f36",
    "xtick.color": "#4a4f57",
    "ytick.color": "#4a4f57",
    "axes.grid": True,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "legend.frameon": False,
}

CLASS_COLORS = {
    "tile": "#3b6fb6",
    "dac": "#7fa7dc",
    "adc": "#a9c4e8",
    "nlf": "#8e5fb0",
    "link": "#2a9d8f",
    "memory": "#b5793a",
    "other": "#8a8f98",
}
CLASS_LABELS = {
    "tile": "RPU tile (array)",
    "dac": "DAC bank",
    "adc": "ADC bank",
    "nlf": "NLF unit",
    "link": "link",
    "memory": "activation memory",
    "other": "other",
}
PHASE_COLORS = {"forward": "#3b6fb6", "backward": "#e07b39", "update": "#3a9a5b", "other": "#8a8f98"}
BREAKDOWN_COLORS = {
    "busy": "#3a9a5b",
    "extra_passes": "#9ccf8a",
    "nlf": "#8e5fb0",
    "memory": "#b5793a",
    "link": "#2a9d8f",
    "dependency": "#e07b39",
    "schedule": "#d4a72c",
    "fill": "#b8bec6",
    "drain": "#d9dde2",
}
EXTRA_COLORS = ("#c0504d", "#4bacc6", "#f79646", "#7f7f7f")


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as an ``<svg>`` element: no XML prologue, fluid width, ids prefixed to stay unique."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'(\sid=")', rf"\1{prefix}-", text)
    text = re.sub(r"url\(#", f"url(#{prefix}-", text)
    text = re.sub(r'(href=")#', rf"\1#{prefix}-", text)
    # Drop the fixed size (keep the viewBox) so that CSS scales the chart to its column.
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    return head + ' preserveAspectRatio="xMinYMin meet"' + text[head_end:]


def _figure(height_in: float) -> Figure:
    return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def utilization(data: dict[str, Any]) -> Figure:
    bars = data["bars"]
    fig = _figure(max(2.2, 0.9 + 0.24 * len(bars)))
    ax = fig.subplots()
    y = list(range(len(bars)))
    ax.barh(
        y, [100 * b["fraction"] for b in bars], color=[CLASS_COLORS[b["class"]] for b in bars], height=0.72
    )
    for yi, b in enumerate(bars):
        if b["count"] > 1:
            ax.plot([100 * b["low"], 100 * b["high"]], [yi, yi], color="#2b2f36", linewidth=1.2)
        label = f"{100 * b['fraction']:.1f} %"
        if b["count"] > 1 and b["high"] - b["low"] >= 5e-4:
            label += f"  ({100 * b['low']:.1f} to {100 * b['high']:.1f} %)"
        ax.text(100 * b["high"] + 0.8, yi, label, va="center", fontsize=8, color="#2b2f36")
    ax.set_yticks(y, [b["label"] for b in bars])
    ax.invert_yaxis()
    ax.set_xlim(0, 118 if data["grouped"] else 112)
    ax.set_xticks(range(0, 101, 20))
    ax.xaxis.set_major_formatter(PercentFormatter())
    ax.set_xlabel("busy fraction of the simulated time (%)")
    ax.grid(axis="y", visible=False)
    present = list(dict.fromkeys(b["class"] for b in bars))
    fig.legend(
        handles=[Patch(color=CLASS_COLORS[c], label=CLASS_LABELS[c]) for c in present],
        loc="outside upper right",
        ncols=len(present),
        fontsize=8.5,
    )
    return fig


def _time_axis(range_us: list[float]) -> tuple[float, str]:
    """Scale from µs and the unit label that suit a time range."""
    return (1e3, "ns") if range_us[1] - range_us[0] < 2.0 else (1.0, "µs")


def _tint(color: str, level: float) -> tuple[float, float, float]:
    """``color`` mixed with white: level 1 is the color itself, lower is lighter."""
    r, g, b = to_rgb(color)
    return (1 - level * (1 - r), 1 - level * (1 - g), 1 - level * (1 - b))


def _bars(ax, d: dict[str, Any], scale: float) -> None:
    """Bars grouped by row and color, one ``broken_barh`` each (a few SVG elements per group)."""
    groups: dict[tuple[int, tuple[float, float, float]], list[tuple[float, float]]] = {}
    binned = "busy" in d  # the overview: bins touch, so no edges; the detail: a thin gap between operations
    levels = d["busy"] if binned else [1.0] * len(d["row"])
    for start, end, row, phase, level in zip(
        d["start_us"], d["end_us"], d["row"], d["phase"], levels, strict=True
    ):
        color = _tint(PHASE_COLORS[phase], 0.25 + 0.75 * level if level < 1 else 1.0)
        groups.setdefault((row, color), []).append((start * scale, (end - start) * scale))
    for (row, color), xr in groups.items():
        ax.broken_barh(
            xr, (row - 0.38, 0.76), facecolors=color, edgecolor="none" if binned else "white", linewidth=0.3
        )


def gantt(data: dict[str, Any]) -> Figure:
    rows = data["rows"]
    panel = max(1.0, 0.45 + 0.24 * len(rows))
    streams = data.get("streams")
    if streams is None:
        fig = _figure(2 * panel + 1.5)
        top, bottom = fig.subplots(2, 1)
    else:
        lanes = max(1.0, 0.45 + 0.42 * len(streams["rows"]))
        fig = _figure(2 * panel + lanes + 2.2)
        top, middle, bottom = fig.subplots(3, 1, height_ratios=[panel, lanes, panel])
        _stream_lanes(middle, streams, data["range_us"])
    overview = data["bars"] | {"range_us": data["range_us"]}
    for ax, d in ((top, overview), (bottom, data["detail"])):
        scale, unit = _time_axis(d["range_us"])
        _bars(ax, d, scale)
        ax.set_xlim(d["range_us"][0] * scale, d["range_us"][1] * scale)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xlabel(f"simulated time ({unit})")
        ax.grid(axis="y", visible=False)
    top.set_title(data["title"])
    bottom.set_title(data["detail"]["title"])
    present = [p for p in PHASE_COLORS if p in set(data["bars"]["phase"]) | set(data["detail"]["phase"])]
    handles = [Patch(color=PHASE_COLORS[p], label=p) for p in present]
    if any(level < 1 for level in data["bars"]["busy"]):
        handles.append(Patch(color=_tint(PHASE_COLORS[present[0]], 0.4), label="busy for part of a bin"))
    fig.legend(handles=handles, loc="outside upper right", ncols=len(handles), fontsize=8.5)
    return fig


def _stream_lanes(ax, d: dict[str, Any], range_us: list[float]) -> None:
    """The streams panel: a row per stream, a lane per phase (forward on top), a bar per window
    labelled with its number where it is wide enough."""
    scale, unit = _time_axis(range_us)
    width = (range_us[1] - range_us[0]) * scale
    for start, end, row, lane, phase, window in zip(
        d["start_us"], d["end_us"], d["row"], d["lane"], d["phase"], d["window"], strict=True
    ):
        y = row + (lane - 1) * 0.27
        x, w = start * scale, (end - start) * scale
        ax.broken_barh([(x, w)], (y - 0.12, 0.24), facecolors=PHASE_COLORS[phase], edgecolor="none")
        if w > 0.04 * width and isinstance(window, int):
            ax.text(x + w / 2, y, f"w{window}", ha="center", va="center", fontsize=6.5, color="white")
    ax.set_xlim(range_us[0] * scale, range_us[1] * scale)
    ax.set_ylim(len(d["rows"]) - 0.5, -0.5)
    ax.set_yticks(range(len(d["rows"])), d["rows"])
    ax.set_xlabel(f"simulated time ({unit})")
    ax.grid(axis="y", visible=False)
    ax.set_title(d["title"])


def breakdown(data: dict[str, Any]) -> Figure:
    arrays, keys = data["arrays"], data["categories"]
    fig = _figure(max(2.0, 1.5 + 0.45 * len(arrays)))
    ax = fig.subplots()
    y = list(range(len(arrays)))
    left = [0.0] * len(arrays)
    extra = iter(EXTRA_COLORS * 4)
    for key, label in zip(keys, data["labels"], strict=True):
        vals = [100 * v for v in data["fraction"][key]]
        color = BREAKDOWN_COLORS.get(key) or next(extra)
        ax.barh(y, vals, left=left, color=color, height=0.62, label=label, edgecolor="white", linewidth=0.6)
        for yi, (l0, v) in enumerate(zip(left, vals, strict=True)):
            if v >= 7:
                dark = key in ("busy", "nlf", "link", "memory", "dependency")
                ax.text(
                    l0 + v / 2,
                    yi,
                    f"{v:.1f} %",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "#2b2f36",
                )
        left = [a + b for a, b in zip(left, vals, strict=True)]
    labels = [f"{a}  (busiest)" if a == data["busiest"] else a for a in arrays]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    # Shares should add up to 100 %; when a result's do not, show all of them rather than clip.
    ax.set_xlim(0, max(100.0, *left))
    if max(left) > 100.5:
        ax.axvline(100, color="#2b2f36", linestyle="--", linewidth=1)
    ax.xaxis.set_major_formatter(PercentFormatter())
    ax.set_xlabel("share of the simulated time (%)")
    ax.grid(axis="y", visible=False)
    rows = math.ceil(len(keys) / 6)
    fig.legend(loc="outside lower center", ncols=math.ceil(len(keys) / rows), fontsize=8.5)
    return fig


def energy(data: dict[str, Any]) -> Figure:
    comps, nj, share = data["components"], data["nj_per_char"], data["share"]
    fig = _figure(max(2.0, 1.0 + 0.32 * len(comps)))
    ax = fig.subplots()
    y = list(range(len(comps)))
    ax.barh(y, nj, color="#b5793a", height=0.66)
    top = max(nj)
    for yi, v, s in zip(y, nj, share, strict=True):
        ax.text(v + 0.01 * top, yi, f"{v:,.3g} nJ ({100 * s:.1f} %)", va="center", fontsize=8)
    ax.set_yticks(y, comps)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.22)
    ax.set_xlabel("energy per character (nJ)")
    ax.grid(axis="y", visible=False)
    ax.set_title(f"{data['total_nj_per_char']:,.4g} nJ per character in all", fontweight="normal")
    return fig


def _ce_axes(ax, x: list[float], data: dict[str, Any], with_train: bool) -> None:
    test = data["test_ce"]
    ax.plot(x, test, color="#3b6fb6", marker="o", markersize=4, linewidth=1.8, label="test")
    if with_train:
        pts = [(xi, t) for xi, t in zip(x, data["train_ce"], strict=True) if t is not None]
        if pts:
            ax.plot(
                *zip(*pts, strict=True),
                color="#e07b39",
                marker="s",
                markersize=3.5,
                linewidth=1.4,
                linestyle="--",
                label="train (dropout on)" if data.get("dropout") else "train",
            )
    last = next(((xi, t) for xi, t in zip(reversed(x), reversed(test), strict=True) if t is not None), None)
    if last is not None:
        ax.annotate(
            f"{last[1]:.3f}",
            last,
            textcoords="offset points",
            xytext=(-4, 8),
            ha="right",
            fontsize=8.5,
            color="#3b6fb6",
        )
    per = "image" if data.get("unit") == "images" else "char"
    ax.set_ylabel(f"cross-entropy (nats/{per})")
    errors = [(xi, e) for xi, e in zip(x, data.get("test_error") or [], strict=False) if e is not None]
    if errors:  # image networks: the test error rate on a second axis
        ax2 = ax.twinx()
        ax2.plot(*zip(*errors, strict=True), color="#2e8b57", marker="^", markersize=4, linewidth=1.4,
                 label="test error")  # fmt: skip
        ax2.set_ylabel("test error rate")
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
        ax2.grid(visible=False)
        ax2.legend(loc="upper center")
    ax.legend(loc="upper right")


def ce_chars(data: dict[str, Any]) -> Figure:
    fig = _figure(3.6)
    ax = fig.subplots()
    _ce_axes(ax, data["chars"], data, with_train=True)
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_xlabel(f"training {data.get('unit', 'characters')}")
    return fig


def ce_chip_time(data: dict[str, Any]) -> Figure:
    fig = _figure(3.6)
    ax = fig.subplots()
    secs = data["chip_seconds"]
    scale, unit = next(
        ((s, u) for s, u in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")) if max(secs) >= 2 * s), (1e-9, "ns")
    )
    _ce_axes(ax, [s / scale for s in secs], data, with_train=False)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel(f"simulated chip time ({unit})")
    return fig


#: Chart id -> drawing function.
DRAW: dict[str, Callable[[dict[str, Any]], Figure]] = {
    F.UTILIZATION: utilization,
    F.GANTT: gantt,
    F.BREAKDOWN: breakdown,
    F.ENERGY: energy,
    F.CE_CHARS: ce_chars,
    F.CE_CHIP_TIME: ce_chip_time,
}


def render_svg(chart_id: str, data: dict[str, Any]) -> str:
    """One chart as an inline ``<svg>`` element."""
    with rc_context(STYLE):
        fig = DRAW[chart_id](data)
        return _svg(fig, "svg-" + chart_id.removeprefix("chart-"))
