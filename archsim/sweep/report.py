"""The sweep report: a self-contained HTML page (inline SVG plots) from the database rows only.

Pareto front of throughput against energy per operation (and against test cross-entropy when
the sweep co-simulates), one plot per axis (headline figures against the axis value, one line per
combination of the other axes), and a table of every point.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from archsim import atomic

#: Figures plotted against each axis: column, label, scale.
AXIS_FIGURES = (
    ("teraops_per_s", "TeraOps/s", 1.0),
    ("teraops_per_w", "TeraOps/W", 1.0),
    ("teraops_per_s_per_mm2", "TeraOps/s/mm²", 1.0),
    ("ns_per_char", "ns per character", 1.0),
    ("energy_pj_per_char_total", "energy per character, nJ", 1e-3),
    ("test_ce", "test cross-entropy", 1.0),
    ("samples_per_s", "samples per second (images or characters)", 1.0),
    ("test_error", "test error rate", 1.0),
)

#: Axes with at most this many numeric values are drawn evenly spaced, like categories.
CATEGORICAL_MAX = 8
#: Lines beyond this many (combinations of the other axes) get no legend.
LEGEND_MAX = 16

#: Table columns after the axes: column, header, format.
TABLE_FIGURES = (
    ("teraops_per_s", "TeraOps/s", "{:.2f}"),
    ("peak_fraction", "of peak", "{:.1%}"),
    ("teraops_per_w", "TeraOps/W", "{:.2f}"),
    ("area_mm2", "mm²", "{:.1f}"),
    ("teraops_per_s_per_mm2", "TeraOps/s/mm²", "{:.3f}"),
    ("static_power_mw", "static mW", "{:.1f}"),
    ("ns_per_char", "ns/char", "{:.1f}"),
    ("energy_pj_per_char_total", "nJ/char", "{:.1f}"),
    ("peak_memory_bytes", "peak MiB", "{:.2f}"),
    ("test_ce", "test CE", "{:.3f}"),
    ("samples_per_s", "samples/s", "{:,.0f}"),
    ("test_error", "test error", "{:.1%}"),
    ("wall_seconds", "wall s", "{:.2f}"),
)


def pareto_front(xs: Sequence[float], ys: Sequence[float]) -> list[int]:
    """Indices of the points not dominated when x is minimised and y maximised, by increasing x."""
    order = sorted(range(len(xs)), key=lambda i: (xs[i], -ys[i]))
    front, best_y = [], -math.inf
    for i in order:
        if ys[i] > best_y:
            front.append(i)
            best_y = ys[i]
    return front


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _short_names(axes: list[str]) -> dict[str, str]:
    """The shortest dotted suffix of each axis path that no other axis shares."""
    out = {}
    for a in axes:
        parts = a.split(".")
        for n in range(1, len(parts) + 1):
            suffix = ".".join(parts[-n:])
            if not any(b != a and (b == suffix or b.endswith("." + suffix)) for b in axes):
                break
        out[a] = suffix
    return out


def _value(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _label(row: dict[str, Any], axes: list[str]) -> str:
    short = _short_names(list(row["axes"]))
    return ", ".join(f"{short.get(a, a)}={_value(row['axes'].get(a))}" for a in axes)


def _pareto_plot(
    rows: list[dict], axes: list[str], x_key: str, x_label: str, transform
) -> tuple[str, list[str]]:
    import matplotlib.pyplot as plt

    pts = [(transform(r), r["teraops_per_s"], r) for r in rows if r[x_key] is not None]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    front = pareto_front(xs, ys)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.scatter(xs, ys, color="#b0b0b0", s=22, label="points", zorder=2)
    fx, fy = [xs[i] for i in front], [ys[i] for i in front]
    ax.plot(fx, fy, "-o", color="#c0392b", ms=6, label="Pareto front", zorder=3)
    for i in front:
        ax.annotate(
            _label(pts[i][2], axes), (xs[i], ys[i]), fontsize=7, xytext=(5, 4), textcoords="offset points"
        )
    ax.set_xlabel(x_label)
    ax.set_ylabel("TeraOps/s")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    svg = _svg(fig)
    plt.close(fig)
    return svg, [pts[i][2]["point_id"] for i in front]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _axis_plot(rows: list[dict], axes: list[str], axis: str, figures: list[tuple[str, str, float]]) -> str:
    """Each figure against the axis value, one line per combination of the other axes' values.
    Up to ``CATEGORICAL_MAX`` values (or non-numeric ones) are spaced evenly, in order."""
    import matplotlib.pyplot as plt

    values = []
    for r in rows:
        v = r["axes"].get(axis)
        if v not in values:
            values.append(v)
    numeric = all(_is_number(v) for v in values)
    if numeric:
        values.sort()
    categorical = not numeric or len(values) <= CATEGORICAL_MAX
    position = {str(v): (i if categorical else v) for i, v in enumerate(values)}
    others = [a for a in axes if a != axis]
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(_label(r, others) or "all", []).append(r)
    scatter = len(groups) > 1 and all(len(members) == 1 for members in groups.values())
    if scatter:
        groups = {"all": rows}  # random sampling: no two points share the other axes' values
    fig, plots = plt.subplots(1, len(figures), figsize=(4.0 * len(figures), 3.4), squeeze=False)
    colors = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20").colors
    for ax, (key, label, scale) in zip(plots[0], figures, strict=True):
        for g, (name, members) in enumerate(groups.items()):
            pts = sorted(
                (position[str(r["axes"].get(axis))], r[key] * scale) for r in members if r[key] is not None
            )
            if pts:
                line = "o" if scatter or not numeric else "-o"
                color = colors[g % len(colors)]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], line, ms=4, lw=1.2, color=color, label=name)
        if categorical:
            ax.set_xticks(range(len(values)), [str(v) for v in values], fontsize=8)
        ax.set_xlabel(axis)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    if 1 < len(groups) <= LEGEND_MAX:
        handles, names = plots[0][0].get_legend_handles_labels()
        ncol = min(4, len(names))
        fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, fontsize=8)
    svg = _svg(fig)
    plt.close(fig)
    return svg


def _fmt(value: Any, fmt: str, key: str) -> str:
    if value is None:
        return ""
    if key == "peak_memory_bytes":
        value = value / 2**20
    elif key == "energy_pj_per_char_total":
        value = value / 1e3
    return fmt.format(value)


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>archsim sweep {{ name }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; max-width: 1500px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { padding: 2px 8px; border-bottom: 1px solid #eee; }
th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { color: #a00; } tr.front td { font-weight: 600; } .note { color: #666; font-size: 0.9em; }
svg { max-width: 100%; height: auto; }
</style></head><body>
<h1>Sweep {{ name }}</h1>
<p>{{ description }}</p>
<p class="note">{{ summary }}</p>
<h2>Pareto front: throughput vs energy per operation</h2>
{% if pareto_energy %}{{ pareto_energy }}
<p class="note">Front (bold in the table): higher TeraOps/s at lower pJ per operation;
no other point is better in both.</p>{% else %}<p>No finished point with energy figures.</p>{% endif %}
{% if pareto_ce %}<h2>Pareto front: throughput vs test cross-entropy</h2>{{ pareto_ce }}{% endif %}
{% for axis, svg in axis_plots %}<h2>Axis {{ axis }}</h2>{{ svg }}{% endfor %}
<h2>Points</h2>
<table><tr><th>#</th><th>point</th>{% for a in axes %}<th>{{ a }}</th>{% endfor %}<th>status</th>
{% for h in headers %}<th>{{ h }}</th>{% endfor %}<th>error</th></tr>
{% for r in table %}<tr class="{{ r.cls }}"><td class="num">{{ r.index }}</td><td><code>{{ r.id }}</code></td>
{% for v in r.axes %}<td>{{ v }}</td>{% endfor %}<td>{{ r.status }}</td>
{% for v in r.figures %}<td class="num">{{ v }}</td>{% endfor %}<td>{{ r.error }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def render_report(
    name: str, rows: list[dict[str, Any]], description: str = "", axes: list[str] | None = None
) -> str:
    """The HTML page of a sweep's rows (``SweepStore.rows``); ``axes`` in the sweep file's order
    (default: as found in the rows)."""
    import matplotlib

    matplotlib.use("Agg")
    axes = list(axes or [])
    for r in rows:
        axes += [a for a in r["axes"] if a not in axes]
    done = [r for r in rows if r["status"] == "done"]
    pareto_energy = pareto_ce = None
    front_ids: set[str] = set()
    with_energy = [r for r in done if r["teraops_per_w"]]
    if with_energy:
        pareto_energy, ids = _pareto_plot(
            with_energy, axes, "teraops_per_w", "energy per operation, pJ", lambda r: 1.0 / r["teraops_per_w"]
        )
        front_ids |= set(ids)
    with_ce = [r for r in done if r["test_ce"] is not None]
    if with_ce:
        pareto_ce, ids = _pareto_plot(with_ce, axes, "test_ce", "test cross-entropy", lambda r: r["test_ce"])
        front_ids |= set(ids)
    figures = [f for f in AXIS_FIGURES if any(r[f[0]] is not None for r in done)]
    axis_plots = [(a, _axis_plot(done, axes, a, figures)) for a in axes] if done and figures else []
    columns = [c for c in TABLE_FIGURES if any(r.get(c[0]) is not None for r in rows)]
    table = [
        {
            "cls": "failed" if r["status"] != "done" else ("front" if r["point_id"] in front_ids else ""),
            "index": r["point_index"],
            "id": r["point_id"],
            "axes": [_value(r["axes"].get(a, "")) for a in axes],
            "status": r["status"],
            "figures": [_fmt(r.get(k), f, k) for k, _, f in columns],
            "error": r["error"] or "",
        }
        for r in rows
    ]
    failed = len(rows) - len(done)
    summary = (
        f"{len(rows)} points recorded: {len(done)} done, {failed} failed. Axes: {', '.join(axes) or 'none'}."
    )
    env = jinja2.Environment(autoescape=jinja2.select_autoescape(default=True))
    return env.from_string(TEMPLATE).render(
        name=name,
        description=description,
        summary=summary,
        pareto_energy=Markup(pareto_energy) if pareto_energy else None,
        pareto_ce=Markup(pareto_ce) if pareto_ce else None,
        axis_plots=[(a, Markup(s)) for a, s in axis_plots],
        axes=axes,
        headers=[h for _, h, _ in columns],
        table=table,
    )


def write_report(sweep, rows: list[dict[str, Any]], out: Path) -> Path:
    """Write ``out/index.html`` for ``sweep`` (a :class:`~archsim.sweep.points.Sweep`) and return its path."""
    page = render_report(sweep.name, rows, sweep.description, [a.name for a in sweep.axes])
    return atomic.write_text(Path(out) / "index.html", page)
