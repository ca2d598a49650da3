"""The SimPy model end to end: hand-computed schedules, splitting, steady state, the paper's figure."""

from __future__ import annotations

import pytest
from chip_factories import ideal_design, make_rpu, make_workload, real_chip, real_design

from archsim.chip import ArrayOp, MappingError, build_window_graph, map_workload, reduce, simulate
from archsim.chip.reduce import Measured, impossible_figures
from archsim.config.chip import load_chip
from archsim.config.design import Design
from archsim.config.errors import ConfigError, validate
from archsim.config.rpu import load_rpu
from archsim.config.workload import load_workload


def _tile_log(run, window=0, stream=0):
    rec = run.scheduler.records[stream, window]
    cg = run.scheduler.cg
    return sorted(
        (cg.keys[i][0], cg.keys[i][1], rec.start[i], rec.end[i]) for i in range(cg.n) if cg.is_tile[i]
    )


def test_one_window_schedule_by_hand():
    run = simulate(make_workload(), ideal_design(), windows=1)
    assert sorted(_tile_log(run), key=lambda x: x[2]) == [
        ("f_mvm", "lstm1", 0, 80),
        ("f_mvm", "softmax", 80, 160),
        ("b_mvm", "softmax", 160, 240),
        ("b_mvm", "lstm1", 240, 320),
        ("u_mvm", "softmax", 240, 320),
        ("u_mvm", "lstm1", 320, 400),
    ]
    r = run.result()
    assert r.operations_per_window == 342
    assert r.teraops_per_s == pytest.approx(342 / 400 / 1e3)
    assert r.ideal_peak_teraops_per_s == pytest.approx(342 / 240 / 1e3)  # each array busy 3 x 80
    assert r.ns_per_window == 400 and r.ns_per_char == 400
    assert r.breakdown_by_array["lstm1"]["busy"] == pytest.approx(0.6)
    assert r.breakdown_by_array["lstm1"]["dependency"] == pytest.approx(0.4)
    soft = r.breakdown_by_array["softmax"]
    assert (soft["busy"], soft["fill"], soft["drain"]) == pytest.approx((0.6, 0.2, 0.2))
    assert r.utilization["tile0"] == pytest.approx(0.6)
    assert r.step_latency_ns == 160


def test_sequential_runs_one_operation_at_a_time():
    run = simulate(make_workload(), ideal_design(), schedule="sequential", windows=1)
    log = sorted(_tile_log(run), key=lambda x: x[2])
    assert [x[2] for x in log] == [0, 80, 160, 240, 320, 400]
    assert run.result().ns_per_window == 480


def test_hook_sets_passes_adding_time_not_operations():
    seen = []

    def hook(op: ArrayOp) -> int:
        seen.append((op.verb, op.array, op.step, op.window))
        return 2 if (op.verb, op.array) == ("forward", "lstm1") else op.nominal

    run = simulate(make_workload(), ideal_design(), windows=1, hook=hook)
    r = run.result()
    assert ("forward", "lstm1", 0, 0) in seen and len(seen) == 6
    assert r.ns_per_window == 480 and r.operations_per_window == 342
    assert r.breakdown_by_array["lstm1"]["extra_passes"] == pytest.approx(80 / 480)


def test_split_layers_cost_time_only_through_the_accumulation():
    w = make_workload(hidden=16, layers=1, vocab=5, steps=3)
    whole = simulate(w, ideal_design(), windows=1).result()
    split = simulate(w, ideal_design(rows=32, cols=16), windows=1).result()
    assert split.operations_per_window == whole.operations_per_window
    assert split.ns_per_window == whole.ns_per_window  # ideal NLF: partial sums are free
    real = real_chip()
    data = real.model_dump()
    data["tile"].update(rows=32, cols=16)
    real_split = validate(type(real), data, "split")
    assert (
        simulate(w, real_design(real_split), windows=1).result().ns_per_window
        > simulate(w, real_design(), windows=1).result().ns_per_window
    )


def test_steady_state_extrapolation_equals_full_simulation():
    w = make_workload(hidden=8, layers=2, vocab=3, steps=4)
    chip = real_design()
    estimate = simulate(w, chip, streams=2, max_windows=12)
    period = estimate.scheduler.period
    assert period is not None and len(estimate.scheduler.round_end) < 12
    full = simulate(w, chip, streams=2, windows=12)
    # Every window but the last is followed by another: the steady state predicts them exactly.
    assert [estimate.scheduler.completion(r) for r in range(11)] == full.scheduler.round_end[:11]
    # The last drains faster; the estimate accounts for it from a short full run of the same phase.
    assert estimate.rounds_completion(12) == full.scheduler.round_end[-1]
    assert estimate.rounds_completion(13) == simulate(w, chip, streams=2, windows=13).scheduler.round_end[-1]
    # Per-window figures of the steady state are those of the tail of the full run.
    r = estimate.result()
    tail = full.scheduler.round_end[-2] - full.scheduler.round_end[-2 - period.rounds]
    assert r.ns_per_window == pytest.approx(tail / period.rounds / 2)
    assert r.steady_state.periodic


def test_memory_overflow_is_an_error_finding():
    data = real_chip().model_dump()
    data["memory"]["capacity_bytes"] = 50  # one step needs 24 + 40 (lstm1) + 12 + 12 (softmax)
    small = validate(type(real_chip()), data, "small")
    with pytest.raises(MappingError, match=r"memory.capacity_bytes.*needs at least \d+ bytes.*= 50"):
        simulate(make_workload(), real_design(small), windows=1)
    r = simulate(make_workload(), real_design(small), windows=1, check_memory=False).result()
    assert not r.memory["fits"]
    assert [(f.level, f.field) for f in r.findings] == [("error", "memory.capacity_bytes")]


def test_paper_ideal_reaches_the_paper_throughput():
    w = load_workload("lstm2-512-wp")
    chip = Design(chip=load_chip("paper-ideal"), rpu=load_rpu("rpu-baseline"))
    one = simulate(w, chip).result()
    # Mapped model: 3,372,631 devices -> 84.32 TeraOps/s ideal (TIMING.md quotes 84.5 for 2048x1029).
    assert one.devices == 3_372_631
    assert one.ideal_peak_teraops_per_s == pytest.approx(2 * 3_372_631 / 80 / 1e3)
    assert one.teraops_per_s >= 0.98 * 84.5
    assert one.teraops_per_s == pytest.approx(83.21, abs=0.005)
    assert one.breakdown["busy"] + one.breakdown["dependency"] == pytest.approx(1.0)
    two = simulate(w, chip, streams=2).result()
    assert two.teraops_per_s >= 0.995 * 84.5
    assert two.teraops_per_s == pytest.approx(84.32, abs=0.005)
    assert two.peak_fraction == 1.0


@pytest.mark.parametrize("streams,windows", [(1, 2), (2, None), (3, None)])
def test_time_of_every_array_is_fully_accounted(streams, windows):
    w = make_workload(hidden=8, layers=2, vocab=3, steps=4)
    run = simulate(w, real_design(), streams=streams, windows=windows)
    for name, parts in reduce.breakdowns(run, reduce.measured(run)).items():
        assert sum(parts.values()) == pytest.approx(1.0), name
    r = run.result()
    assert r.breakdown["nlf"] > 0 and r.breakdown["link"] > 0  # the real chip's periphery shows up
    assert r.peak_fraction == pytest.approx(r.breakdown["busy"])


def test_trace_spans_never_overlap_on_a_unit():
    w = make_workload(hidden=8, layers=2, vocab=3, steps=4)
    run = simulate(w, real_design(), streams=2, windows=3)
    spans: dict[tuple, list] = {}
    for e in run.trace()["traceEvents"]:
        if e["ph"] == "X":
            assert e["dur"] > 0
            spans.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    assert len(spans) > 5
    for unit, items in spans.items():
        items.sort()
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(items, items[1:], strict=False)), unit


def test_epoch_is_the_extrapolated_completion_of_all_windows():
    w = make_workload(hidden=8, layers=1, vocab=3, steps=4)
    run = simulate(w, real_design(), streams=2)
    r = run.result()
    # 9,000 training characters in 2 streams of 4,500: (4,500 - 1) // 4 windows of 4 + 1 characters.
    assert r.windows_per_epoch == (9_000 // 2 - 1) // 4 and r.chars_per_epoch == r.windows_per_epoch * 4 * 2
    assert r.epoch_seconds == pytest.approx(run.rounds_completion(r.windows_per_epoch) * 1e-9)
    assert r.epoch_seconds == pytest.approx(r.windows_per_epoch * 2 * r.ns_per_window * 1e-9, rel=1e-3)


def test_extra_passes_cost_periphery_energy_and_show_in_dac_adc_use():
    w = make_workload(hidden=8, layers=1, vocab=3, steps=2)
    chip = real_chip()
    data = chip.model_dump()
    data["tile"]["dac"]["energy_per_conversion_pj"] = 1.0
    chip = real_design(validate(type(chip), data, "dac energy"))
    one = simulate(w, chip, windows=1).result()
    two = simulate(w, chip, windows=1, hook=lambda op: op.nominal if op.verb == "update" else 2).result()
    # lstm1 32 x 12 and softmax 3 x 9: forward drives 12 + 9 lines, backward 32 + 3, per step and pass.
    assert one.energy_pj_per_char["dac"] == pytest.approx(12 + 9 + 32 + 3)
    assert two.energy_pj_per_char["dac"] == pytest.approx(2 * one.energy_pj_per_char["dac"])
    # 3-bit DAC: 6 cycles per pass; 8 ADCs of 5 cycles: forward 32 outputs = 4 rounds.
    run = simulate(w, chip, windows=1)
    u = run.result().utilization
    span = run.scheduler.round_end[-1]
    assert u["tile0.dac"] == pytest.approx(2 * 2 * 6 / span)
    assert u["tile0.adc"] == pytest.approx(2 * (4 * 5 + 2 * 5) / span)
    assert u["tile0"] > u["tile0.dac"] + u["tile0.adc"]


def test_breakdown_adds_up_without_an_exact_period():
    """Several streams on the baseline chip find no exact period: the figures are taken over the
    middle half of the run, and each array's time still adds up to 100 % and matches the rate."""
    design = Design(chip=load_chip("baseline"), rpu=load_rpu("rpu-baseline"))
    run = simulate(load_workload("lstm2-512-wp"), design, streams=4)
    result = run.result()
    assert not result.steady_state.periodic
    for name, shares in result.breakdown_by_array.items():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9), name
    assert 0 < result.peak_fraction <= 1
    # Busy share of the busiest array and the completion rate measure the same thing.
    assert result.breakdown["busy"] == pytest.approx(result.peak_fraction, abs=0.02)


def _mvm_cycles(design, verb="f_mvm"):
    w = make_workload(hidden=8, layers=1, vocab=3, steps=1)  # lstm1 32 x 12
    g = build_window_graph(map_workload(w, design.chip), design)
    return g.nodes[verb, "lstm1", 0, 0]["cycles"]


def test_the_rpu_preset_states_the_resolutions_the_chip_times():
    """One home per fact: the DAC and ADC resolutions of each direction and BL come from the RPU
    configuration; the real chip's 2 ns slots, 10 ns integration, 8 ADCs of 1 ns steps, 2 ns update
    slots turn them into cycles (lstm1 is 32 x 12: forward converts 32 outputs in 4 rounds,
    backward 12 in 2)."""
    chip = real_chip()
    base = Design(chip=chip, rpu=make_rpu(inp_bits=3, out_bits=5, bl=4))
    assert _mvm_cycles(base) == 3 * 2 + 10 + 4 * 5
    assert _mvm_cycles(base, "b_mvm") == 3 * 2 + 10 + 2 * 5
    assert _mvm_cycles(base, "u_mvm") == 4 * 2
    wider = Design(chip=chip, rpu=make_rpu(inp_bits=5, out_bits=9, bl=10))
    assert _mvm_cycles(wider) == 15 * 2 + 10 + 4 * 9
    assert _mvm_cycles(wider, "u_mvm") == 10 * 2
    # Forward and backward each use their own resolutions.
    data = base.rpu.model_dump()
    data["backward"].update(inp_bits=7, out_bits=4)
    mixed = Design(chip=chip, rpu=validate(type(base.rpu), data, "mixed"))
    assert _mvm_cycles(mixed) == _mvm_cycles(base)
    assert _mvm_cycles(mixed, "b_mvm") == 63 * 2 + 10 + 2 * 4


def test_seven_dac_bits_are_slower_than_five_on_the_baseline_chip():
    w = load_workload("lstm2-64-wp")
    five = simulate(w, Design(chip=load_chip("baseline"), rpu=load_rpu("rpu-baseline")), windows=2)
    seven = simulate(w, Design(chip=load_chip("baseline"), rpu=load_rpu("rpu-7bit")), windows=2)
    assert five.result().rpu == "rpu-baseline" and seven.result().rpu == "rpu-7bit"
    assert seven.result().ns_per_char > five.result().ns_per_char
    assert seven.result().operations_per_window == five.result().operations_per_window


def test_the_bl_a_hook_picks_sets_the_update_time_and_energy():
    """BL management: the co-simulation's hook returns each update's BL; the update takes
    BL x slot and drives BL pulses on each of its lines."""
    w = make_workload(hidden=8, layers=1, vocab=3, steps=1)
    data = real_chip().model_dump()
    data["tile"]["energy_update_pulse_pj"] = 1.0
    design = real_design(validate(type(real_chip()), data, "pulse energy"))

    def short_updates(op: ArrayOp) -> int:
        return 1 if op.verb == "update" else op.nominal

    fixed = simulate(w, design, windows=1)
    short = simulate(w, design, windows=1, hook=short_updates)
    rec_fixed, rec_short = fixed.scheduler.records[0, 0], short.scheduler.records[0, 0]
    cg = fixed.scheduler.cg
    updates = [i for i in range(cg.n) if cg.verb[i] == "update"]
    assert [rec_fixed.end[i] - rec_fixed.start[i] for i in updates] == [4 * 2, 4 * 2]
    assert [rec_short.end[i] - rec_short.start[i] for i in updates] == [1 * 2, 1 * 2]
    # lstm1 32 x 12 and softmax 3 x 9: (32 + 12 + 3 + 9) lines, BL pulses each.
    assert fixed.result().energy_pj_per_char["update_pulses"] == pytest.approx(4 * (32 + 12 + 3 + 9))
    assert short.result().energy_pj_per_char["update_pulses"] == pytest.approx(1 * (32 + 12 + 3 + 9))


def test_a_floating_point_design_is_timed_with_no_periphery_and_says_so():
    w = make_workload(hidden=8, layers=1, vocab=3, steps=1)
    fp = Design(chip=real_chip(), rpu=load_rpu("fp"))
    assert _mvm_cycles(fp) == 10 and _mvm_cycles(fp, "u_mvm") == 1 * 2
    findings = simulate(w, fp, windows=1).result().findings
    assert [(f.level, f.field) for f in findings] == [("warning", "rpu")]
    assert "floating point" in findings[0].message


def test_simulate_checks_the_corpus_as_training_does(tmp_path):
    """The epoch comes from the corpus catalogue; a missing corpus or one of another vocabulary
    fails before anything is simulated, naming the workload and the field."""
    w = make_workload(vocab=3)
    with pytest.raises(ConfigError, match=r"workload 'lstm1-2-test': vocab_size: 4 does not match"):
        simulate(w.model_copy(update={"vocab_size": 4}), real_design(), windows=1)
    with pytest.raises(ConfigError, match=r"corpus: '/no/such.txt' is neither a built-in corpus"):
        simulate(w.model_copy(update={"corpus": "/no/such.txt"}), real_design(), windows=1)
    wp = load_workload("lstm1-64-wp")
    r = simulate(wp, Design(chip=load_chip("paper-ideal"), rpu=load_rpu("rpu-baseline"))).result()
    # The paper's split: 2,933,246 training characters, windows of 100 + 1 characters.
    assert r.windows_per_epoch == (2_933_246 - 1) // 100 == 29_332


def _figures_above_one(r) -> list[tuple[str, float]]:
    over = [(f"utilization.{u}", v) for u, v in r.utilization.items() if v > 1]
    over += [(f"breakdown.{a}", b["busy"] + b["extra_passes"]) for a, b in r.breakdown_by_array.items()]
    over = [(k, v) for k, v in over if v > 1]
    return over + ([("peak_fraction", r.peak_fraction)] if r.peak_fraction > 1 else [])


@pytest.mark.parametrize("streams", [1, 2, 3, 4])
@pytest.mark.parametrize(
    "workload,chip,rpu",
    [
        ("lstm1-64-wp", "baseline", "rpu-7bit"),
        ("lstm1-64-wp", "baseline", "rpu-baseline"),
        ("lstm1-64-wp", "paper-ideal", "rpu-baseline"),
        ("lstm2-64-wp", "paper-ideal", "rpu-baseline"),
    ],
)
def test_no_unit_is_busy_longer_than_the_measured_time(workload, chip, rpu, streams):
    """Every fraction of the measured time is at most 1, whichever way it was measured (one period,
    the middle half of a run that found no period). lstm1-64-wp on baseline with 7-bit inputs and
    3 and 4 streams finds no period within its budget and read 100.43 % before the figures were
    clipped to the measured interval."""
    r = simulate(
        load_workload(workload), Design(chip=load_chip(chip), rpu=load_rpu(rpu)), streams=streams
    ).result()
    assert _figures_above_one(r) == []
    assert [f for f in r.findings if f.level == "error"] == []


@pytest.mark.parametrize("streams,windows", [(1, 3), (2, None), (3, None), (4, None), (4, 3)])
def test_no_figure_above_one_on_the_contended_test_chip(streams, windows):
    w = make_workload(hidden=8, layers=2, vocab=3, steps=4)
    r = simulate(w, real_design(), streams=streams, windows=windows).result()
    assert _figures_above_one(r) == []


def test_middle_half_counts_the_work_done_in_the_interval():
    """Without a period, a saturated array works 100 % of the interval; the windows completing in it
    would claim more (its windows started before the interval), which is what read 100.43 %."""
    run = simulate(
        load_workload("lstm1-64-wp"), Design(chip=load_chip("baseline"), rpu=load_rpu("rpu-7bit")), streams=4
    )
    m = reduce.measured(run)
    assert m.how == "middle half" and (m.lo, m.hi) == (run.scheduler.round_end[1], run.scheduler.round_end[5])
    r = run.result()
    assert r.utilization["tile1"] == 1.0 and r.peak_fraction == 1.0
    assert 0 < r.utilization["tile1.dac"] + r.utilization["tile1.adc"] < r.utilization["tile1"]
    assert len(m.rounds) * 4 * 21_600 > m.span  # whole windows would not fit the interval
    assert reduce.windows_measured(run, m) == pytest.approx(m.span / 21_600)
    assert "middle half" in r.steady_state.note and "whole" not in r.steady_state.note


def test_the_note_says_how_the_figures_were_measured():
    w = make_workload(hidden=8, layers=2, vocab=3, steps=4)
    full = simulate(w, real_design(), streams=2, windows=3).result().steady_state
    assert not full.periodic and full.note.startswith("figures over the whole simulated run of 3 window(s)")
    periodic = simulate(w, real_design(), streams=2).result().steady_state
    assert periodic.periodic and "over one period" in periodic.note


def test_a_figure_above_one_is_an_error_finding():
    m = Measured("middle half", [2, 3], 100, 300)
    found = impossible_figures({"tile0": 1.004, "tile0.dac": 0.5, "nlf0": 1.0}, 1.002, m)
    assert [(f.level, f.field) for f in found] == [("error", "utilization.tile0"), ("error", "peak_fraction")]
    assert "100.40 %" in found[0].message and "middle half" in found[0].message
    assert impossible_figures({"tile0": 1.0}, 1.0, m) == []
