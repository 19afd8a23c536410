"""The client side of the running window's command channel (`ui/instance_channel.py` is the
server): where the window listens, and `send_command`, which sends one line and returns the
window's one-line answer. Qt-free on Unix (a plain `AF_UNIX` socket), so a second start and
`desktop-assistant ptt` reach the window without loading Qt; on Windows the channel is a named
pipe, reached through `QLocalSocket`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

MAX_LINE = 256  # bytes: a command is a few words; anything longer is not a client of ours
CONNECT_TIMEOUT_S = 5.0  # a window that holds the lock may still be starting its channel
ANSWER_TIMEOUT_S = 3.0
RETRY_S = 0.05


def channel_name(data_dir: Path) -> str:
    """The server name for the window that owns `data_dir` (a socket path on Unix)."""
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    if sys.platform == "win32":
        return f"desktop-assistant-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        return str(Path(runtime) / f"desktop-assistant-{digest}.sock")
    return str(Path(tempfile.gettempdir()) / f"desktop-assistant-{os.getuid()}-{digest}.sock")


class ChannelError(Exception):
    """No window answered: `reason` is "absent" (nobody listens) or "silent" (no answer in time)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _owned_by_someone_else(path: str) -> bool:
    """A socket at `path` that another user made (in a shared temp dir): not our window's."""
    try:
        return os.stat(path).st_uid != os.getuid()
    except OSError:
        return False


def send_command(name: str, command: str, connect_timeout: float = CONNECT_TIMEOUT_S,
                 answer_timeout: float = ANSWER_TIMEOUT_S) -> str:
    """Send one command line to the window listening at `name` and return its answer (blocking, for a
    process without an event loop; it does not hold the GIL while it waits). Raises ChannelError when
    nobody listens or nobody answers in time. `connect_timeout=0`: one try, no waiting for a window
    that is still starting."""
    if sys.platform == "win32":  # pragma: no cover - a named pipe, through Qt
        return _send_command_qt(name, command, connect_timeout, answer_timeout)
    if _owned_by_someone_else(name):
        raise ChannelError("absent", f"{name} belongs to another user: not this user's window")
    deadline = time.monotonic() + connect_timeout
    while True:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.settimeout(max(0.01, deadline - time.monotonic()))
            client.connect(name)
            break
        except OSError as exc:
            client.close()
            if time.monotonic() + RETRY_S >= deadline:
                raise ChannelError("absent", f"nobody listens at {name} ({exc.strerror or exc})") from None
            time.sleep(RETRY_S)  # the window may hold the lock and not listen yet (just after its first frame)
    with client:
        end = time.monotonic() + answer_timeout
        answer = b""
        try:
            client.settimeout(answer_timeout)
            client.sendall(command.encode() + b"\n")
            while b"\n" not in answer and len(answer) <= MAX_LINE:
                client.settimeout(max(0.01, end - time.monotonic()))
                chunk = client.recv(MAX_LINE)
                if not chunk:
                    break
                answer += chunk
        except OSError as exc:  # (socket.timeout is an OSError)
            raise ChannelError("silent", f"no answer to {command!r} within {answer_timeout:g} s ({exc})") from None
    if b"\n" not in answer:
        raise ChannelError("silent", f"no answer to {command!r}: the window hung up")
    return answer.split(b"\n", 1)[0].decode("utf-8", "replace").strip()


def _send_command_qt(name: str, command: str, connect_timeout: float,
                     answer_timeout: float) -> str:  # pragma: no cover - Windows
    from PySide6.QtNetwork import QLocalSocket

    deadline = time.monotonic() + connect_timeout
    client = QLocalSocket()
    while True:
        client.connectToServer(name)
        if client.waitForConnected(max(1, int((deadline - time.monotonic()) * 1000))):
            break
        error = client.errorString()
        client.abort()
        if time.monotonic() + RETRY_S >= deadline:
            raise ChannelError("absent", f"nobody listens at {name} ({error})")
        time.sleep(RETRY_S)
    client.write(command.encode() + b"\n")
    end = time.monotonic() + answer_timeout
    while not client.canReadLine():
        left = end - time.monotonic()
        if left <= 0 or not client.waitForReadyRead(max(1, int(left * 1000))):
            client.abort()
            raise ChannelError("silent", f"no answer to {command!r} within {answer_timeout:g} s")
    answer = bytes(client.readLine(MAX_LINE + 1).data()).decode("utf-8", "replace").strip()
    client.disconnectFromServer()
    return answer
