"""Errors the user can understand and act on.

A `UserFacingError` carries what to tell the user (`message`) and, when there
is one, what they can do about it (`action`). Engine code raises these; the
CLI prints them as one line and the GUI shows them in a banner. Anything else
that escapes is a bug and is logged with its traceback.
"""

from __future__ import annotations

import errno
from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, in one word: the banner's action, the network state, the CLI's exit code and
    the stored error follow it. The values are the strings logged and shown to tests and tools."""

    ERROR = "error"  # (no more specific kind)
    BUG = "bug"  # something escaped that should not have: see the log
    CANCELLED = "cancelled"  # Stop or barge-in: nothing went wrong
    CLOSED = "closed"  # the assistant is shutting down
    STARTING = "starting"  # the engine is not built yet
    INPUT = "input"  # what the user gave cannot be used (a file, a name, an empty message): exit 2
    CONFIG = "config"  # a setting's value
    SETTINGS = "settings"  # the settings file could not be used
    AGENT = "agent"  # an agent file
    ENVIRONMENT = "environment"  # the user's home / data folder
    DISK = "disk"  # a file could not be written
    HISTORY = "history"  # the history database
    NOT_ANSWERING = "not_answering"  # the running window does not answer a second start
    AUDIO = "audio"  # a microphone or an output device
    NO_SPEECH = "no_speech"  # a recording that held no speech (a hint, not an error)
    MODEL = "model"  # the speech model
    STT = "stt"  # speech recognition
    TTS = "tts"  # speech synthesis
    NO_KEY = "no_key"  # Groq: no API key
    AUTH = "auth"  # Groq: the key was rejected
    RATE_LIMIT = "rate_limit"  # Groq: too many requests
    SERVER = "server"  # Groq: a server problem or a reply the app cannot read
    LLM = "llm"  # Groq refused the request
    TIMEOUT = "timeout"  # Groq did not answer in time
    OFFLINE = "offline"  # Groq cannot be reached
    CUT = "cut"  # the reply was cut off
    EMPTY = "empty"  # the reply was empty


class NoticeKind(StrEnum):
    """Something the user should know while the turn goes on (the `Notice` event's kind)."""

    OFFLINE_VOICE = "offline_voice"  # Google's voice cannot be reached: the offline voice speaks
    NO_VOICE = "no_voice"  # no voice at all: replies are shown as text
    NO_OUTPUT = "no_output"  # no sound output device: replies are shown as text
    PLAYBACK_FAILED = "playback_failed"  # the output stopped working mid-reply
    NOT_SAVED = "not_saved"  # the reply could not be stored in the history

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

    #: what went wrong in one word: the GUI picks the banner action by it
    kind: ErrorKind = ErrorKind.ERROR
    #: the user asked for something that cannot be (a setting, a name): the CLI exits 2, not 1
    users_mistake: bool = False

    def __init__(self, message: str, action: str | None = None, *, kind: ErrorKind | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        if kind is not None:
            self.kind = ErrorKind(kind)  # (a kind that is not in the table is a bug, found here)

    def __str__(self) -> str:
        return f"{self.message} — {self.action}" if self.action else self.message


class ConfigError(UserFacingError):
    """A setting has a value outside what the app accepts."""

    kind = ErrorKind.CONFIG
    users_mistake = True


class AgentError(UserFacingError):
    """An agent file could not be loaded."""

    kind = ErrorKind.AGENT

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

    kind = ErrorKind.AUDIO


class NoSuchDevice(AudioError):
    """The device the user named (a setting, `--device`) is not there."""

    users_mistake = True
