"""Where the presets live, and where reports go by default.

The presets (``models/``: RPU devices and chips; ``workloads/``: workloads, sweep examples and the
corpora in ``workloads/data/``) are found, in this order:

1. ``$ARCHSIM_ROOT`` when set: a folder holding ``models/`` and ``workloads/``;
2. the installed package: a wheel or ``pip install .`` ships them as ``archsim/_presets/``
   (setup.py copies the checkout's folders there when building);
3. the checkout beside the package (an editable install, or running from the source tree).

Reports go to ``reports/`` in the current working directory: a relative path, so it is resolved
when a command writes, wherever it is run from.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: Where a built package holds its presets.
BUNDLED_ROOT = _PACKAGE / "_presets"
#: The checkout that holds the package (editable install, source tree).
CHECKOUT_ROOT = _PACKAGE.parent


def _presets_root() -> Path:
    override = os.environ.get("ARCHSIM_ROOT")
    if override:
        return Path(override)
    if (BUNDLED_ROOT / "models").is_dir() and (BUNDLED_ROOT / "workloads").is_dir():
        return BUNDLED_ROOT
    return CHECKOUT_ROOT


#: The folder holding models/ and workloads/ (see above for the order it is looked for in).
ROOT = _presets_root()
MODELS_DIR = ROOT / "models"
WORKLOADS_DIR = ROOT / "workloads"
#: Default report folder, relative to the current working directory when a command writes.
REPORTS_DIR = Path("reports")


def safe_name(text: str) -> str:
    """``text`` as one folder or file name: characters other than letters, digits, ``.``, ``_``
    and ``-`` become ``_`` and leading dots are dropped, so that a name taken from a preset
    (``../../x``) cannot leave the folder it is put in."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).lstrip(".")
    return name or "unnamed"


def report_folder(*parts: object) -> Path:
    """The default output folder ``reports/PART-PART-...`` of a run, its name made safe."""
    return REPORTS_DIR / safe_name("-".join(str(p) for p in parts))
