"""One window per user: a lock file in the data dir that the running app holds.

A second `desktop-assistant` window on the same data would record from the same microphone
and, on opening the database, mark the first one's arriving reply as interrupted. The lock
is an advisory `flock`, so it is released by the kernel when the process ends, even after a
crash: a stale lock file never blocks a start. A second start asks the holder to bring its
window forward (ui/instance_channel.py) and exits.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; there the guard is skipped
    fcntl = None  # type: ignore[assignment]  # (the checker sees Linux, where the module exists)


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when this process now holds the lock; False when another one does."""
        if fcntl is None or self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder_pid(self) -> int | None:
        """The pid the holder wrote into the lock file, if it can be read."""
        try:
            first = self.path.read_text(encoding="ascii").split("\n", 1)[0].strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(first) if first.isdigit() else None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
