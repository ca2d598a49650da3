"""An overview page over several result folders (``archsim run``): headline figures of every run,
comparison charts, the charts of one featured chip run, and links to each run's own report.

Like the rest of the package it reads results only (each folder's ``result.json``/``trace.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, FuncFormatter

from archsim import atomic
from archsim.report import charts, figures, html, inconsistent
from archsim.report.inputs import ReportError, load_input

COMPARE_TPUT = "chart-compare-throughput"
COMPARE_CE_CHARS = "chart-compare-ce-chars"
COMPARE_CE_TIME = "chart-compare-ce-chip-time"
RUN_COLORS = ("#3b6fb6", "#e07b39", "#3a9a5b", "#8e5fb0", "#c0504d")


@dataclass(frozen=True)
class Entry:
    """One run shown on the overview: its label and its folder (relative to the overview's)."""

    label: str
    folder: str


def _throughput(runs: list[tuple[Entry, dict]]) -> Figure:
    fig = charts._figure(0.9 + 0.55 * len(runs))
    ax = fig.subplots()
    y = list(range(len(runs)))
    reached = [c["teraops_per_s"] for _, c in runs]
    peak = [c["ideal_peak_teraops_per_s"] for _, c in runs]
    ax.barh(y, peak, color="#e3e6ea", height=0.7, label="ideal peak of the mapping")
    ax.barh(y, reached, color="#3b6fb6", height=0.7, label="simulated")
    for yi, r, p in zip(y, reached, peak, strict=True):
        ax.text(max(r, p) * 1.01, yi, f"{r:.2f} of {p:.2f} TeraOps/s", va="center", fontsize=8.5)
    ax.set_yticks(y, [e.label for e, _ in runs])
    ax.invert_yaxis()
    ax.set_xlim(0, max(peak) * 1.45)
    ax.set_xlabel("TeraOps/s (2 ops per device and array cycle)")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return fig


def _ce(runs: list[tuple[Entry, dict]], x_key: str) -> Figure:
    fig = charts._figure(3.6)
    ax = fig.subplots()
    scale, unit = 1.0, ""
    if x_key == "chip_seconds":
        top = max(p["chip_seconds"] for _, t in runs for p in t["curve"])
        scale, unit = next(
            ((s, u) for s, u in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")) if top >= 2 * s), (1e-9, "ns")
        )
    for (entry, train), color in zip(runs, RUN_COLORS, strict=False):
        xs = [p[x_key] / scale for p in train["curve"]]
        ys = [p["test_ce"] for p in train["curve"]]
        ax.plot(xs, ys, color=color, marker="o", markersize=4, linewidth=1.8, label=entry.label)
        ax.annotate(f"{ys[-1]:.3f}", (xs[-1], ys[-1]), textcoords="offset points", xytext=(4, 4),
                    fontsize=8.5, color=color)  # fmt: skip
    if x_key == "chip_seconds":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel(f"simulated chip time ({unit})")
    else:
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        ax.set_xlabel("training characters")
    ax.set_ylabel("test cross-entropy (nats/char)")
    ax.legend(loc="upper right")
    return fig


def _svg(chart_id: str, draw, *args) -> Markup:
    with rc_context(charts.STYLE):
        return Markup(charts._svg(draw(*args), "svg-" + chart_id.removeprefix("chart-")))


def render_overview(directory: str | Path, title: str, entries: list[Entry], featured: str) -> Path:
    """Write ``directory/index.html``: every entry's headline figures and a link to its report,
    comparison charts, and all charts of the ``featured`` entry (a label). Returns the path."""
    directory = Path(directory)
    inputs = {e.label: load_input(directory / e.folder) for e in entries}
    built = {}
    for entry in entries:
        try:
            built[entry.label] = figures.build(inputs[entry.label])
        except ReportError:
            raise
        except (KeyError, IndexError, ValueError, ZeroDivisionError) as err:
            raise inconsistent(directory / entry.folder, err) from None
    chip_runs = [(e, inputs[e.label].chip) for e in entries if inputs[e.label].chip is not None]
    train_runs = [(e, inputs[e.label].train) for e in entries if inputs[e.label].train is not None]
    sections = []
    if chip_runs:
        sections.append(
            ("Throughput", "Simulated TeraOps/s against the ideal peak of each run's mapping.",
             COMPARE_TPUT, _svg(COMPARE_TPUT, _throughput, chip_runs))
        )  # fmt: skip
    timed = [(e, t) for e, t in train_runs if all("chip_seconds" in p for p in t["curve"])]
    if train_runs:
        sections.append(
            ("Accuracy", "Test cross-entropy of the co-simulated runs at every evaluation.",
             COMPARE_CE_CHARS, _svg(COMPARE_CE_CHARS, _ce, train_runs, "chars"))
        )  # fmt: skip
    if timed:
        sections.append(
            ("Accuracy against chip time", "The same curves against the simulated time the chip takes.",
             COMPARE_CE_TIME, _svg(COMPARE_CE_TIME, _ce, timed, "chip_seconds"))
        )  # fmt: skip
    featured_figs = built[featured]
    for chart_id, data in featured_figs["charts"].items():
        heading, caption = html.CAPTIONS[chart_id]
        with rc_context(charts.STYLE):
            svg = Markup(charts.render_svg(chart_id, data))
        sections.append((f"{heading} ({featured})", caption, chart_id, svg))
    runs = [
        {
            "label": e.label,
            "href": f"{e.folder}/index.html",
            "rows": (built[e.label]["chip_headline"] or []) + (built[e.label]["train_headline"] or []),
            "findings": built[e.label]["findings"],
        }
        for e in entries
    ]
    page = _ENV.from_string(TEMPLATE).render(title=title, runs=runs, sections=sections, css=Markup(CSS))
    path = atomic.write_text(directory / "index.html", page)
    listed = {"title": title, "runs": [{"label": e.label, "folder": e.folder} for e in entries]}
    atomic.write_text(directory / "overview.json", json.dumps(listed, indent=1) + "\n")
    return path


CSS = html.TEMPLATE.split("<style>", 1)[1].split("</style>", 1)[0]

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · archsim</title>
<style>{{ css }}
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 16px;
        margin: 22px 0; }
.runs section { margin: 0; }
.runs h2 a { color: var(--accent); text-decoration: none; }
</style>
</head>
<body>
<main>
<header>
  <h1>{{ title }}</h1>
  <p>Every run has its own report (click its title); this page compares them.</p>
</header>
<div class="runs" id="runs">
{% for run in runs %}
<section>
  <h2><a href="{{ run.href }}">{{ run.label }}</a></h2>
  <table>
  {% for row in run.rows %}<tr><th>{{ row.figure }}</th><td>{{ row.text }}</td></tr>
  {% endfor %}
  </table>
  {% for x in run.findings %}
  <p><span class="badge {{ x.level }}">{{ x.level }}</span><code>{{ x.field }}</code>: {{ x.message }}</p>
  {% endfor %}
</section>
{% endfor %}
</div>
{% for heading, caption, chart_id, svg in sections %}
<section>
  <h2>{{ heading }}</h2>
  <figure id="{{ chart_id }}" class="chart">
    {{ svg }}
    <figcaption>{{ caption }}</figcaption>
  </figure>
</section>
{% endfor %}
<footer>Written by <code>archsim run</code> from the results in the folders linked above.</footer>
</main>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def chart_ids(directory: str | Path) -> list[str]:
    """The chart ids an overview page in ``directory`` holds (for tests)."""
    text = (Path(directory) / "index.html").read_text()
    return [part.split('"', 1)[0] for part in text.split('<figure id="')[1:]]
