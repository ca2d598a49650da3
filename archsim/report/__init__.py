"""Reports of results: a self-contained HTML page, a Markdown summary and the plotted data as JSON.

``render(DIR)`` reads ``DIR/result.json`` (and ``DIR/trace.json`` when present; the input contract
is in ``archsim.report.inputs``) and writes ``index.html``, ``summary.md`` and ``figures.json``
beside them. It reads results only: no simulator code is imported.
"""

from __future__ import annotations

import json
from pathlib import Path

from archsim.report.inputs import RESULT_NAME, TRACE_NAME, ReportError, ReportInput, load_input

HTML_NAME = "index.html"
MARKDOWN_NAME = "summary.md"
FIGURES_NAME = "figures.json"

__all__ = [
    "FIGURES_NAME",
    "HTML_NAME",
    "MARKDOWN_NAME",
    "RESULT_NAME",
    "TRACE_NAME",
    "ReportError",
    "ReportInput",
    "load_input",
    "render",
]


def render(result_dir: str | Path) -> Path:
    """Write the report of ``result_dir`` into it; return the path of ``index.html``.

    Raises ``ReportError`` (naming the file) when ``result.json`` is missing or not a result.
    """
    from archsim.report import charts, figures, html, markdown

    directory = Path(result_dir)
    figs = figures.build(load_input(directory))
    svgs = {chart_id: charts.render_svg(chart_id, data) for chart_id, data in figs["charts"].items()}
    (directory / FIGURES_NAME).write_text(json.dumps(figs, indent=1, ensure_ascii=False) + "\n")
    (directory / MARKDOWN_NAME).write_text(markdown.summary(figs))
    path = directory / HTML_NAME
    path.write_text(html.page(figs, svgs))
    return path
