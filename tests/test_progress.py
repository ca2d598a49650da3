"""The progress display (archsim/cli/progress.py): every phase named, honest counts, no line wider
than an 80-column terminal, nothing drawn with --no-progress or off a terminal."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from archsim.cli import app
from archsim.cli.progress import Phases, TimeColumn, count

CORPUS = b"the quick brown fox jumps over the lazy dog. " * 200
#: A terminal of 80 columns, as rich reads it from the environment.
TERMINAL = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "80", "TERM": "xterm"}
NOT_A_TERMINAL = {"TTY_COMPATIBLE": "0", "COLUMNS": "80"}


def screen_lines(text: str) -> list[str]:
    """Every line the terminal showed: split at carriage returns and newlines, escapes removed."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    return [line for line in re.split(r"\r\n|\r|\n", plain) if line.strip()]


def check_screen(text: str, phases: list[str]) -> list[str]:
    """The lines of the progress display (its bars and the header above them): each of ``phases``
    named, none wider than 80 columns, no NaN or "?" placeholder. (The outcome printed after the
    display may be wider: a long path is not broken.)"""
    lines = screen_lines(text)
    bars = [line for line in lines if "━" in line]
    assert bars, "nothing drawn"
    display = [lines[0], *bars]
    too_wide = [line for line in display if len(line) > 80]
    assert not too_wide, too_wide
    for phase in phases:
        assert any(line.startswith(phase) for line in bars), (phase, bars)
    assert not [line for line in bars if re.search(r"\bnan\b|\?|-\d|day", line)], bars  # no negative time
    return bars


def test_count_fits_five_characters():
    assert [count(n) for n in (0, 999, 9_999, 12_345, 456_789, 1_234_567, 2e9)] == [
        "0",
        "999",
        "9,999",
        "12.3k",
        "457k",
        "1.23M",
        "2G",
    ]
    assert all(len(count(10**k + 7)) <= 5 for k in range(10))


def test_phases_fit_80_columns_and_name_each_phase():
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, force_interactive=True)
    with Phases(console) as phases:
        phases.say("a header far longer than the terminal is wide, " * 4)
        train = phases.start("train", 2_000_000, "chars")
        for done in range(0, 2_000_001, 400_000):
            train.update(done, 2_000_000, "loss 1.234, 12.3k/s and a note longer than the line left " * 2)
        evaluation = phases.evaluation()
        for _ in range(2):  # a repeated phase reuses its line
            for k in range(4):
                evaluation(k, 3, 1_000_000)
        with phases.phase("write report"):
            pass
        sim = phases.start("simulate", None, "windows", "until periodic")
        sim.update(60, 180)
        sim.finish("periodic", 60)
    lines = check_screen(out.getvalue(), ["train", "evaluate", "write report", "simulate"])
    final = lines[-4:]  # the lines as the display ends, in the order the phases started
    assert [line.split("  ")[0] for line in final] == ["train", "evaluate", "write report", "simulate"]
    assert "2M/2M chars" in final[0] and "3/3 batches" in final[1]
    assert "60/60 windows" in final[3] and "periodic" in final[3]  # stopped early: the count it took


def test_phases_draw_nothing_off_a_terminal_or_when_disabled():
    for console, enabled in (
        (Console(file=io.StringIO(), width=80, force_terminal=False), True),
        (Console(file=io.StringIO(), width=80, force_terminal=True), False),
    ):
        with Phases(console, enabled) as phases:
            phases.say("header")
            phases.start("train", 10, "chars").update(5, 10)
        assert console.file.getvalue() == ""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("progress")
    corpus = base / "tiny.txt"
    corpus.write_bytes(CORPUS)
    workload = base / "tiny.yaml"
    workload.write_text(
        f"name: tiny\ncorpus: {corpus}\nvocab_size: {len(set(CORPUS))}\n"
        "model: {hidden_size: 8, num_layers: 1}\ntraining: {learning_rate: 0.1, bptt_steps: 20}\n"
    )
    return workload


def _invoke(args, env):
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 0, res.output
    return res


def test_train_shows_evaluation_training_and_report(tiny, tmp_path):
    args = ["train", str(tiny), "--rpu", "fp", "--chars", "400", "--eval-chars", "100", "--eval-every", "200"]
    res = _invoke([*args, "--out", str(tmp_path / "a")], TERMINAL)
    lines = check_screen(res.stderr, ["evaluate", "train", "write report"])
    assert any("400/400 chars" in line for line in lines)
    quiet = _invoke([*args, "--out", str(tmp_path / "b")], NOT_A_TERMINAL)
    plain = _invoke([*args, "--out", str(tmp_path / "c"), "--no-progress"], TERMINAL)
    for res in (quiet, plain):  # no bar, no escape code: the outcome lines only
        assert "━" not in res.stderr and "\x1b" not in res.stderr
        assert res.stderr.startswith("completed: trained 400 chars")


def test_simulate_shows_its_phases(tiny, tmp_path):
    args = ["simulate", str(tiny), "--chip", "baseline", "--streams", "2", "--windows", "2"]
    res = _invoke([*args, "--out", str(tmp_path / "s")], TERMINAL)
    lines = check_screen(res.stderr, ["build model", "simulate", "figures", "write results", "write report"])
    assert any("4/4 windows" in line for line in lines)
    quiet = _invoke([*args, "--no-progress"], TERMINAL)
    assert "━" not in quiet.stderr and "\x1b" not in quiet.stderr


def test_time_left_is_at_the_mean_rate_so_far():
    """Work that comes in steps (a simulated round every half minute) still gets a time left."""
    now = [0.0]
    bar = Progress(get_time=lambda: now[0])
    task = bar.add_task("simulate", total=384)
    column = TimeColumn()
    assert column.render(bar.tasks[task]).plain == "00:00"  # nothing done: the time taken
    now[0] = 30.0
    bar.update(task, completed=64)
    assert column.render(bar.tasks[task]).plain == "02:30 left"  # 320 windows at 64 per 30 s
    now[0] = 50.0
    bar.update(task, completed=384)
    assert column.render(bar.tasks[task]).plain == "00:50"  # done: the time it took


def test_time_left_of_a_resumed_run_is_at_its_recent_rate():
    """A resumed training run starts at 50,000 of 100,000 chars: its rate is what it trains now."""
    now = [0.0]
    bar = Progress(get_time=lambda: now[0])
    task = bar.add_task("train", total=100_000)
    for t, chars in ((1.0, 50_000), (2.0, 51_000), (3.0, 52_000)):
        now[0] = t
        bar.update(task, completed=chars)
    assert TimeColumn().render(bar.tasks[task]).plain == "00:48 left"  # 48,000 chars at 1,000/s
