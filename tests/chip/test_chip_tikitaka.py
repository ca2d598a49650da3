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
from archsim.config import load_chip, load_workload
from archsim.config.design import Design


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


def test_tiki_taka_is_refused_where_its_chip_cost_is_not_modelled():
    chip = load_chip("baseline")
    with pytest.raises(MappingError, match=r"'cnn2-fmnist': algorithm: the chip cost of Tiki-Taka"):
        map_workload(load_workload("cnn2-fmnist"), chip, arrays_per_weight=2)
    assert map_workload(load_workload("cnn2-fmnist"), chip).tiles_used > 0  # plain SGD maps
    lstm = load_workload("lstm1-64-wp")
    assert len(map_workload(lstm, chip, arrays_per_weight=2).arrays[0].fast_slices) > 0
