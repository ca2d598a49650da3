"""Reports of results: a self-contained HTML page, a Markdown summary and the plotted data as JSON.

``render(DIR)`` reads ``DIR/result.json`` (and ``DIR/trace.json`` when present; the input contract
is in ``archsim.report.inputs``) and writes ``index.html``, ``summary.md`` and ``figures.json``
beside them. It reads results only: no simulator code is imported.
"""

from __future__ import annotations

import json
from pathlib import Path

from archsim import atomic
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


def inconsistent(directory: Path, err: Exception) -> ReportError:
    """The error of a result that fits the schema but whose parts do not fit together (an array in
    one table missing from another, say): it names the file and what did not fit."""
    return ReportError(
        f"{directory / RESULT_NAME}: an inconsistent result, its parts do not fit together "
        f"({type(err).__name__}: {err})"
    )


def render(result_dir: str | Path) -> Path:
    """Write the report of ``result_dir`` into it; return the path of ``index.html``.

    Raises ``ReportError`` (naming the file) when ``result.json`` is missing, not a result, or a
    result whose parts do not fit together.
    """
    from archsim.report import charts, figures, html, markdown

    directory = Path(result_dir)
    inp = load_input(directory)
    try:  # everything is drawn before anything is written
        figs = figures.build(inp)
        svgs = {chart_id: charts.render_svg(chart_id, data) for chart_id, data in figs["charts"].items()}
        summary, page = markdown.summary(figs), html.page(figs, svgs)
    except ReportError:
        raise
    except (KeyError, IndexError, ValueError, ZeroDivisionError) as err:
        raise inconsistent(directory, err) from None
    atomic.write_text(directory / FIGURES_NAME, json.dumps(figs, indent=1, ensure_ascii=False) + "\n")
    atomic.write_text(directory / MARKDOWN_NAME, summary)
    return atomic.write_text(directory / HTML_NAME, page)
