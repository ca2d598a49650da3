"""The flat CSV export of a co-simulation (the session's tiny ``archsim cosim`` run)."""

from __future__ import annotations

from archsim.results import csv_text, figure_rows, load_result


def test_a_cosim_result_exports_its_chip_and_training_figures(cosim_dir):
    result = load_result(cosim_dir / "result.json")
    rows = {name: (value, unit) for name, value, unit, _ in figure_rows(result)}
    assert rows["chip.ns_per_char"] == (repr(result.chip.ns_per_char), "ns/char")
    assert rows["train.test_ce"] == (repr(result.train.test_ce), "nats/char")
    last = len(result.train.curve) - 1
    assert rows[f"train.curve.{last}.chip_seconds"] == (repr(result.train.curve[-1].chip_seconds), "s")
    assert rows["timing_only.slowdown_from_numerics"][1] == "ratio"
    assert rows["passes.0.array"][0] == result.passes[0].array
    text = csv_text(figure_rows(result))
    assert text.startswith("name,value,unit,description\n") and text.count("\n") == len(rows) + 1
