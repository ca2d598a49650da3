"""What Tiki-Taka and TTv2 cost the chip (chip/tikitaka.py): two arrays per layer, the transfer
reads on A, the transfer updates on C and TTv2's buffer work, counted by hand."""

from __future__ import annotations

import pytest
from chip_factories import ideal_chip, ideal_design, make_rpu, make_workload

from archsim.chip import (
    MappingError,
    build_window_graph,
    critical_path,
    map_workload,
    operation_counts,
    tikitaka,
)
from archsim.chip.simulation import simulate
from archsim.config import load_chip, load_rpu, load_workload
from archsim.config.design import Design
from archsim.config.errors import validate
from archsim.config.workload import WorkloadConfig


def _design(kind: str, every: int, columns: int, **tile) -> Design:
    algorithm = {"kind": kind, "transfer_every": every, "columns_per_transfer": columns}
    rpu = make_rpu().model_copy(update={"algorithm": make_rpu().algorithm.model_validate(algorithm)})
    return Design(chip=ideal_chip(**tile), rpu=rpu)


def test_sgd_maps_one_array_per_layer_and_tiki_taka_two():
    w = make_workload(hidden=2, layers=1, vocab=3)  # lstm1 8 x 6, softmax 3 x 3
    assert tikitaka.arrays_per_weight(ideal_design().rpu) == 1
    design = _design("tiki-taka", 1, 1)
    assert tikitaka.arrays_per_weight(design.rpu) == 2
    sgd, tt = map_workload(w, ideal_chip()), map_workload(w, ideal_chip(), arrays_per_weight=2)
    assert (sgd.tiles_used, tt.tiles_used) == (2, 4) and tt.devices == 2 * sgd.devices
    tiles = [s.tile for a in tt.arrays for s in a.all_slices]
    assert len(set(tiles)) == 4 and all(a.fast_slices for a in tt.arrays)
    assert all(not a.fast_slices for a in sgd.arrays)


def test_transfer_operations_per_window_by_hand():
    # 4 steps, a transfer every 2 updates (after steps 1 and 3), 3 columns each: per array 2
    # transfers, 6 one-hot reads of A and 6 rank-1 updates of C, each on r x 1 devices (2r ops).
    w = make_workload(hidden=2, layers=1, vocab=3, steps=4)  # lstm1 8 x 6, softmax 3 x 3
    for kind in ("tiki-taka", "ttv2"):
        design = _design(kind, 2, 3)
        algorithm = design.rpu.algorithm
        assert tikitaka.transfer_steps(algorithm, 4) == [1, 3]
        assert tikitaka.counts_per_window(algorithm, 4, 8, 6)["reads"] == 6
        g = build_window_graph(map_workload(w, design.chip, arrays_per_weight=2), design)
        counts = operation_counts(g)
        sgd = operation_counts(build_window_graph(map_workload(w, design.chip), ideal_design()))
        assert (sgd["forward"], sgd["backward"], sgd["update"]) == (8, 8, 8)
        assert (counts["forward"], counts["backward"], counts["update"]) == (8 + 12, 8, 8 + 12)
        extra = 6 * 2 * (2 * 8 + 2 * 3)  # reads and updates of lstm1 (r = 8) and softmax (r = 3)
        assert counts["operations"] == sgd["operations"] + extra == 3 * 2 * (48 + 9) * 4 + 264
        # TTv2: one buffer operation on the NLF unit per read column: 3 multiplies, 3 adds per row.
        assert counts["activate"] == sgd["activate"] + (12 if kind == "ttv2" else 0)
        if kind == "ttv2":
            work = g.nodes[tikitaka.BUFFER, "lstm1", 1, 0]["args"][0]
            assert sorted(work) == sorted((("multiply", 8), ("add", 8)) * 3)
            assert tikitaka.counts_per_window(algorithm, 4, 8, 6)["nlf_elements"] == 6 * 48
        # The SGD updates run on A's tiles, forward and backward on C's, the transfers read A and write C.
        lstm = map_workload(w, design.chip, arrays_per_weight=2).arrays[0]
        (c,), (a,) = lstm.slices, lstm.fast_slices
        assert g.nodes["u_mvm", "lstm1", 0, a.tile]["unit"] == f"tile{a.tile}"
        assert ("u_mvm", "lstm1", 0, c.tile) not in g and ("f_mvm", "lstm1", 0, c.tile) in g
        assert g.nodes[tikitaka.READ, "lstm1", 1, 0, a.tile]["args"] == (8, 1)
        assert g.nodes[tikitaka.WRITE, "lstm1", 3, 2, c.tile]["args"] == (8, 1)


def test_the_reads_and_writes_go_to_the_tiles_holding_the_column():
    # Tiles of 4 columns: lstm1 (8 x 6) splits into column blocks of 4 and 2. The first transfer
    # reads columns 0, 1, 2 (block 0); the second 3 (block 0), 4 and 5 (block 1).
    w = make_workload(hidden=2, layers=1, vocab=3, steps=2)
    design = _design("tiki-taka", 1, 3, cols=4)
    lstm = map_workload(w, design.chip, arrays_per_weight=2).arrays[0]
    g = build_window_graph(map_workload(w, design.chip, arrays_per_weight=2), design)
    fast = {s.col_block: s.tile for s in lstm.fast_slices}
    slow = {s.col_block: s.tile for s in lstm.slices}
    read_tiles = [k[4] for k in g if k[0] == tikitaka.READ and k[1] == "lstm1" and k[2] == 1]
    write_tiles = [k[4] for k in g if k[0] == tikitaka.WRITE and k[1] == "lstm1" and k[2] == 1]
    assert read_tiles == [fast[0], fast[1], fast[1]] and write_tiles == [slow[0], slow[1], slow[1]]
    assert g.nodes[tikitaka.READ, "lstm1", 1, 1, fast[1]]["args"] == (8, 1)


def test_one_step_critical_path_adds_a_read_and_a_write():
    # The ideal chip: 80-cycle array operations, everything else free. SGD: lstm1 forward, softmax
    # forward, softmax backward, lstm1 backward, lstm1 update = 400 cycles; Tiki-Taka with a
    # transfer after the update: + the read of A and the update of C, 560.
    w = make_workload(hidden=2, layers=1, vocab=3, steps=1)
    design = _design("tiki-taka", 1, 1)
    g = build_window_graph(map_workload(w, design.chip, arrays_per_weight=2), design)
    assert critical_path(g)[0] == 400 + 80 + 80
    sgd = simulate(w, ideal_design(), windows=1).result()
    tt = simulate(w, design, windows=1).result()
    assert tt.ns_per_window > sgd.ns_per_window
    assert sum(len(a.tiles) for a in tt.arrays) == 2 * sum(len(a.tiles) for a in sgd.arrays)


def _tt(design: Design, kind: str = "tiki-taka", every: int = 1, columns: int = 1) -> Design:
    algorithm = {"kind": kind, "transfer_every": every, "columns_per_transfer": columns}
    rpu = design.rpu.model_copy(update={"algorithm": design.rpu.algorithm.model_validate(algorithm)})
    return Design(chip=design.chip, rpu=rpu)


def test_an_image_network_transfers_after_every_position_by_hand():
    """cnn2-fmnist on paper-ideal, one operation at a time (every array cycle 80 ns, the rest free):
    SGD takes 1,350 array cycles per image (tests/chip/test_chip_images.py); Tiki-Taka with a
    transfer of one column after every rank-1 update adds, per update, a read of A and a write of
    C: 576 + 64 + 1 + 1 = 642 updates, (1,350 + 2 x 642) x 80 = 210,720 ns per image."""
    w = load_workload("cnn2-fmnist")
    design = _tt(Design(chip=load_chip("paper-ideal"), rpu=load_rpu("rpu-baseline")))
    run = simulate(w, design, schedule="sequential", windows=1)
    r = run.result()
    assert r.ns_per_sample == (1350 + 2 * 642) * 80 == 210_720
    # Each read and each write drives one column: 2 r operations on r x 1 devices.
    extra = 2 * 2 * (16 * 576 + 32 * 64 + 128 + 10)
    assert r.operations_per_window == 6_287_676 + extra == 6_333_284
    g = run.graph
    k1 = run.mapping.arrays[0]
    (c,), (a,) = k1.slices, k1.fast_slices
    # K1 (16 x 26): the p-th transfer reads column p mod 26 of A and writes it into C.
    assert g.nodes["u_mvm", "K1", 575, a.tile]["unit"] == f"tile{a.tile}"
    assert g.nodes[tikitaka.READ, "K1", 575, 0, a.tile]["args"] == (16, 1)
    assert g.nodes[tikitaka.WRITE, "K1", 575, 0, c.tile]["unit"] == f"tile{c.tile}"
    assert tikitaka.transfer_columns(design.rpu.algorithm, 575, k1.cols) == [575 % 26]
    # A's next update waits for the read; the next image's forward on C waits for the last write.
    assert g.has_edge((tikitaka.READ, "K1", 574, 0, a.tile), ("u_mvm", "K1", 575, a.tile))
    assert ((tikitaka.WRITE, "K1", 575, 0, c.tile), ("f_mvm", "K1", 0, c.tile)) in g.graph["carry"]


def test_an_lstm_window_waits_for_the_last_transfer_into_c():
    # 2 steps, a transfer after each: the next window's first forward on C's tile follows the
    # write of the transfer after step 1, not A's update.
    w = make_workload(hidden=2, layers=1, vocab=3, steps=2)
    design = _design("tiki-taka", 1, 1)
    g = build_window_graph(map_workload(w, design.chip, arrays_per_weight=2), design)
    (c,) = map_workload(w, design.chip, arrays_per_weight=2).arrays[0].slices
    assert ((tikitaka.WRITE, "lstm1", 1, 0, c.tile), ("f_mvm", "lstm1", 0, c.tile)) in g.graph["carry"]


@pytest.mark.parametrize(
    ("workload", "every", "message"),
    [
        (
            "cnn2-fmnist",
            2,
            "algorithm.transfer_every: 2 does not divide the 1 rank-1 updates per window of array "
            "'W3', so the chip model cannot charge its transfers per window; allowed: 1",
        ),
        (
            "lstm-steps-4",
            3,
            "does not divide the 4 rank-1 updates per window of array 'lstm1'.*allowed: 1, 2, 4$",
        ),
    ],
)
def test_a_transfer_period_that_does_not_divide_the_window_is_refused(workload, every, message):
    if workload == "lstm-steps-4":
        w, design = make_workload(hidden=2, layers=1, vocab=3, steps=4), _design("ttv2", every, 1)
    else:
        w = load_workload(workload)
        design = _tt(Design(chip=load_chip("baseline"), rpu=load_rpu("rpu-baseline")), every=every)
    with pytest.raises(MappingError, match=message):
        simulate(w, design, windows=1)


def test_a_replicated_layer_with_tiki_taka_is_refused():
    chip = load_chip("baseline")
    data = load_workload("cnn2-fmnist").model_dump()
    data["model"]["layers"][0]["replicas"] = 2
    w = validate(WorkloadConfig, data, "cnn2 with replicas")
    with pytest.raises(MappingError, match=r"'cnn2-fmnist': replicas: a replicated layer with Tiki-Taka"):
        map_workload(w, chip, arrays_per_weight=2)
    assert (
        len(map_workload(load_workload("cnn2-fmnist"), chip, arrays_per_weight=2).arrays[0].fast_slices) == 1
    )
