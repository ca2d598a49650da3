"""The architect's workflow (issue 15): the flat CSV export of every result, field overrides by
dotted path (``--set``, :func:`archsim.config.with_overrides`) kept in the record and rerun, the
number of evaluations of a short run, and the training legend."""

from __future__ import annotations

import csv
import dataclasses
import typing

import pytest
from typer.testing import CliRunner

from archsim import results
from archsim.cli import app
from archsim.config import ConfigError, FloatingPointRPUConfig, load_design, with_overrides
from archsim.config.options import AUTO_EVAL_POINTS, CosimOptions, TrainOptions
from archsim.report import charts
from archsim.report.figures import CE_CHARS
from archsim.results import figure_rows, load_result
from archsim.train.data import load_corpus
from archsim.train.session import TrainingSession

TEXT = "abcab" * 400  # 2,000 characters: 1,800 to train on, 200 to test
TINY = """name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 4, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 10}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workflow")
    (folder / "abc.txt").write_text(TEXT)
    (folder / "tiny.yaml").write_text(TINY)
    return folder


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


# -- the flat export -------------------------------------------------------------------------------


def test_simulate_writes_every_figure_once_with_its_unit_and_the_overrides_rerun(tiny, tmp_path):
    json_file, csv_file = tmp_path / "r.json", tmp_path / "r.csv"
    res = invoke(
        "simulate", tiny / "tiny.yaml", "--chip", "baseline", "--set", "chip.tile.adc.count_per_tile=64",
        "--set", "rpu.forward.inp_bits=6", "--json", json_file, "--csv", csv_file,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    result = load_result(json_file)
    assert result.record.overrides == {"chip.tile.adc.count_per_tile": 64, "rpu.forward.inp_bits": 6}
    assert result.record.chip.tile.adc.count_per_tile == 64 and result.record.rpu.forward.inp_bits == 6
    table = read_csv(csv_file)
    assert table[0] == ["name", "value", "unit", "description"]
    assert [tuple(r) for r in table[1:]] == figure_rows(result)
    rows = {r[0]: r[1:] for r in table[1:]}
    assert len(rows) == len(table) - 1  # every name once
    assert float(rows["ns_per_char"][0]) == result.ns_per_char and rows["ns_per_char"][1] == "ns/char"
    assert rows["teraops_per_s"][1] == "TeraOps/s" and rows["teraops_per_s"][2].startswith("Throughput")
    total = result.energy_pj_per_char["total"]
    assert (
        float(rows["energy_pj_per_char.total"][0]) == total
        and rows["energy_pj_per_char.total"][1] == "pJ/char"
    )
    assert rows["memory.fits"][:2] == ["true", ""] and rows["memory.peak_occupancy_bytes"][1] == "bytes"
    assert rows["steady_state.period_ns"][1] == "ns"
    assert rows["arrays.0.name"][0] == result.arrays[0].name
    assert not any(name.startswith(("record", "kind", "schema_version")) for name in rows)
    # the rerun starts from the record, the overrides included, and keeps them in its own record
    again = tmp_path / "again.json"
    res = invoke("rerun", json_file, "--json", again, "--csv", tmp_path / "again.csv")
    assert res.exit_code == 0, res.output
    assert load_result(again).record.overrides == result.record.overrides
    assert load_result(again).ns_per_char == result.ns_per_char


def _schema_fields(cls, seen):
    """(class, field) of every result dataclass reachable from ``cls``."""
    if cls in seen:
        return
    seen.add(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        yield cls, f
        stack = [hints[f.name]]
        while stack:
            t = stack.pop()
            if dataclasses.is_dataclass(t):
                yield from _schema_fields(t, seen)
            stack += typing.get_args(t)


def test_every_figure_of_the_schema_states_its_unit_and_description():
    """A new result field needs a unit and a description (results._f), or the CSV cannot say it."""
    seen: set = set()
    missing = []
    for top in (results.ChipResult, results.TrainResult, results.CosimResult):
        for cls, f in _schema_fields(top, seen):
            if f.name in results._NOT_FIGURES:
                continue
            info = cls.__pydantic_fields__[f.name]
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if not info.description or "unit" not in extra:
                missing.append(f"{cls.__name__}.{f.name}")
    assert missing == []
    assert len(seen) >= 10  # the walk reached the nested dataclasses


def test_train_writes_csv_and_records_the_overrides(tiny, tmp_path):
    res = invoke(
        "train", tiny / "tiny.yaml", "--rpu", "fp", "--chars", "1000", "--eval-chars", "60",
        "--set", "workload.training.learning_rate=0.05", "--csv", tmp_path / "t.csv",
        "--out", tmp_path / "t", "--no-progress",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    result = load_result(tmp_path / "t" / "result.json")
    assert result.learning_rate == 0.05 and result.record.workload.training.learning_rate == 0.05
    assert result.record.overrides == {"workload.training.learning_rate": 0.05}
    rows = {r[0]: r for r in read_csv(tmp_path / "t.csv")[1:]}
    last = len(result.curve) - 1
    assert float(rows[f"curve.{last}.test_ce"][1]) == result.test_ce
    assert rows[f"curve.{last}.test_ce"][2] == "nats/char" and rows["chars_trained"][1] == "1000"
    # the default evaluates about AUTO_EVAL_POINTS times, whatever --chars is
    assert AUTO_EVAL_POINTS - 2 <= len(result.curve) - 1 <= AUTO_EVAL_POINTS + 2


def test_cosim_refuses_a_bad_override_and_a_csv_folder_before_running(tiny, tmp_path):
    """(A whole co-simulation, its CSV included, is in tests/report/test_cosim_csv.py.)"""
    args = ["cosim", tiny / "tiny.yaml", "--chip", "baseline", "--rpu", "fp", "--chars", "20"]
    res = invoke(*args, "--set", "chip.tile.adc.count_per_tile=0", "--out", tmp_path / "c")
    assert res.exit_code == 2 and "--set: chip.tile.adc.count_per_tile: Input should be greater" in res.output
    res = invoke(*args, "--csv", tmp_path, "--out", tmp_path / "c")
    assert res.exit_code == 2 and f"--csv {tmp_path}: is a folder" in res.output
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("command", "setting", "needle"),
    [
        ("simulate", "chip.tile.adc.cunt=3", "--set: chip.tile.adc.cunt: unknown key 'cunt'; allowed keys: "),
        (
            "simulate",
            "chip.tile.adc.count_per_tile=many",
            "chip.tile.adc.count_per_tile: Input should be a valid",
        ),
        ("simulate", "chip.tile.rows.x=1", "chip.tile.rows is a value (4096), not a section"),
        ("simulate", "chip.tile.adc.count_per_tile", "expected PATH=VALUE"),
        (
            "simulate",
            "tile.rows=8",
            "'tile.rows' is not a configuration path; it must start with one of workload",
        ),
        ("train", "chip.tile.rows=8", "it must start with one of workload, rpu ("),
        (
            "train",
            "rpu.forward.inp_bits=0",
            "rpu.forward.inp_bits: Input should be greater than or equal to 2 (got 0)",
        ),
    ],
)
def test_a_bad_override_is_one_line_naming_the_path(tiny, tmp_path, command, setting, needle):
    args = ["--chip", "baseline"] if command == "simulate" else ["--rpu", "rpu-baseline", "--chars", "10"]
    res = invoke(command, tiny / "tiny.yaml", *args, "--set", setting, "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    line = res.output.strip()
    assert "\n" not in line and line.startswith("error: --set") and needle in line
    assert not (tmp_path / "o").exists()


def test_a_path_given_twice_is_refused(tiny):
    res = invoke("simulate", tiny / "tiny.yaml", "--chip", "baseline", "--set", "chip.tile.rows=8",
                 "--set", "chip.tile.rows=16")  # fmt: skip
    assert res.exit_code == 2 and "--set chip.tile.rows: given twice" in res.output


def test_with_overrides_is_the_sweeps_dotted_path_for_scripts():
    design = load_design("baseline")
    changed = with_overrides(design, {"chip.tile.adc.count_per_tile": 64, "rpu.backward.out_bits": 7})
    assert changed.chip.tile.adc.count_per_tile == 64 and changed.rpu.backward.out_bits == 7
    assert changed.chip.tile.rows == design.chip.tile.rows and design.chip.tile.adc.count_per_tile == 512
    assert with_overrides(design, {}) is design
    with pytest.raises(
        ConfigError,
        match=r"^script: chip\.tile\.adc\.bits: unknown key 'bits'; allowed keys: area_um2, count_per_tile",
    ):
        with_overrides(design, {"chip.tile.adc.bits": 4}, "script")
    with pytest.raises(ConfigError, match="must start with one of chip, rpu"):
        with_overrides(design, {"workload.name": "x"}, "script")


# -- short runs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("streams", [1, 3])
@pytest.mark.parametrize("chars", [200, 20_000, 1_000_000])
def test_the_default_evaluates_about_16_times_at_whole_rounds(tiny, chars, streams):
    from archsim.config import load_workload

    workload = load_workload(tiny / "tiny.yaml")
    corpus = load_corpus(workload.corpus, workload.vocab_size)
    options = (TrainOptions if streams == 1 else CosimOptions)(chars=chars)
    assert options.eval_every == "auto"
    session = TrainingSession(workload, FloatingPointRPUConfig(), corpus, options, streams)
    round_chars = 10 * streams
    assert session.eval_every % round_chars == 0
    points = session.target / session.eval_every
    assert AUTO_EVAL_POINTS * 0.75 <= points <= AUTO_EVAL_POINTS * 1.5 or session.eval_every == round_chars
    assert session.fingerprint["eval_every"] == "auto"
    given = TrainingSession(
        workload, FloatingPointRPUConfig(), corpus, TrainOptions(chars=chars, eval_every=70)
    )
    assert given.eval_every == 70


@pytest.mark.parametrize(("dropout", "label"), [(0.0, "train"), (0.25, "train (dropout on)")])
def test_the_legend_says_dropout_on_only_when_it_is(dropout, label):
    data = {"chars": [0, 100, 200], "test_ce": [1.1, 1.0, 0.9], "train_ce": [None, 1.05, 0.95],
            "dropout": dropout}  # fmt: skip
    fig = charts.DRAW[CE_CHARS](data)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["test", label]
