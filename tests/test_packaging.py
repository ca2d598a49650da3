"""Packaging: a built wheel carries the presets and finds them once installed; reports default to
the current directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.paths import CHECKOUT_ROOT, REPORTS_DIR

#: What the build needs from the checkout (copied, so that the test builds in its own folder and
#: leaves the checkout's build/ alone).
BUILD_INPUTS = ("archsim", "models", "workloads", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
BUNDLE = "archsim/_presets"


def _checkout_files(folder: str, pattern: str) -> list[str]:
    return sorted(p.relative_to(CHECKOUT_ROOT).as_posix() for p in (CHECKOUT_ROOT / folder).glob(pattern))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (CHECKOUT_ROOT / "setup.py").is_file():
        pytest.fail(f"no checkout at {CHECKOUT_ROOT}: the packaging test runs from the source tree")
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        path = CHECKOUT_ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "_presets"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(dist)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (found,) = dist.glob("archsim-*.whl")
    return found


def test_the_wheel_carries_every_preset_and_corpus(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    chips = _checkout_files("models/chips", "*.yaml")
    rpus = _checkout_files("models/rpu", "*.yaml")
    workloads = _checkout_files("workloads", "*.yaml")
    sweeps = _checkout_files("workloads/sweeps", "*.yaml")
    corpora = _checkout_files("workloads/data", "*.gz")
    # The checkout's own listing must not be empty either (a glob of nothing proves nothing).
    assert "models/rpu/rpu-baseline.yaml" in rpus
    assert {"models/chips/paper-ideal.yaml", "models/chips/baseline.yaml"} <= set(chips)
    assert {"workloads/lstm2-512-wp.yaml", "workloads/lstm1-64-lk.yaml"} <= set(workloads)
    assert corpora == ["workloads/data/linux_input.txt.gz", "workloads/data/warpeace_input.txt.gz"]
    images = _checkout_files("workloads/data/fashion-mnist", "*")  # the idx files and the licence note
    assert len(images) == 5 and "workloads/data/fashion-mnist/README.md" in images
    assert sweeps
    expected = {f"{BUNDLE}/{rel}" for rel in (*chips, *rpus, *workloads, *sweeps, *corpora, *images)}
    assert expected <= names, sorted(expected - names)
    bundled = {n for n in names if n.startswith(f"{BUNDLE}/")}
    assert bundled == expected, sorted(bundled - expected)
    with zipfile.ZipFile(wheel) as z:
        assert z.read(f"{BUNDLE}/workloads/data/warpeace_input.txt.gz") == (
            CHECKOUT_ROOT / "workloads/data/warpeace_input.txt.gz"
        ).read_bytes()


def test_the_installed_package_finds_its_own_presets(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if k not in ("ARCHSIM_ROOT", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    env["COLUMNS"] = "200"
    code = (
        "import sys, archsim.paths as p; print(p.ROOT);"
        "from archsim.cli import main; sys.argv = ['archsim', 'presets']; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    root = run.stdout.splitlines()[0]
    assert Path(root) == site / "archsim" / "_presets"
    for name in ("rpu-baseline", "paper-ideal", "baseline", "lstm2-512-wp", "lstm1-64-lk"):
        assert name in run.stdout


def test_archsim_root_overrides_the_presets(tmp_path):
    (tmp_path / "models" / "rpu").mkdir(parents=True)
    (tmp_path / "models" / "chips").mkdir()
    (tmp_path / "workloads").mkdir()
    shutil.copy2(CHECKOUT_ROOT / "models/rpu/fp.yaml", tmp_path / "models/rpu/only-here.yaml")
    env = {**os.environ, "ARCHSIM_ROOT": str(tmp_path)}
    code = "from archsim.config import rpu_presets; print(rpu_presets())"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "['only-here']"


def test_reports_default_to_the_current_directory(tmp_path, monkeypatch):
    assert not REPORTS_DIR.is_absolute()
    workload = tmp_path / "tiny.yaml"
    workload.write_text(
        "name: tiny\ncorpus: warpeace\nvocab_size: 87\n"
        "model: {hidden_size: 2, num_layers: 1}\ntraining: {learning_rate: 0.1, bptt_steps: 4}\n"
    )
    monkeypatch.chdir(tmp_path)
    args = ["train", str(workload), "--rpu", "fp", "--chars", "40", "--eval-chars", "20", "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "train-tiny-fp-s0" / "result.json").is_file()
