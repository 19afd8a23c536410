"""The running window's local channel: other processes of the same user send it one-line commands.

A second `desktop-assistant` start sends `show` (bring the window forward, also out of the tray)
instead of opening a second window; later commands (e.g. `ptt press`) are handlers added to the
same table. The protocol is lines of UTF-8: a command and its words, answered by one line,
`ok` or `error <reason>`.

The channel is a `QLocalServer` (a Unix socket; a named pipe on Windows) whose name is derived
from the data dir, so each `DESKTOP_ASSISTANT_HOME` has its own, and which only this user can
open (`UserAccessOption`, the file mode checked after listening). On Unix it lives in the
user's runtime dir (`$XDG_RUNTIME_DIR`, private to the user), else in the temp dir with the uid
in its name. Qt only: no engine imports.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger(__name__)

MAX_LINE = 256  # bytes: a command is a few words; anything longer is not a client of ours
CONNECT_TIMEOUT_S = 5.0  # a window that holds the lock may still be starting its channel
ANSWER_TIMEOUT_S = 3.0
RETRY_S = 0.05

Handler = Callable[[list[str]], str | None]  # the command's words after the first → reply (None: "ok")


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


class InstanceChannel(QObject):
    """The server side, in the running window (GUI thread): one command per line, one answer each."""

    def __init__(self, name: str, handlers: Mapping[str, Handler], parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer  # (not needed by a second start on Unix: see send_command)

        super().__init__(parent)
        self.name = name
        self.handlers = dict(handlers)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening (the caller holds the instance lock, so a socket left by a crash is removed)."""
        from PySide6.QtNetwork import QLocalServer

        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            log.warning("the window's command channel did not open (%s): %s", self.name, self._server.errorString())
            return False
        path = self._server.fullServerName()
        if sys.platform != "win32" and os.path.exists(path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
                log.warning("the command channel %s was mode %o; made private", path, mode)
        log.info("command channel listening at %s", path)
        return True

    @property
    def path(self) -> str:
        return self._server.fullServerName()

    def close(self) -> None:
        self._server.close()  # removes the socket file

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            peer = self._server.nextPendingConnection()
            peer.readyRead.connect(lambda p=peer: self._read(p))
            peer.disconnected.connect(peer.deleteLater)

    def _read(self, peer: QLocalSocket) -> None:
        while peer.canReadLine():
            line = bytes(peer.readLine(MAX_LINE + 1).data())
            if not line.endswith(b"\n"):
                peer.abort()  # an over-long line: not a client of ours
                return
            peer.write((self.answer(line.decode("utf-8", "replace")) + "\n").encode())
            peer.flush()
        if peer.bytesAvailable() > MAX_LINE:
            peer.abort()

    def answer(self, line: str) -> str:
        """The reply to one command line (without its newline)."""
        words = line.split()
        if not words:
            return "error empty command"
        handler = self.handlers.get(words[0])
        if handler is None:
            return f"error unknown command {words[0][:32]!r}"
        try:
            reply = handler(words[1:])
        except Exception as exc:  # a handler's bug is answered, not raised into Qt
            log.exception("command %r failed", words[0])
            return f"error {exc}"
        return reply or "ok"


def send_command(name: str, command: str, connect_timeout: float = CONNECT_TIMEOUT_S,
                 answer_timeout: float = ANSWER_TIMEOUT_S) -> str:
    """Send one command line to the window listening at `name` and return its answer (blocking, for a
    process without an event loop; it does not hold the GIL while it waits). Raises ChannelError when
    nobody listens or nobody answers in time."""
    if sys.platform == "win32":  # pragma: no cover - a named pipe, through Qt
        return _send_command_qt(name, command, connect_timeout, answer_timeout)
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
