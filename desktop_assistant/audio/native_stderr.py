"""What native audio libraries write straight to file descriptor 2 while a stream opens goes to
the log instead of the terminal.

PortAudio's ALSA backend prints every failed check of a stream that will not open ("Expression
'…' failed in 'src/hostapi/alsa/pa_linux_alsa.c'…"), and alsa-lib prints its own lines when no
hook is set (`alsa_log`); neither offers a way to redirect them that the installed libraries
export. On a terminal they bury the one line the app prints about the problem. So while a stream
opens, fd 2 points at an anonymous temporary file, and what landed there is logged (debug).
Opening is short (milliseconds); one open at a time holds the redirection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)
_lock = threading.Lock()
_KEEP_BYTES = 16384


@contextlib.contextmanager
def native_stderr_to_log(what: str) -> Iterator[None]:
    with _lock:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no fd 2 (a GUI process started without one)
            yield
            return
        with tempfile.TemporaryFile() as sink:  # anonymous: nothing is left in the temp folder
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                sink.seek(0)
                text = sink.read(_KEEP_BYTES).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                log.debug("%s (native library): %s", what, line.strip())
