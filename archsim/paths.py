"""Where the project's preset folders live (models/, workloads/ beside the package)."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root: the folder holding models/ and workloads/. ARCHSIM_ROOT overrides it.
ROOT = Path(os.environ.get("ARCHSIM_ROOT", Path(__file__).resolve().parent.parent))
MODELS_DIR = ROOT / "models"
WORKLOADS_DIR = ROOT / "workloads"
REPORTS_DIR = ROOT / "reports"
