"""Property-based command lines: any mix of valid and hostile arguments to simulate, train, cosim,
report, rerun and compare ends with a documented exit status and, when it refuses, one line that
says so; never a traceback or an internal error, and nothing written outside the working folder.

Examples are drawn from a fixed seed (hypothesis' derandomize), so the suite is deterministic;
``ARCHSIM_HYPOTHESIS_EXAMPLES`` runs more of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from archsim.cli import app
from archsim.cli.errors import EXIT_DIVERGED, EXIT_FAILURE, EXIT_USAGE

WORKLOAD = """\
name: tiny
corpus: abc.txt
vocab_size: 3
model: {kind: lstm, hidden_size: 2, num_layers: 1}
training: {learning_rate: 0.1, bptt_steps: 4}
"""

#: Values an option may get: valid ones, out of range, not numbers, absurd, and paths.
NUMBERS = ["1", "2", "40", "0", "-3", "nan", "inf", "-inf", "1e300", "2**70", "1.5", "", "abc", "\x1b[31m"]
NAMES = ["rpu-baseline", "fp", "rpu-7bit", "baseline", "paper-ideal", "../../etc/passwd", "nope", "tiny.yaml",
         "missing.yaml", "/proc/x.yaml", "[red]x[/red]", "-"]  # fmt: skip
PATHS = ["out", "out/r.json", "tiny.yaml", "abc.txt", ".", "/proc/x/r.json", "deep/a/b/c.json", ""]

OPTIONS = {
    "simulate": {"--chip": NAMES, "--rpu": NAMES, "--streams": NUMBERS, "--windows": NUMBERS,
                 "--schedule": ["dataflow", "sequential", "pipelined", ""], "--json": PATHS, "--out": PATHS},
    "train": {"--rpu": NAMES, "--chars": NUMBERS, "--eval-chars": NUMBERS, "--seed": NUMBERS, "--lr": NUMBERS,
              "--dropout": NUMBERS, "--json": PATHS, "--out": PATHS},
    "cosim": {"--chip": NAMES, "--rpu": NAMES, "--chars": NUMBERS, "--streams": NUMBERS,
              "--eval-chars": NUMBERS, "--json": PATHS, "--out": PATHS},
}  # fmt: skip
WORKLOADS = ["tiny.yaml", "lstm1-64-wp", "missing.yaml", "../x", "abc.txt", ""]


#: Valid values of each option (drawn half of the time, so that runs also complete).
VALID = {"--chip": ["baseline", "paper-ideal"], "--rpu": ["rpu-baseline", "fp", "rpu-7bit"],
         "--streams": ["1", "2"], "--windows": ["1", "2"], "--schedule": ["dataflow", "sequential"],
         "--json": ["out/r.json"], "--out": ["out"], "--chars": ["40"], "--eval-chars": ["50"],
         "--seed": ["0", "2"], "--lr": ["0.1"], "--dropout": ["0", "0.2"]}  # fmt: skip


def _value(flag: str, hostile: list[str]):
    return st.one_of(st.sampled_from(VALID[flag]), st.sampled_from(hostile))


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from([*OPTIONS, *OPTIONS, "report", "rerun", "compare"]))
    if command in OPTIONS:
        args = [command, draw(st.one_of(st.just("tiny.yaml"), st.sampled_from(WORKLOADS)))]
        flags = draw(st.lists(st.sampled_from(sorted(OPTIONS[command])), max_size=4, unique=True))
        if command != "train" and "--chip" not in flags:
            args += ["--chip", "baseline"]  # a required option, not always drawn
        for flag in flags:
            args += [flag, draw(_value(flag, OPTIONS[command][flag]))]
        if command in ("train", "cosim"):  # keep the runs that are valid short
            if "--chars" not in flags:
                args += ["--chars", "40"]
            if "--eval-chars" not in flags:
                args += ["--eval-chars", "50"]
            args.append("--no-progress")
        return args
    files = draw(st.lists(st.sampled_from(PATHS + WORKLOADS), min_size=1, max_size=3))
    return [command, *files]


#: Exit statuses seen, by status (the last test checks that the examples reached every kind).
SEEN: dict[int, int] = {}

EXAMPLES = int(os.environ.get("ARCHSIM_HYPOTHESIS_EXAMPLES", "40"))


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(args=command_lines())
def test_any_command_line_ends_cleanly(tmp_path_factory, args):
    ws = tmp_path_factory.mktemp("ws")
    (ws / "tiny.yaml").write_text(WORKLOAD)
    (ws / "abc.txt").write_text("abcab" * 400)
    before_outside = {p.name for p in ws.parent.iterdir()}
    cwd = os.getcwd()
    os.chdir(ws)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(cwd)
    SEEN[result.exit_code] = SEEN.get(result.exit_code, 0) + 1
    out = result.output
    assert result.exit_code in (0, EXIT_FAILURE, EXIT_USAGE, EXIT_DIVERGED), (args, result.exit_code, out)
    assert "Traceback" not in out and "internal error" not in out, (args, out)
    if result.exit_code == EXIT_USAGE:
        assert "error:" in out or "Usage:" in out, (args, out)
    assert len(out) < 20_000, args  # a refusal never echoes a whole input
    # Nothing was written beside the working folder (its siblings are other examples' folders).
    assert {p.name for p in ws.parent.iterdir()} == before_outside, args
    assert not Path("/proc/x").exists()


def test_the_examples_reach_runs_that_complete_and_refusals(tmp_path_factory):
    """Not only refusals: some examples run to the end (status 0) and some are refused (2)."""
    if not SEEN:  # run on its own: draw the examples here
        test_any_command_line_ends_cleanly(tmp_path_factory)
    assert SEEN.get(0, 0) > 0 and SEEN.get(EXIT_USAGE, 0) > 0, SEEN
