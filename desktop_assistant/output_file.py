"""Files the user asks a command to write (`record --out`, `say --out`, `history export --out`).

`check_output()` finds out before any work is done whether the destination can be written (a
folder, a missing folder, a read-only disk, no permission: the user's mistake, exit 2), so a
recording is never made only to be thrown away. `output_file()` writes `<name>.part`, private to
the user, and puts it in place at the end; on any failure the `.part` is removed and the error is
one line (a full disk is the machine's problem: exit 1).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from desktop_assistant.errors import DISK_TROUBLE, PLACE_TROUBLE, ErrorKind, UserFacingError
from desktop_assistant.paths import open_private

_ENVIRONMENT = DISK_TROUBLE
_MISTAKE = PLACE_TROUBLE


def cannot_write(path: Path, exc: OSError) -> UserFacingError:
    """One line for a failed write: the user's mistake (exit 2) or the machine's (exit 1)."""
    if exc.errno in _ENVIRONMENT:
        return UserFacingError(f"Cannot write {path}: {_ENVIRONMENT[exc.errno]}",
                               "free some disk space or write to another disk", kind=ErrorKind.DISK)
    reason = _MISTAKE.get(exc.errno or 0)
    if exc.errno == errno.ENOENT and path.parent.is_dir():
        reason = "files cannot be created in that folder"
    if reason is None:
        return UserFacingError(f"Cannot write {path}: {exc.strerror or exc}", "try another folder", kind=ErrorKind.DISK)
    return UserFacingError(f"Cannot write {path}: {reason}", "choose a file in a folder you can write to",
                           kind=ErrorKind.INPUT)


def _special(path: Path) -> bool:
    """An existing non-regular file (/dev/stdout, a FIFO): written in place, not replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_output(path: Path, *, create_parents: bool = False) -> Path:
    """Raise a `UserFacingError` now if `path` could not be written later."""
    if path.is_dir():
        raise UserFacingError(f"{path} is a folder", "give a file name for the output", kind=ErrorKind.INPUT)
    if _special(path):
        return path
    parent = path.parent
    if create_parents:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # a file where a folder should be: said below
            pass
        except OSError as exc:
            raise cannot_write(path, exc) from None
    if not parent.is_dir():
        blocking = next((p for p in (parent, *parent.parents) if p.exists()), None)
        is_file = blocking is not None and not blocking.is_dir()
        what = f"{blocking} is a file, not a folder" if is_file else f"{parent} does not exist"
        raise UserFacingError(f"Cannot write {path}: {what}", "choose an existing folder", kind=ErrorKind.INPUT)
    probe = parent / f".{path.name}.{os.getpid()}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise cannot_write(path, exc) from None
    with suppress(OSError):
        probe.unlink()
    return path


@contextmanager
def output_file(path: Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Write `path` through `<name>.part` (mode 0600), replaced into place when the block ends
    without an error; the `.part` never stays behind. OSError becomes a `UserFacingError`."""
    if _special(path):
        try:
            with open(path, mode, **kwargs) as handle:
                yield handle
        except OSError as exc:
            raise cannot_write(path, exc) from None
        return
    part = path.with_name(path.name + ".part")
    try:
        with open(open_private(part), mode, **kwargs) as handle:
            yield handle
        os.replace(part, path)
    except OSError as exc:
        with suppress(OSError):
            part.unlink()
        raise cannot_write(path, exc) from None
    except BaseException:
        with suppress(OSError):
            part.unlink()
        raise
