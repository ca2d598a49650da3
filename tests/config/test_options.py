"""Run options: one model per command, limits as field constraints, errors that name the field."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config import CosimOptions, OptionsError, SimulateOptions, TrainOptions
from archsim.sweep.spec import CosimCommand


@pytest.mark.parametrize(
    "options",
    [
        SimulateOptions(schedule="sequential", streams=4, max_windows=12),
        TrainOptions(epochs=0.5, eval_chars=1000, learning_rate=0.01, dropout=0.2, diverge_ce=9.0),
        CosimOptions(chars=400, streams=2, eval_every=None, init="runs/x/checkpoint.pkl", timing_only=False),
    ],
)
def test_options_dump_to_json_and_rebuild(options):
    data = options.model_dump(mode="json")
    assert type(options).model_validate(data) == options
    assert all(field.description for field in type(options).model_fields.values())


@pytest.mark.parametrize(
    ("model", "values", "expected"),
    [
        (TrainOptions, {"chars": 0}, "chars: expected a positive number, got 0"),
        (TrainOptions, {"eval_chars": 1}, "eval_chars: expected >= 2, got 1"),
        (TrainOptions, {"learning_rate": math.inf}, "learning_rate: expected a finite number, got inf"),
        (TrainOptions, {"learning_rate": -0.1}, "learning_rate: expected a positive number, got -0.1"),
        (TrainOptions, {"dropout": 1.0}, "dropout: expected >= 0 and < 1, got 1.0"),
        (TrainOptions, {"seed": -1}, "seed: expected >= 0, got -1"),
        (TrainOptions, {"chars": 10, "epochs": 2.0}, "epochs: give chars or epochs, not both"),
        (CosimOptions, {}, "chars: required"),
        (CosimOptions, {"chars": 10, "streams": 65}, "streams: expected >= 1 and <= 64, got 65"),
        (SimulateOptions, {"schedule": "eager"}, "schedule: unknown 'eager'; allowed: sequential, dataflow"),
        (
            SimulateOptions,
            {"stream": 2},
            "stream: unknown option; allowed: engine, max_windows, schedule, streams",
        ),
    ],
)
def test_values_out_of_limits_name_the_field(model, values, expected):
    with pytest.raises(OptionsError) as err:
        model(**values)
    assert expected in str(err.value)


def test_the_sweep_command_is_the_options_model_with_its_own_defaults():
    command = CosimCommand(chars=400)
    assert isinstance(command, CosimOptions) and command.kind == "cosim"
    assert (command.eval_chars, command.eval_every, command.timing_only) == (100_000, None, False)
    defaults = CosimOptions(chars=400)
    assert (defaults.eval_chars, defaults.eval_every, defaults.timing_only) == (None, "auto", True)


def test_the_options_module_is_pure_data():
    code = "import sys, archsim.config.options; print(any(m in sys.modules for m in ('simpy', 'numba')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["train", "lstm1-64-wp", "--rpu", "fp", "--dropout", "1"], 2, "--dropout: expected >= 0 and < 1"),
        (["train", "lstm1-64-wp", "--rpu", "fp", "--lr", "0"], 2, "--lr: expected a positive number"),
        (["cosim", "lstm1-64-wp", "--chip", "baseline", "--rpu", "fp", "--schedule", "eager"], 2,
         "--schedule: unknown 'eager'; allowed: sequential, dataflow"),
        (["simulate", "lstm1-64-wp", "--chip", "baseline", "--streams", "0"], 2, "--streams: expected >= 1"),
        (["simulate", "lstm1-64-wp", "--chip", "baseline", "--max-windows", "0"], 2, "--max-windows:"),
    ],
)  # fmt: skip
def test_cli_names_the_option_in_one_line(args, code, needle):
    result = CliRunner().invoke(app, [*args, "--no-progress"] if args[0] != "simulate" else args)
    assert result.exit_code == code, result.output
    assert needle in result.output and "Traceback" not in result.output
