"""The HTML report in a real browser: headless Chromium loads it offline, with no console error,
and lays out every chart. Chromium is required (``.ci/run`` installs Debian's package): without it
these tests fail rather than skip."""

from __future__ import annotations

import pytest
from report_browser import chromium, visit

from archsim.report import figures

CHIP_CHARTS = {figures.UTILIZATION, figures.GANTT, figures.BREAKDOWN, figures.ENERGY}


@pytest.fixture(scope="module", autouse=True)
def _require_chromium():
    assert chromium() is not None, "chromium is not installed: apt-get install chromium (.ci/run does)"


def test_the_checker_sees_console_errors_exceptions_and_failed_loads(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>bad</title></head><body><img src="missing.png">'
        '<script>console.error("boom"); console.log("fine"); notDefined();</script></body></html>'
    )
    errors = visit(page, tmp_path / "profile").errors
    assert len(errors) == 3, errors
    assert any("boom" in e for e in errors) and any("notDefined" in e for e in errors)
    assert any("ERR_FILE_NOT_FOUND" in e for e in errors)


def _check(directory, expected: set[str], tmp_path) -> None:
    page = visit(directory / "index.html", tmp_path / "profile")
    assert page.errors == []
    assert {c["id"] for c in page.charts} == expected
    assert expected <= set(page.ids) and len(page.ids) == len(set(page.ids))
    for chart in page.charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart
    assert page.title.endswith("archsim report")


def test_chip_report_renders_in_chromium(chip_report, tmp_path):
    _check(chip_report, CHIP_CHARTS, tmp_path)


def test_chip_and_training_report_renders_in_chromium(cosim_report, tmp_path):
    _check(cosim_report, CHIP_CHARTS | {figures.CE_CHARS, figures.CE_CHIP_TIME}, tmp_path)


def test_training_report_renders_in_chromium(train_dir, tmp_path):
    _check(train_dir, {figures.CE_CHARS}, tmp_path)  # drawn by archsim train itself
