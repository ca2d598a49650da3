"""Mapping, splitting, the window graph and the counting rule, without SimPy."""

from __future__ import annotations

import pytest
from chip_factories import ideal_chip, ideal_design, make_workload

from archsim.chip import MappingError, build_window_graph, critical_path, map_workload, operation_counts


def test_one_tile_one_layer_one_step_counting_rule():
    w = make_workload(hidden=2, layers=1, vocab=3, steps=1)  # lstm1 8 x 6, softmax 3 x 3
    m = map_workload(w, ideal_chip())
    assert [(a.name, a.rows, a.cols, len(a.slices)) for a in m.arrays] == [
        ("lstm1", 8, 6, 1),
        ("softmax", 3, 3, 1),
    ]
    g = build_window_graph(m, ideal_design())
    counts = operation_counts(g)
    assert (counts["forward"], counts["backward"], counts["update"]) == (2, 2, 2)
    # Forward, backward and update each do 2*r*c operations on both arrays.
    assert counts["operations"] == 3 * 2 * (8 * 6 + 3 * 3) == 342
    # lstm1 forward, softmax forward, softmax backward, lstm1 backward, lstm1 update: 5 x 80 cycles.
    cycles, path = critical_path(g)
    assert cycles == 400
    assert [k[0] for k in path if k[0].endswith("_mvm")] == ["f_mvm", "f_mvm", "b_mvm", "b_mvm", "u_mvm"]


def test_operations_scale_with_steps_and_layers():
    w = make_workload(hidden=4, layers=2, vocab=5, steps=7)
    g = build_window_graph(map_workload(w, ideal_chip()), ideal_design())
    devices = 16 * (4 + 5 + 1) + 16 * (4 + 4 + 1) + 5 * 5
    assert operation_counts(g)["operations"] == 3 * 2 * devices * 7
    assert operation_counts(g)["activate"] == 7 * 3 + 7 * 2  # forward NLF of 3 arrays, backward of 2 LSTMs


def test_split_layer_over_tiles_with_partial_sums():
    w = make_workload(hidden=16, layers=1, vocab=5, steps=2)  # lstm1 64 x 22, softmax 5 x 17
    design = ideal_design(rows=32, cols=16)
    m = map_workload(w, design.chip)
    lstm, soft = m.arrays
    assert (lstm.row_blocks, lstm.col_blocks) == (2, 2)
    assert [(s.rows, s.cols) for s in lstm.slices] == [(32, 16), (32, 6), (32, 16), (32, 6)]
    assert (soft.row_blocks, soft.col_blocks) == (1, 2) and [s.cols for s in soft.slices] == [16, 1]
    assert m.tiles_used == 6 and len({s.tile for a in m.arrays for s in a.slices}) == 6
    g = build_window_graph(m, design)
    # The counting rule over the used regions equals the unsplit count.
    assert operation_counts(g)["operations"] == 3 * 2 * (64 * 22 + 5 * 17) * 2
    # Forward partial sums of the 2 column blocks, backward partial sums of the 2 row blocks.
    assert g.nodes["f_acc", "lstm1", 0]["args"][0] == (("add", 64),)
    assert g.nodes["b_acc", "lstm1", 0]["args"][0] == (("add", 22),)
    assert g.nodes["f_acc", "softmax", 1]["args"][0] == (("add", 5),)
    assert ("b_acc", "softmax", 0) not in g
    # Every tile of the array computes in parallel, fed by one transfer.
    assert sorted(k[3] for k in g.successors(("f_in", "lstm1", 0))) == [0, 1, 2, 3]


def test_layer_that_cannot_be_mapped_names_field_and_limit():
    w = make_workload(hidden=16, layers=2, vocab=5)
    with pytest.raises(MappingError) as e:
        map_workload(w, ideal_chip(rows=32, cols=16, count=5))
    msg = str(e.value)
    assert "tile.count" in msg and "needs 12 tiles" in msg and "tile.count = 5" in msg
    assert "lstm2 64x33 needs 6" in msg
