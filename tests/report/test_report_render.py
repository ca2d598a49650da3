"""``archsim.report.render``: the files it writes and what they hold, from real results."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import pytest

from archsim.report import figures, render
from archsim.report.inputs import ReportInput

CHIP_CHARTS = [figures.UTILIZATION, figures.GANTT, figures.BREAKDOWN, figures.ENERGY]


def _ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


def test_chip_report_files_and_figures(chip_report):
    result = json.loads((chip_report / "result.json").read_text())
    figs = json.loads((chip_report / "figures.json").read_text())
    assert figs["kind"] == "chip" and list(figs["charts"]) == CHIP_CHARTS and figs["notes"] == {}
    u = figs["charts"][figures.UTILIZATION]
    assert dict(zip(u["units"], u["fraction"], strict=True)) == result["utilization"]
    assert u["units"][0] == "tile0" and u["units"].index("nlf0") > u["units"].index("tile0.adc")
    b = figs["charts"][figures.BREAKDOWN]
    assert b["arrays"][0] == result["busiest_array"] == b["busiest"]
    for n, array in enumerate(b["arrays"]):
        assert sum(b["fraction"][k][n] for k in b["categories"]) == pytest.approx(1.0, abs=1e-9), array
    e = figs["charts"][figures.ENERGY]
    assert e["total_nj_per_char"] == pytest.approx(result["energy_pj_per_char"]["total"] / 1e3)
    assert e["nj_per_char"] == sorted(e["nj_per_char"], reverse=True)
    head = {r["figure"]: r["text"] for r in figs["chip_headline"]}
    tops = result["teraops_per_s"]
    assert head["Throughput"] == (f"{tops:.2f}" if tops >= 1 else f"{tops:.3g}") + " TeraOps/s"
    assert head["Of the ideal peak"].startswith(f"{100 * result['peak_fraction']:.1f} %")
    assert head["Step latency"] == f"{result['step_latency_ns']:.0f} ns"
    summary = (chip_report / "summary.md").read_text()
    assert head["Throughput"] in summary and f"busiest array ({result['busiest_array']})" in summary


def test_gantt_shows_the_first_windows_of_the_trace(chip_report):
    trace = json.loads((chip_report / "trace.json").read_text())["traceEvents"]
    g = json.loads((chip_report / "figures.json").read_text())["charts"][figures.GANTT]
    spans = [e for e in trace if e["ph"] == "X" and e["args"]["window"] < figures.GANTT_WINDOWS]
    assert g["operations"] == len(spans) and not g["capped"]
    assert g["range_us"] == pytest.approx(
        [min(e["ts"] for e in spans), max(e["ts"] + e["dur"] for e in spans)]
    )
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace if e["name"] == "thread_name"}
    timed = {threads[e["pid"], e["tid"]] for e in trace if e["ph"] == "X"}
    assert set(g["rows"]) == timed and g["rows"][0] == "tile0"
    bars = g["bars"]
    assert all(
        g["range_us"][0] <= s < t <= g["range_us"][1] + 1e-9
        for s, t in zip(bars["start_us"], bars["end_us"], strict=True)
    )
    assert set(bars["phase"]) == {"forward", "backward", "update"}
    # Busy time per row is conserved by the binning, up to the rounding of partial bins to quarters.
    width = (g["range_us"][1] - g["range_us"][0]) / figures.GANTT_RESOLUTION
    for row, name in enumerate(g["rows"]):
        busy = sum(e["dur"] for e in spans if threads[e["pid"], e["tid"]] == name)
        drawn = sum(
            (t - s) * level
            for s, t, r, level in zip(
                bars["start_us"], bars["end_us"], bars["row"], bars["busy"], strict=True
            )
            if r == row
        )
        bins = sum(
            math.ceil((t - s) / width - 1e-6)
            for s, t, r in zip(bars["start_us"], bars["end_us"], bars["row"], strict=True)
            if r == row
        )
        assert busy - 1e-6 <= drawn <= busy + 0.25 * width * bins + 1e-6, name
    d = g["detail"]
    # The detail draws every operation that starts in its range, and no more than GANTT_DETAIL_OPS.
    in_range = [e for e in spans if e["ts"] < d["range_us"][1]]
    assert (
        len(d["name"]) == len(in_range)
        and 0.9 * figures.GANTT_DETAIL_OPS <= len(in_range) <= figures.GANTT_DETAIL_OPS
    )
    assert d["start_us"] == sorted(d["start_us"]) and all(s < d["range_us"][1] for s in d["start_us"])


def test_gantt_shows_the_streams_and_what_the_trace_holds(chip_report):
    trace = json.loads((chip_report / "trace.json").read_text())
    g = json.loads((chip_report / "figures.json").read_text())["charts"][figures.GANTT]
    held = trace["metadata"]["trace_windows"]
    assert held == trace["metadata"]["windows"] > figures.GANTT_WINDOWS  # simulate traces every window
    assert g["note"].startswith(f"trace.json holds all {held} simulated windows of every stream")
    s = g["streams"]  # two streams: a row each, a lane per phase, a bar per window and phase
    assert s["rows"] == ["stream 0", "stream 1"] and s["hidden"] == 0
    pid = {e["args"]["name"]: e["pid"] for e in trace["traceEvents"] if e["name"] == "process_name"}
    tile_ops = [
        e
        for e in trace["traceEvents"]
        if e["ph"] == "X" and e["pid"] == pid["tile"] and e["args"]["window"] < figures.GANTT_WINDOWS
    ]
    expected = {(e["args"]["stream"], e["args"]["window"], e["args"]["phase"]) for e in tile_ops}
    drawn = set(zip(s["row"], s["window"], s["phase"], strict=True))
    assert drawn == expected and len(s["row"]) == len(expected)
    for row, window, phase, start, end, lane in zip(
        s["row"], s["window"], s["phase"], s["start_us"], s["end_us"], s["lane"], strict=True
    ):
        mine = [
            e
            for e in tile_ops
            if (e["args"]["stream"], e["args"]["window"], e["args"]["phase"]) == (row, window, phase)
        ]
        assert start == min(e["ts"] for e in mine) and lane == figures.PHASES.index(phase)
        assert end == pytest.approx(min(max(e["ts"] + e["dur"] for e in mine), g["range_us"][1]))


def test_html_is_self_contained_with_unique_ids(chip_report):
    html = (chip_report / "index.html").read_text()
    ids = _ids(html)
    assert len(ids) == len(set(ids)), "duplicate element ids"
    for chart in CHIP_CHARTS:
        assert ids.count(chart) == 1
        block = html[html.index(f'id="{chart}"') :]
        assert block.index("<svg") < block.index("</figure>")
    # Nothing to fetch: no scripts, no style sheets, no remote images or fonts.
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"url\((?!#)", html)
    assert "Pipeline timeline of the first 2 windows" in html and "Not drawn" not in html


def test_render_is_deterministic(chip_report):
    first = (chip_report / "index.html").read_text()
    render(chip_report)
    assert (chip_report / "index.html").read_text() == first


def test_training_report_written_by_archsim_train(train_dir):
    assert f"report: {train_dir / 'index.html'}" in " ".join((train_dir / "printed.txt").read_text().split())
    result = json.loads((train_dir / "result.json").read_text())
    figs = json.loads((train_dir / "figures.json").read_text())
    assert figs["kind"] == "train" and list(figs["charts"]) == [figures.CE_CHARS]
    curve = figs["charts"][figures.CE_CHARS]
    assert curve["chars"] == [p["chars"] for p in result["curve"]] == [0, 300, 600]
    assert curve["test_ce"] == [p["test_ce"] for p in result["curve"]]
    head = {r["figure"]: r["text"] for r in figs["train_headline"]}
    assert head["Test cross-entropy"].startswith(f"{result['test_ce']:.4f} nats/char")
    assert head["Characters trained"].startswith("600")
    html = (train_dir / "index.html").read_text()
    assert f'id="{figures.CE_CHARS}"' in html and figures.UTILIZATION not in html
    assert f"{result['test_ce']:.4f}" in (train_dir / "summary.md").read_text()


def test_cosim_result_draws_chip_and_training(cosim_report):
    cosim_dir = cosim_report
    figs = json.loads((cosim_dir / "figures.json").read_text())
    assert figs["kind"] == "chip+train"
    assert list(figs["charts"]) == [*CHIP_CHARTS, figures.CE_CHARS, figures.CE_CHIP_TIME]
    result = json.loads((cosim_dir / "result.json").read_text())
    t = figs["charts"][figures.CE_CHIP_TIME]
    assert t["chip_seconds"] == [p["chip_seconds"] for p in result["train"]["curve"]]
    assert figs["title"] == f"{result['workload']} on {result['chip_name']} with {result['rpu']}"
    assert "training with weights on fp tiles" in figs["subtitle"]
    train_rows = {r["figure"]: r["text"] for r in figs["train_headline"]}
    assert train_rows["Status"].startswith("completed") and "RPU preset fp" in train_rows["Setup"]
    summary = (cosim_dir / "summary.md").read_text()
    assert "## Chip" in summary and "## Training" in summary and "| chip time (ms) |" in summary
    held = f"trace.json holds the first 4 of {result['windows']} windows of every stream"
    assert result["trace_windows"] == 4 < result["windows"] and held in figs["charts"][figures.GANTT]["note"]


def test_missing_parts_are_said_not_drawn(chip_dir):
    chip = json.loads((chip_dir / "result.json").read_text())
    chip["energy_pj_per_char"] = {"array": 0.0, "total": 0.0}
    chip["teraops_per_w"] = None
    figs = figures.build(ReportInput(chip_dir, chip, None, None))
    assert set(figs["charts"]) == {figures.UTILIZATION, figures.BREAKDOWN}
    assert "no trace.json" in figs["notes"][figures.GANTT] and "no energy" in figs["notes"][figures.ENERGY]
    assert {r["figure"]: r["text"] for r in figs["chip_headline"]}["Energy efficiency"] == "not modelled"
    trace = [{"ph": "X", "name": "x", "ts": 0, "dur": 0, "pid": 1, "tid": 1}]  # ideal units take no time
    figs = figures.build(ReportInput(chip_dir, chip, None, trace))
    assert "no timed operation" in figs["notes"][figures.GANTT]


def test_huge_traces_are_capped_and_the_page_says_so(chip_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "GANTT_MAX_BARS", 40)
    (tmp_path / "result.json").write_text((chip_dir / "result.json").read_text())
    (tmp_path / "trace.json").write_text((chip_dir / "trace.json").read_text())
    render(tmp_path)
    g = json.loads((tmp_path / "figures.json").read_text())["charts"][figures.GANTT]
    assert g["capped"] and 0 < len(g["bars"]["row"]) <= 40
    assert max(g["bars"]["start_us"]) < g["range_us"][1]
    # Every bar of the full timeline that starts before the cut is drawn (none is dropped).
    monkeypatch.setattr(figures, "GANTT_MAX_BARS", 10**6)
    render(tmp_path)
    full = json.loads((tmp_path / "figures.json").read_text())["charts"][figures.GANTT]["bars"]
    assert len(g["bars"]["row"]) == sum(t < g["range_us"][1] for t in full["start_us"])
    monkeypatch.setattr(figures, "GANTT_MAX_BARS", 40)
    render(tmp_path)
    assert "capped at 40 bars" in (tmp_path / "index.html").read_text()


def test_breakdown_that_does_not_add_up_is_drawn_whole_and_said():
    chip = {"busiest_array": "a", "breakdown": {}, "breakdown_by_array": {"a": {"busy": 0.9, "link": 0.17}}}
    b = figures.breakdown(chip)
    assert b["fraction"] == {"busy": [0.9], "link": [0.17]} and "a 107.0 %" in b["note"]
    chip["breakdown_by_array"]["a"]["link"] = 0.1
    assert figures.breakdown(chip)["note"] is None


def test_report_reads_results_only(train_dir):
    """Rendering imports none of the simulator: no SimPy, Numba, networkx, chip, training,
    numerics, co-simulation or sweep code. It reads the results schema, which holds the resolved
    configuration (pure-data pydantic models), and nothing else of archsim."""
    code = (
        "import sys; from archsim.report import render; render(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('simpy', 'numba', 'networkx', 'dask')"
        " or m.startswith(('archsim.chip', 'archsim.train', 'archsim.numerics', 'archsim.cosim',"
        " 'archsim.sweep', 'archsim.cli'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(train_dir)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_many_tiles_are_shown_by_array():
    n = figures.UTILIZATION_MAX_TILES + 4
    tiles = [f"tile{k}" for k in range(n)]
    util = {t: 0.5 + 0.01 * k for k, t in enumerate(tiles)} | {f"{t}.dac": 0.2 for t in tiles} | {"nlf0": 0.3}
    array = {t: "a" if k < n - 3 else "b" for k, t in enumerate(tiles)}
    units = [{"unit": t, "kind": "tile", "array": array[t], "fraction": util[t]} for t in tiles]
    units += [{"unit": f"{t}.dac", "kind": "dac", "array": array[t], "fraction": 0.2} for t in tiles]
    units += [{"unit": "nlf0", "kind": "nlf", "array": None, "fraction": 0.3}]
    u = figures.utilization({"units": units})
    assert u["grouped"] and len(u["units"]) == len(util)
    bars = {b["label"]: b for b in u["bars"]}
    assert list(bars) == [
        f"a: {n - 3} tiles",
        "b: 3 tiles",
        f"a: {n - 3} DAC banks",
        "b: 3 DAC banks",
        "nlf0",
    ]
    assert bars["b: 3 tiles"]["low"] == util[tiles[-3]] and bars["b: 3 tiles"]["high"] == util[tiles[-1]]
    assert bars[f"a: {n - 3} tiles"]["fraction"] == pytest.approx(sum(util[t] for t in tiles[:-3]) / (n - 3))
    few = [x for x in units if x["unit"] not in tiles[: n - figures.UTILIZATION_MAX_TILES]]
    assert not figures.utilization({"units": few})["grouped"]  # few tiles: every unit
    trace = [{"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "tile"}}]
    trace += [
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": k, "args": {"name": t}}
        for k, t in enumerate(tiles)
    ]
    trace += [
        {
            "ph": "X",
            "name": f"f_mvm {'ab'[k >= n - 3]} t0",
            "ts": 0,
            "dur": 1 + (k >= n - 3),
            "pid": 1,
            "tid": k,
            "args": {"array": "ab"[k >= n - 3], "phase": "forward"},  # read, not the name
        }
        for k in range(n)
    ]
    g = figures.gantt(trace)
    assert g["rows"] == [f"a: {n - 3} tiles", "b: 3 tiles"] and "one row per array" in g["note"]
    bars = list(zip(g["bars"]["row"], g["bars"]["busy"], g["bars"]["end_us"], strict=True))
    assert bars[0] == (0, 1.0, pytest.approx(1.0)) and bars[-1] == (1, 1.0, pytest.approx(2.0))


def test_timeline_of_a_foreign_trace_with_many_units_starting_together():
    n = figures.GANTT_MAX_ROWS + 250  # no process names: nothing to group by
    g = figures.gantt([{"ph": "X", "name": "op", "ts": 5, "dur": 2, "pid": 1, "tid": k} for k in range(n)])
    assert len(g["rows"]) == figures.GANTT_MAX_ROWS and f"of {n} rows" in g["note"]
    assert set(g["bars"]["phase"]) == {"other"} and g["range_us"] == [5, 7]
    assert len(g["detail"]["name"]) == min(figures.GANTT_MAX_ROWS, figures.GANTT_DETAIL_OPS)
    assert g["detail"]["range_us"] == [5, 7]


def test_timeline_reads_phase_and_array_from_the_structured_args():
    """A trace whose span names say nothing: the phase colours and the array rows come from args."""
    n = figures.GANTT_MAX_TILE_ROWS + 2
    trace = [{"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "tile"}}]
    trace += [
        {
            "ph": "X",
            "name": "op",
            "cat": "backward",
            "ts": 0,
            "dur": 1,
            "pid": 1,
            "tid": k,
            "args": {"array": "lstm1" if k < 3 else "lstm2", "phase": "backward", "window": 0},
        }
        for k in range(n)
    ]
    g = figures.gantt(trace)
    assert g["rows"] == ["lstm1: 3 tiles", f"lstm2: {n - 3} tiles"]
    assert set(g["bars"]["phase"]) == set(g["detail"]["phase"]) == {"backward"}


def test_the_page_says_what_ran(chip_dir, tmp_path):
    """The design's key parameters come from the result's record: the chip, the RPU resolutions and
    BL the timing used, the options, the version that ran it."""
    for name in ("result.json", "trace.json"):
        (tmp_path / name).write_text((chip_dir / name).read_text())
    render(tmp_path)
    figs = json.loads((tmp_path / "figures.json").read_text())
    rows = {r["parameter"]: r["value"] for r in figs["design"]}
    assert rows["chip"].startswith("baseline: 16 tiles of 4096 x 4096")
    assert rows["RPU"].startswith("rpu-baseline: DAC forward 5 bits (nearest), backward 5 bits (nearest)")
    assert "ADC 9 / 9 bits; BL 10" in rows["RPU"]
    assert rows["simulate options"] == "schedule dataflow, streams 2, engine lean"
    assert rows["produced by"].startswith("archsim ")
    page = (tmp_path / "index.html").read_text()
    assert "What ran" in page and "rpu-baseline: DAC forward 5 bits" in page
    assert "## What ran" in (tmp_path / "summary.md").read_text()
