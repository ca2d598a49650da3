"""Co-simulation: the chip's schedule drives the numerics (issue 5)."""

from __future__ import annotations

import dataclasses
import gzip
import json

import numpy as np
import pytest

from archsim.config import load_chip, load_rpu
from archsim.config.options import CosimOptions, TrainOptions
from archsim.cosim import Cosimulation
from archsim.paths import WORKLOADS_DIR
from archsim.report import render
from archsim.train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from archsim.train.data import load_workload_corpus
from archsim.train.trainer import train


@pytest.fixture(scope="module")
def workload_file(tmp_path_factory):
    """A two-layer LSTM of 8 on the first 30,000 characters of War and Peace, with dropout."""
    folder = tmp_path_factory.mktemp("cosim")
    with gzip.open(WORKLOADS_DIR / "data" / "warpeace_input.txt.gz", "rb") as f:
        text = f.read(30_000)
    (folder / "corpus.txt").write_bytes(text)
    vocab = len(set(text))
    (folder / "tiny.yaml").write_text(
        f"name: tiny\ncorpus: corpus.txt\nvocab_size: {vocab}\n"
        "model: {kind: lstm, hidden_size: 8, num_layers: 2}\n"
        "training: {learning_rate: 0.05, dropout: 0.25, bptt_steps: 20}\n"
    )
    return folder / "tiny.yaml"


@pytest.mark.parametrize("rpu_name", ["fp", "rpu-baseline"])
def test_one_stream_cosim_and_train_reach_the_same_weights(workload_file, tmp_path, rpu_name):
    workload, corpus = load_workload_corpus(workload_file)
    rpu = load_rpu(rpu_name)
    chars = 400  # 20 windows: the masks, the carried state and the tiles' streams all matter
    trained = train(
        workload,
        rpu,
        corpus,
        TrainOptions(chars=chars, eval_chars=300, eval_every=200, seed=7),
        tmp_path,
    )
    trained_tiles = load_checkpoint(tmp_path / CHECKPOINT_NAME)["tiles"]
    cosim = Cosimulation(
        workload,
        load_chip("baseline"),
        rpu,
        corpus,
        CosimOptions(chars=chars, eval_chars=300, eval_every=200, seed=7, timing_only=False),
    )
    result, _ = cosim.run()
    assert result.status == "completed" and result.train.chars_trained == trained.chars_trained == chars
    for tile, state in zip(cosim.net.tiles, trained_tiles, strict=True):
        assert np.array_equal(tile.get_weights(), state["weights"])
    assert [p.chars for p in result.train.curve] == [p.chars for p in trained.curve] == [0, 200, 400]
    if rpu_name == "fp":  # analog evaluation draws noise at another point of the tiles' streams
        assert [p.test_ce for p in result.train.curve] == [p.test_ce for p in trained.curve]
    chip_times = [p.chip_seconds for p in result.train.curve]
    assert chip_times[0] == 0 and chip_times[1] < chip_times[2] == pytest.approx(
        result.chip.ns_per_char * chars * 1e-9, rel=0.2
    )


def test_bound_management_passes_slow_the_chip_down(workload_file, tmp_path):
    """A timing difference only the co-simulation sees: saturated MVMs are repeated (bound
    management), and every repeat is another array cycle."""
    workload, corpus = load_workload_corpus(workload_file)
    base = load_rpu("rpu-baseline")
    # A low output bound saturates often, so that the data-dependent passes show in a short run.
    io = base.forward.model_copy(update={"out_bound": 0.5})
    rpu = base.model_copy(update={"forward": io, "backward": io})
    result, trace = Cosimulation(
        workload, load_chip("baseline"), rpu, corpus, CosimOptions(chars=200, eval_chars=100)
    ).run()
    extra = sum(p.extra_passes for p in result.passes)
    assert extra > 0 and max(p.max_passes for p in result.passes) > 1
    assert result.chip.ns_per_char > result.timing_only["ns_per_char"]
    assert result.timing_only["slowdown_from_numerics"] > 1
    assert result.chip.breakdown_by_array and any(
        b["extra_passes"] > 0 for b in result.chip.breakdown_by_array.values()
    )
    events = trace["traceEvents"]
    assert events and all(e["ph"] in ("X", "M", "C") for e in events)
    windows = {e["args"]["window"] for e in events if e["ph"] == "X"}
    assert windows == {0, 1, 2, 3}  # the trace keeps the first TRACE_WINDOWS of 10 windows
    assert (result.trace_windows, result.windows) == (4, 10)  # and the result says so
    assert (trace["metadata"]["trace_windows"], trace["metadata"]["windows"]) == (4, 10)  # and the trace
    result.write_json(tmp_path / "result.json")
    page = render(tmp_path).read_text()
    assert f"{extra:,} extra array cycles" in page
    assert f"the numerics make the chip x{result.timing_only['slowdown_from_numerics']:.4f} slower" in page


def test_the_dac_resolution_of_the_rpu_sets_the_encoding_time(workload_file):
    workload, corpus = load_workload_corpus(workload_file)
    times = {}
    for name in ("rpu-baseline", "rpu-7bit"):
        options = CosimOptions(chars=100, eval_chars=50, timing_only=False)
        result, _ = Cosimulation(workload, load_chip("baseline"), load_rpu(name), corpus, options).run()
        times[name] = result.chip.ns_per_char
    assert times["rpu-7bit"] > times["rpu-baseline"]  # 63 input slots instead of 15


def test_streams_share_the_weights_and_runs_are_deterministic(workload_file):
    workload, corpus = load_workload_corpus(workload_file)
    rpu = load_rpu("rpu-baseline")
    runs = []
    for _ in range(2):
        cosim = Cosimulation(
            workload,
            load_chip("baseline"),
            rpu,
            corpus,
            CosimOptions(chars=400, streams=2, eval_chars=100, seed=1, timing_only=False),
        )
        result, _ = cosim.run()
        runs.append((result, [t.get_weights() for t in cosim.net.tiles]))
    (a, wa), (b, wb) = runs
    assert a.streams == 2 and a.train.chars_trained == 400 and a.status == "completed"
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))
    assert a.train.curve == b.train.curve and a.chip.ns_per_char == b.chip.ns_per_char


def test_divergence_stops_the_run_with_a_message(workload_file):
    workload, corpus = load_workload_corpus(workload_file)
    options = CosimOptions(chars=2000, eval_chars=50, learning_rate=500.0, timing_only=False)
    result, trace = Cosimulation(workload, load_chip("paper-ideal"), load_rpu("fp"), corpus, options).run()
    assert result.status == "diverged" and result.chip is None and trace == []
    assert "divergence threshold" in result.message or "NaN" in result.message


def test_bad_options_name_the_argument(workload_file):
    workload, corpus = load_workload_corpus(workload_file)
    chip, rpu = load_chip("baseline"), load_rpu("fp")
    with pytest.raises(ValueError, match="chars: expected a positive number"):
        Cosimulation(workload, chip, rpu, corpus, CosimOptions(chars=0))
    with pytest.raises(ValueError, match="streams: expected >= 1"):
        Cosimulation(workload, chip, rpu, corpus, CosimOptions(chars=10, streams=0))
    with pytest.raises(ValueError, match="streams: expected >= 1 and <= 64, got 5000"):
        Cosimulation(workload, chip, rpu, corpus, CosimOptions(chars=10, streams=5000))
    short = dataclasses.replace(corpus, train=corpus.train[:100])  # 5 parts of 20 < one window of 21
    with pytest.raises(ValueError, match="cannot feed 5 stream"):
        Cosimulation(workload, chip, rpu, short, CosimOptions(chars=10, streams=5))


def test_init_starts_from_a_training_checkpoint(workload_file, tmp_path):
    workload, corpus = load_workload_corpus(workload_file)
    rpu = load_rpu("rpu-baseline")
    train(workload, rpu, corpus, TrainOptions(chars=200, eval_chars=50, seed=5), tmp_path)
    checkpoint = tmp_path / CHECKPOINT_NAME
    trained = load_checkpoint(checkpoint)["tiles"]
    cosim = Cosimulation(
        workload,
        load_chip("paper-ideal"),
        rpu,
        corpus,
        CosimOptions(chars=20, eval_chars=50, seed=0, init=checkpoint, timing_only=False),
    )
    assert cosim.options.seed == 5  # the devices follow from the checkpoint's seed
    assert all(
        np.array_equal(t.get_weights(), s["weights"]) for t, s in zip(cosim.net.tiles, trained, strict=True)
    )
    result, _ = cosim.run()
    assert result.seed == 5 and result.status == "completed"
    with pytest.raises(ValueError, match="trained with another rpu"):
        Cosimulation(
            workload,
            load_chip("paper-ideal"),
            load_rpu("rpu-7bit"),
            corpus,
            CosimOptions(chars=20, init=checkpoint),
        )
    with pytest.raises(ValueError, match="--init: .*missing.pkl: no such file"):
        Cosimulation(
            workload,
            load_chip("paper-ideal"),
            rpu,
            corpus,
            CosimOptions(chars=20, init=tmp_path / "missing.pkl"),
        )


def test_cli_writes_the_result_and_names_bad_arguments(workload_file, tmp_path):
    from typer.testing import CliRunner

    from archsim.cli import app

    runner = CliRunner()
    out = tmp_path / "run"
    ok = runner.invoke(
        app,
        ["cosim", str(workload_file), "--chip", "baseline", "--rpu", "rpu-baseline", "--chars", "40",
         "--eval-chars", "50", "--out", str(out), "--no-progress"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    saved = json.loads((out / "result.json").read_text())
    assert saved["chip"]["ns_per_char"] > 0 and saved["train"]["chars_trained"] == 40
    assert saved["train"]["curve"][-1]["chip_seconds"] > 0
    assert json.loads((out / "trace.json").read_text())
    for args, message in [
        (["--chars", "0"], "--chars: expected a positive number"),
        (["--rpu", "rpu-9bit"], "--rpu: unknown RPU preset 'rpu-9bit'"),
        (["--chip", "nochip"], "--chip: unknown chip preset 'nochip'"),
        (["--streams", "0"], "--streams: expected >= 1"),
    ]:
        base = {"--chip": "baseline", "--rpu": "fp"}
        base.update(dict(zip(args[::2], args[1::2], strict=True)))
        flat = [item for pair in base.items() for item in pair]
        bad = runner.invoke(app, ["cosim", str(workload_file), *flat, "--no-progress"])
        assert bad.exit_code == 2 and message in bad.output, bad.output


def _without_bound_management(rpu):
    io = rpu.forward.model_copy(update={"bound_management": False})
    data = rpu.model_dump()
    data.update(forward=io.model_dump(), bm_backward=False)
    data["backward"].pop("bound_management")
    return type(rpu).model_validate(data)


@pytest.mark.parametrize("streams", [1, 2])
def test_simulate_and_cosim_of_one_design_time_the_same_windows(workload_file, streams):
    """With no MVM repeating a pass (bound management off), the co-simulation's chip figures are
    those of ``simulate`` of the same design over the same windows, cycle for cycle."""
    from archsim.chip import simulate
    from archsim.config import Design

    workload, corpus = load_workload_corpus(workload_file)
    rpu = _without_bound_management(load_rpu("rpu-7bit"))
    chip = load_chip("baseline")
    options = CosimOptions(chars=200 * streams, streams=streams, eval_chars=50, timing_only=False)
    result, _ = Cosimulation(workload, chip, rpu, corpus, options).run()
    assert all(p.max_passes == 1 for p in result.passes)
    windows = 200 // workload.training.bptt_steps
    plain = simulate(workload, Design(chip=chip, rpu=rpu), streams=streams, windows=windows).result()
    assert result.chip.ns_per_window == plain.ns_per_window
    assert result.chip.energy_pj_per_char == plain.energy_pj_per_char
    assert result.chip.rpu == plain.rpu == "rpu-7bit"


def test_bl_management_picks_each_updates_time(workload_file):
    """The BL that BL management picks per update reaches the chip: updates shorter than the
    largest BL make the co-simulated chip faster than the timing-only run (every update at BL)."""
    workload, corpus = load_workload_corpus(workload_file)
    base = _without_bound_management(load_rpu("rpu-baseline"))
    rpu = base.model_copy(update={"update": base.update.model_copy(update={"bl_management": True})})
    result, _ = Cosimulation(
        workload, load_chip("baseline"), rpu, corpus, CosimOptions(chars=200, eval_chars=50)
    ).run()
    bl = {s.array: s for s in result.update_bl}
    assert set(bl) == {"lstm1", "lstm2", "softmax"}
    assert all(s.updates == 200 and 0 <= s.mean_bl <= s.max_bl <= 10 for s in bl.values())
    assert min(s.mean_bl for s in bl.values()) < 10
    assert result.chip.ns_per_char < result.timing_only["ns_per_char"]
    # Every update drives BL pulses on each of its rows and columns (1 pJ each on this chip).
    pulse_pj = load_chip("baseline").tile.energy_update_pulse_pj
    expected = sum((a.rows + a.cols) * bl[a.name].mean_bl * pulse_pj for a in workload.arrays())
    assert result.chip.energy_pj_per_char["update_pulses"] == pytest.approx(expected, rel=1e-12)
