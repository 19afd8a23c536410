"""SIGTERM / SIGINT close the main window cleanly (the same ordered shutdown as
the close button), even while Qt's event loop is running C++ code."""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

log = logging.getLogger(__name__)


class SignalCloser(QObject):
    """Install handlers that call `on_signal()` on the GUI thread; `uninstall()` restores them."""

    def __init__(self, on_signal: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_signal = on_signal
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        self._old_fd = signal.set_wakeup_fd(self._write.fileno())
        for sig in self._previous:
            signal.signal(sig, self._handle)
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self.received: list[int] = []

    def _handle(self, signum: int, frame: object) -> None:
        self.received.append(signum)  # the wakeup fd wakes the event loop; _drain acts

    def _drain(self) -> None:
        try:
            while self._read.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        if self.received:
            log.info("signal %s received: closing", self.received[-1])
            self._on_signal()

    def uninstall(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._read.close()
        self._write.close()
