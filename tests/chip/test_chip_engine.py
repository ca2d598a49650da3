"""The lean event engine (archsim/chip/engine.py) against SimPy's processes: the same records,
cycle for cycle, the same event counts and the same figures, on every schedule, with several
streams, contended units, a hook that repeats passes and varies BL, the fast path, Tiki-Taka's
transfers and an image network."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archsim.chip.schedule import ArrayOp
from archsim.chip.simulation import ChipRun
from archsim.config import Design, load_chip, load_rpu, load_workload
from tests.chip.chip_factories import make_workload, real_design


def _records(run: ChipRun) -> dict:
    s = run.scheduler
    recs = {
        key: (
            r.ready,
            r.start,
            r.end,
            [None if c is None else (c[0].stream, c[0].window, c[1]) for c in r.crit],
            r.passes,
            r.weight,
        )
        for key, r in s.records.items()
    }
    return {
        "records": recs,
        "round_end": s.round_end,
        "events": run.env.scheduled_events,
        "period": s.period,
        "skipped": (s.skipped_periods, s.skipped_operations, s.skipped_events, s.resumed),
        "peak": run.chip.memory.peak_bytes,
    }


def _figures(run: ChipRun) -> dict:
    data = run.result().to_dict()
    data.pop("wall_seconds")
    if data["record"] is not None:  # (None under a hook)
        data["record"].pop("date")
        assert data["record"]["options"].pop("engine") == run.engine
    return data


class RandomHook:
    """Answers like the co-simulation: now and then an MVM repeats (2-3 passes) or an update takes
    a shorter BL; the same answers for the same operations, whatever the engine."""

    def __init__(self, seed: int, rate: float) -> None:
        self.seed, self.rate = seed, rate
        self.calls: list[tuple] = []

    def __call__(self, op: ArrayOp) -> int:
        self.calls.append((op.verb, op.array, op.step, op.tile, op.stream, op.window))
        key = hash((op.verb, op.array, op.step, op.tile, op.stream, op.window)) & 0xFFFFFFFF
        rng = np.random.default_rng([self.seed, key])
        if rng.random() >= self.rate:
            return op.nominal
        if op.verb == "update":
            return max(1, op.nominal - int(rng.integers(1, op.nominal + 1)))
        return 1 + int(rng.integers(1, 3))


def _both(workload, design, schedule="dataflow", streams=1, windows=None, hook_rate=None, fast=False):
    out = []
    for engine in ("simpy", "lean"):
        hook = None if hook_rate is None else RandomHook(7, hook_rate)
        run = ChipRun(workload, design, schedule, streams, hook=hook, engine=engine)
        run.run(windows=windows, fast=fast, exact_windows=4 if fast else 0)
        out.append((run, hook))
    (simpy_run, simpy_hook), (lean_run, lean_hook) = out
    assert _records(lean_run) == _records(simpy_run)
    assert _figures(lean_run) == _figures(simpy_run)
    if simpy_hook is not None:
        assert lean_hook.calls == simpy_hook.calls
    return lean_run


@pytest.mark.parametrize(
    ("chip", "schedule", "streams"),
    [
        ("baseline", "dataflow", 1),
        ("baseline", "sequential", 2),
        ("paper-ideal", "dataflow", 3),
        ("baseline", "dataflow", 4),
    ],
)
def test_the_engines_agree_on_the_lstm_until_periodic(chip, schedule, streams):
    workload = load_workload("lstm2-64-wp")
    run = _both(workload, Design(chip=load_chip(chip), rpu=load_rpu("rpu-baseline")), schedule, streams)
    assert run.env.scheduled_events > 0


@pytest.mark.parametrize(("schedule", "streams"), [("dataflow", 1), ("dataflow", 3), ("sequential", 2)])
def test_the_engines_agree_under_a_hook_that_repeats_passes(schedule, streams):
    """Contended units everywhere and the hook's answers perturbing the schedule."""
    workload = make_workload(hidden=4, layers=2, vocab=5, steps=4)
    run = _both(workload, real_design(), schedule, streams, windows=8, hook_rate=0.1)
    assert any(p != 1 for r in run.scheduler.records.values() for p in r.passes)


def test_the_engines_agree_on_the_fast_path():
    workload = make_workload(hidden=4, layers=2, vocab=5, steps=4)
    run = _both(workload, real_design(), windows=40, hook_rate=0.004, fast=True)
    assert run.scheduler.skipped_periods > 0 and run.scheduler.resumed > 0


def test_the_engines_agree_on_tiki_taka_and_the_measures():
    workload = load_workload("lstm2-64-wp")
    for rpu in ("tiki-taka-sb", "ttv2-sb", "idealized-2019-measures"):
        _both(workload, Design(chip=load_chip("baseline"), rpu=load_rpu(rpu)), windows=3, hook_rate=0.05)


def test_the_engines_agree_on_an_image_network():
    workload = load_workload("cnn2-fmnist")
    design = Design(chip=load_chip("baseline"), rpu=load_rpu("cnn-rpu-baseline"))
    _both(workload, design, streams=2, windows=2, hook_rate=0.05)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=st.sampled_from([2, 4, 8]),
    layers=st.integers(1, 3),
    steps=st.integers(1, 5),
    streams=st.integers(1, 3),
    schedule=st.sampled_from(["dataflow", "sequential"]),
    rate=st.sampled_from([0.0, 0.05, 0.3]),
)
def test_the_engines_agree_on_random_small_networks(hidden, layers, steps, streams, schedule, rate):
    workload = make_workload(hidden=hidden, layers=layers, vocab=5, steps=steps)
    _both(workload, real_design(), schedule, streams, windows=5, hook_rate=rate)


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine: unknown 'gem5'; allowed: lean, simpy"):
        ChipRun(make_workload(), real_design(), engine="gem5")


def test_simulate_takes_the_engine_and_records_it(tmp_path):
    import json

    from typer.testing import CliRunner

    from archsim.cli import app

    results = {}
    for engine in ("simpy", "lean"):
        path = tmp_path / f"{engine}.json"
        args = ["simulate", "lstm1-64-wp", "--chip", "baseline", "--engine", engine, "--json", str(path)]
        r = CliRunner().invoke(app, [*args, "--no-progress"])
        assert r.exit_code == 0, r.output
        data = json.loads(path.read_text())
        assert data["record"]["options"]["engine"] == engine
        for key in ("wall_seconds", "record"):
            data.pop(key)
        results[engine] = data
    assert results["lean"] == results["simpy"]
    r = CliRunner().invoke(app, ["simulate", "lstm1-64-wp", "--chip", "baseline", "--engine", "gem5"])
    assert r.exit_code == 2 and "--engine: unknown 'gem5'; allowed: lean, simpy" in r.output
