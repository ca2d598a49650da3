"""The report page: one self-contained HTML file (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from archsim.report import figures as F

#: Section heading and caption of every chart.
CAPTIONS = {
    F.UTILIZATION: (
        "Utilization per unit",
        "Share of the simulated time each unit is busy. tile<k>.dac and tile<k>.adc: the part of "
        "the tile's time its DAC bank encodes inputs and its ADC bank converts outputs.",
    ),
    F.GANTT: (
        "Pipeline timeline",
        "One row per unit, one bar per operation, coloured by training phase; with several streams, "
        "the middle panel shows when each stream's windows run. The complete trace (trace.json, with "
        "counter tracks of busy units and memory occupancy) opens in Perfetto (ui.perfetto.dev) or "
        "chrome://tracing.",
    ),
    F.BREAKDOWN: (
        "Where the time of the arrays goes",
        "Every idle gap of an array is charged to what it waited for; the shares of one array add up "
        "to 100 %. The busy share of the busiest array is the fraction of the ideal peak reached.",
    ),
    F.ENERGY: (
        "Energy by component",
        "Energy per training character; leakage is the leakage power of the used units times the "
        "time per character.",
    ),
    F.CE_CHARS: (
        "Training curve",
        "Test cross-entropy (nats per character, on the test split) at every evaluation; train: the "
        "mean training cross-entropy since the previous point.",
    ),
    F.CE_CHIP_TIME: (
        "Training curve against chip time",
        "The test cross-entropy against the simulated time the chip takes to train that many characters.",
    ),
}

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ f.title }} · archsim report</title>
<style>
:root { --ink: #1f2329; --muted: #5b616b; --line: #e3e6ea; --bg: #f6f7f9; --card: #ffffff;
        --accent: #3b6fb6; --error: #c0392b; --warning: #b9770e; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
header h1 { font-size: 26px; margin: 0 0 2px; letter-spacing: -0.01em; }
header p { margin: 0; color: var(--muted); }
h2 { font-size: 18px; margin: 0 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px;
         margin: 22px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px; }
.card .label { color: var(--muted); font-size: 12.5px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 21px; font-weight: 600; margin-top: 2px; line-height: 1.25; white-space: nowrap; }
.card .unit { font-size: 12.5px; font-weight: 500; color: var(--muted); }
.card .sub { color: var(--muted); font-size: 12.5px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
          margin: 16px 0; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.tables section { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; width: 36%; }
tr:last-child th, tr:last-child td { border-bottom: none; }
figure { margin: 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 8px; }
.note { color: var(--muted); font-size: 13.5px; font-style: italic; }
.findings { list-style: none; margin: 0; padding: 0; }
.findings li { padding: 6px 0; border-bottom: 1px solid var(--line); }
.findings li:last-child { border-bottom: none; }
.badge { display: inline-block; min-width: 64px; text-align: center; border-radius: 4px; padding: 0 6px;
         margin-right: 8px; font-size: 12px; font-weight: 600; text-transform: uppercase; color: #fff;
         background: var(--muted); }
.badge.error { background: var(--error); }
.badge.warning { background: var(--warning); }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
footer { color: var(--muted); font-size: 13.5px; margin-top: 20px; }
footer a { color: var(--accent); }
</style>
</head>
<body>
<main>
<header>
  <h1>{{ f.title }}</h1>
  {% if f.subtitle %}<p>{{ f.subtitle }}</p>{% endif %}
</header>

<div class="cards" id="headline">
{% for row in cards %}
  <div class="card"><div class="label">{{ row.figure }}</div><div class="value">{{ row.card_value }}
    {%- if row.card_unit %} <span class="unit">{{ row.card_unit }}</span>{% endif %}</div>
    {% if row.card_note %}<div class="sub">{{ row.card_note }}</div>{% endif %}</div>
{% endfor %}
</div>

{% if f.findings %}
<section id="findings">
  <h2>Findings</h2>
  <ul class="findings">
  {% for x in f.findings %}
    <li><span class="badge {{ x.level }}">{{ x.level }}</span><code>{{ x.field }}</code>: {{ x.message }}</li>
  {% endfor %}
  </ul>
</section>
{% endif %}

<div class="tables">
{% if f.chip_headline %}
<section id="chip-figures">
  <h2>Chip</h2>
  <table>
  {% for row in f.chip_headline %}<tr><th>{{ row.figure }}</th><td>{{ row.text }}</td></tr>
  {% endfor %}
  </table>
  {% if not f.findings %}<p class="note">No findings.</p>{% endif %}
</section>
{% endif %}
{% if f.train_headline %}
<section id="train-figures">
  <h2>Training</h2>
  <table>
  {% for row in f.train_headline %}<tr><th>{{ row.figure }}</th><td>{{ row.text }}</td></tr>
  {% endfor %}
  </table>
</section>
{% endif %}
</div>

{% if f.design %}
<section id="design">
  <h2>What ran</h2>
  <table>
  {% for row in f.design %}<tr><th>{{ row.parameter }}</th><td>{{ row.value }}</td></tr>
  {% endfor %}
  </table>
  <p class="note">The full configuration is in result.json (<code>record</code>);
  <code>archsim rerun result.json</code> runs it again.</p>
</section>
{% endif %}

{% for chart in charts %}
<section>
  <h2>{{ chart.heading }}</h2>
  <figure id="{{ chart.id }}" class="chart" aria-label="{{ chart.title }}">
    {{ chart.svg }}
    <figcaption>{{ chart.caption }}{% if chart.note %} {{ chart.note }}.{% endif %}</figcaption>
  </figure>
</section>
{% endfor %}

{% if f.notes %}
<section id="not-drawn">
  <h2>Not drawn</h2>
  <ul>
  {% for chart_id, note in f.notes.items() %}<li>{{ headings[chart_id] }}: {{ note }}.</li>{% endfor %}
  </ul>
</section>
{% endif %}

<footer>
  Files in this folder:
  <a href="result.json">result.json</a> (the results),
  {% if f.files.trace %}<a href="trace.json">trace.json</a> (Chrome trace events of the pipeline),{% endif %}
  <a href="figures.json">figures.json</a> (the data of this page),
  <a href="summary.md">summary.md</a>. Drawn from the results alone; <code>archsim report DIR</code> draws
  it again.
</footer>
</main>
</body>
</html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _split_unit(text: str) -> tuple[str, str]:
    """'3.44 TeraOps/W' -> ('3.44', 'TeraOps/W') so that a card shows the number large; other text whole."""
    head, _, unit = text.partition(" ")
    try:
        float(head.replace(",", ""))
    except ValueError:
        return text, ""
    return head, unit


def page(figs: dict[str, Any], svgs: dict[str, str]) -> str:
    """The HTML page from the figures and the chart SVGs (chart id -> ``<svg>`` text)."""
    charts = [
        {
            "id": chart_id,
            "heading": CAPTIONS[chart_id][0],
            "caption": CAPTIONS[chart_id][1],
            "title": data["title"],
            "note": data.get("note"),
            "svg": Markup(svgs[chart_id]),
        }
        for chart_id, data in figs["charts"].items()
    ]
    cards = [
        r | dict(zip(("card_value", "card_unit"), _split_unit(r["card"]), strict=True))
        for r in (figs["chip_headline"] or []) + (figs["train_headline"] or [])
        if r["card"]
    ]
    headings = {k: v[0] for k, v in CAPTIONS.items()}
    return _ENV.from_string(TEMPLATE).render(f=figs, charts=charts, cards=cards, headings=headings)
