"""Output paths, checked before any work starts: an unwritable ``--json`` fails in a second, not
after the whole run.

A file path (``--json``, ``--trace``, ``--db``) must not be a folder, and its folder must exist or
be creatable, and be writable; a folder path (``--out``) must not be a file, and must be writable
or creatable. Nothing is created here: a later check may still refuse the command.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from archsim.cli.errors import InputError


def check_file(path: Path | None, option: str) -> None:
    """Refuse (InputError naming ``option``) a file path that cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give the path of a file")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} {path}: not writable (permission denied)")
    _creatable(path.parent, option, path)


def check_folder(path: Path | None, option: str) -> None:
    """Refuse (InputError naming ``option``) a folder path that cannot be written into."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: exists and is not a folder; give a folder path")
    _creatable(path, option, path)


def _creatable(folder: Path, option: str, shown: Path) -> None:
    """``folder`` exists and is writable, or its nearest existing ancestor is a writable folder."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        if probe.is_symlink():
            raise InputError(f"{option} {shown}: {probe} is a broken link")
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{option} {shown}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"{option} {shown}: cannot write in {probe} (permission denied)")
    # The permission bits do not tell everything (root, read-only mounts, /proc): try it, with a
    # file that is removed at once.
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".archsim-probe-")
    except OSError as err:
        raise InputError(f"{option} {shown}: cannot write in {probe} ({err.strerror})") from None
    os.close(fd)
    os.unlink(name)
