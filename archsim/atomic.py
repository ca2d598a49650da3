"""Writing outputs whole: every file goes to a temporary file in its own folder, then a rename.

A reader, or a run killed while writing, sees the old file or the new one, never a part of one.
Temporary files and folders are named ``.NAME.PID.XXXXXXXX.tmp`` (``.partial`` for folders) beside
NAME; one left by a process that is no longer running (a killed run) is removed by the next write
of NAME. Files get mode 0644 and folders 0755, whatever the temporary one had.

Imports only the standard library, so that reports and results can both use it.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

FILE_MODE = 0o644
FOLDER_MODE = 0o755
TMP_SUFFIX = ".tmp"
PARTIAL_SUFFIX = ".partial"


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename); the parent folder is
    created when missing. A file already at ``path`` is replaced only once the new one is whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path.parent, path.name, TMP_SUFFIX)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def temp_folder(target: str | Path) -> Path:
    """A new, empty folder beside ``target`` (``.NAME.PID.XXXXXXXX.partial``) to build its
    replacement in; leftovers of killed runs for the same target are removed first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target.parent, target.name, PARTIAL_SUFFIX)
    folder = Path(
        tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=PARTIAL_SUFFIX)
    )
    os.chmod(folder, FOLDER_MODE)
    return folder


def replace_folder(new: Path, target: Path) -> None:
    """Move folder ``new`` to ``target`` and delete the folder that was there.

    Where the system can exchange two paths in one step (Linux ``renameat2``), ``target`` is a
    complete folder at every instant; elsewhere there is a moment between two renames without it.
    """
    if not os.path.lexists(target):
        os.rename(new, target)
        return
    if not exchange(new, target):
        old = temp_folder(target)
        os.rename(target, old / "old")
        os.rename(new, target)
        new = old
    shutil.rmtree(new)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: str | Path, b: str | Path) -> bool:
    """Swap paths ``a`` and ``b`` in one atomic step; False where the system cannot (then nothing
    was changed)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without renameat2 (glibc < 2.28, musl < 1.2.5)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # the file system cannot exchange
        return False
    raise OSError(code, os.strerror(code), str(b))


def remove_stale(folder: Path, name: str, suffix: str) -> None:
    """Remove ``.NAME.PID.*SUFFIX`` files and folders in ``folder`` whose process PID is not running."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+{re.escape(suffix)}")
    for entry in folder.glob(f".{glob.escape(name)}.*{suffix}"):
        match = pattern.fullmatch(entry.name)
        if match is None or _running(int(match.group(1))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (True where that cannot be told)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but belongs to another user
        return True
    return True
