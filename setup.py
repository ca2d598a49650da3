"""Build hook: the presets ship inside the package.

The preset folders stay at the top of the checkout (``models/``, ``workloads/``: the product's
layout). ``build_py`` copies their YAML files and corpora into the built package as
``archsim/_presets/models`` and ``archsim/_presets/workloads``, so that a wheel, ``pip install .``
and an install from the sdist (MANIFEST.in puts the folders in it) all have them. An editable
install copies nothing: ``archsim/paths.py`` then finds the folders in the checkout itself.
Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: The checkout's preset folders and the files of them that ship (presets, sweeps, corpora and
#: image datasets, with the README that carries a dataset's licence note).
PRESET_FOLDERS = ("models", "workloads")
PRESET_PATTERNS = ("*.yaml", "*.yml", "*.gz", "README.md")
#: Where they go inside the built package.
BUNDLE = Path("archsim", "_presets")


def preset_files() -> list[Path]:
    """The files to ship, relative to the checkout (e.g. models/rpu/fp.yaml)."""
    found = {
        path.relative_to(HERE)
        for folder in PRESET_FOLDERS
        for pattern in PRESET_PATTERNS
        for path in (HERE / folder).rglob(pattern)
        if path.is_file()
    }
    return sorted(found)


class BuildPyWithPresets(build_py):
    """``build_py`` that also copies the presets into ``build_lib/archsim/_presets``."""

    def _bundle_targets(self) -> list[tuple[Path, Path]]:
        return [(HERE / rel, Path(self.build_lib) / BUNDLE / rel) for rel in preset_files()]

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable: the checkout's own folders are used
        bundle = Path(self.build_lib) / BUNDLE
        shutil.rmtree(bundle, ignore_errors=True)  # no preset deleted since the last build survives
        for source, target in self._bundle_targets():
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return outputs + [str(target) for _, target in self._bundle_targets()]


setup(cmdclass={"build_py": BuildPyWithPresets})
