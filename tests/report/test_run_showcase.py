"""``archsim run``: the showcase writes one overview report with every chart, atomically."""

from __future__ import annotations

import csv

import pytest
from report_browser import chromium, visit
from typer.testing import CliRunner

from archsim.cli import app
from archsim.report import figures
from archsim.report.overview import COMPARE_CE_CHARS, COMPARE_CE_TIME, COMPARE_TPUT, chart_ids
from archsim.results import figure_rows, load_result

OVERVIEW_CHARTS = {
    COMPARE_TPUT,
    COMPARE_CE_CHARS,
    COMPARE_CE_TIME,
    figures.UTILIZATION,
    figures.GANTT,
    figures.BREAKDOWN,
    figures.ENERGY,
}


@pytest.fixture(scope="module")
def showcase(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "latest"
    csv_file = out.parent / "figures.csv"
    args = ["run", "--out", str(out), "--chars", "200", "--csv", str(csv_file), "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_writes_an_overview_and_a_report_per_run(showcase):
    out, output = showcase
    assert f"report: {out / 'index.html'}" in output.replace("\n", "")
    assert set(chart_ids(out)) == OVERVIEW_CHARTS
    runs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert runs == [
        "cosim-lstm2-64-wp-fp",
        "cosim-lstm2-64-wp-rpu-baseline",
        "lstm2-512-wp-baseline",
        "lstm2-512-wp-paper-ideal",
    ]
    for run in runs:
        assert (out / run / "index.html").is_file() and (out / run / "result.json").is_file()
    assert "TeraOps/s" in output and "test CE" in output


def test_the_overview_renders_in_chromium(showcase, tmp_path):
    assert chromium() is not None, "chromium is not installed: apt-get install chromium (.ci/run does)"
    out, _ = showcase
    page = visit(out / "index.html", tmp_path / "profile")
    assert page.errors == []
    assert {c["id"] for c in page.charts} == OVERVIEW_CHARTS
    for chart in page.charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart


def test_run_writes_every_runs_figures_as_csv(showcase):
    out, _ = showcase
    rows = {r[0]: r for r in csv.reader((out.parent / "figures.csv").open(newline=""))}
    assert rows["name"] == ["name", "value", "unit", "description"]
    for run in ("cosim-lstm2-64-wp-fp", "lstm2-512-wp-baseline"):
        result = load_result(out / run / "result.json")
        assert {n: r[1:] for n, r in rows.items() if n.startswith(run + ".")} == {
            f"{run}.{name}": [value, unit, text] for name, value, unit, text in figure_rows(result)
        }


def test_a_failed_run_keeps_the_earlier_report(showcase, monkeypatch):
    out, _ = showcase
    before = (out / "index.html").read_text()
    monkeypatch.setattr("archsim.cli.run.COSIM_RPUS", ("fp", "no-such-preset"))
    result = CliRunner().invoke(app, ["run", "--out", str(out), "--chars", "100", "--no-progress"])
    assert result.exit_code == 2 and "the earlier report is kept" in result.output
    assert "unknown RPU preset 'no-such-preset'" in result.output
    assert (out / "index.html").read_text() == before
    assert not list(out.parent.glob(f".{out.name}.*"))  # no half-built folder left behind


def test_the_report_folder_is_marked_as_archsims_and_readable(showcase):
    import stat

    from archsim.cli.run import MARKER, check_out

    out, _ = showcase
    assert (out / MARKER).is_file()
    check_out(out)  # so the next run may replace it
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    for path in out.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path
