"""Where a result comes from: the archsim version, the git commit of a checkout, the date.

Every result records these beside its resolved configuration (see :mod:`archsim.results`), so
that a figure taken to a design review can be traced to the code and the inputs that made it.
"""

from __future__ import annotations

import datetime as dt
import functools
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def archsim_version() -> str:
    """The installed distribution's version ('unknown' when archsim runs from an uninstalled tree)."""
    try:
        return metadata.version("archsim")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_commit() -> str | None:
    """The commit of the checkout archsim runs from, with ``-dirty`` when tracked files differ
    from it; None for an installed package (or where git is missing)."""
    root = PACKAGE_DIR.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
