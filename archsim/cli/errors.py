"""The command line's one error boundary, and its exit codes.

Every command runs inside :func:`boundary` (the ``archsim`` group's ``invoke``). What escapes a
command becomes one line on stderr and an exit status, never a Python traceback:

- an input problem (a ``ValueError``: ConfigError, OptionsError, ResultError, ReportError,
  MappingError, a command's :class:`InputError`; an ``OSError`` on a path: no such file, a folder
  where a file is expected, permission denied) is ``error: WHERE: WHAT`` naming the file, argument
  or field and what is allowed; exit status 2, like Typer's own usage errors;
- a run that fails for a reason outside the input (:class:`RunFailure`, a full disk, no memory)
  is ``error: ...``; exit status 1;
- anything else is a bug in archsim: ``internal error: ...`` names the file the traceback was
  written to (in the temporary folder); with ``ARCHSIM_DEBUG=1`` the traceback is printed too.

Ctrl-C exits 130 (``train`` checkpoints first); a diverged training run exits 3.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

try:  # Typer >= 0.22 carries its own copy of Click
    from typer._click.exceptions import ClickException
except ImportError:
    from click.exceptions import ClickException

T = TypeVar("T")

#: Exit statuses, the same in every command.
EXIT_OK = 0
EXIT_FAILURE = 1  # the run failed: at run time, failed sweep points, a rerun that differs, an internal error
EXIT_USAGE = 2  # bad usage or configuration: an option, argument, preset, input or output path
EXIT_DIVERGED = 3  # training diverged (the last good checkpoint is kept and named)
EXIT_INTERRUPTED = 130  # Ctrl-C

#: Set to 1 to print an internal error's traceback on stderr as well.
DEBUG_ENV = "ARCHSIM_DEBUG"

#: A message longer than this is cut (a message never prints a whole input).
MAX_MESSAGE = 600

#: OSErrors about a path the user gave (the rest, a full disk say, are failures of the run).
_PATH_ERRNOS = {
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EACCES,
    errno.EPERM,
    errno.EEXIST,
    errno.EROFS,
    errno.ENAMETOOLONG,
    errno.ELOOP,
    errno.ENOTEMPTY,
}


class CommandError(Exception):
    """A problem a command reports in one line (``message``) with exit status ``code``."""

    code = EXIT_FAILURE

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InputError(CommandError, ValueError):
    """Bad usage or configuration: the message names the argument, file or field (exit 2)."""

    code = EXIT_USAGE


class RunFailure(CommandError):
    """The run failed (exit 1)."""

    code = EXIT_FAILURE


def one_line(message: str) -> str:
    """``message`` on one line: its first line, with a count of the others; cut when too long."""
    lines = [line for line in str(message).splitlines() if line.strip()] or [""]
    text = lines[0].strip()
    if len(lines) > 1:
        text += f" (and {len(lines) - 1} more problem{'s' if len(lines) > 2 else ''})"
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    return text


def value_message(err: ValueError) -> str:
    """The message of a ValueError; a pydantic ValidationError that no loader turned into a
    ConfigError is named by its model and the field of its first problem (not its input)."""
    from pydantic import ValidationError

    if not isinstance(err, ValidationError):
        return str(err)
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "<top level>"
    more = err.error_count() - 1
    text = f"{err.title}: {where}: {first['msg']}"
    return text + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def os_message(err: OSError) -> str:
    """``PATH: reason`` of an OSError (its own message when it has no path)."""
    if err.filename is None:
        return str(err)
    where = os.fsdecode(err.filename)
    if err.filename2 is not None:
        where += f" -> {os.fsdecode(err.filename2)}"
    return f"{where}: {err.strerror or err}"


def _print(label: str, message: str) -> None:
    Console(stderr=True).print(
        f"[red]{label}:[/red] {escape(one_line(message))}", highlight=False, soft_wrap=True
    )


def _traceback_file(err: BaseException) -> str | None:
    """Write the traceback of ``err`` to a file in the temporary folder; its path, or None."""
    text = "".join(traceback.format_exception(err))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        fd, path = tempfile.mkstemp(prefix=f"archsim-internal-error-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            f.write(text)
    except OSError:
        return None
    return path


def _internal(err: BaseException) -> None:
    where = _traceback_file(err)
    saved = f"the traceback is in {where}" if where else "the traceback could not be saved"
    _print(
        "internal error",
        f"{type(err).__name__}: {err} -- a bug in archsim, not in your input; {saved}. Please report "
        f"it with that file and the command line ({DEBUG_ENV}=1 prints the traceback here).",
    )
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        sys.stderr.write("".join(traceback.format_exception(err)))


def boundary(call: Callable[[], T]) -> T:
    """Run ``call`` (a command); turn what escapes it into one line on stderr and the exit status."""
    try:
        return call()
    except (typer.Exit, typer.Abort, ClickException):
        raise  # Typer's own: usage errors exit 2 with Typer's message
    except CommandError as err:
        _print("error", str(err))
        raise typer.Exit(err.code) from None
    except ValueError as err:  # the configuration, options, results and reports raise these
        _print("error", value_message(err))
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as err:
        if err.errno == errno.EPIPE:
            raise  # Typer quietens a closed output pipe itself
        _print("error", os_message(err))
        user = err.errno in _PATH_ERRNOS or (err.errno is None and not isinstance(err, TimeoutError))
        raise typer.Exit(EXIT_USAGE if user else EXIT_FAILURE) from None
    except MemoryError:
        _print("error", "out of memory; try a smaller workload, fewer streams or windows")
        raise typer.Exit(EXIT_FAILURE) from None
    except KeyboardInterrupt:
        _print("interrupted", "stopped by Ctrl-C")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as err:
        _internal(err)
        raise typer.Exit(EXIT_FAILURE) from None
