"""One test at a time may load the CPU, across the suite's workers.

A test that checks timing under load starts a busy loop beside the app (a core of the two taken).
With two workers, that loop also lands on whatever the other worker runs: a test that itself needs
the CPU promptly (an audio callback that must not underrun) then fails for the machine's sake, not
the app's. Such tests, and every busy loop, take this lock: never two loads at once, and never a
load beside a test that measures promptness. (An flock on a file in the temp dir, released if the
process dies.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def cpu_exclusive() -> Iterator[None]:
    path = Path(tempfile.gettempdir()) / f"da-tests-cpu-{os.getuid()}.lock"
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
