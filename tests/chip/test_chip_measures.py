"""What the 2019 measures cost the chip (chip/measures.py), counted by hand: the bias column off
the array, the digital scale and bias on the NLF unit."""

from __future__ import annotations

from chip_factories import ideal_chip, ideal_design, make_rpu, make_workload

from archsim.chip import build_window_graph, costs, map_workload, measures, operation_counts
from archsim.config.design import Design
from archsim.config.rpu import MeasuresConfig


def _design(omega, bias) -> Design:
    rpu = make_rpu().model_copy(
        update={"measures": MeasuresConfig(weight_scaling_omega=omega, digital_bias=bias)}
    )
    return Design(chip=ideal_chip(), rpu=rpu)


def test_digital_bias_maps_the_arrays_without_their_bias_column():
    w = make_workload(hidden=2, layers=1, vocab=3, steps=1)  # lstm1 8 x 6, softmax 3 x 3
    m = map_workload(w, ideal_chip(), digital_bias=True)
    assert [(a.rows, a.cols) for a in m.arrays] == [(8, 5), (3, 2)]
    g = build_window_graph(m, _design(None, True))
    assert operation_counts(g)["operations"] == 3 * 2 * (8 * 5 + 3 * 2)


def test_the_digital_work_per_step_by_hand():
    w = make_workload(hidden=2, layers=1, vocab=3, steps=2)
    sgd = operation_counts(build_window_graph(map_workload(w, ideal_chip()), ideal_design()))
    both = _design(0.5, True)
    g = build_window_graph(map_workload(w, both.chip, digital_bias=True), both)
    # Per step and array: the backward scale and the bias update are NLF operations of their own.
    assert operation_counts(g)["activate"] == sgd["activate"] + 2 * 2 * 2
    lstm_forward = g.nodes["f_nlf", "lstm1", 0]["args"][0]
    assert lstm_forward == (("multiply", 8), ("add", 8)) + costs.lstm_forward_work(2)
    assert g.nodes["b_scale", "lstm1", 1]["args"][0] == (("multiply", 5),)
    assert g.nodes["u_bias", "softmax", 0]["args"][0] == (("multiply", 3), ("add", 3))
    # Scaling alone: the multiplies, no bias work and the bias column stays on the array.
    scaled = _design(0.5, False)
    assert measures.forward_work(scaled.rpu, 8) == (("multiply", 8),)
    assert measures.update_work(scaled.rpu, 8) == () and not measures.digital_bias(scaled.rpu)
    assert measures.forward_work(ideal_design().rpu, 8) == ()
