"""The reductions: actions counted from the records times the pure costs, against hand counts; the
trace's categories and structured arguments."""

from __future__ import annotations

from collections import Counter

import pytest
from chip_factories import ideal_design, make_workload, real_chip, real_design

from archsim.chip import reduce, simulate
from archsim.config.errors import validate

# make_workload(): lstm1 is 4m x (m + n + 1) = 8 x 6, the softmax V x (m + 1) = 3 x 3.
LSTM, SOFTMAX = (8, 6), (3, 3)


def _counts(run):
    m = reduce.measured(run)
    return reduce.action_counts(run, reduce.measured_records(run, m)), len(m.rounds) * run.scheduler.streams


def test_one_window_holds_one_array_cycle_of_each_kind_per_step():
    run = simulate(make_workload(), ideal_design(), windows=1)
    counts, windows = _counts(run)
    tiles = Counter({tuple(a): n for a, n in counts.items() if a.unit.startswith("tile")})
    assert tiles == {  # an update's "passes" is the BL of its pulse trains (the design's: 10)
        ("tile0", "forward", LSTM, 1, "lstm1"): 1,
        ("tile0", "backward", LSTM, 1, "lstm1"): 1,
        ("tile0", "update", LSTM, 10, "lstm1"): 1,
        ("tile1", "forward", SOFTMAX, 1, "softmax"): 1,
        ("tile1", "backward", SOFTMAX, 1, "softmax"): 1,
        ("tile1", "update", SOFTMAX, 10, "softmax"): 1,
    }
    assert reduce.operations_per_window(counts, windows) == 3 * 2 * (8 * 6 + 3 * 3)


def test_extra_passes_are_actions_of_their_own_and_add_no_operations():
    run = simulate(
        make_workload(), ideal_design(), windows=1, hook=lambda op: 3 if op.verb == "forward" else op.nominal
    )
    counts, windows = _counts(run)
    assert counts[reduce.Action("tile0", "forward", LSTM, 3, "lstm1")] == 1
    assert counts[reduce.Action("tile0", "forward", LSTM, 1, "lstm1")] == 0
    assert reduce.operations_per_window(counts, windows) == 342


def _priced_chip():
    """real_design with one price per action kind, so that each energy component counts one thing
    (an ADC conversion of the design's 5 bits costs 2^5 steps of 10/32 pJ: 10 pJ)."""
    data = real_chip().model_dump()
    data["tile"].update(energy_mvm_per_device_pj=1.0, energy_update_per_device_pj=2.0)
    data["tile"]["dac"]["energy_per_conversion_pj"] = 1.0
    data["tile"]["adc"]["energy_per_step_pj"] = 10.0 / 32
    data["nlf"]["energy_per_element_op_pj"] = 1.0
    data["memory"]["energy_per_byte_pj"] = 1.0
    return real_design(validate(type(real_chip()), data, "priced"))


def test_energy_and_traffic_by_hand_over_a_period_of_two_streams():
    """Per step: forward drives the 6 + 3 columns and converts the 8 + 3 rows, backward the other
    way round; NLF forward 9m + 4V, backward 20m elements; memory (32-bit values) written: x and the
    saved state (24 + 40, 12 + 12) and the lstm deltas (32); read: the saved state (40, 12), then
    x with the deltas for the update (24 + 32, 12 + 12)."""
    run = simulate(make_workload(steps=2), _priced_chip(), streams=2)
    r = run.result()
    assert r.steady_state.periodic
    per_char = r.energy_pj_per_char
    assert per_char["array"] == pytest.approx(2 * (48 + 9) + 2 * (48 + 9))  # fwd + bwd, update 2 pJ
    assert per_char["dac"] == pytest.approx((6 + 3) + (8 + 3))
    assert per_char["adc"] == pytest.approx(10 * ((8 + 3) + (6 + 3)))
    assert per_char["nlf"] == pytest.approx(9 * 2 + 4 * 3 + 20 * 2)
    assert per_char["memory"] == pytest.approx((64 + 24 + 32) + (40 + 12 + 56 + 24))
    assert r.memory["bytes_written_per_window"] == 2 * 120
    assert r.memory["bytes_read_per_window"] == 2 * 132
    # Energy, operations and traffic come from one table of actions.
    counts, windows = _counts(run)
    assert r.operations_per_window == reduce.operations_per_window(counts, windows)
    assert windows == 2 * len(reduce.measured(run).rounds)


def test_converter_time_is_clipped_pass_by_pass_to_the_middle_half():
    """The DAC and ADC shares count the cycles of encoding and conversion of every pass that lie
    in the measured interval, also of the MVMs across its ends (checked cycle by cycle)."""
    w = make_workload(hidden=8, layers=2, vocab=3, steps=4)
    hook = lambda op: op.nominal if op.verb == "update" else 1 + op.window % 2  # noqa: E731
    run = simulate(w, real_design(), streams=2, max_windows=8, hook=hook)
    m = reduce.measured(run)
    assert m.how == "middle half"
    u = reduce.utilization(run, m)
    cg, timing = run.scheduler.cg, run.chip.tiles[0].timing
    for k, tile in enumerate(run.chip.tiles):
        unit = run.chip.index[tile.name]
        dac, adc = set(), set()
        for rec in run.scheduler.records.values():
            for i in range(cg.n):
                if cg.unit[i] != unit or cg.verb[i] == "update" or rec.end[i] < 0:
                    continue
                d = 0 if cg.verb[i] == "forward" else 1
                conv = timing.conversion_cycles(d, cg.args[i][d])
                enc = timing.encode_cycles[d]
                cycle = enc + timing.integrate_cycles + conv
                for p in range(rec.passes[i]):
                    t = rec.start[i] + p * cycle
                    dac.update(c for c in range(t, t + enc) if m.lo <= c < m.hi)
                    adc.update(c for c in range(t + cycle - conv, t + cycle) if m.lo <= c < m.hi)
        assert u[f"tile{k}.dac"] == len(dac) / m.span and u[f"tile{k}.adc"] == len(adc) / m.span
        assert 0 < u[f"tile{k}.dac"] + u[f"tile{k}.adc"] < u[f"tile{k}"] <= 1


def test_trace_events_carry_category_and_structured_args():
    run = simulate(make_workload(hidden=8, layers=2, vocab=3, steps=4), real_design(), streams=2, windows=2)
    spans = [e for e in run.trace()["traceEvents"] if e["ph"] == "X"]
    assert {e["cat"] for e in spans} == {"forward", "backward", "update", "transfer", "nlf", "memory"}
    for e in spans:
        a = e["args"]
        stream, head, array, step = e["name"].split()  # two streams: the name starts with the stream
        assert stream == f"s{a['stream']}"
        assert (a["array"], f"t{a['step']}") == (array, step)
        assert a["phase"] == {"f": "forward", "b": "backward", "u": "update"}[head[0]]
        assert a["stream"] in (0, 1) and a["window"] in (0, 1)
        if head.endswith("_mvm"):
            assert e["cat"] == a["phase"]
    names = {(e["name"], e["cat"]) for e in spans}
    assert ("s0 b_nlf lstm1 t3", "nlf") in names and ("s1 f_store lstm2 t0", "memory") in names


def test_energy_by_layer_adds_up_to_energy_by_component():
    """Every action is charged to the array it works for; the tiles' leakage to their array, the
    NLF units' and memory's to "shared": the layers' totals add up to the chip's total."""
    run = simulate(make_workload(hidden=8, layers=2, vocab=3, steps=4), _priced_chip(), streams=2)
    r = run.result()
    by = r.energy_pj_per_char_by_array
    assert set(by) == {"lstm1", "lstm2", "softmax", "shared"}
    assert sum(parts["total"] for parts in by.values()) == pytest.approx(r.energy_pj_per_char["total"])
    for component, value in r.energy_pj_per_char.items():
        if component != "total":
            assert sum(parts.get(component, 0.0) for parts in by.values()) == pytest.approx(value), component
    # lstm1 is 32 x 12: forward and backward array energy 2 x 384 per step, update 2 x 384 (priced 1, 2).
    assert by["lstm1"]["array"] == pytest.approx(2 * 384 + 2 * 384)
