"""``archsim compare``: the configuration fields that differ, the headline figures and ratios."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.report import compare
from archsim.results import load_result

TINY = """name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 4, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 10}
"""


@pytest.fixture(scope="module")
def two_designs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    (folder / "tiny.yaml").write_text(TINY)
    (folder / "abc.txt").write_text("abcab" * 400)
    runner = CliRunner()
    paths = []
    for rpu in ("rpu-baseline", "rpu-7bit"):
        path = folder / f"{rpu}.json"
        args = [
            "simulate",
            str(folder / "tiny.yaml"),
            "--chip",
            "baseline",
            "--rpu",
            rpu,
            "--json",
            str(path),
        ]
        assert runner.invoke(app, args).exit_code == 0
        paths.append(path)
    return paths


def test_the_fields_that_differ_and_the_ratios(two_designs):
    a, b = (load_result(p) for p in two_designs)
    c = compare.comparison([a, b], ["a", "b"])
    diff = dict(c["differences"])
    assert diff["rpu.forward.inp_bits"] == [5, 7] and diff["rpu.name"] == ["rpu-baseline", "rpu-7bit"]
    assert not any(path.startswith(("chip.", "workload.", "options.")) for path in diff)
    rows = {r["figure"]: r for r in c["figures"]}
    assert rows["time per char"]["values"] == [a.ns_per_char, b.ns_per_char]
    assert (
        rows["time per char"]["ratios"] == [1.0, b.ns_per_char / a.ns_per_char]
        and b.ns_per_char > a.ns_per_char
    )
    assert "test CE" not in rows  # no result gives it
    assert compare.differences([a, a]) == []


def test_the_command_prints_and_writes_html(two_designs, tmp_path):
    page = tmp_path / "cmp.html"
    res = CliRunner().invoke(app, ["compare", *map(str, two_designs), "--html", str(page)])
    assert res.exit_code == 0, res.output
    assert "rpu.forward.inp_bits" in res.output and "ratio to A" in res.output
    html = page.read_text()
    assert "Configuration that differs" in html and "rpu-7bit" in html and "<script" not in html


def test_bad_input_is_one_line(two_designs, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(two_designs[0])])
    assert res.exit_code == 2 and "give at least two result files" in res.output
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    res = runner.invoke(app, ["compare", str(two_designs[0]), str(bad)])
    assert res.exit_code == 2 and f"{bad}: expected a JSON object" in " ".join(res.output.split())


def test_the_command_writes_the_figures_as_csv(two_designs, tmp_path):
    path = tmp_path / "c.csv"
    res = CliRunner().invoke(app, ["compare", *map(str, two_designs), "--csv", str(path)])
    assert res.exit_code == 0, res.output
    rows = {r[0]: r for r in csv.reader(path.open(newline=""))}
    assert rows["figure"] == ["figure", "unit", "A", "B", "B/A"]
    a, b = (load_result(p) for p in two_designs)
    assert rows["time per char"] == [
        "time per char", "ns", repr(a.ns_per_char), repr(b.ns_per_char), repr(b.ns_per_char / a.ns_per_char)
    ]  # fmt: skip
