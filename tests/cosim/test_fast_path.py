"""The co-simulation's fast path (docs/cosim.md): the same figures, cycle for cycle, as simulating
every window event by event (``exact_timing``), with MVMs that repeat passes, BL management and
several streams."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from archsim.chip.simulation import ChipRun
from archsim.config import Design, load_chip, load_rpu
from archsim.config.options import CosimOptions
from archsim.cosim import Cosimulation
from archsim.paths import WORKLOADS_DIR
from archsim.train.data import load_workload_corpus


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A two-layer LSTM of 8 with windows of 10 characters, on 30,000 characters of War and Peace."""
    folder = tmp_path_factory.mktemp("fast")
    with gzip.open(WORKLOADS_DIR / "data" / "warpeace_input.txt.gz", "rb") as f:
        text = f.read(30_000)
    (folder / "corpus.txt").write_bytes(text)
    (folder / "tiny.yaml").write_text(
        f"name: tiny\ncorpus: corpus.txt\nvocab_size: {len(set(text))}\n"
        "model: {kind: lstm, hidden_size: 8, num_layers: 2}\n"
        "training: {learning_rate: 0.05, dropout: 0.25, bptt_steps: 10}\n"
    )
    return load_workload_corpus(folder / "tiny.yaml")


def _bound(rpu, bound: float):
    """``rpu`` with a lower ADC bound: some MVMs saturate and bound management repeats them."""
    io = rpu.forward.model_copy(update={"out_bound": bound})
    return rpu.model_copy(update={"forward": io, "backward": io})


def _bl_management(rpu):
    return rpu.model_copy(update={"update": rpu.update.model_copy(update={"bl_management": True})})


def _figures(result) -> dict:
    """Everything in a co-simulation's result but wall-clock times, the date and the option
    that chose the path."""
    data = result.to_dict()
    data.pop("wall_seconds")
    data["chip"].pop("wall_seconds")
    data["record"].pop("date")
    data["record"]["options"].pop("exact_timing")
    return data


def _both(tiny, chip: str, rpu, chars: int, streams: int):
    workload, corpus = tiny
    runs = []
    for exact in (True, False):
        options = CosimOptions(
            chars=chars, streams=streams, eval_chars=50, eval_every=chars // 2, seed=3, exact_timing=exact
        )
        cosim = Cosimulation(workload, load_chip(chip), rpu, corpus, options)
        result, trace = cosim.run()
        runs.append((result, trace, [t.get_weights() for t in cosim.net.tiles], cosim.chip_run.scheduler))
    (exact, exact_trace, exact_w, exact_s), (fast, fast_trace, fast_w, fast_s) = runs
    assert exact.status == fast.status == "completed"
    assert exact_s.skipped_periods == 0  # the reference simulated every window
    assert _figures(fast) == _figures(exact)
    assert fast_trace == exact_trace and fast.trace_windows == 4
    assert all(np.array_equal(a, b) for a, b in zip(fast_w, exact_w, strict=True))
    return fast, fast_s


def test_windows_with_repeated_passes_are_simulated_and_the_rest_skipped(tiny):
    """Bound management repeats some MVMs: the skipping stops at the first answer that differs
    from the period's, the simulation takes over there and finds the period again."""
    rpu = _bound(load_rpu("rpu-baseline"), 1.5)
    fast, s = _both(tiny, "paper-ideal", rpu, 300, 1)
    assert sum(p.extra_passes for p in fast.passes) > 0 and s.perturbed
    assert s.resumed >= 1  # a skip ended at a repeated pass
    assert s.skipped_periods > 0 and s.simulated_rounds + s.dw == fast.windows and s.dw > 0


def test_several_streams_with_repeated_passes(tiny):
    rpu = _bound(load_rpu("rpu-baseline"), 1.7)
    fast, s = _both(tiny, "paper-ideal", rpu, 400, 2)
    assert sum(p.extra_passes for p in fast.passes) > 0
    assert s.skipped_periods > 0 and s.resumed >= 1


def test_bl_management_varies_the_updates_time(tiny):
    fast, _ = _both(tiny, "paper-ideal", _bl_management(load_rpu("rpu-baseline")), 150, 1)
    assert any(u.mean_bl < u.max_bl for u in fast.update_bl)


def test_a_run_of_nominal_windows_is_its_own_timing_only_run(tiny):
    """No MVM repeats and BL is fixed: every period after the first windows is skipped, and the
    timing-only figures (which the fast path takes from the run itself) are those simulated."""
    fast, s = _both(tiny, "baseline", load_rpu("rpu-baseline"), 200, 1)
    assert not s.perturbed and s.skipped_periods > 0
    assert fast.timing_only["slowdown_from_numerics"] == 1.0


@pytest.mark.parametrize(
    ("chip", "schedule", "streams"),
    [("baseline", "dataflow", 1), ("baseline", "sequential", 2), ("paper-ideal", "dataflow", 3)],
)
def test_the_chip_model_alone_skips_exactly(tiny, chip, schedule, streams):
    """Without a hook (the timing-only run) the fast path gives the event-by-event figures."""
    workload, _ = tiny
    design = Design(chip=load_chip(chip), rpu=load_rpu("rpu-baseline"))
    exact = ChipRun(workload, design, schedule, streams).run(windows=20).result().to_dict()
    run = ChipRun(workload, design, schedule, streams).run(windows=20, fast=True, exact_windows=4)
    fast = run.result().to_dict()
    assert run.scheduler.skipped_periods > 0
    for data in (exact, fast):
        data.pop("wall_seconds")
        data["record"].pop("date")
    assert fast == exact
    assert len(run.trace(4)) > 0
    with pytest.raises(ValueError, match="first 4"):
        run.trace(5)
    with pytest.raises(ValueError, match="number of windows"):
        ChipRun(workload, design).run(fast=True)


def test_the_command_takes_exact_timing_and_records_it(tiny, tmp_path):
    from typer.testing import CliRunner

    from archsim.cli import app

    workload, _ = tiny
    wl_file = tmp_path / "tiny.yaml"
    wl_file.write_text(workload.model_dump_json())
    out = tmp_path / "run"
    ok = CliRunner().invoke(
        app,
        ["cosim", str(wl_file), "--chip", "paper-ideal", "--rpu", "rpu-baseline", "--chars", "60",
         "--eval-chars", "50", "--exact-timing", "--out", str(out), "--no-progress"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert json.loads((out / "result.json").read_text())["record"]["options"]["exact_timing"] is True


def test_one_stream_runs_each_arrays_pass_ahead_with_the_step_by_step_results(tiny, monkeypatch):
    """With one stream the executor runs each array's forward and backward pass of a window at its
    first step (the softmax's as one batch), as training does, and answers each step from it: the
    same figures, passes, trace and weights as one MVM per step when it arrives, with MVMs that
    repeat passes in the layers' and the softmax's forward and backward."""
    from archsim.cosim.executor import NumericsExecutor

    workload, corpus = tiny
    rpu = _bound(load_rpu("rpu-baseline"), 0.3)  # low ADC bounds: MVMs repeat everywhere
    options = CosimOptions(chars=200, eval_chars=50, eval_every=100, seed=3)
    runs = []
    for ahead in (True, False):
        monkeypatch.setattr(NumericsExecutor, "run_ahead", ahead)
        cosim = Cosimulation(workload, load_chip("paper-ideal"), rpu, corpus, options)
        result, trace = cosim.run()
        runs.append((_figures(result), trace, [t.get_weights() for t in cosim.net.tiles]))
    (ahead, ahead_trace, ahead_w), (alone, alone_trace, alone_w) = runs
    repeated = {(p["array"], p["verb"]) for p in ahead["passes"] if p["extra_passes"] > 0}
    arrays = [a.name for a in workload.arrays()]
    assert {(arrays[0], "forward"), (arrays[1], "backward"), (arrays[-1], "forward")} <= repeated
    assert (arrays[-1], "backward") in repeated
    assert ahead == alone and ahead_trace == alone_trace
    assert all(np.array_equal(a, b) for a, b in zip(ahead_w, alone_w, strict=True))
