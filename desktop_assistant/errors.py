"""Errors the user can understand and act on.

A `UserFacingError` carries what to tell the user (`message`) and, when there
is one, what they can do about it (`action`). Engine code raises these; the
CLI prints them as one line and the GUI shows them in a banner. Anything else
that escapes is a bug and is logged with its traceback.
"""

from __future__ import annotations

import errno

#: OSErrors of the machine (not the user's doing) and of the user's choice of place, in words
DISK_TROUBLE = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                errno.EIO: "an input/output error"}
PLACE_TROUBLE = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                 errno.EROFS: "the file system is read-only", errno.EISDIR: "it is a folder",
                 errno.ENOTDIR: "a part of the path is not a folder", errno.ENOENT: "the folder does not exist",
                 errno.ENAMETOOLONG: "the name is too long"}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in a few words a user understands."""
    return DISK_TROUBLE.get(exc.errno or 0) or PLACE_TROUBLE.get(exc.errno or 0) or str(exc.strerror or exc)


class UserFacingError(Exception):
    """A problem the user caused or met, described in their terms."""

    #: short machine-readable kind, used by the GUI to pick the banner action
    kind: str = "error"
    #: the user asked for something that cannot be (a setting, a name): the CLI exits 2, not 1
    users_mistake: bool = False

    def __init__(self, message: str, action: str | None = None, *, kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return f"{self.message} — {self.action}" if self.action else self.message


class ConfigError(UserFacingError):
    """A setting has a value outside what the app accepts."""

    kind = "config"
    users_mistake = True


class AgentError(UserFacingError):
    """An agent file could not be loaded."""

    kind = "agent"

    def __init__(self, path: str, problem: str, *, line: int | None = None, field: str | None = None) -> None:
        where = f"{path}:{line}" if line else path
        what = f"field '{field}': {problem}" if field else problem
        super().__init__(f"{where}: {what}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem


class AudioError(UserFacingError):
    """No device, a device that failed, or PortAudio missing."""

    kind = "audio"


class NoSuchDevice(AudioError):
    """The device the user named (a setting, `--device`) is not there."""

    users_mistake = True
