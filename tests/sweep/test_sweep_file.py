"""Sweep files: points expanded and validated before anything runs; errors name the path."""

from __future__ import annotations

import pytest
from sweep_files import write_sweep

from archsim.config import ConfigError
from archsim.paths import WORKLOADS_DIR
from archsim.sweep import load_sweep
from archsim.sweep.report import pareto_front

GRID = """\
command: {kind: simulate, schedule: dataflow}
axes:
  chip.tile.adc.count_per_tile: [2, 8]
  command.streams: [1, 2, 3]
"""


def test_grid_expands_every_combination(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, GRID))
    assert len(sweep.points) == 6
    combos = {(p.config.chip.tile.adc.count_per_tile, p.config.command.streams) for p in sweep.points}
    assert combos == {(a, s) for a in (2, 8) for s in (1, 2, 3)}
    assert sweep.points[0].axis_values == {"chip.tile.adc.count_per_tile": 2, "command.streams": 1}
    assert sweep.points[0].config.chip.name == "small"  # the rest of the preset is kept


def test_point_ids_do_not_depend_on_axis_order(tmp_path):
    a = load_sweep(write_sweep(tmp_path, GRID, name="a"))  # the same presets and corpus for both
    swapped = GRID.replace(
        "  chip.tile.adc.count_per_tile: [2, 8]\n  command.streams: [1, 2, 3]\n",
        "  command.streams: [3, 2, 1]\n  chip.tile.adc.count_per_tile: [8, 2]\n",
    )
    b = load_sweep(write_sweep(tmp_path, swapped, name="b"))
    assert {p.point_id for p in a.points} == {p.point_id for p in b.points}


def test_preset_axis_and_zip_axis(tmp_path):
    sweep = load_sweep(
        write_sweep(
            tmp_path,
            """\
            command: {kind: simulate}
            axes:
              input:
                zip:
                  rpu: [rpu-baseline, rpu-7bit, rpu-5bit-sr]
                  rpu.backward.out_bits: [9, 9, 8]
                labels: [5-bit nearest, 7-bit nearest, 5-bit SR]
            """,
        )
    )
    got = [
        (p.axis_values["input"], p.config.rpu.name, p.config.rpu.forward.inp_bits,
         p.config.rpu.forward.inp_stochastic_round, p.config.rpu.backward.out_bits)
        for p in sweep.points
    ]  # fmt: skip
    assert got == [
        ("5-bit nearest", "rpu-baseline", 5, False, 9),
        ("7-bit nearest", "rpu-7bit", 7, False, 9),
        ("5-bit SR", "rpu-5bit-sr", 5, True, 8),
    ]


def test_a_hardware_fact_has_one_path(tmp_path):
    """The DAC resolution is the RPU preset's: the chip has no field for it, and the error says
    which fields the chip's DAC has."""
    body = """\
    command: {kind: simulate}
    axes:
      chip.tile.dac.bits: [5, 7]
    """
    with pytest.raises(ConfigError, match=r"chip.tile.dac.bits: unknown key 'bits'; allowed keys: "):
        load_sweep(write_sweep(tmp_path, body))


def test_random_sampling_is_reproducible_and_in_range(tmp_path):
    body = """\
    command: {kind: simulate}
    sampling: {kind: random, samples: 12, seed: 7}
    axes:
      chip.nlf.lanes: {low: 1, high: 64, log: true, integer: true}
      chip.tile.t_integration_ns: {low: 5.0, high: 50.0}
      command.streams: [1, 2]
    """
    first = load_sweep(write_sweep(tmp_path, body, name="a"))
    again = load_sweep(write_sweep(tmp_path, body, name="b"))
    assert [p.point_id for p in first.points] == [p.point_id for p in again.points]
    assert len(first.points) + first.duplicates == 12
    for p in first.points:
        assert isinstance(p.config.chip.nlf.lanes, int) and 1 <= p.config.chip.nlf.lanes <= 64
        assert 5.0 <= p.config.chip.tile.t_integration_ns <= 50.0
        assert p.config.command.streams in (1, 2)


@pytest.mark.parametrize(
    ("axes", "expected"),
    [
        (
            "chip.tile.adc.cout_per_tile: [4]",
            "unknown key 'cout_per_tile'; allowed keys: area_um2, count_per_tile, energy_per_step_pj",
        ),
        (
            "chip.tile.adc.count_per_tile: [4, 0]",
            "point 1 (chip.tile.adc.count_per_tile=0): chip.tile.adc.count_per_tile: Input",
        ),
        ("rpu.forward.inp_bits: [5, 1]", "rpu.forward.inp_bits: Input should be greater than or equal to 2"),
        ("command.streams: [0]", "command.streams: Input should be greater than or equal to 1"),
        (
            "command.streems: [2]",
            "streems: unknown key 'streems'; allowed keys: engine, kind, max_windows, schedule, streams, "
            "windows",
        ),
        ("rpu: [rpu-baseline, no-such-rpu]", "rpu: unknown RPU preset 'no-such-rpu'"),
        ("chip.tile.count: []", "axes.chip.tile.count: empty axis"),
        ("chp.tile.count: [1]", "axes.chp.tile.count: 'chp.tile.count' is not a configuration path"),
        ("chip.tile.rows.x: [1]", "chip.tile.rows is a value (64), not a section"),
        ("chip.nlf.lanes: {low: 1, high: 8}", "a range ({low, high}) needs sampling: {kind: random}"),
    ],
)
def test_bad_sweep_files_fail_before_running_naming_the_path(tmp_path, axes, expected):
    path = write_sweep(tmp_path, f"command: {{kind: simulate}}\naxes:\n  {axes}\n")
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_unknown_base_preset_and_bad_command(tmp_path):
    path = write_sweep(tmp_path, "command: {kind: simulate, schedule: zigzag}\n")
    with pytest.raises(ConfigError, match=r"command.schedule: Input should be 'sequential' or 'dataflow'"):
        load_sweep(path)
    path.write_text(path.read_text().replace("chip: small.yaml", "chip: no-such-chip"))
    with pytest.raises(ConfigError, match=r"base.chip: unknown chip preset 'no-such-chip'"):
        load_sweep(path)


def test_pareto_front_minimises_x_and_maximises_y():
    xs = [1.0, 2.0, 2.0, 3.0, 0.5, 4.0]
    ys = [5.0, 6.0, 4.0, 6.0, 1.0, 9.0]
    assert pareto_front(xs, ys) == [4, 0, 1, 5]


@pytest.mark.parametrize("path", sorted((WORKLOADS_DIR / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_example_sweeps_load(path):
    sweep = load_sweep(path)
    assert sweep.points and sweep.name == path.stem
