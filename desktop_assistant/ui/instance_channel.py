"""The running window's local channel: other processes of the same user send it one-line commands.

A second `desktop-assistant` start sends `show` (bring the window forward, also out of the tray)
instead of opening a second window; later commands (e.g. `ptt press`) are handlers added to the
same table. The protocol is lines of UTF-8: a command and its words, answered by one line,
`ok` or `error <reason>`.

The channel is a `QLocalServer` (a Unix socket; a named pipe on Windows) whose name is derived
from the data dir, so each `DESKTOP_ASSISTANT_HOME` has its own, and which only this user can
open (`UserAccessOption`, the file mode checked after listening). On Unix it lives in the
user's runtime dir (`$XDG_RUNTIME_DIR`, private to the user), else in the temp dir with the uid
in its name. Qt only: no engine imports. The client side (`send_command`) is Qt-free, in
`desktop_assistant/channel_client.py`, for `desktop-assistant ptt`.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

# (the client side, Qt-free: re-exported for the window's users of the channel)
from desktop_assistant.channel_client import MAX_LINE, ChannelError, channel_name, send_command

__all__ = ["ChannelError", "Handler", "InstanceChannel", "channel_name", "send_command"]

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger(__name__)

Handler = Callable[[list[str]], str | None]  # the command's words after the first → reply (None: "ok")


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
