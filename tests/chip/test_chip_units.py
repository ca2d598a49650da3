"""Scenario tests per unit: a known sequence of requests gives a known log of cycles. The units keep
no counts; what they did is counted from the records (tests/chip/test_chip_reduce.py)."""

from __future__ import annotations

import simpy
from chip_factories import ideal_chip, real_chip, real_design

from archsim.chip import costs
from archsim.chip.units import ActivationMemory, Link, NLFUnit, RPUTile


def _run(env, log, name, gen, at=0):
    def proc():
        if at:
            yield env.timeout(at)
        start = yield from gen
        log.append((name, start, env.now))

    env.process(proc())


def test_cycle_parts_follow_the_spec():
    # 3-bit DAC: 2^2 - 1 = 3 slots of 2 ns; 10 ns integration; 8 ADCs of 5 ns per round.
    design = real_design()
    t = costs.TileTiming.of(design.chip.tile, costs.Periphery.of(design.rpu), 1.0)
    assert (t.encode_cycles, t.integrate_cycles, t.conversion_round_cycles) == ((6, 6), 10, (5, 5))
    assert t.mvm_cycles(0, 10) == 6 + 10 + 5 * 2
    assert t.mvm_cycles(1, 16, passes=2) == 2 * (6 + 10 + 5 * 2)
    assert t.update_cycles() == 4 * 2 and t.update_cycles(1) == 2
    assert costs.input_slots(7) == 4 * costs.input_slots(5) + 3  # 63 vs 15: "7 bits is 4x 5 bits"
    assert costs.ns_to_cycles(80, 1.0) == 80 and costs.ns_to_cycles(0.5, 1.0) == 1
    assert costs.ns_to_cycles(80, 0.8) == 64


def test_tile_serves_requests_in_order_with_known_cycles():
    design = real_design()
    periphery = costs.Periphery.of(design.rpu)
    env = simpy.Environment()
    timing = costs.TileTiming.of(design.chip.tile, periphery, 1.0)
    tile = RPUTile(env, "tile0", design.chip.tile, timing)
    log = []
    _run(env, log, "fwd", tile.forward(10, 8))  # 6 + 10 + 2 rounds x 5 = 26
    _run(env, log, "bwd", tile.backward(10, 8), at=3)  # 8 outputs: 1 round: 21
    _run(env, log, "fwd2", tile.forward(10, 8, passes=2), at=5)  # 52
    _run(env, log, "upd", tile.update(10, 8), at=5)  # 8
    env.run()
    assert log == [("fwd", 0, 26), ("bwd", 26, 47), ("fwd2", 47, 99), ("upd", 99, 107)]


def test_nlf_unit_stages_and_queueing():
    chip = real_chip()
    env = simpy.Environment()
    nlf = NLFUnit(env, "nlf0", costs.NLFTiming.of(chip))
    work = (("sigmoid", 10), ("multiply", 3))  # (2 + ceil(10/4)) + (1 + ceil(3/4)) = 5 + 2
    log = []
    _run(env, log, "a", nlf.activate(work))
    _run(env, log, "b", nlf.accumulate(costs.accumulate_work(9)), at=1)  # add latency 0: ceil(9/4) = 3
    env.run()
    assert log == [("a", 0, 7), ("b", 7, 10)]


def test_ideal_units_take_no_time():
    chip = ideal_chip()
    env = simpy.Environment()
    nlf = NLFUnit(env, "nlf0", costs.NLFTiming.of(chip))
    link = Link(env, "l", costs.TransferTiming.of(chip.links.tile_nlf, 1.0))
    log = []
    _run(env, log, "n", nlf.activate(costs.lstm_forward_work(512)))
    _run(env, log, "l", link.transfer(10**6))
    env.run()
    assert log == [("n", 0, 0), ("l", 0, 0)]
    assert nlf.resource is None and link.resource is None


def test_link_and_memory_transfers():
    chip = real_chip()
    env = simpy.Environment()
    link = Link(env, "link", costs.TransferTiming.of(chip.links.tile_nlf, 1.0))  # 32 B/cycle + 1
    mem = ActivationMemory(env, "memory", costs.TransferTiming.of(chip.memory, 1.0), 1 << 20)  # 16 B/c + 2
    log = []
    _run(env, log, "x1", link.transfer(100))  # 1 + ceil(100/32) = 5
    _run(env, log, "x2", link.transfer(32))  # 1 + 1 = 2
    _run(env, log, "s1", mem.store(64, 64))  # 2 + 4 = 6
    _run(env, log, "s2", mem.store(32, 32))  # 2 + 2 = 4
    _run(env, log, "l1", mem.load(64, 64), at=1)  # 6, after s2
    env.run()
    assert log == [("x1", 0, 5), ("s1", 0, 6), ("x2", 5, 7), ("s2", 6, 10), ("l1", 10, 16)]
    assert (mem.peak_bytes, mem.occupancy_bytes) == (96, 32)  # state the unit keeps; counts: reduce
