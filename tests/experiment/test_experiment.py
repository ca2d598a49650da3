"""``archsim experiment``: planning, skipping, resuming, adopting ``archsim train`` folders, the
report's statistics, bad input. Runs are tiny (a few hundred characters of a repetitive text)."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config import load_rpu
from archsim.config.options import TrainOptions
from archsim.experiment import plan as P
from archsim.experiment import runner as R
from archsim.experiment import runs as S
from archsim.experiment.report import status_table
from archsim.results import CurvePoint, TrainResult, load_result
from archsim.train import trainer
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint

runner = CliRunner()
LEN = ["--chars", "400", "--eval-chars", "100", "--eval-every", "200", "--no-progress"]


@pytest.fixture
def tiny(tmp_path):
    corpus = tmp_path / "tiny.txt"
    corpus.write_bytes(b"the quick brown fox jumps over the lazy dog. " * 200)
    path = tmp_path / "tiny.yaml"  # the workload of tests/train/tiny_runs.py, named "tiny"
    path.write_text(
        f"name: tiny\ncorpus: {corpus}\nvocab_size: {len(set(corpus.read_bytes()))}\n"
        "model: {hidden_size: 8, num_layers: 1}\ntraining: {learning_rate: 0.1, bptt_steps: 20}\n"
    )
    return path


@pytest.fixture
def small_fig3(monkeypatch):
    """Fig. 3 cut to two curves (one FP, one analog), so that a whole figure trains in a second."""
    monkeypatch.setitem(
        P.FIGURES, "fig3", P.Figure("Fig. 3, two curves", (P.Curve("fp"), P.Curve("rpu-7bit")))
    )


def experiment(*args):
    return runner.invoke(app, ["experiment", *map(str, args)])


def test_plan_ids_folders_and_runs_shared_between_figures():
    runs = P.plan(["fig3", "fig4", "fig5"], ["lstm2-64-wp"], [0.01, 0.02], [0, 1, 2])
    assert len(runs) == len(set(runs))
    # Fig. 3: 4 curves; Fig. 4: 6, of which fp and rpu-7bit at dropout 0 are Fig. 3's; Fig. 5: 6, of
    # which rpu-7bit is Fig. 3's: 4 + 4 + 5 = 13 runs per learning rate and seed.
    assert len(runs) == 13 * 2 * 3
    key = P.RunKey("lstm2-64-wp", "rpu-5bit-sr", 0.01, 0.0, 2)
    assert key in runs
    assert key.folder == "lstm2-64-wp/rpu-5bit-sr-lr0.01-d0-s2"
    assert S.run_folder("DIR", key).as_posix() == "DIR/runs/lstm2-64-wp/rpu-5bit-sr-lr0.01-d0-s2"
    assert P.RunKey("w", "fp", 0.02, 0.2, 0).run_id == "fp-lr0.02-d0.2-s0"
    for k in runs:
        assert P.parse_run_id(k.workload, k.run_id) == k
    assert P.parse_run_id("w", "fp-lr0.010-d0-s0") is None  # not the %g spelling
    assert {k.rpu for k in runs if k.seed == 0 and k.lr == 0.01} >= {"rpu-7bit-um", "4x-states-um"}


def test_run_adopts_a_train_folder_and_skips_finished_runs(tiny, tmp_path, small_fig3):
    out = tmp_path / "exp"
    folder = out / "runs" / "tiny" / "fp-lr0.1-d0-s0"
    by_hand = runner.invoke(
        app,
        [
            "train",
            str(tiny),
            "--rpu",
            "fp",
            "--lr",
            "0.1",
            "--dropout",
            "0",
            "--seed",
            "0",
            *LEN,
            "--out",
            str(folder),
        ],
    )
    assert by_hand.exit_code == 0, by_hand.output
    before = (folder / "result.json").read_bytes()
    args = ["run", "--out", out, "--figs", "fig3", "--workloads", tiny, "--lrs", "0.1", "--seeds", "0", *LEN]
    first = experiment(*args)
    assert first.exit_code == 0, first.output
    assert "tiny/fp-lr0.1-d0-s0: skip: finished" in first.output
    assert "tiny/rpu-7bit-lr0.1-d0-s0: train" in first.output
    assert (folder / "result.json").read_bytes() == before  # adopted as it is
    analog = load_result(out / "runs" / "tiny" / "rpu-7bit-lr0.1-d0-s0" / "result.json")
    assert analog.status == "completed" and analog.chars_trained == 400 and analog.rpu == "rpu-7bit"
    second = experiment(*args)
    assert second.exit_code == 0, second.output
    assert second.output.count("skip: finished") == 2 and "0 to train" in second.output
    table = status_table(out)
    assert all(len(line) <= 80 for line in table.splitlines())
    assert "2 runs: 2 completed" in table


def test_interrupted_and_killed_runs_resume_to_the_uninterrupted_result(
    tiny, tmp_path, monkeypatch, small_fig3
):
    common = ["--figs", "fig3", "--workloads", tiny, "--lrs", "0.1", "--seeds", "1", *LEN]
    straight = experiment("run", "--out", tmp_path / "a", *common)
    assert straight.exit_code == 0, straight.output

    class StopAfterFiveWindows:  # Ctrl-C, as the training loop sees it, after five windows
        calls = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        @property
        def set(self):
            StopAfterFiveWindows.calls += 1
            return StopAfterFiveWindows.calls > 5

    with monkeypatch.context() as m:
        m.setattr(trainer, "_StopFlag", StopAfterFiveWindows)
        stopped = experiment("run", "--out", tmp_path / "b", *common)
    assert stopped.exit_code == 130, stopped.output
    first = tmp_path / "b" / "runs" / "tiny" / "fp-lr0.1-d0-s1"
    assert load_result(first / "result.json").status == "interrupted"
    assert not (tmp_path / "b" / "runs" / "tiny" / "rpu-7bit-lr0.1-d0-s1").exists()  # not started
    assert "interrupted" in status_table(tmp_path / "b")

    # A killed run: a checkpoint and no result. Recent, it is taken for a run in progress and left alone.
    (first / "result.json").unlink()
    skipped = experiment("run", "--out", tmp_path / "b", *common, "--dry-run")
    assert "fp-lr0.1-d0-s1: skip: running" in skipped.output
    old = time.time() - 2 * S.RUNNING_WITHIN_S
    os.utime(first / CHECKPOINT_NAME, (old, old))
    resumed = experiment("run", "--out", tmp_path / "b", *common)
    assert resumed.exit_code == 0, resumed.output
    assert "fp-lr0.1-d0-s1: resume" in resumed.output
    for rpu in ("fp", "rpu-7bit"):
        a = tmp_path / "a" / "runs" / "tiny" / f"{rpu}-lr0.1-d0-s1"
        b = tmp_path / "b" / "runs" / "tiny" / f"{rpu}-lr0.1-d0-s1"
        assert load_result(a / "result.json").curve == load_result(b / "result.json").curve
        wa, wb = (load_checkpoint(d / CHECKPOINT_NAME)["tiles"] for d in (a, b))
        for ta, tb in zip(wa, wb, strict=True):
            np.testing.assert_array_equal(ta["weights"], tb["weights"])


def test_a_longer_plan_extends_finished_runs(tiny, tmp_path, small_fig3):
    common = ["--figs", "fig3", "--workloads", tiny, "--lrs", "0.1", "--seeds", "0"]
    short = [*LEN]
    short[1] = "200"
    assert experiment("run", "--out", tmp_path, *common, *short).exit_code == 0
    assert "2 runs: 2 completed" in status_table(tmp_path)
    longer = experiment("run", "--out", tmp_path, *common, *LEN)
    assert longer.exit_code == 0, longer.output
    assert longer.output.count(": resume") == 2
    result = load_result(tmp_path / "runs" / "tiny" / "fp-lr0.1-d0-s0" / "result.json")
    assert result.chars_trained == 400 and [c.chars for c in result.curve] == [0, 200, 400]


def _result(rpu: str, seed: int, status: str, chars: int, ces: list[float], lr: float = 0.1) -> TrainResult:
    every = chars // (len(ces) - 1)
    return TrainResult(
        workload="tiny",
        rpu=rpu,
        seed=seed,
        learning_rate=lr,
        dropout=0.0,
        bptt_steps=20,
        status=status,
        message="made by hand",
        test_ce=ces[-1],
        train_ce=None,
        chars_trained=chars,
        epochs=1.0,
        eval_chars=100,
        eval_streams=1,
        curve=[CurvePoint(i * every, ce, None) for i, ce in enumerate(ces)],
    )


def test_diverged_runs_are_final_and_finished_runs_skipped(tmp_path):
    key = P.RunKey("tiny", "fp", 0.1, 0.0, 0)
    folder = S.run_folder(tmp_path, key)
    assert R.decide(S.inspect(tmp_path, key), 1000) == "train"
    _result("fp", 0, "diverged", 500, [3.0, 9.0]).write_json(folder / "result.json")
    run = S.inspect(tmp_path, key)
    assert run.state == "diverged" and run.chars == 500 and run.test_ce == 9.0
    assert R.decide(run, 1000) == "skip: diverged (final)"
    _result("fp", 0, "completed", 1000, [3.0, 2.0]).write_json(folder / "result.json")
    assert R.decide(S.inspect(tmp_path, key), 1000) == "skip: finished"
    assert R.decide(S.inspect(tmp_path, key), 2000) == "train"  # no checkpoint to continue from


def test_report_mean_and_sd_over_finished_seeds_only(tmp_path):
    runs = tmp_path / "runs" / "tiny"
    made = {
        "fp-lr0.1-d0-s0": _result("fp", 0, "completed", 1000, [3.0, 2.5, 2.0]),
        "fp-lr0.1-d0-s1": _result("fp", 1, "completed", 1000, [3.0, 2.4, 2.2]),
        "fp-lr0.1-d0-s2": _result("fp", 2, "completed", 1000, [3.1, 2.9, 2.6]),
        "fp-lr0.1-d0-s3": _result("fp", 3, "interrupted", 500, [3.0, 1.0]),  # partial: in no mean
        "rpu-7bit-lr0.1-d0-s0": _result("rpu-7bit", 0, "diverged", 500, [3.0, 9.0]),
        "rpu-7bit-lr0.1-d0-s1": _result("rpu-7bit", 1, "completed", 1000, [3.0, 2.8, 2.7]),
    }
    for name, result in made.items():
        result.write_json(runs / name / "result.json")
    got = experiment("report", "--out", tmp_path, "--figs", "fig3")
    assert got.exit_code == 0, got.output
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    (group,) = summary["groups"]
    assert (group["figure"], group["workload"], group["lr"]) == ("fig3", "tiny", 0.1)
    rows = {r["rpu"]: r for r in group["rows"]}
    fp = rows["fp"]
    assert fp["n"] == 3 and fp["seeds"] == [0, 1, 2]
    assert fp["test_ce_mean"] == pytest.approx(np.mean([2.0, 2.2, 2.6]))
    assert fp["test_ce_sd"] == pytest.approx(np.std([2.0, 2.2, 2.6], ddof=1))
    assert fp["curve_chars"] == [0, 500, 1000]
    assert fp["curve_mean"] == pytest.approx(
        [np.mean([3.0, 3.0, 3.1]), np.mean([2.5, 2.4, 2.9]), 2.2 + 0.2 / 3]
    )
    assert fp["curve_sd"][1] == pytest.approx(statistics.stdev([2.5, 2.4, 2.9]))
    assert fp["partial"] == [
        {"seed": 3, "state": "interrupted", "chars": 500, "of": None, "test_ce": 1.0, "test_error": None}
    ]
    seven = rows["rpu-7bit"]
    assert seven["n"] == 1 and seven["test_ce_sd"] is None and seven["diverged"] == [0]
    assert rows["rpu-baseline"]["n"] == 0 and rows["rpu-baseline"]["test_ce_mean"] is None
    md = (tmp_path / "report" / "summary.md").read_text()
    assert (
        f"| fp | {np.mean([2.0, 2.2, 2.6]):.3f} +- {np.std([2.0, 2.2, 2.6], ddof=1):.3f} | 3 | 0, 1, 2 |"
        in md
    )
    assert "s3 interrupted at 500 chars, test CE 1.000" in md and "diverged: s0" in md
    html = (tmp_path / "report" / "index.html").read_text()
    assert html.count("<svg") == 1 and "fig3, tiny, lr 0.1" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--figs", "fig9"], "--figs: unknown figure 'fig9'"),
        (["--workloads", "no-such-workload"], "--workloads:"),
        (["--lrs", "0"], "--lrs: a learning rate must be a finite number > 0, got 0"),
        (["--lrs", "-0.1"], "--lrs: a learning rate must be a finite number > 0"),
        (["--lrs", "fast"], "--lrs: 'fast' is not a number"),
        (["--seeds", ""], "--seeds: expected a comma-separated list of seeds"),
        (["--seeds", "1,x"], "--seeds: 'x' is not a seed"),
        (["--chars", "10", "--epochs", "1"], "--epochs: give chars or epochs, not both"),
        (["--jobs", "0"], "--jobs: expected >= 1"),
    ],
)
def test_bad_input_is_one_line_naming_the_option(tiny, tmp_path, args, message):
    got = experiment("run", "--out", tmp_path / "exp", "--workloads", tiny, *args)
    assert got.exit_code == 2, got.output
    lines = got.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], got.output
    assert not (tmp_path / "exp").exists()


def test_out_being_a_file_is_refused(tiny, tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    for command in (["run", "--workloads", tiny], ["status"], ["report"]):
        got = experiment(command[0], "--out", path, *command[1:])
        assert got.exit_code == 2 and "--out" in got.output and len(got.output.strip().splitlines()) == 1
    got = experiment("report", "--out", tmp_path / "none", "--figs", "fig3,fig7")
    assert got.exit_code == 2 and "--figs: unknown figure 'fig7'" in got.output


def test_a_job_is_exactly_its_archsim_train_command(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(P.FIGURES, "fig3", P.Figure("Fig. 3, one curve", (P.Curve("rpu-7bit"),)))
    common = ["--figs", "fig3", "--workloads", tiny, "--lrs", "0.1", "--seeds", "2", *LEN]
    here = experiment("run", "--out", tmp_path / "a", *common)
    assert here.exit_code == 0, here.output
    key = P.RunKey("tiny", "rpu-7bit", 0.1, 0.0, 2)
    options = TrainOptions(chars=400, eval_chars=100, eval_every=200, seed=2, learning_rate=0.1, dropout=0.0)
    job = R.Job(key, str(tiny), options, 400)
    args = R.train_args(job, tmp_path / "b", resume=False)
    assert args[:9] == [str(tiny), "--rpu", "rpu-7bit", "--lr", "0.1", "--dropout", "0.0", "--seed", "2"]
    by_hand = runner.invoke(app, ["train", *args])
    assert by_hand.exit_code == 0, by_hand.output
    a = load_result(S.run_folder(tmp_path / "a", key) / "result.json")
    b = load_result(tmp_path / "b" / "result.json")
    assert a.curve == b.curve and a.record.options == b.record.options
    assert R.train_args(job, tmp_path / "b", resume=True)[-1] == "--resume"
    # An image network's default spacing ("auto") is archsim train's own default: not passed.
    auto = R.Job(key, "cnn2-fmnist", TrainOptions(epochs=1.0, seed=2, learning_rate=0.01), 60_000)
    auto_args = R.train_args(auto, tmp_path / "c", resume=False)
    assert "--eval-every" not in auto_args and "--eval-chars" not in auto_args
    assert auto_args[auto_args.index("--epochs") + 1] == "1.0"


def test_subprocesses_run_n_at_a_time_and_log_beside_the_run(tmp_path):
    made = _result("fp", 0, "completed", 1000, [3.0, 2.0])
    made.write_json(tmp_path / "made.json")
    # A stand-in for archsim train: copies a result into --out, after a moment.
    stub = (
        sys.executable,
        "-c",
        "import shutil, sys, time, pathlib; out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]);"
        f"out.mkdir(parents=True); time.sleep(0.3); shutil.copy({str(tmp_path / 'made.json')!r}, "
        "out / 'result.json');"
        "print('trained', out.name)",
    )
    options = TrainOptions(chars=400, eval_chars=100, eval_every=200)
    jobs = [(R.Job(P.RunKey("w", "fp", 0.1, 0.0, s), "w", options, 400), False) for s in range(3)]
    events = []
    assert R.run_subprocesses(
        jobs, tmp_path, 2, lambda job, status: events.append((job.key.seed, status)), stub
    )
    assert events[:2] == [(0, "started"), (1, "started")]  # two at a time: the third waits
    assert sorted(events[2:]) == [(0, "completed"), (1, "completed"), (2, "completed"), (2, "started")]
    for s in range(3):
        log = tmp_path / "runs" / "w" / f"fp-lr0.1-d0-s{s}.log"
        assert log.read_text() == f"trained fp-lr0.1-d0-s{s}\n"


def test_the_cnn_figure_is_the_papers_sequence_on_its_own_workload():
    figure = P.FIGURES["cnn"]
    assert figure.workload == "cnn2-fmnist"
    assert [c.label for c in figure.curves] == [
        "fp",
        "cnn-rpu-baseline",
        "cnn-rpu-nmbm",
        "cnn-rpu-um",
        "cnn-rpu-um on cnn2-fmnist-k1-devices",
    ]
    runs = P.plan(["cnn"], [], [0.01], [0, 1, 2])
    assert len(runs) == len(set(runs)) == 5 * 3
    assert [k.folder for k in runs if k.seed == 2] == [
        "cnn2-fmnist/fp-lr0.01-d0-s2",
        "cnn2-fmnist/cnn-rpu-baseline-lr0.01-d0-s2",
        "cnn2-fmnist/cnn-rpu-nmbm-lr0.01-d0-s2",
        "cnn2-fmnist/cnn-rpu-um-lr0.01-d0-s2",
        "cnn2-fmnist-k1-devices/cnn-rpu-um-lr0.01-d0-s2",
    ]
    # Figs. 3-5 are drawn for --workloads, the CNN sequence for its own workload only.
    both = P.plan(["fig3", "cnn"], ["lstm2-64-wp"], [0.01], [0])
    assert len(both) == 4 + 5
    assert {k.workload for k in both if k.rpu == "fp"} == {"lstm2-64-wp", "cnn2-fmnist"}
    # The steps' presets: one device and periphery, the management switched on step by step.
    base, nmbm, um = (load_rpu(n) for n in ("cnn-rpu-baseline", "cnn-rpu-nmbm", "cnn-rpu-um"))
    for io in (base.forward, base.backward):
        assert not io.noise_management and not io.bound_management
    for io in (nmbm.forward, nmbm.backward, um.forward, um.backward):
        assert io.noise_management and io.bound_management
    assert [r.update.update_management for r in (base, nmbm, um)] == [False, False, True]
    paper = load_rpu("rpu-baseline")
    assert base.device == nmbm.device == um.device == paper.device
    assert base.update == nmbm.update == paper.update
    for r in (base, nmbm, um):
        assert (r.forward.inp_bits, r.forward.out_bits, r.forward.out_noise, r.forward.out_bound) == (
            5,
            9,
            0.06,
            12,
        )


@pytest.fixture
def tiny_cnn(tmp_path, monkeypatch):
    """The CNN sequence's five curves on a tiny image network (6 x 6 images, 3 classes) and its
    two-devices-per-weight variant, as workload presets of a folder of their own."""
    from archsim.config import workload as workload_module
    from archsim.train import data as data_module

    folder = tmp_path / "workloads"
    folder.mkdir()
    images = _images(tmp_path / "data")
    (folder / "tiny-cnn.yaml").write_text(
        f"name: tiny-cnn\ncorpus: {images}\nmodel:\n  kind: layers\n  input: {{height: 6, width: 6}}\n"
        "  layers: [{kind: conv, kernels: 4, size: 3}, {kind: pool, size: 2}, {kind: fc, size: 8},\n"
        "           {kind: softmax, size: 3}]\n"
        "training: {learning_rate: 0.2}\n"
    )
    (folder / "tiny-cnn-dev.yaml").write_text(
        "name: tiny-cnn-dev\nextends: tiny-cnn\nmodel: {layers: {0: {devices_per_weight: 2}}}\n"
    )
    monkeypatch.setattr(workload_module, "WORKLOADS_DIR", folder)
    monkeypatch.setattr(data_module, "WORKLOADS_DIR", folder)
    curves = tuple(P.Curve(c.rpu, c.dropout, c.workload and "tiny-cnn-dev") for c in P.FIGURES["cnn"].curves)
    monkeypatch.setitem(P.FIGURES, "cnn", P.Figure("tiny CNN sequence", curves, workload="tiny-cnn"))


def _images(folder):
    """Four idx files: 3 classes of noisy 6 x 6 images, each brighter in its own third."""
    import gzip

    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for split, n in (("train", 24), ("t10k", 12)):
        labels = rng.integers(0, 3, n)
        images = rng.integers(0, 40, (n, 6, 6))
        for k, label in enumerate(labels):
            images[k, 2 * label : 2 * label + 2] += 215
        for name, array in (
            (f"{split}-images-idx3-ubyte.gz", images),
            (f"{split}-labels-idx1-ubyte.gz", labels),
        ):
            header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
            (folder / name).write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0))
    return folder


def test_the_cnn_figure_runs_and_reports_test_error_beside_test_ce(tiny_cnn, tmp_path):
    out = tmp_path / "exp"
    args = ["run", "--out", out, "--figs", "cnn", "--lrs", "0.2", "--seeds", "0,1", "--no-progress"]
    got = experiment(*args, "--samples", "20", "--eval-samples", "12", "--eval-every", "10")
    assert got.exit_code == 0, got.output
    assert "10 runs planned, 0 skipped, 10 to train" in got.output
    results = {}
    for key in P.plan(["cnn"], [], [0.2], [0, 1]):
        result = load_result(S.run_folder(out, key) / "result.json")
        assert result.status == "completed" and result.chars_trained == 20 and result.eval_chars == 12
        assert [c.chars for c in result.curve] == [0, 10, 20] and result.curve[-1].test_error is not None
        results[key] = result
    dev = load_result(out / "runs" / "tiny-cnn-dev" / "cnn-rpu-um-lr0.2-d0-s1" / "result.json")
    assert dev.record.workload.model.layers[0].devices_per_weight == 2  # the variant's run
    again = experiment(*args, "--samples", "20", "--eval-samples", "12", "--eval-every", "10", "--dry-run")
    assert "10 skipped, 0 to train" in again.output  # --samples is --chars: the same runs, finished

    report = experiment("report", "--out", out)  # the default figures include cnn
    assert report.exit_code == 0, report.output
    summary = json.loads((out / "report" / "summary.json").read_text())
    (group,) = summary["groups"]  # no Fig. 3 of tiny-cnn out of the sequence's fp runs
    assert (group["figure"], group["workload"], group["unit"]) == ("cnn", "tiny-cnn", "image")
    assert [r["curve"] for r in group["rows"]] == [c.label for c in P.FIGURES["cnn"].curves]
    md = (out / "report" / "summary.md").read_text()
    assert "| curve | test error, mean +- sd | test CE (nats/image), mean +- sd | n | seeds | images |" in md
    for row, curve in zip(group["rows"], P.FIGURES["cnn"].curves, strict=True):
        mine = [results[P.RunKey(curve.run_workload("tiny-cnn"), curve.rpu, 0.2, 0.0, s)] for s in (0, 1)]
        errors = [r.test_error for r in mine]
        assert row["n"] == 2 and row["test_error"] == errors
        assert row["test_error_mean"] == pytest.approx(np.mean(errors))
        assert row["test_error_sd"] == pytest.approx(np.std(errors, ddof=1))
        assert row["test_ce_mean"] == pytest.approx(np.mean([r.test_ce for r in mine]))
        mean, sd = np.mean(errors), np.std(errors, ddof=1)
        assert f"| {row['curve']} | {100 * mean:.2f} % +- {100 * sd:.2f} | " in md
    assert "training images" in (out / "report" / "index.html").read_text()

    refused = experiment("run", "--out", out, "--figs", "cnn", "--workloads", "lstm2-64-wp")
    assert (
        refused.exit_code == 2 and "--workloads: the figures cnn have their own workloads" in refused.output
    )
    both = experiment(*args, "--samples", "20", "--chars", "20")
    assert both.exit_code == 2 and "give one of each pair" in both.output


def test_a_diverged_image_run_is_listed_with_its_test_error(tmp_path):
    from archsim.experiment.report import curves_of, others_text, rows_of

    key = P.RunKey("cnn2-fmnist", "cnn-rpu-baseline", 0.01, 0.0, 1)
    run = S.RunState(key, tmp_path, "diverged", 200, [(0, 2.308), (200, 2.686)], 2.686, [0.89, 0.92], 0.92)
    rows = rows_of([run], {}, curves_of("cnn", "cnn2-fmnist"))
    assert [r.runs for r in rows] == [0, 1, 0, 0, 0] and rows[1].diverged == [1] and rows[1].n == 0
    assert others_text(rows[1], "image") == "diverged: s1 at 200 images (test CE 2.686, test error 92.00 %)"
    lstm = S.RunState(
        P.RunKey("w", "fp", 0.1, 0.0, 0), tmp_path, "diverged", 500, [(0, 3.0), (500, 9.0)], 9.0
    )
    (row,) = rows_of([lstm], {}, [(("w", "fp", 0.0), "fp")])
    assert others_text(row) == "diverged: s0"
