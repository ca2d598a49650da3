"""The README's Python scripts run as printed (so that they cannot rot)."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

from archsim.results import load_result

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def test_the_readme_has_its_scripts():
    blocks = python_blocks()
    assert len(blocks) == 2
    assert "with_overrides" in blocks[0] and "AnalogTile" in blocks[1]


def test_the_design_script_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the script writes its files in the current folder
    exec(compile(python_blocks()[0], "README.md python block 0", "exec"), {})
    printed = capsys.readouterr().out
    a = load_result(tmp_path / "baseline.json")
    assert a.record is not None and a.record.chip.tile.adc.count_per_tile == 512
    rows = (tmp_path / "fewer-adcs.csv").read_text().splitlines()
    assert rows[0] == "name,value,unit,description"
    # fewer ADCs per tile: each conversion waits longer, so a character takes longer
    time_row = next(line for line in printed.splitlines() if "time per char" in line)
    assert float(time_row.split("x")[-1]) > 1.0


def unbound_names(source: str) -> set[str]:
    """Names a script reads that nothing before binds (an import, an assignment, a builtin)."""
    bound = set(dir(builtins))
    missing: set[str] = set()
    for statement in ast.parse(source).body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
                missing.add(node.id)
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
    return missing


def test_the_tile_script_binds_every_name():
    """The tile script is not run here (its Numba kernels compile for a minute on a busy machine;
    tests/numerics runs the same calls): every name it uses is defined before it is used."""
    assert unbound_names(python_blocks()[1]) == set()
    assert unbound_names("y = tile.forward(x)") == {"tile", "x"}  # the check can fail
