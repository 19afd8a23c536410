"""What the recorder and the player share: opening a stream at the best rate the device
accepts, and closing or flushing one without waiting forever."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from desktop_assistant.audio.native_stderr import native_stderr_to_log
from desktop_assistant.errors import AudioError

log = logging.getLogger(__name__)
CLOSE_TIMEOUT_S = 2.0
FLUSH_TIMEOUT_S = 0.5


def open_at_rates(factory: Callable[..., Any], rates: Sequence[int], what: str,
                  **kwargs: Any) -> tuple[Any, int]:
    """Open a stream at the first of `rates` the device accepts; (stream, rate).

    Raises AudioError naming the device problem when none works.
    """
    last: Exception | None = None
    tried: list[int] = []
    with native_stderr_to_log(what):  # PortAudio's failed checks: to the log, not the terminal
        for rate in dict.fromkeys(int(r) for r in rates if r):
            tried.append(rate)
            try:
                return factory(samplerate=rate, **kwargs), rate
            except Exception as exc:  # noqa: BLE001 - sd.PortAudioError or ValueError, depending on backend
                log.info("%s: cannot open at %d Hz: %s", what, rate, exc)
                last = exc
    raise AudioError(f"Cannot open the {what} (tried {', '.join(map(str, tried))} Hz): {last}",
                     "check the device in the system sound settings")


def close_stream(stream: Any, *, abort: bool = False, timeout: float = CLOSE_TIMEOUT_S) -> bool:
    """Stop and close `stream` with a bounded wait; False when it did not finish in time."""
    return _bounded([stream.abort if abort else stream.stop, stream.close], "close", timeout)


def flush_stream(stream: Any, timeout: float = FLUSH_TIMEOUT_S) -> bool:
    """Drop what an output stream has buffered (abort) and run it again (start), bounded."""
    return _bounded([stream.abort, stream.start], "flush", timeout)


def _bounded(steps: Sequence[Callable[[], Any]], what: str, timeout: float) -> bool:
    """Run `steps` in order on a worker thread (each even if one before failed); wait at most
    `timeout`. False when they did not finish in time: a wedged device must not hang the caller."""
    errors: list[BaseException] = []

    def run() -> None:
        for step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - a dead device may refuse; go on with the next step
                errors.append(exc)

    worker = threading.Thread(target=run, name=f"audio-{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    for exc in errors:
        log.info("audio stream %s: %s", what, exc)
    if worker.is_alive():
        log.warning("audio stream %s did not finish within %.1f s; abandoning it", what, timeout)
        return False
    return True
